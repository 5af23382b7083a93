"""scripts/benchlib, the benchmarks' shared pieces: the training settings against the real CLI,
the timing callback in this process and in another, the memory figure, the corpus writer and
the fresh-process functions."""

import contextlib
import gzip
import importlib.util
import io
import sys
import time
from pathlib import Path

import numpy as np
import pytest

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
sys.path.insert(0, str(SCRIPTS))
from benchlib import BenchError, fresh, parts  # noqa: E402
from benchlib.clock import TrainingClock  # noqa: E402
from benchlib.common import rotating  # noqa: E402
from benchlib.corpus import count_words, dictionary_corpus, named_corpus, write_zipf  # noqa: E402
from benchlib.docs import table  # noqa: E402
from benchlib.rss import PeakAbove  # noqa: E402
from benchlib.runs import KEYS, config_file, finish, fit_args, fit_here, launch  # noqa: E402
from benchlib.subword import subword_config  # noqa: E402

spec = importlib.util.spec_from_file_location("bench_gensim", SCRIPTS / "bench_gensim.py")
bench_gensim = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench_gensim)


def test_every_setting_reaches_the_config_key_it_names(tmp_path):
    """A renamed config key fails here, not in a benchmark hours later."""
    settings = {
        "corpus": "lee",
        "tokenizer": "simple",
        "line_per_document": True,
        "window": 2,
        "min_count": 3,
        "batch_size": 8,
        "val_fraction": 0.1,
        "loader_workers": 0,
        "cache_dir": str(tmp_path / "cache"),
        "vector_size": 8,
        "lr": 0.5,
        "min_lr": 0.001,
        "epochs": 1,
        "max_steps": 4,
        "log_every": 1,
        "progress_bar": False,
        "threads": 1,
        "export": False,
        "out_dir": str(tmp_path / "runs"),
        "seed": 7,
    }
    assert set(KEYS) - set(settings) == {"bare", "root_dir"}  # bare: below; root_dir: fit_here
    clock = TrainingClock(warmup=1)
    cli = fit_here(fit_args("default", objective="softmax", **settings), clock)
    for name, value in settings.items():
        for key in KEYS[name]:
            assert cli.config[key] == value, key
    assert cli.config["model.objective"].class_path.endswith(".Softmax")
    # 4 steps, the first the warm-up; the last step's lap never closes (no next step starts)
    assert [words for _, words in clock.laps] == [8, 8]
    assert all(seconds > 0 for seconds, _ in clock.laps) and clock.seconds > 0
    assert clock.rate() == 16 / sum(seconds for seconds, _ in clock.laps)
    assert clock.record(cli.trainer)["epochs"] == 4 / cli.trainer.num_training_batches
    marks = clock.record(cli.trainer)["marks"]  # the fit's parts, in order
    assert list(marks) == ["fit_start", "train_start", "train_end", "fit_end"]
    assert sorted(marks.values()) == list(marks.values())
    assert marks["train_end"] - marks["train_start"] == pytest.approx(clock.seconds, abs=0.05)
    assert not Path("config.yaml").exists()  # the run without a logger wrote it elsewhere


def test_an_objectives_options_and_a_bare_run(tmp_path):
    args = fit_args("word2vec", "presets/autograd", objective="negative", engine="autograd")
    args += fit_args(negative=3, bare=True, max_steps=1, export=False, progress_bar=False)
    cli = fit_here([*args, *fit_args(cache_dir=str(tmp_path), val_fraction=0)])
    objective = cli.config["model.objective"]
    assert objective.class_path.endswith(".NegativeSampling")
    assert objective.init_args.engine == "autograd" and objective.init_args.negatives == 3
    assert objective.init_args.input_step == "mean"  # presets/autograd's, kept
    assert cli.config["trainer.logger"] is False and cli.trainer.logger is None
    assert not cli.trainer.checkpoint_callbacks


def test_configs_by_name_or_path_and_bad_settings():
    assert config_file("word2vec").name == "word2vec.yaml"
    assert config_file("presets/autograd") == config_file("configs/presets/autograd.yaml")
    with pytest.raises(BenchError, match="config 'nothing': no such file"):
        config_file("nothing")
    with pytest.raises(BenchError, match="objective hierarchical: choose from softmax"):
        fit_args("default", objective="hierarchical")
    with pytest.raises(TypeError, match="unknown setting learning_rate"):
        fit_args(learning_rate=1)
    with pytest.raises(BenchError, match=r"^cbow-torch fit: data.window must be >= 1 .*, got 0$"):
        fit_here(fit_args("default", window=0))  # the CLI's own message, one line
    assert fit_args(threads=None, progress_bar=True, window=1) == [
        "--threads.count=null",
        "--trainer.enable_progress_bar=true",
        "--data.window=1",
    ]


@pytest.mark.slow
def test_a_fit_in_another_process_writes_its_clock(tmp_path):
    args = fit_args("default", max_steps=3, progress_bar=False, export=False, vector_size=8)
    args += fit_args(cache_dir=tmp_path / "cache")
    record, run = finish(launch(args, tmp_path, warmup=1), tmp_path, "the run")
    assert (run / "training_time.json").is_file() and (run / "config.yaml").is_file()
    assert record["seconds"] > 0 and record["words_per_sec"] > 0 and 0 < record["epochs"] < 1
    assert list(record["marks"]) == ["fit_start", "train_start", "train_end", "fit_end"]
    bad = launch([*args, "--data.window=0"], tmp_path / "bad")
    with pytest.raises(BenchError, match=r"^the bad run failed: cbow-torch: error: .*window"):
        finish(bad, tmp_path / "bad", "the bad run")


def test_peak_above_counts_the_block_only():
    with PeakAbove() as before:
        big = np.ones(2**25, np.float32)  # 128 MiB, touched
        del big
    if before.method != "VmHWM after a reset":
        pytest.skip("this kernel cannot reset the resident-set peak")
    assert before.mib > 120
    with PeakAbove() as after:  # the process's peak is behind it now
        small = np.ones(2**20, np.float32)  # 4 MiB
        del small
    assert after.mib < 60


def test_zipf_corpus(tmp_path):
    path = write_zipf(tmp_path / "zipf.txt", words=5000, types=300, seed=1, line_words=1000)
    lines = path.read_text().splitlines()
    assert [len(line.split()) for line in lines] == [1000] * 5
    words = path.read_text().split()
    counts = np.bincount([int(w[1:]) for w in words], minlength=300)  # [300]
    assert counts[0] == counts.max() and counts[:10].sum() > counts[-100:].sum()
    assert write_zipf(tmp_path / "again.txt", 5000, 300, 1).read_text() == path.read_text()
    every = write_zipf(tmp_path / "every.txt", 600, 300, 1, every_type=True).read_text().split()
    assert len(every) == 600 and len(set(every)) == 300


def test_rotating_rounds_and_tables(capsys):
    calls = []
    figures = rotating({k: lambda r, k=k: calls.append(k) or r for k in "abc"}, rounds=3)
    assert calls == list("abcbcacab")
    assert figures == {"a": [0, 1, 2], "b": [0, 1, 2], "c": [0, 1, 2]}
    assert "round 3: a 2, b 2, c 2" in capsys.readouterr().err
    assert table(["x", "y:"], [[1, "2"]]) == "| x | y |\n| --- | ---: |\n| 1 | 2 |"


@pytest.mark.slow
def test_fresh_process_functions():
    res = fresh.run("memory", kind="manual", shape="997x16x64x2", threads=1)
    assert res["method"].startswith("VmHWM") and res["peak_above_mib"] >= 0
    with pytest.raises(BenchError, match="unexpected keyword argument 'size'"):
        fresh.run("memory", kind="manual", size="large")


# ---- the real corpus ----------------------------------------------------------------------


def _dictd(folder: Path, name: str, entries: dict[str, bytes]) -> None:
    """A dictd database NAME in FOLDER: its entries gzipped (as dictzip is) and its index, each
    headword with its offset and length in dictd's base 64."""
    digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

    def b64(n: int) -> str:
        out = ""
        while True:
            n, r = divmod(n, 64)
            out = digits[r] + out
            if n == 0:
                return out

    data, index = b"", []
    for head, body in entries.items():
        index.append(f"{head}\t{b64(len(data))}\t{b64(len(body))}\n")
        data += body + b"\n"
    index.append(f"Alias\t{index[-1].split(chr(9), 1)[1]}")  # a second headword, one entry
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.dict.dz").write_bytes(gzip.compress(data))
    (folder / f"{name}.index").write_text("".join(sorted(index)))


ENTRIES = {
    "00-database-info": b"00-database-info\n   This file was converted from the original.\n",
    "Abdomen": b'Abdomen \\Ab*do"men\\, n. [L. abdomen: cf. F. abdomen.]\n'
    b"   1. (Anat.) The belly, or that part of the body between the\n"
    b"      thorax and the pelvis.\n      [1913 Webster]\n",
    "Market": b'Market \\Mar"ket\\, n.\n   The stock market\x92s drop; see http://example.org/x.\n',
    "1234": b"1234\n   5678 9 x\n",  # no words: no line
}


def test_the_dictionary_corpus_is_built_once_the_same_every_time(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    _dictd(tmp_path / "dictd", "tiny", ENTRIES)
    path = dictionary_corpus(tmp_path / "dictd", ("tiny",))
    assert path.parent == tmp_path / "cache" / "cbow_torch" and path.name.startswith("dict")
    # One entry a line, in stored order; the database's own entry, pronunciations, bracketed
    # etymologies and sources, addresses, digits and one-letter words left out; a stray cp1252
    # quote splits its word as any other punctuation does.
    assert path.read_text().splitlines() == [
        "abdomen anat the belly or that part of the body between the thorax and the pelvis",
        "market the stock market drop see",
    ]
    stamp, text = path.stat().st_mtime_ns, path.read_bytes()
    assert dictionary_corpus(tmp_path / "dictd", ("tiny",)) == path  # from the cache
    assert path.stat().st_mtime_ns == stamp
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "again"))
    assert dictionary_corpus(tmp_path / "dictd", ("tiny",)).read_bytes() == text  # same bytes
    _dictd(tmp_path / "dictd", "tiny", {**ENTRIES, "Zebra": b"Zebra\n   A striped horse.\n"})
    other = dictionary_corpus(tmp_path / "dictd", ("tiny",))
    assert other != path and other.read_text().endswith("zebra striped horse\n")


def test_a_missing_dictionary_names_the_packages_to_install(tmp_path):
    with pytest.raises(BenchError) as error:
        dictionary_corpus(tmp_path)
    message = str(error.value)
    assert "\n" not in message and "apt-get install dict-gcide dict-foldoc" in message
    assert str(tmp_path / "gcide.dict.dz") in message


def test_named_corpora(tmp_path):
    zipf = named_corpus("zipf", tmp_path, 3000, 100, seed=1)
    assert count_words(zipf) == 3000
    assert named_corpus(str(zipf), tmp_path, 0, 0, 0) == zipf
    with pytest.raises(BenchError, match="--corpus wikipedia: no such file; give zipf, dict"):
        named_corpus("wikipedia", tmp_path, 0, 0, 0)


# ---- the subword section ------------------------------------------------------------------


def test_the_subword_section_says_in_one_line_that_its_config_is_missing(tmp_path, capsys):
    with pytest.raises(BenchError, match=r"^subword: config 'no-such' is missing: .* with --subw"):
        subword_config("no-such")
    assert subword_config("word2vec").name == "word2vec.yaml"
    argv = ["--sections", "subword", "--subword-config", str(tmp_path / "fasttext.yaml")]
    with pytest.raises(SystemExit) as exit_info:  # before any corpus is written or trained on
        bench_gensim.main(argv)
    message = str(exit_info.value.code)
    assert message.startswith("bench_gensim.py: error: subword: config ") and "\n" not in message
    assert capsys.readouterr().out == ""


# ---- whole processes, part by part ---------------------------------------------------------


@pytest.mark.slow
def test_our_run_and_gensims_part_by_part(tmp_path):
    corpus = write_zipf(tmp_path / "zipf.txt", 20_000, 500, seed=1)
    args = fit_args("word2vec", corpus=corpus, tokenizer="whitespace", epochs=1, vector_size=8)
    before = time.time()
    ours = parts.ours([*args, *fit_args(progress_bar=False)], tmp_path / "ours", "ours")
    took = time.time() - before
    assert list(ours) == [*parts.PARTS, parts.WHOLE] and all(v >= 0 for v in ours.values())
    assert sum(ours[p] for p in parts.PARTS) == pytest.approx(ours[parts.WHOLE])
    assert 0 < ours[parts.WHOLE] <= took and ours[parts.TRAIN] > 0 and ours[parts.END] > 0
    gensim = parts.rival(
        "word2vec", "gensim", corpus=corpus, out=tmp_path / "vectors.txt", epochs=1, threads=1,
        options={"vector_size": 8, "min_count": 1},
    )  # fmt: skip
    assert set(gensim) == {*parts.PARTS, parts.WHOLE} - {parts.MODEL, parts.SETUP}
    assert (tmp_path / "vectors.txt").read_text().startswith("500 8\n")
    runs = {"ours": [ours], "gensim": [gensim]}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        parts.print_table(runs)
    lines = out.getvalue().splitlines()
    assert lines[0] == "| part | ours | gensim |"
    assert lines[4] == f"| model and Trainer | {ours[parts.MODEL]:.2f} s | – |"
    # A run whose corpus is prepared already has no preparation to watch: said in one line.
    with pytest.raises(BenchError, match=r"^again prepared no corpus in .*: its parts need"):
        dataset = next((tmp_path / "ours" / "cache").iterdir())
        parts.ours([*args, f"--data.dataset={dataset}"], tmp_path / "again", "again")
