"""Corpus reading, the id cache, CBOWWindowDataset, CBOWDataModule, and every bad input."""

import bz2
import gzip
import os
import threading
import warnings
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, DistributedSampler

from cbow_torch import reference
from cbow_torch.corpus import read_chunks, resolve_corpus
from cbow_torch.data import (
    CBOWDataError,
    CBOWDataModule,
    CBOWWindowDataset,
    WindowSampler,
    collate_batch,
)
from cbow_torch.text import Vocabulary


def numbered_corpus(path, n, per_line=None):
    """Words w00000 … in order: alphabetical ids equal corpus positions."""
    words = [f"w{i:05d}" for i in range(n)]
    step = per_line or n
    path.write_text("\n".join(" ".join(words[i : i + step]) for i in range(0, n, step)) + "\n")
    return path


def datamodule(tmp_path, corpus, **options):
    options = {"tokenizer": "whitespace", "vocab_order": "alphabetical", **options}
    return CBOWDataModule(corpus=str(corpus), cache_dir=str(tmp_path / "cache"), **options)


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
    with pytest.raises(CBOWDataError, match="window must be >= 1"):
        CBOWWindowDataset(np.arange(10), window=0)
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
    dm = datamodule(tmp_path, numbered_corpus(tmp_path / "c.txt", 2000), shuffle=False)
    dm.setup("fit")
    for i, (context, center) in enumerate(dm.train_dataloader()):
        if i < 3:
            assert center.tolist() == list(range(2 + 128 * i, 2 + 128 * (i + 1)))
            assert context[0].tolist() == [128 * i, 128 * i + 1, 128 * i + 3, 128 * i + 4]
    # The held-out slice is the last 5%: contiguous, after the training windows.
    assert len(dm.train_dataset) == 1900 - 4 and len(dm.val_dataset) == 100 - 4
    _, val_centers = all_batches(dm.val_dataloader())
    assert val_centers.tolist() == list(range(1902, 1998))


def test_shuffled_epoch_is_a_permutation(tmp_path):
    dm = datamodule(tmp_path, numbered_corpus(tmp_path / "c.txt", 700), val_fraction=0)
    dm.setup("fit")
    context, center = all_batches(dm.train_dataloader())
    assert center.tolist() != list(range(2, 698))
    assert sorted(center.tolist()) == list(range(2, 698))
    assert torch.equal(context[:, 1] + 1, center)  # each window still matches its centre
    again = datamodule(tmp_path, tmp_path / "c.txt", val_fraction=0)
    assert torch.equal(all_batches(again.train_dataloader())[1], center)  # seeded


def test_ddp_loaders_shard_with_the_seed(tmp_path):
    corpus = numbered_corpus(tmp_path / "c.txt", 1003)
    centers = []
    for rank in (0, 1):
        dm = datamodule(tmp_path, corpus, val_fraction=0)
        dm.trainer = SimpleNamespace(world_size=2, global_rank=rank)
        loader = dm.train_dataloader()
        assert isinstance(loader.sampler, DistributedSampler) and loader.sampler.seed == 282
        loader.sampler.set_epoch(0)
        centers.append(all_batches(loader)[1])
    assert len(centers[0]) == len(centers[1]) == 500
    assert torch.unique(torch.cat(centers)).tolist() == list(range(2, 1001))


def test_line_per_document(tmp_path):
    corpus = numbered_corpus(tmp_path / "c.txt", 30, per_line=6)
    dm = datamodule(tmp_path, corpus, line_per_document=True, shuffle=False, val_fraction=0)
    _, center = all_batches(dm.train_dataloader())
    assert center.tolist() == [c for doc in range(0, 30, 6) for c in (doc + 2, doc + 3)]
    stream = datamodule(tmp_path, corpus, shuffle=False, val_fraction=0)
    assert len(all_batches(stream.train_dataloader())[1]) == 26


def test_min_count_drops_words_from_the_stream(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("a b rare a b c a b c\n")
    dm = datamodule(tmp_path, corpus, min_count=2, vocab_order="frequency", val_fraction=0)
    assert dm.vocab.index_to_key == ["a", "b", "c"] and dm.vocab.counts == [3, 3, 2]
    dm.setup()
    assert dm.vocab.decode(dm.train_dataset.ids) == list("ababcabc")
    unk = datamodule(tmp_path, corpus, min_count=2, unk=True, val_fraction=0)
    assert unk.vocab.index_to_key == ["<unk>", "a", "b", "c"]
    unk.setup()
    assert len(unk.train_dataset.ids) == 9


def test_cache_hit_and_invalidation(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("one two three four five six\n")
    calls = []

    def counting_tokenizer(text):
        calls.append(text)
        return text.split()

    first = datamodule(tmp_path, corpus, tokenizer=counting_tokenizer)
    assert first.vocab_size == 6 and len(calls) == 1
    second = datamodule(tmp_path, corpus, tokenizer=counting_tokenizer)
    assert second.vocab_size == 6 and len(calls) == 1  # a hit: not tokenised again
    corpus.write_text("one two three four five six seven\n")
    os.utime(corpus, ns=(corpus.stat().st_atime_ns, corpus.stat().st_mtime_ns + 10**9))
    third = datamodule(tmp_path, corpus, tokenizer=counting_tokenizer)
    assert third.vocab_size == 7 and len(calls) == 2  # the changed corpus is encoded again
    fourth = datamodule(tmp_path, corpus, tokenizer=counting_tokenizer, min_count=2)
    with pytest.raises(CBOWDataError):
        fourth.vocab_size  # noqa: B018  (new options, new cache; and a useless min_count)
    cache = tmp_path / "cache"
    assert sorted(p.suffix for p in cache.iterdir() if p.is_dir()) == ["", ""]
    assert not [p for p in cache.iterdir() if p.name.startswith(".")]  # no half-built cache
    built = next(p for p in cache.iterdir() if p.is_dir())
    assert sorted(os.listdir(built)) == ["docs.npy", "ids.npy", "meta.json", "vocab.tsv"]
    assert Vocabulary.load(built / "vocab.tsv") in (first.vocab, third.vocab)


def test_processes_starting_together_build_the_cache_once(tmp_path):
    corpus = numbered_corpus(tmp_path / "c.txt", 5000)
    calls, sizes = [], []

    def slow_tokenizer(text):
        calls.append(1)
        return text.split()

    def rank():
        sizes.append(datamodule(tmp_path, corpus, tokenizer=slow_tokenizer).vocab_size)

    threads = [threading.Thread(target=rank) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sizes == [5000, 5000] and len(calls) == 1


def test_bundled_default_corpus(tmp_path):
    dm = CBOWDataModule(cache_dir=str(tmp_path))
    assert dm.vocab_size > 5000 and "government" in dm.vocab
    assert dm.hparams.corpus is None and dm.hparams.tokenizer == "simple"
    dm.setup("fit")
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
    assert dm.vocab_size == 5778 and dm.vocab.key_to_index["king"] == 2745
    dm.setup()
    context, center = next(iter(dm.train_dataloader()))
    assert dm.vocab.decode(center) == shakespeare_tokens[2:130]
    assert dm.vocab.decode(context[0]) == shakespeare_tokens[:2] + shakespeare_tokens[3:5]


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
    dm = datamodule(tmp_path, root, vocab_order="frequency", window=1, val_fraction=0)
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


def test_non_utf8_bytes_are_replaced_with_a_warning(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("café au lait\n".encode("latin-1"))
    with pytest.warns(UserWarning, match=r"latin1.txt is not valid UTF-8.*replaced by U\+FFFD"):
        text = "".join(read_chunks(path))
    assert text == "caf\ufffd au lait\n"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dm = datamodule(tmp_path, path, window=1, val_fraction=0)
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
    message = one_line_error(lambda: datamodule(tmp_path, tmp_path / "nope.txt").vocab_size)
    assert "nope.txt does not exist" in message and "data.corpus" in message


def test_empty_file(tmp_path):
    (tmp_path / "empty.txt").touch()
    message = one_line_error(lambda: datamodule(tmp_path, tmp_path / "empty.txt").vocab)
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
    message = one_line_error(lambda: datamodule(tmp_path, corpus, window=2).setup())
    assert "short.txt" in message and "2C+1 = 5" in message and "data.window" in message


def test_window_below_one(tmp_path):
    message = one_line_error(lambda: datamodule(tmp_path, "x.txt", window=0))
    assert "data.window must be >= 1" in message


def test_min_count_leaving_fewer_than_two_words(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("a a a b c d e f\n")
    message = one_line_error(lambda: datamodule(tmp_path, corpus, min_count=2).vocab)
    assert "data.min_count=2 leaves 1 word(s)" in message and "c.txt" in message


@pytest.mark.parametrize(
    "option, message",
    [
        ({"tokenizer": "nltk"}, "data.tokenizer: unknown tokenizer 'nltk'"),
        ({"vocab_order": "random"}, "data.vocab_order must be one of"),
        ({"val_fraction": 1.0}, "data.val_fraction must be in [0, 1)"),
        ({"batch_size": 0}, "data.batch_size must be >= 1"),
        ({"max_vocab_size": 1}, "data.max_vocab_size must be >= 2"),
    ],
)
def test_bad_options(tmp_path, option, message):
    assert message in one_line_error(lambda: datamodule(tmp_path, "x.txt", **option))


def test_val_fraction_too_small_for_a_window(tmp_path):
    corpus = numbered_corpus(tmp_path / "c.txt", 60)
    message = one_line_error(lambda: datamodule(tmp_path, corpus, val_fraction=0.05).setup())
    assert "data.val_fraction=0.05 holds out 3 tokens" in message
