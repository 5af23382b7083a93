"""scripts/compare_gensim.py end to end: our CLI, real gensim and fastText, the table, the PNG,
the docs page it rewrites."""

import importlib.util
import json
import re
import subprocess
from pathlib import Path

import matplotlib.image
import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "compare_gensim.py"
spec = importlib.util.spec_from_file_location("compare_gensim", SCRIPT)
compare_gensim = importlib.util.module_from_spec(spec)
spec.loader.exec_module(compare_gensim)  # puts scripts/ on sys.path: benchlib imports
from benchlib.contenders import ours_name, parse_ours  # noqa: E402
from benchlib.corpus import documents, wiki_excerpt, write_zipf  # noqa: E402
from benchlib.rivals import (  # noqa: E402
    FASTTEXT_SUBWORDS,
    GENSIM_SUBWORDS,
    fasttext_cbow,
    gensim_cbow,
)
from benchlib.runs import fit_args  # noqa: E402

RIVALS = [
    "gensim CBOW, hierarchical softmax",
    "gensim CBOW, negative sampling",
    "gensim FastText CBOW, subwords (its defaults)",
    "fastText CBOW, no subwords",
    "fastText CBOW, subwords (its defaults)",
]


@pytest.mark.slow
def test_lee_table_json_and_png(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(SCRIPT.parents[1])  # the trainer's name shows the config as given
    out = tmp_path / "out"
    argv = [
        "--corpus",
        "lee",
        "--dim",
        "20",
        "--epochs",
        "2",
        "--max-steps",
        "30",
        "--repeats",
        "2",
    ]
    argv += ["--out-dir", str(out), "--ours-args", f"--data.cache_dir {tmp_path / 'cache'}"]
    compare_gensim.main(argv)
    printed = capsys.readouterr().out
    rows = json.loads((out / "compare.json").read_text())["rows"]
    trainers = [r["trainer"] for r in rows]
    assert trainers == ["cbow_torch softmax (configs/default.yaml)", *RIVALS]
    # The same tokens and min_count: the same vocabulary, so the same items out of it.
    for key in ("words", "vocab_size", "wordsim353_oov_ratio", "simlex999_oov_ratio"):
        assert len({r[key] for r in rows}) == 1, key
    assert rows[0]["words"] == 58_152 and 0 < rows[0]["wordsim353_oov_ratio"] < 1
    ours, *gensim = rows
    assert ours["epochs"] < 1  # stopped by --max-steps 30, and said so
    assert [r["epochs"] for r in gensim] == [2] * len(RIVALS)
    for r in rows:
        assert [run["seed"] for run in r["runs"]] == [282, 283]
        for run in r["runs"]:
            assert run["seconds"] > 0
            assert run["words_per_sec"] == pytest.approx(
                r["words"] * run["epochs"] / run["seconds"]
            )
            assert -1 <= run["wordsim353_spearman"] <= 1 and -1 <= run["simlex999_spearman"] <= 1
        for key in ("wordsim353_spearman", "simlex999_spearman", "seconds", "words_per_sec"):
            assert r[key] == pytest.approx(sum(run[key] for run in r["runs"]) / 2)  # median of 2
    # Different seeds, different vectors: the runs are not one run counted twice.
    assert (
        gensim[0]["runs"][0]["wordsim353_spearman"] != gensim[0]["runs"][1]["wordsim353_spearman"]
    )
    table = (out / "compare.md").read_text()
    assert table in printed
    lines = [line for line in table.splitlines() if line.startswith("| lee ")]
    assert [line.split(" | ")[1] for line in lines] == trainers
    assert "| WordSim-353 ρ | SimLex-999 ρ | Google analogies |" in table
    low, high = sorted(run["wordsim353_spearman"] for run in rows[0]["runs"])
    cell = f"{rows[0]['wordsim353_spearman']:.3f} [{low:.3f}, {high:.3f}]"
    assert f"| {cell} ({rows[0]['wordsim353_oov_ratio']:.0%} OOV) |" in lines[0]
    assert "--max-steps 30" in table.splitlines()[0]  # the command that made it
    image = matplotlib.image.imread(out / "compare.png")  # [H, W, 4]
    assert image.shape[0] > 200 and image.shape[1] > 400


def test_an_objective_we_lack_is_a_one_line_error(tmp_path):
    out = tmp_path / "out"
    argv = ["--corpus", "lee", "--ours", "nonsense", "--max-steps", "1", "--out-dir", str(out)]
    with pytest.raises(SystemExit) as exit_info:  # here, or from our CLI once it has objectives
        compare_gensim.main(argv)
    message = str(exit_info.value.code)
    assert message.startswith("compare_gensim.py: error: ") and "\n" not in message
    assert "nonsense" in message
    assert not out.exists()


def test_ours_by_objective_by_config_or_both():
    spec = "softmax, negative:configs/word2vec.yaml,word2vec"
    ours = parse_ours(spec, "configs/default.yaml")
    assert ours == [
        ("softmax", "configs/default.yaml"),
        ("negative", "configs/word2vec.yaml"),
        (None, "word2vec"),  # a config alone trains with its own objective
    ]
    names = [ours_name(*o) for o in ours]
    assert names[1:] == ["cbow_torch negative (configs/word2vec.yaml)", "cbow_torch (word2vec)"]
    options = fit_args("word2vec", objective=None)
    assert not any(o.startswith("--model.objective") for o in options)


def test_the_subword_rivals_can_be_left_out(tmp_path):
    from cbow_torch.data.corpus import bundled_corpus

    corpus = tmp_path / "tiny.txt"
    corpus.write_text("".join(bundled_corpus().read_text().splitlines(True)[:40]))
    argv = ["--corpus", str(corpus), "--ours", "", "--epochs", "1", "--dim", "8"]
    compare_gensim.main([*argv, "--min-count", "2", "--skip-subwords", "--out-dir", str(tmp_path)])
    rows = json.loads((tmp_path / "compare.json").read_text())["rows"]
    assert [r["trainer"] for r in rows] == [r for r in RIVALS if "subwords (" not in r]


def test_subword_rivals_run_with_their_libraries_defaults(tmp_path):
    """The rivals' subwords are what their users get by default; the no-subword ones have none."""
    import inspect

    import fasttext.FastText
    from gensim.models import FastText

    defaults = fasttext.FastText.unsupervised_default
    assert {k: defaults[k] for k in ("minn", "maxn", "bucket")} == FASTTEXT_SUBWORDS
    signature = inspect.signature(FastText).parameters
    assert {k: signature[k].default for k in ("min_n", "max_n", "bucket")} == GENSIM_SUBWORDS
    corpus = write_zipf(tmp_path / "zipf.txt", 3000, 50, seed=1, line_words=100)
    small = {"dim": 8, "epoch": 1, "minCount": 1}
    with_subwords = fasttext_cbow(corpus, 1, subwords=True, **small, bucket=1000)[0]
    assert (with_subwords.minn, with_subwords.maxn, with_subwords.bucket) == (3, 6, 1000)
    without = fasttext_cbow(corpus, 1, **small)[0]
    assert (without.minn, without.maxn) == (0, 0)
    docs = documents(corpus, "whitespace")
    wv, seconds = gensim_cbow(docs, 1, 1, 0, subwords=True, vector_size=8, min_count=1)
    assert (wv.min_n, wv.max_n, wv.bucket) == (3, 6, 2_000_000) and seconds > 0
    assert len(wv["unseenword"]) == 8  # a vector for any word: the subword model's
    wv, _ = gensim_cbow(docs, 1, 1, 0, vector_size=8, min_count=1)
    assert "unseenword" not in wv and not hasattr(wv, "min_n")


def test_bad_corpus_and_config_are_one_line_errors(tmp_path):
    for argv, fragment in (
        (["--corpus", str(tmp_path / "missing.txt")], "missing.txt: no such file"),
        (["--ours", "softmax:missing.yaml"], "config 'missing.yaml': no such file"),
        (["--ours", "fasttext-missing"], "--ours fasttext-missing: not an objective (softmax"),
        (["--corpus", "wikipedia"], "give wiki, lee, dictionaries or a text file"),
        (["--ours", "", "--skip-gensim", "--skip-fasttext"], "nothing to train"),
    ):
        with pytest.raises(SystemExit) as exit_info:
            compare_gensim.main([*argv, "--out-dir", str(tmp_path / "out")])
        assert fragment in str(exit_info.value.code)
    assert not (tmp_path / "out").exists()


def test_wiki_excerpt_is_extracted_once(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    path = wiki_excerpt()
    assert path.parent == tmp_path / "cbow_torch"
    docs = documents(path)
    assert len(docs) == 106 and sum(map(len, docs)) == 452_944
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary left behind
    stamp = path.stat().st_mtime_ns
    assert wiki_excerpt() == path and path.stat().st_mtime_ns == stamp


def test_write_docs_rewrites_only_its_region(tmp_path):
    from cbow_torch.data.corpus import bundled_corpus

    corpus = tmp_path / "tiny.txt"
    corpus.write_text("".join(bundled_corpus().read_text().splitlines(True)[:40]))
    page = tmp_path / "benchmarks.md"
    before, after = "# Benchmarks\n\nintro\n\n", "\ntext after\n"
    other = "<!-- table:other start -->\nkept\n<!-- table:other end -->\n"
    page.write_text(
        before + "<!-- table:tiny start -->\nstale\n<!-- table:tiny end -->\n" + other + after
    )
    argv = ["--corpus", str(corpus), "--ours", "", "--epochs", "1", "--dim", "8"]
    argv += ["--min-count", "2", "--out-dir", str(tmp_path / "out")]
    compare_gensim.main([*argv, "--write-docs", "tiny", "--docs-file", str(page)])
    text = page.read_text()
    assert text.startswith(before) and text.endswith(other + after) and "stale" not in text
    region = text.split("<!-- table:tiny start -->\n")[1].split("<!-- table:tiny end -->")[0]
    head, *_ = region.splitlines()
    assert head.startswith("Command: `python scripts/compare_gensim.py --corpus ")
    assert "--write-docs tiny" in head
    commit = subprocess.run(
        ["git", "-C", str(SCRIPT.parents[1]), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert f"Commit: `{commit}" in head and "Machine: " in head and " cores" in head
    assert re.search(r"Date: \d{4}-\d\d-\d\d\.", head)
    rows = [line for line in region.splitlines() if "tiny.txt (" in line]
    assert [row.split(" | ")[1] for row in rows] == RIVALS
    assert (tmp_path / "out" / "compare.md").read_text().split("\n", 2)[2] in region


def test_write_docs_without_its_region_is_a_one_line_error_before_training(tmp_path):
    page = tmp_path / "benchmarks.md"
    page.write_text("<!-- table:other start -->\n<!-- table:other end -->\n")
    argv = ["--corpus", "lee", "--write-docs", "missing", "--docs-file", str(page)]
    with pytest.raises(SystemExit) as exit_info:
        compare_gensim.main([*argv, "--out-dir", str(tmp_path / "out")])
    message = str(exit_info.value.code)
    assert "table:missing start" in message and "\n" not in message
    assert not (tmp_path / "out").exists()
