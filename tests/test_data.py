"""Corpus reading, prepared datasets, CBOWWindowDataset, CBOWDataModule, and every bad input."""

import ast
import bz2
import dataclasses
import gzip
import inspect
import json
import os
import shlex
import signal
import subprocess
import sys
import threading
import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import pytorch_lightning as pl
import torch
from _fast import NO_EXPORT, fit_args
from test_training import load_params
from torch.utils.data import DataLoader, DistributedSampler

from cbow_torch import reference
from cbow_torch.__main__ import main as cbow_torch_main
from cbow_torch.checkpoint import read_checkpoint
from cbow_torch.data import suggest
from cbow_torch.data.corpus import resolve_corpus
from cbow_torch.data.datamodule import CBOWDataModule
from cbow_torch.data.errors import CBOWDataError
from cbow_torch.data.options import PrepareOptions
from cbow_torch.data.prepare import FILES, FORMAT, cache_key, prepare
from cbow_torch.data.reading import read_chunks
from cbow_torch.data.suggest import softmax_epoch_seconds, suggest_config
from cbow_torch.data.text import Vocabulary
from cbow_torch.data.windows import CBOWWindowDataset, WindowSampler, collate_batch
from cbow_torch.train.cli import cli_main
from cbow_torch.train.run import main

ROOT = Path(__file__).resolve().parents[1]


def numbered_corpus(path, n, per_line=None):
    """Words w00000 … in order: alphabetical ids equal corpus positions."""
    words = [f"w{i:05d}" for i in range(n)]
    step = per_line or n
    path.write_text("\n".join(" ".join(words[i : i + step]) for i in range(0, n, step)) + "\n")
    return path


def datamodule(tmp_path, corpus, **options):
    options = {"tokenizer": "whitespace", "vocab_order": "alphabetical", **options}
    return CBOWDataModule(corpus=str(corpus), cache_dir=str(tmp_path / "cache"), **options)


def ready(dm):
    """What a Trainer does first: prepare (one process), then set up (every process)."""
    dm.prepare_data()
    dm.setup("fit")
    return dm


def prepared(tmp_path, corpus, **options):
    return ready(datamodule(tmp_path, corpus, **options))


def all_batches(loader):
    batches = list(loader)
    return torch.cat([b[0] for b in batches]), torch.cat([b[1] for b in batches])


# --- CBOWWindowDataset ------------------------------------------------------------------------


def test_windows_at_the_edges_of_the_corpus():
    ds = CBOWWindowDataset(np.arange(10), window=2)
    assert len(ds) == 6  # centres 2 .. 7
    context, center = ds.__getitems__([0, 5])
    assert context.dtype == center.dtype == torch.int64
    assert context.tolist() == [[0, 1, 3, 4], [5, 6, 8, 9]] and center.tolist() == [2, 7]
    assert ds[-1][1].item() == 7
    with pytest.raises(IndexError):
        ds.__getitems__([6])


def test_windows_stay_inside_documents():
    # Documents [0, 5), [5, 7) (too short for C=2), [7, 12).
    ds = CBOWWindowDataset(np.arange(12), window=2, doc_starts=[0, 5, 7])
    context, center = ds.__getitems__(range(len(ds)))
    assert center.tolist() == [2, 9]
    assert context.tolist() == [[0, 1, 3, 4], [7, 8, 10, 11]]


def test_repeated_context_words_weigh_twice():
    ds = CBOWWindowDataset(np.array([3, 1, 0, 3, 2]), window=2)
    context, center = ds[0]
    assert context.tolist() == [3, 1, 3, 2] and center.item() == 0
    x, _ = reference.dense_batch(context[None].numpy(), center[None].numpy(), V=4)
    assert x[:, 0].tolist() == [0.0, 0.25, 0.25, 0.5]  # word 3 twice: 2/(2C)


def test_window_sampler_epochs():
    ds = CBOWWindowDataset(np.arange(104), window=2)
    assert list(WindowSampler(ds, shuffle=False)) == list(range(100))
    sampler = WindowSampler(ds, shuffle=True, seed=1)
    first = list(sampler)
    sampler.set_epoch(1)
    second = list(sampler)
    assert sorted(first) == sorted(second) == list(range(100)) and first != second
    assert first == list(WindowSampler(ds, shuffle=True, seed=1))


def test_dataloader_builds_batches_with_getitems():
    ds = CBOWWindowDataset(np.arange(1000, dtype=np.uint16), window=3)
    loader = DataLoader(ds, batch_size=128, collate_fn=collate_batch)
    context, center = next(iter(loader))
    assert context.shape == (128, 6) and center.tolist() == list(range(3, 131))


def test_dataset_rejects_bad_inputs():
    with pytest.raises(CBOWDataError, match="1-D integer"):
        CBOWWindowDataset(np.zeros(10), window=1)


@pytest.mark.parametrize("sampler_cls", [WindowSampler, DistributedSampler])
def test_two_ranks_cover_every_example_once(sampler_cls):
    for n in (1000, 1001):
        ds = CBOWWindowDataset(np.arange(n + 4), window=2)
        shards = [
            [
                b[1]
                for b in DataLoader(
                    ds,
                    64,
                    sampler=sampler_cls(ds, 2, r, shuffle=True, seed=5),
                    collate_fn=collate_batch,
                )
            ]
            for r in (0, 1)
        ]
        assert len(shards[0]) == len(shards[1])  # DDP needs equal batch counts
        counts = torch.bincount(torch.cat([torch.cat(s) for s in shards]) - 2, minlength=n)
        if n % 2 == 0:
            assert (counts == 1).all()  # exactly once
        else:  # DistributedSampler pads an odd count with one repeat to keep the ranks equal
            assert (counts >= 1).all() and counts.sum() == n + 1


# --- CBOWDataModule ---------------------------------------------------------------------------


def test_course_batches_with_shuffle_off(tmp_path):
    dm = prepared(tmp_path, numbered_corpus(tmp_path / "c.txt", 2000), shuffle=False)
    for i, (context, center) in enumerate(dm.train_dataloader()):
        if i < 3:
            assert center.tolist() == list(range(2 + 128 * i, 2 + 128 * (i + 1)))
            assert context[0].tolist() == [128 * i, 128 * i + 1, 128 * i + 3, 128 * i + 4]
    # The held-out slice is the last 5%: contiguous, after the training windows.
    assert len(dm.train_dataset) == 1900 - 4 and len(dm.val_dataset) == 100 - 4
    _, val_centers = all_batches(dm.val_dataloader())
    assert val_centers.tolist() == list(range(1902, 1998))


def test_shuffled_epoch_is_a_permutation(tmp_path):
    dm = prepared(tmp_path, numbered_corpus(tmp_path / "c.txt", 700), val_fraction=0)
    context, center = all_batches(dm.train_dataloader())
    assert center.tolist() != list(range(2, 698))
    assert sorted(center.tolist()) == list(range(2, 698))
    assert torch.equal(context[:, 1] + 1, center)  # each window still matches its centre
    again = prepared(tmp_path, tmp_path / "c.txt", val_fraction=0)
    assert torch.equal(all_batches(again.train_dataloader())[1], center)  # seeded


def test_ddp_loaders_shard_with_the_seed(tmp_path):
    corpus = numbered_corpus(tmp_path / "c.txt", 1003)
    centers = []
    for rank in (0, 1):
        dm = prepared(tmp_path, corpus, val_fraction=0)
        dm.trainer = SimpleNamespace(world_size=2, global_rank=rank, lightning_module=None)
        loader = dm.train_dataloader()
        assert isinstance(loader.sampler, DistributedSampler) and loader.sampler.seed == 282
        loader.sampler.set_epoch(0)
        centers.append(all_batches(loader)[1])
    assert len(centers[0]) == len(centers[1]) == 500
    assert torch.unique(torch.cat(centers)).tolist() == list(range(2, 1001))


def test_line_per_document(tmp_path):
    corpus = numbered_corpus(tmp_path / "c.txt", 30, per_line=6)
    dm = prepared(tmp_path, corpus, line_per_document=True, shuffle=False, val_fraction=0)
    _, center = all_batches(dm.train_dataloader())
    assert center.tolist() == [c for doc in range(0, 30, 6) for c in (doc + 2, doc + 3)]
    stream = prepared(tmp_path, corpus, shuffle=False, val_fraction=0)
    assert len(all_batches(stream.train_dataloader())[1]) == 26


def test_min_count_drops_words_from_the_stream(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("a b rare a b c a b c\n")
    dm = prepared(tmp_path, corpus, min_count=2, vocab_order="frequency", val_fraction=0)
    assert dm.vocab.index_to_key == ["a", "b", "c"] and dm.vocab.counts == [3, 3, 2]
    assert dm.vocab.decode(dm.train_dataset.ids) == list("ababcabc")
    unk = prepared(tmp_path, corpus, min_count=2, unk=True, val_fraction=0)
    assert unk.vocab.index_to_key == ["<unk>", "a", "b", "c"]
    assert len(unk.train_dataset.ids) == 9


def test_cache_hit_and_invalidation(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("one two three four five six\n")
    calls = []

    def counting_tokenizer(text):
        calls.append(text)
        return text.split()

    first = datamodule(tmp_path, corpus, tokenizer=counting_tokenizer)
    assert not calls  # instantiating reads no text
    assert first.vocab_size == 6 and len(calls) == 1  # reading V prepares the corpus, once
    second = prepared(tmp_path, corpus, tokenizer=counting_tokenizer)
    assert second.vocab_size == 6 and len(calls) == 1  # a hit: not tokenised again
    corpus.write_text("one two three four five six seven\n")
    os.utime(corpus, ns=(corpus.stat().st_atime_ns, corpus.stat().st_mtime_ns + 10**9))
    third = prepared(tmp_path, corpus, tokenizer=counting_tokenizer)
    assert third.vocab_size == 7 and len(calls) == 2  # the changed corpus is prepared again
    fourth = datamodule(tmp_path, corpus, tokenizer=counting_tokenizer, min_count=2)
    with pytest.raises(CBOWDataError):
        fourth.prepare_data()  # new options, new cache; and a useless min_count
    cache = tmp_path / "cache"
    assert sorted(p.suffix for p in cache.iterdir() if p.is_dir()) == ["", ""]
    assert not [p for p in cache.iterdir() if p.name.startswith(".")]  # no half-built cache
    built = next(p for p in cache.iterdir() if p.is_dir())
    assert sorted(os.listdir(built)) == ["docs.npy", "ids.npy", "meta.json", "vocab.tsv"]
    assert Vocabulary.load(built / "vocab.tsv") in (first.vocab, third.vocab)


def test_two_writers_racing_leave_one_whole_cache(tmp_path):
    # Lightning prepares on one process per machine; two machines (or two runs) sharing a cache
    # directory may still race. No lock: each builds beside it, the first rename wins.
    corpus = numbered_corpus(tmp_path / "c.txt", 5000)
    modules = [datamodule(tmp_path, corpus) for _ in range(2)]
    threads = [threading.Thread(target=dm.prepare_data) for dm in modules]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    cache = tmp_path / "cache"
    assert [p.name for p in cache.iterdir()] == [modules[0].path.name]
    assert [ready(dm).vocab_size for dm in modules] == [5000, 5000]


def test_bundled_default_corpus(tmp_path):
    dm = ready(CBOWDataModule(cache_dir=str(tmp_path)))
    assert dm.vocab_size > 5000 and "government" in dm.vocab
    assert dm.hparams.corpus is None and dm.hparams.tokenizer == "simple"
    context, center = next(iter(dm.train_dataloader()))
    assert context.shape == (128, 4) and center.shape == (128,)


def test_course_preprocessing_end_to_end(tmp_path, shakespeare, shakespeare_tokens):
    dm = CBOWDataModule(
        str(shakespeare),
        tokenizer="course",
        vocab_order="alphabetical",
        shuffle=False,
        val_fraction=0,
        cache_dir=str(tmp_path),
    )
    assert ready(dm).vocab_size == 5778 and dm.vocab.key_to_index["king"] == 2745
    context, center = next(iter(dm.train_dataloader()))
    assert dm.vocab.decode(center) == shakespeare_tokens[2:130]
    assert dm.vocab.decode(context[0]) == shakespeare_tokens[:2] + shakespeare_tokens[3:5]


# --- prepare: the dataset directory, and fit from it -----------------------------------------


def test_prepare_writes_a_plain_dataset_directory(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("b a c a\nrare b a\n\nc b a a\n")
    out = tmp_path / "ds"
    prepare(str(corpus), out, tokenizer="whitespace", line_per_document=True, min_count=2)
    assert sorted(os.listdir(out)) == sorted(FILES)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp dir left
    # Read back with numpy and json alone, as a user would.
    ids, docs = np.load(out / "ids.npy"), np.load(out / "docs.npy")
    words = [line.split("\t")[0] for line in (out / "vocab.tsv").read_text().splitlines()]
    counts = [int(line.split("\t")[1]) for line in (out / "vocab.tsv").read_text().splitlines()]
    assert words == ["a", "b", "c"] and counts == [5, 3, 2]  # "rare" is dropped
    assert ids.dtype == np.uint16 and [words[i] for i in ids] == list("bacabacbaa")
    assert docs.tolist() == [0, 4, 6]  # the empty line is no document
    meta = json.loads((out / "meta.json").read_text())
    assert meta["format"] == FORMAT and meta["tokens"] == 10 and meta["vocab_size"] == 3
    assert meta["documents"] == 3 and meta["ids_dtype"] == "uint16"
    assert meta["options"] == {
        "tokenizer": "whitespace",
        "line_per_document": True,
        "min_count": 2,
        "max_vocab_size": None,
        "vocab_order": "frequency",
        "unk": False,
        "encoding": "utf-8",
    }
    assert [s["path"] for s in meta["sources"]] == [str(corpus.resolve())]
    dm = ready(CBOWDataModule(dataset=str(out), window=1, val_fraction=0))
    assert dm.vocab.counts == [5, 3, 2] and isinstance(dm.prepared.ids, np.memmap)
    assert dm.vocab.tokenizer == "whitespace"  # what meta.json records, for the vector tools


def test_ids_are_int32_past_65535_words(tmp_path):
    corpus = numbered_corpus(tmp_path / "c.txt", 70_000)
    dataset = prepare(str(corpus), tmp_path / "ds", tokenizer="whitespace")
    assert dataset.ids.dtype == np.int32 and dataset.meta["ids_dtype"] == "int32"
    assert int(dataset.ids.max()) == 69_999


def test_prepare_command(tmp_path, capsys):
    corpus = numbered_corpus(tmp_path / "c.txt", 50)
    out = tmp_path / "ds"
    with pytest.raises(SystemExit) as done:
        cbow_torch_main(["prepare", str(corpus), "--out", str(out), "--tokenizer=whitespace"])
    assert done.value.code == 0
    assert f"wrote {out}: 50 tokens in 1 documents, V = 50" in capsys.readouterr().out
    assert json.loads((out / "meta.json").read_text())["options"]["tokenizer"] == "whitespace"
    for argv, expected in [
        ([str(corpus), "--out", str(out)], f"--out {out} already exists"),
        ([str(tmp_path / "nope.txt"), "--out", str(tmp_path / "x")], "nope.txt does not exist"),
        ([str(corpus), "--out", str(tmp_path / "x"), "--min_count=0"], "--min_count must be >= 1"),
        ([str(corpus), "--out", str(tmp_path / "x")], "tokenizer 'simple' finds no words in"),
    ]:
        with pytest.raises(SystemExit) as error:
            cbow_torch_main(["prepare", *argv])
        message = capsys.readouterr().err
        assert error.value.code == 2 and message.startswith("cbow-torch: error: ")
        assert expected in message and message.count("\n") == 1
    assert not (tmp_path / "x").exists()


def test_the_preparation_options_are_defined_once(tmp_path):
    """PrepareOptions is the one list: the DataModule's flat data.* keys take their names and
    defaults from it, and prepare, the cache key and meta.json read it."""
    schema = inspect.signature(CBOWDataModule.__init__).parameters
    for f in dataclasses.fields(PrepareOptions):
        assert schema[f.name].default == f.default, f.name
    dm = datamodule(tmp_path, numbered_corpus(tmp_path / "c.txt", 20), min_count=2, unk=True)
    assert dm.options == PrepareOptions("whitespace", False, 2, None, "alphabetical", True)
    assert dm.path.name == cache_key(dm._files, dm.options)
    assert cache_key(dm._files, dm.options) != cache_key(dm._files, PrepareOptions())
    assert PrepareOptions(tokenizer=shlex.split).record()["tokenizer"] == "shlex.split"
    with pytest.raises(TypeError, match="the options are"):
        prepare("lee", tmp_path / "x", min_cont=2)
    with pytest.raises(
        CBOWDataError,
        match="--vocab_order must be one of \\('frequency', 'alphabetical'\\), got 'random'",
    ):
        prepare("lee", tmp_path / "x", PrepareOptions(vocab_order="random"))
    ds = prepare(str(tmp_path / "c.txt"), tmp_path / "ds", PrepareOptions("whitespace"), unk=True)
    assert ds.meta["options"] == {**PrepareOptions("whitespace", unk=True).record()}


def test_prepare_help_and_config_file(tmp_path, capsys):
    with pytest.raises(SystemExit) as done:
        cbow_torch_main(["prepare", "--help"])
    out = capsys.readouterr().out
    assert done.value.code == 0 and out.startswith("usage: cbow-torch prepare")
    for option in ("--config", "--out", *(f"--{name}" for name in PrepareOptions.names())):
        assert option in out
    assert "(type: int, default: 1)" in out  # jsonargparse's style, as fit --help
    config = tmp_path / "prep.yaml"
    config.write_text("tokenizer: whitespace\nmin_count: 2\n")
    corpus = tmp_path / "c.txt"
    corpus.write_text("a b a c b a\n")
    with pytest.raises(SystemExit) as done:
        cbow_torch_main(
            ["prepare", "--config", str(config), str(corpus), "--out", str(tmp_path / "d")]
        )
    assert done.value.code == 0
    meta = json.loads((tmp_path / "d" / "meta.json").read_text())
    assert meta["options"]["tokenizer"] == "whitespace" and meta["vocab_size"] == 2
    with pytest.raises(SystemExit) as error:
        cbow_torch_main(["prepare", str(corpus), "--out", str(tmp_path / "e"), "--vocab_order=x"])
    message = capsys.readouterr().err
    assert error.value.code == 2 and message.count("\n") == 1
    assert message.startswith("cbow-torch: error: ") and "vocab_order" in message
    assert "(see cbow-torch prepare --help)" in message and not (tmp_path / "e").exists()


def test_prepare_starts_without_lightning():
    code = "import sys, cbow_torch.data.prepare, cbow_torch.vectors.commands; "
    code += "sys.exit('pytorch_lightning' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], timeout=120).returncode == 0


def test_a_whole_prepare_imports_neither_torch_nor_lightning_nor_numba(tmp_path):
    """On two worker processes, the bundled corpus (found without importing gensim)."""
    code = (
        "import sys\n"
        "from cbow_torch.__main__ import main\n"
        "try:\n"
        "    main(['prepare', 'lee', '--out', sys.argv[1], '--workers', '2'])\n"
        "finally:\n"
        "    print(sorted({m.split('.')[0] for m in sys.modules}), file=sys.stderr)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "ds")], capture_output=True, text=True
    )
    assert run.returncode == 0 and "wrote" in run.stdout, run.stderr
    loaded = set(eval(run.stderr.splitlines()[-1]))
    assert not loaded & {"torch", "pytorch_lightning", "lightning", "numba", "gensim", "scipy"}
    assert "multiprocessing" in loaded  # it did start the workers


def test_the_data_package_has_no_import_cycle():
    """Relative imports between cbow_torch/data modules, TYPE_CHECKING and local ones too."""
    graph = {}
    for path in (ROOT / "cbow_torch" / "data").glob("*.py"):
        imports = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                imports |= {node.module} if node.module else {a.name for a in node.names}
        graph[path.stem] = {m.split(".")[0] for m in imports}

    def cycle(node, path):
        if node in path:
            return path[path.index(node) :] + [node]
        return next(filter(None, (cycle(n, [*path, node]) for n in graph.get(node, ()))), None)

    assert [cycle(module, []) for module in graph] == [None] * len(graph)


def test_prepare_suggests_the_config_that_fits(tmp_path, capsys):
    corpus = numbered_corpus(tmp_path / "c.txt", 50)
    with pytest.raises(SystemExit):
        cbow_torch_main(
            ["prepare", str(corpus), "--out", str(tmp_path / "ds"), "--tokenizer=whitespace"]
        )
    out = capsys.readouterr().out.splitlines()
    fit = "train on it: cbow-torch fit --config configs/default.yaml --data.dataset"
    assert out[1] == f"{fit} {tmp_path / 'ds'}"
    # 1M words with V = 40,195 (issue 20's corpus): ~6 min an epoch, so negative sampling.
    big = suggest_config("DIR", 1_000_000, 40_195)
    assert big.endswith(
        "train on it: cbow-torch fit --config configs/word2vec.yaml --data.dataset DIR"
    )
    assert "V = 40,195" in big and "about 6 min" in big and "for its 15 epochs" in big
    assert softmax_epoch_seconds(1_000_000, 40_195, 100) == pytest.approx(361.8, rel=0.01)
    assert softmax_epoch_seconds(2_000_000, 40_195, 100) == 2 * softmax_epoch_seconds(
        1_000_000, 40_195, 100
    )
    lee = softmax_epoch_seconds(55_126, 3_955)  # the bundled corpus at min_count 2: seconds
    assert lee < 5 and "default.yaml" in suggest_config("DIR", 55_126, 3_955)


def test_the_estimate_assumes_the_default_configs_size():
    import yaml

    config = yaml.safe_load((ROOT / "configs" / "default.yaml").read_text())
    assert config["model"]["embedding_dim"] == suggest.DEFAULT_DIM
    assert config["trainer"]["max_epochs"] == suggest.DEFAULT_EPOCHS
    assert (ROOT / "configs" / "word2vec.yaml").is_file()


def corrupt(kind, path):
    if kind == "meta.json missing":
        (path / "meta.json").unlink()
    elif kind == "meta.json unreadable":
        (path / "meta.json").write_text("{not json")
    elif kind == "another version":
        meta = json.loads((path / "meta.json").read_text())
        (path / "meta.json").write_text(json.dumps({**meta, "format": FORMAT - 1}))
    elif kind == "ids.npy missing":
        (path / "ids.npy").unlink()
    elif kind == "vocab.tsv short":
        (path / "vocab.tsv").write_text("w00000\t1\n")


@pytest.mark.parametrize(
    "kind, expected",
    [
        (
            "no directory",
            "does not exist or is not a directory: prepare it with cbow-torch prepare",
        ),
        ("meta.json missing", "holds no meta.json, so it is not a prepared dataset"),
        ("meta.json unreadable", "meta.json cannot be read"),
        ("another version", f"prepared in dataset format {FORMAT - 1} and this cbow-torch reads"),
        ("ids.npy missing", "ids.npy: No such file"),
        ("vocab.tsv short", "ids.npy, vocab.tsv and meta.json do not agree"),
    ],
)
def test_bad_datasets_are_one_line_errors(tmp_path, kind, expected):
    path = tmp_path / "ds"
    if kind != "no directory":
        prepare(str(numbered_corpus(tmp_path / "c.txt", 20)), path, tokenizer="whitespace")
        corrupt(kind, path)
    message = one_line_error(lambda: ready(CBOWDataModule(dataset=str(path))))
    assert str(path) in message and expected in message


def test_fit_with_a_missing_dataset_is_a_one_line_error(tmp_path):
    with pytest.raises(SystemExit) as error:
        main(fit_args(tmp_path, f"--data.dataset={tmp_path / 'nope'}"))
    message = str(error.value.code)
    assert message.startswith("cbow-torch: error: data.dataset ") and "\n" not in message
    assert not (tmp_path / "runs").exists()  # refused before anything was written


def test_options_a_dataset_was_not_prepared_with_are_named(tmp_path):
    path = tmp_path / "ds"
    prepare(str(numbered_corpus(tmp_path / "c.txt", 20)), path, tokenizer="whitespace")
    with pytest.warns(UserWarning, match="not used: data.min_count=3 \\(it has 1\\)"):
        CBOWDataModule(dataset=str(path), tokenizer="whitespace", min_count=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # as prepared, or left at the defaults: nothing to say
        CBOWDataModule(dataset=str(path), tokenizer="whitespace", min_count=1)
        CBOWDataModule(dataset=str(path))


def test_fit_from_a_dataset_equals_fit_from_the_corpus(tmp_path, lee_dataset, softmax_run):
    # lee_dataset: prepared with default.yaml's options; softmax_run: FAST from the corpus,
    # 2 epochs. Bit for bit: FAST's one thread.
    dataset = lee_dataset
    args = fit_args(
        tmp_path, "--data.corpus=null", "--trainer.max_epochs=2", NO_EXPORT, name="dataset"
    )
    args = [a for a in args if a != "--data.corpus=lee"]
    args = [a for a in args if not a.startswith("--data.max_vocab_size")]
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # no option goes unused
        warnings.filterwarnings("ignore", message=".*(args|num_workers|sampler).*")
        cli_main([*args, f"--data.dataset={dataset}"])
    ckpts = [
        softmax_run / "checkpoints" / "last.ckpt",
        tmp_path / "runs" / "dataset" / "version_0" / "checkpoints" / "last.ckpt",
    ]
    a, b = (load_params(c) for c in ckpts)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    found = read_checkpoint(ckpts[1])  # V reaches the checkpoint, with the dataset's words
    assert found.input_vectors.shape == found.output_vectors.shape == (300, 16)
    assert found.words == Vocabulary.load(dataset / "vocab.tsv").index_to_key


class StopAt(pl.Callback):
    """A Ctrl-C after ``step`` steps: the run saves that step and stops; its other options,
    the linear schedule's length among them, stay those of the whole run."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_train_batch_end(self, trainer, *args) -> None:
        if trainer.global_step == self.step:
            signal.raise_signal(signal.SIGINT)


def test_resume_mid_epoch_with_the_linear_schedule(tmp_path):
    # The linear schedule asks for estimated_stepping_batches in configure_optimizers, which
    # builds the training loader before the checkpoint is restored (Lightning #20550).
    run = ("--trainer.val_check_interval=5", "--trainer.max_steps=12", "--model.lr_schedule=linear")
    run += (NO_EXPORT,)  # the parameters are compared; FAST's one thread: bit for bit
    stop = ("--trainer.callbacks+=test_data.StopAt", "--trainer.callbacks.step=7")
    cli_main(fit_args(tmp_path, *run, name="straight"))
    with pytest.raises(KeyboardInterrupt):
        cli_main(fit_args(tmp_path, *run, *stop, name="cut"))
    cli_main(fit_args(tmp_path, *run, "--ckpt_path=last", name="cut"))
    straight, resumed = (
        torch.load(tmp_path / f"runs/{name}/version_0/checkpoints/last.ckpt", weights_only=False)
        for name in ("straight", "cut")
    )
    assert resumed["global_step"] == straight["global_step"] == 12  # the end of fit
    for name, value in straight["state_dict"].items():
        assert torch.equal(value, resumed["state_dict"][name]), name


def test_a_resumed_loader_starts_after_the_batches_done(tmp_path):
    corpus = numbered_corpus(tmp_path / "c.txt", 1000)
    first = prepared(tmp_path, corpus, batch_size=64, val_fraction=0)
    batches = iter(first.train_dataloader())
    for _ in range(3):
        next(batches)
    state = first.state_dict()
    assert state == {"train_batches_done": 3}
    second = prepared(tmp_path, corpus, batch_size=64, val_fraction=0)
    second.load_state_dict(state)
    resumed = [center for _, center in second.train_dataloader()]
    whole = [center for _, center in first.train_dataloader()]
    assert len(resumed) == len(whole) - 3
    assert all(torch.equal(a, b) for a, b in zip(resumed, whole[3:], strict=True))
    assert len(list(second.train_dataloader())) == len(whole)  # only the first pass skips
    assert first.state_dict() == {"train_batches_done": 0}  # a finished epoch: nothing to skip


@pytest.mark.slow
def test_a_corpus_that_fails_preparation_under_ddp_is_one_line_per_rank(tmp_path):
    # Only rank 0 prepares; the error must not leave rank 1 at a barrier of a process that is gone.
    args = fit_args(
        tmp_path,
        "--data.min_count=100000",
        "--trainer.strategy=ddp",
        "--trainer.devices=2",
        "--trainer.accelerator=cpu",
    )
    result = subprocess.run(
        [sys.executable, "-m", "cbow_torch", *args], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("cbow-torch: error")]
    assert any("min_count=100000 leaves 0 word(s)" in line for line in errors), errors


# --- reading ----------------------------------------------------------------------------------


def test_directories_globs_and_compressed_files(tmp_path):
    root = tmp_path / "docs"
    (root / "sub").mkdir(parents=True)
    (root / "b.txt").write_text("beta words here\n")
    with gzip.open(root / "a.txt.gz", "wt") as f:
        f.write("alpha words\n")
    with bz2.open(root / "sub" / "c.bz2", "wt") as f:
        f.write("gamma\n")
    (root / "image.bin").write_bytes(b"\x89PNG\0\0\0")
    (root / ".hidden.txt").write_text("secret\n")
    files = resolve_corpus(str(root))
    assert [p.relative_to(root).as_posix() for p in files] == ["a.txt.gz", "b.txt", "sub/c.bz2"]
    assert resolve_corpus(str(root / "*.txt")) == [root / "b.txt"]
    assert resolve_corpus([str(root / "b.txt"), str(root / "a.txt.gz")])[1].name == "a.txt.gz"
    dm = prepared(tmp_path, root, vocab_order="frequency", window=1, val_fraction=0)
    assert dm.vocab.index_to_key == ["words", "alpha", "beta", "gamma", "here"]


def test_chunks_end_at_line_ends(tmp_path):
    path = tmp_path / "c.txt"
    text = "".join(f"line {i} é\n" for i in range(500)) + "x" * 300 + " tail"
    path.write_text(text, encoding="utf-8")
    chunks = list(read_chunks(path, chunk_bytes=64))
    assert "".join(chunks) == text
    assert all(c.endswith("\n") for c in chunks if "x" not in c)
    assert max(map(len, chunks)) < 130  # the 305-byte last line is cut at its space, then
    path.write_text("é" * 301, encoding="utf-8")  # between two characters
    chunks = list(read_chunks(path, chunk_bytes=64))
    assert "".join(chunks) == "é" * 301 and len(chunks) > 5


def test_the_encoding_option_reads_other_encodings(tmp_path, capsys):
    corpus = tmp_path / "latin1.txt"
    corpus.write_bytes("Café crème, à la carte.\n".encode("latin-1") * 30)
    dataset = prepare(str(corpus), tmp_path / "ds", encoding="latin-1")
    assert dataset.vocab.index_to_key == ["café", "carte", "crème", "la"]
    assert dataset.meta["options"]["encoding"] == "iso8859-1"  # Python's name for it
    with pytest.warns(UserWarning, match=r"latin1.txt is not valid UTF-8 \(invalid continuation"):
        utf8 = prepare(str(corpus), tmp_path / "utf8")  # UTF-8: U+FFFD, one warning
    assert utf8.vocab.index_to_key == ["caf", "carte", "cr", "la", "me"]
    with pytest.raises(SystemExit) as done:
        cbow_torch_main(
            ["prepare", str(corpus), "--out", str(tmp_path / "cli"), "--encoding", "cp1252"]
        )
    assert done.value.code == 0 and "café" in Vocabulary.load(tmp_path / "cli" / "vocab.tsv")
    capsys.readouterr()
    dm = prepared(
        tmp_path, corpus, tokenizer="simple", encoding="latin-1", window=1, val_fraction=0
    )
    assert "crème" in dm.vocab
    assert dm.path != datamodule(tmp_path, corpus, tokenizer="simple").path  # another cache
    greek = tmp_path / "greek.txt"  # refused as UTF-8: see test_bad_data.py
    greek.write_bytes("Η γρήγορη καφέ αλεπού πηδά πάνω από το σκυλί.\n".encode("iso-8859-7") * 20)
    assert "καφέ" in prepare(str(greek), tmp_path / "el", encoding="iso-8859-7").vocab


def test_non_utf8_bytes_are_replaced_with_a_warning(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("café au lait\n".encode("latin-1"))
    with pytest.warns(UserWarning, match=r"latin1.txt is not valid UTF-8.*replaced by U\+FFFD"):
        text = "".join(read_chunks(path))
    assert text == "caf\ufffd au lait\n"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dm = prepared(tmp_path, path, window=1, val_fraction=0)
        assert "au" in dm.vocab
    assert len(caught) == 1


# --- bad input: one line, naming the file or option and the fix ------------------------------


def one_line_error(func):
    with pytest.raises(CBOWDataError) as info:
        func()
    message = str(info.value)
    assert "\n" not in message
    return message


def test_missing_path(tmp_path):
    message = one_line_error(lambda: datamodule(tmp_path, tmp_path / "nope.txt"))
    assert "nope.txt does not exist" in message and "data.corpus" in message


def test_empty_file(tmp_path):
    (tmp_path / "empty.txt").touch()
    message = one_line_error(lambda: datamodule(tmp_path, tmp_path / "empty.txt"))
    assert "empty.txt is empty" in message


def test_directory_without_text_files(tmp_path):
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "x.dat").write_bytes(b"\0\1\2")
    message = one_line_error(lambda: resolve_corpus(str(tmp_path / "bin")))
    assert "bin holds no text files" in message
    assert "matches no files" in one_line_error(lambda: resolve_corpus(str(tmp_path / "*.txt")))


def test_corpus_shorter_than_one_window(tmp_path):
    corpus = tmp_path / "short.txt"
    corpus.write_text("only four words here\n")
    message = one_line_error(lambda: prepared(tmp_path, corpus, window=2))
    assert "short.txt" in message and "2C+1 = 5" in message and "data.window" in message


def test_window_below_one(tmp_path):
    message = one_line_error(lambda: datamodule(tmp_path, "x.txt", window=0))
    assert "data.window must be >= 1" in message


def test_min_count_leaving_fewer_than_two_words(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("a a a b c d e f\n")
    message = one_line_error(lambda: prepared(tmp_path, corpus, min_count=2))
    assert "min_count=2 leaves 1 word(s)" in message and "c.txt" in message


@pytest.mark.parametrize(
    "option, message",
    [
        ({"tokenizer": "nltk"}, "data.tokenizer: unknown tokenizer 'nltk'"),
        ({"min_count": 0}, "data.min_count must be >= 1"),
        ({"num_workers": -1}, "data.num_workers must be >= 0"),
        ({"val_fraction": 1.0}, "data.val_fraction must be in [0, 1)"),
        ({"batch_size": 0}, "data.batch_size must be >= 1"),
        ({"max_vocab_size": 1}, "data.max_vocab_size must be >= 2"),
        ({"encoding": "latin-9x"}, "data.encoding 'latin-9x' is not a text encoding Python knows"),
        ({"encoding": "base64"}, "data.encoding 'base64' is not a text encoding Python knows"),
        ({"encoding": "utf-16"}, "iconv -f utf-16 -t UTF-8"),
    ],
)
def test_bad_options(tmp_path, option, message):
    assert message in one_line_error(lambda: datamodule(tmp_path, "x.txt", **option))


def test_workers_below_one(tmp_path):
    message = one_line_error(lambda: prepare("lee", tmp_path / "ds", workers=0))
    assert message == "--workers must be >= 1 (or left out: every CPU), got 0"


def test_val_fraction_too_small_for_a_window(tmp_path):
    corpus = numbered_corpus(tmp_path / "c.txt", 60)
    message = one_line_error(lambda: prepared(tmp_path, corpus, val_fraction=0.05))
    assert "data.val_fraction=0.05 holds out 3 tokens" in message
