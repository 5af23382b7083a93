"""The vector tools on the command line: outputs, --help, errors and exit statuses."""

import json
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from gensim.models import KeyedVectors

from cbow_torch import CBOW
from cbow_torch.vectors.commands import main
from cbow_torch.vectors.word_vectors import WordVectors

WORDS = ["the", "king", "queen", "man", "woman", "dog", "wolf", "happy", "sad", "rich", "of", "a"]
COUNTS = [50, 7, 6, 9, 8, 5, 2, 3, 3, 4, 40, 45]
TOOLS = ["export", "evaluate", "neighbors", "analogy", "plot"]


@pytest.fixture(scope="module")
def model():
    return CBOW(len(WORDS), 5, init="course", seed=282, dtype=torch.float32)


@pytest.fixture(scope="module")
def ckpt(model, tmp_path_factory):
    """A checkpoint laid out as the Lightning module writes it."""
    path = tmp_path_factory.mktemp("run") / "last.ckpt"
    state = {f"model.{k}": v for k, v in model.state_dict().items()}
    torch.save(
        {
            "state_dict": state,
            "hyper_parameters": {"embedding_dim": 5},
            "cbow_torch": {
                "vocabulary": {"words": WORDS, "counts": COUNTS},
                "input_vectors": "model.W1",
                "input_transposed": True,
                "output_vectors": "model.W2",
            },
        },
        path,
    )
    return str(path)


@pytest.fixture(scope="module")
def txt(ckpt, tmp_path_factory):
    path = tmp_path_factory.mktemp("emb") / "embeddings.txt"
    WordVectors.load(ckpt).export(path, "word2vec")
    return str(path)


def run(capsys, *argv):
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def one_line_error(err, *fragments):
    assert err.count("\n") == 1 and err.startswith("cbow-torch ") and "error: " in err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, err


@pytest.mark.parametrize("tool", TOOLS)
def test_every_tool_has_help(capsys, tool):
    status, out, _ = run(capsys, tool, "--help")
    assert status == 0
    assert out.startswith(f"usage: cbow-torch {tool}") and "CKPT_OR_VECTORS" in out


@pytest.mark.parametrize("fmt, binary", [("word2vec", False), ("word2vec-binary", True)])
@pytest.mark.parametrize("source", ["W1", "W2", "average"])
def test_export_word2vec_loads_in_gensim(capsys, model, ckpt, tmp_path, fmt, binary, source):
    out_path = tmp_path / "sub" / "emb.out"
    status, out, err = run(
        capsys, "export", ckpt, "--source", source, "--format", fmt, "--out", out_path
    )
    assert status == 0 and err == ""
    assert out == f"wrote {out_path}: 12 words x 5 ({fmt}, {source})\n"
    kv = KeyedVectors.load_word2vec_format(str(out_path), binary=binary)
    assert kv.index_to_key == WORDS
    np.testing.assert_allclose(kv.vectors, model.embeddings(source).numpy(), rtol=0, atol=1e-6)


@pytest.mark.parametrize("fmt", ["pt", "npz"])
def test_export_pt_npz_and_convert_back(capsys, ckpt, txt, tmp_path, fmt):
    assert run(capsys, "export", ckpt, "--format", fmt, "--out", tmp_path / "e.out")[0] == 0
    back = WordVectors.load(tmp_path / "e.out")
    assert back.index_to_key == WORDS and back.source == "average"
    assert back.counts.tolist() == COUNTS
    np.testing.assert_array_equal(back.vectors, WordVectors.load(ckpt).vectors)
    # a vectors file converts too, but it has no sources to choose from
    assert run(capsys, "export", txt, "--format", "pt", "--out", tmp_path / "t.pt")[0] == 0
    status, _, err = run(capsys, "export", txt, "--source", "W1", "--out", tmp_path / "x.txt")
    assert status == 2
    one_line_error(err, "embeddings.txt", "source='W1' cannot apply")
    assert not (tmp_path / "x.txt").exists()


def test_neighbors(capsys, txt, ckpt):
    status, out, err = run(capsys, "neighbors", txt, "king", "dog", "--topn", "3")
    assert status == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "king" and lines[4] == "" and lines[5] == "dog" and len(lines) == 9
    kv = WordVectors.load(ckpt).to_keyed_vectors()
    want = kv.most_similar("king", topn=3)
    assert [line.split()[0] for line in lines[1:4]] == [w for w, _ in want]
    assert float(lines[1].split()[1]) == pytest.approx(want[0][1], abs=1e-4)


def test_analogy(capsys, ckpt):
    status, out, _ = run(capsys, "analogy", ckpt, "man", "king", "woman", "--topn", "2")
    assert status == 0
    kv = WordVectors.load(ckpt).to_keyed_vectors()
    want = kv.most_similar(positive=["king", "woman"], negative=["man"], topn=2)
    lines = out.splitlines()
    assert lines[0] == "man : king :: woman : ?"
    assert [line.split()[0] for line in lines[1:]] == [w for w, _ in want]


@pytest.mark.parametrize("command", ["neighbors", "analogy"])
def test_unknown_word_is_one_line_and_status_2(capsys, txt, command):
    words = ["kng"] if command == "neighbors" else ["man", "kng", "woman"]
    status, out, err = run(capsys, command, txt, *words)
    assert status == 2 and out == ""
    one_line_error(err, "'kng' is not in the vocabulary", "did you mean: king", "embeddings.txt")


def test_evaluate_prints_scores_and_writes_json(capsys, ckpt, tmp_path):
    status, out, err = run(capsys, "evaluate", ckpt, "--source", "W2", "--out", tmp_path / "e.json")
    assert status == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].split() == ["benchmark", "metric", "score", "OOV"]
    assert [line.split()[:2] for line in lines[1:4]] == [
        ["wordsim353", "spearman"],
        ["simlex999", "spearman"],
        ["google_analogy", "accuracy"],
    ]
    report = json.loads((tmp_path / "e.json").read_text())
    assert set(report["scores"]) >= {"eval/wordsim353_spearman", "eval/google_analogy_oov_ratio"}
    assert report["datasets"]["simlex999"].endswith("simlex999.txt")


def test_evaluate_with_given_files(capsys, txt, tmp_path):
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("king\tqueen\t9\nman\twoman\t8\ndog\twolf\t7\nsad\thappy\t2\n")
    status, out, _ = run(capsys, "evaluate", txt, "--wordsim353", pairs, "--simlex999", pairs)
    assert status == 0
    assert out.splitlines()[1].endswith("0.0%")  # every pair known: no OOV
    status, _, err = run(capsys, "evaluate", txt, "--analogies", tmp_path / "none.txt")
    assert status == 2
    one_line_error(err, "none.txt: no such google_analogy file")


def test_plot_course_words_and_top_words(capsys, ckpt, tmp_path):
    status, out, err = run(capsys, "plot", ckpt, "--out", tmp_path / "course.png")
    assert status == 0
    assert err == "note: not in the vocabulary, skipped: lord\n"
    assert out == f"wrote {tmp_path / 'course.png'}: PCA of 9 words\n"
    assert (tmp_path / "course.png").read_bytes()[:4] == b"\x89PNG"
    status, out, _ = run(capsys, "plot", ckpt, "--top", "5", "--out", tmp_path / "top.png")
    assert status == 0 and "5 most frequent" in out
    status, _, err = run(
        capsys, "plot", ckpt, "--words", "lord", "kingdom", "--out", tmp_path / "x.png"
    )
    assert status == 2
    one_line_error(err, "need at least 2 of the words")
    status, _, err = run(capsys, "plot", ckpt, "--out", tmp_path / "x.jpg")
    assert status == 2
    one_line_error(err, "x.jpg", ".png")


@pytest.mark.parametrize("tool", TOOLS)
def test_missing_file_is_named_with_status_2(capsys, tmp_path, tool):
    extra = {
        "export": ["--out", tmp_path / "o.txt"],
        "neighbors": ["king"],
        "plot": ["--out", tmp_path / "o.png"],
    }
    extra["analogy"] = ["a", "b", "c"]
    status, out, err = run(capsys, tool, tmp_path / "missing.ckpt", *extra.get(tool, []))
    assert status == 2 and out == ""
    one_line_error(err, "missing.ckpt", "No such file")


@pytest.mark.parametrize(
    "name, content, fragment",
    [
        ("notes.txt", b"just some text\n", "not a checkpoint, .pt, .npz or word2vec file"),
        ("cut.txt", b"3 2\na 0.1 0.2\n", "not a valid word2vec"),
        ("cut.bin", b"3 2\na \x00\x00\x80?", "not a valid word2vec-binary"),
        ("broken.ckpt", b"PK\x03\x04 truncated", "unreadable torch file"),
    ],
)
def test_incompatible_file_is_named_with_status_2(capsys, tmp_path, name, content, fragment):
    (tmp_path / name).write_bytes(content)
    status, _, err = run(capsys, "neighbors", tmp_path / name, "king")
    assert status == 2
    one_line_error(err, name, fragment)


def test_torch_file_of_another_kind(capsys, tmp_path):
    torch.save({"model": torch.zeros(2)}, tmp_path / "other.pt")
    status, _, err = run(capsys, "evaluate", tmp_path / "other.pt")
    assert status == 2
    one_line_error(err, "other.pt", "neither a cbow-torch checkpoint")


def test_usage_errors_exit_2(capsys, ckpt):
    assert run(capsys, "neighbors", ckpt)[0] == 2  # no word
    assert run(capsys, "export", ckpt, "--format", "csv", "--out", "x")[0] == 2
    status, _, err = run(capsys, "neighbors", ckpt, "king", "--topn", "0")
    assert status == 2
    one_line_error(err, "--topn must be >= 1")


def test_python_m_cbow_torch_errors_without_traceback(txt):
    """The real entry point, as a new user runs it, with a typo: one line, exit status 2."""
    result = subprocess.run(
        [sys.executable, "-m", "cbow_torch", "neighbors", txt, "kingg"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and result.stdout == ""
    one_line_error(result.stderr, "'kingg' is not in the vocabulary", "did you mean: king")


def test_vocab_duck_type_is_enough():
    """Anything with index_to_key and counts is a vocabulary."""
    vocab = SimpleNamespace(index_to_key=WORDS, counts=None)
    wv = WordVectors.from_model(CBOW(len(WORDS), 3), vocab, source="W1")
    assert wv.counts is None and wv.most_frequent(2) == [0, 1]


# ---- queries as the training text was tokenized ------------------------------------------


def run_dir(tmp_path, words, tokenizer):
    """A run directory: embeddings.txt, and config.yaml naming the run's tokenizer (if any)."""
    rng = np.random.default_rng(0)
    directory = tmp_path / "run"
    WordVectors.from_vectors(words, rng.standard_normal((len(words), 4))).export(
        directory / "embeddings.txt", "word2vec"
    )
    if tokenizer:
        (directory / "config.yaml").write_text(f"data:\n  tokenizer: {tokenizer}\n  window: 5\n")
    return directory / "embeddings.txt"


LOWER = ["file", "café", "the", "dir", "naïve"]


def test_neighbors_normalises_queries_with_the_runs_tokenizer(capsys, tmp_path):
    emb = run_dir(tmp_path, LOWER, "simple")
    status, out, err = run(capsys, "neighbors", emb, "File", "CAFÉ", "Naïve", "--topn", "2")
    assert status == 0 and err == ""
    heads = [line for line in out.splitlines() if line and not line.startswith(" ")]
    assert heads == ["File (as file)", "CAFÉ (as café)", "Naïve (as naïve)"]
    status, out, _ = run(capsys, "neighbors", emb, "file", "--topn", "2")
    assert out.splitlines()[0] == "file"  # a key is itself
    status, _, err = run(capsys, "neighbors", emb, "Files")  # "files": not a word of it
    assert status == 2
    one_line_error(err, "'Files' is not in the vocabulary", "did you mean: file")


def test_the_tokenizer_decides_and_without_one_case_is_ignored(capsys, tmp_path):
    upper = ["File", "the", "Dir"]
    emb = run_dir(tmp_path / "a", upper, "whitespace")  # the run kept the case
    status, _, err = run(capsys, "neighbors", emb, "file")
    assert status == 2  # whitespace does not lower-case: "file" is not "File"
    one_line_error(err, "'file' is not in the vocabulary", "did you mean: File")
    emb = run_dir(tmp_path / "b", upper, None)  # a word2vec file alone: case-insensitive
    status, out, err = run(capsys, "neighbors", emb, "file", "DIR", "--topn", "1")
    assert status == 0 and err == ""
    assert [out.splitlines()[i] for i in (0, 3)] == ["file (as File)", "DIR (as Dir)"]


def test_checkpoint_names_its_tokenizer(capsys, model, tmp_path):
    path = tmp_path / "last.ckpt"
    state = {f"model.{k}": v for k, v in model.state_dict().items()}
    vocabulary = {"words": WORDS, "counts": COUNTS, "tokenizer": "simple"}
    entry = {"vocabulary": vocabulary, "source": "W1"}  # the run's tokenizer and export.source
    entry.update(input_vectors="model.W1", input_transposed=True, output_vectors="model.W2")
    torch.save({"state_dict": state, "cbow_torch": entry}, path)
    status, out, _ = run(capsys, "analogy", path, "Man", "KING", "woman", "--topn", "1")
    assert status == 0 and out.splitlines()[0] == "Man (as man) : KING (as king) :: woman : ?"
    vectors = WordVectors.load(path)
    assert vectors.tokenizer == "simple" and vectors.lookup("Queen") == "queen"
    assert vectors.source == "W1"  # without --source: what the run's embeddings.txt holds
    np.testing.assert_array_equal(vectors.vectors, model.embeddings("W1").numpy())
    status, out, _ = run(capsys, "export", path, "--out", tmp_path / "e.txt")
    assert out.endswith("(word2vec, W1)\n")


def test_neighbors_answers_the_known_words_and_names_the_others(capsys, txt):
    status, out, err = run(capsys, "neighbors", txt, "king", "xyzzyq", "dog", "--topn", "2")
    assert status == 0  # answered for at least one word
    assert [line for line in out.splitlines() if not line.startswith(" ")] == ["king", "", "dog"]
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("cbow-torch neighbors: skipped: 'xyzzyq' is not in the vocabulary")
    status, out, err = run(capsys, "neighbors", txt, "xyzzyq", "kng")
    assert status == 2 and out == ""  # none known: one error line naming them all
    one_line_error(err, "'xyzzyq' is not in the vocabulary", "'kng' is not", "did you mean: king")


# ---- start-up: what each tool imports -----------------------------------------------------

HEAVY = ("torch", "numba", "pytorch_lightning", "lightning", "gensim", "scipy", "matplotlib")
REPORT = (
    "import sys\nfrom cbow_torch.__main__ import main\n"
    "for argv in sys.argv[1].split(';'):\n"
    "    try:\n        main(argv.split())\n    except SystemExit:\n        pass\n"
    f"print('LOADED', *[m for m in {HEAVY!r} if m in sys.modules], file=sys.stderr)\n"
)


def loaded(*argvs: str) -> set[str]:
    """The heavy modules a fresh process has imported after running the tools' argvs."""
    result = subprocess.run(
        [sys.executable, "-c", REPORT, ";".join(argvs)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    line = [x for x in result.stderr.splitlines() if x.startswith("LOADED")][-1]
    return set(line.split()[1:])


def test_help_imports_no_heavy_library():
    assert loaded(*(f"{tool} --help" for tool in TOOLS)) == set()
    assert loaded("--help", "-h") == set()


def test_the_top_level_help_lists_every_command(capsys):
    from cbow_torch.__main__ import main as cbow_torch

    with pytest.raises(SystemExit) as done:
        cbow_torch(["--help"])
    assert done.value.code == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines() if line[:2] == "  "]
    assert listed == ["fit", "validate", "prepare", *TOOLS]


@pytest.mark.slow
def test_word2vec_tools_start_without_torch(txt, tmp_path):
    """gensim (and its scipy) for the vectors; no torch, numba or Lightning; matplotlib only
    for a picture."""
    words = f"neighbors {txt} king;analogy {txt} man king woman;evaluate {txt}"
    assert loaded(words, f"export {txt} --out {tmp_path / 'e.bin'} --format word2vec-binary") == {
        "gensim",
        "scipy",
    }
    assert "torch" not in loaded(f"plot {txt} --out {tmp_path / 'p.png'}")


@pytest.mark.slow
def test_checkpoint_tools_load_torch_but_not_numba_or_lightning(ckpt, tmp_path):
    assert loaded(f"neighbors {ckpt} king") == {"torch", "gensim", "scipy"}
