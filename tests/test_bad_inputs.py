"""Bad inputs through the real CLI and tools: one clean line each, no traceback, no debris.

One row per bad input: corpora, options, checkpoints, vector files, words. Training errors
exit with status 1, the vector tools' with 2. A training error leaves no run directory behind
(and changes nothing in an existing one).
"""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from _fast import FAST, cache_dir

from cbow_torch.__main__ import main


@pytest.fixture(scope="module")
def ctx(tmp_path_factory, softmax_run) -> SimpleNamespace:
    """A trained run (a copy of the session's FAST run), and the bad files made from it."""
    tmp = tmp_path_factory.mktemp("bad")
    c = SimpleNamespace(tmp=tmp, root=tmp / "runs")
    run = c.root / "default" / "version_0"
    shutil.copytree(softmax_run, run)
    c.ckpt, c.txt = run / "checkpoints" / "last.ckpt", run / "embeddings.txt"

    def write(name: str, data: bytes | str) -> Path:
        path = tmp / name
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return path

    ckpt_bytes, lines = c.ckpt.read_bytes(), c.txt.read_text().splitlines(keepends=True)
    c.cut_ckpt = write("cut.ckpt", ckpt_bytes[: len(ckpt_bytes) // 2])
    c.pickled = tmp / "pickled.ckpt"
    torch.save({"state_dict": {}, "vocabulary": pathlib.PurePosixPath("runs")}, c.pickled)
    c.notes = write("notes.txt", "just some text\n")
    c.empty = write("empty.txt", "")
    c.pt = tmp / "vectors.pt"
    torch.save({"vectors": torch.zeros(3, 2), "words": ["a", "b", "c"]}, c.pt)
    c.bad_pt = tmp / "bad.pt"
    torch.save({"vectors": torch.zeros(3, 2), "words": ["a"]}, c.bad_pt)
    c.other_pt = tmp / "other.pt"
    torch.save({"weights": torch.zeros(2)}, c.other_pt)
    c.cut_mid_line = write("cut_mid_line.txt", "".join(lines[:10]) + lines[10][:40])
    c.too_few = write("too_few.txt", "".join(lines[:10]))
    c.not_a_number = write("nan.txt", "".join(lines[:3]) + "word " + "x " * 8 + "\n")
    c.cut_bin = write("cut.bin", b"3 2\na \x00\x00\x80?")
    c.three_words = write("three.txt", "the cat sat\n")
    c.no_text = tmp / "no_text"
    c.no_text.mkdir()
    c.bad_yaml = tmp / "missing.yaml"
    # a logger root whose newest run stopped before its first checkpoint
    c.halfway = tmp / "halfway"
    shutil.copytree(c.root / "default" / "version_0", c.halfway / "default" / "version_0")
    (c.halfway / "default" / "version_1").mkdir()
    return c


def fit(root: Path, *extra: str, sub: str = "fit") -> list[str]:
    """FAST (the session run's options), the runs in ``root/default`` (default.yaml's name)."""
    where = [f"--data.cache_dir={cache_dir(root)}", f"--trainer.logger.init_args.save_dir={root}"]
    return [sub, *FAST, *where, *extra]


# (id, "fit" or "tool", argv from ctx and a fresh runs folder, fragment of the message)
CASES = [
    # ---- corpora (training) ----
    ("missing corpus", "fit", lambda c, r: fit(r, f"--data.corpus={c.tmp}/nope.txt"), "nope.txt"),
    ("empty corpus", "fit", lambda c, r: fit(r, f"--data.corpus={c.empty}"), "empty.txt"),
    ("folder without text", "fit", lambda c, r: fit(r, f"--data.corpus={c.no_text}"), "no_text"),
    (
        "3-word corpus learns nothing",
        "fit",
        lambda c, r: fit(
            r,
            f"--data.corpus={c.three_words}",
            "--data.min_count=1",
            "--data.window=1",
            "--data.sample=0",
        ),
        "no validation window",
    ),
    ("window too large", "fit", lambda c, r: fit(r, "--data.window=100000"), "2C+1"),
    ("min_count empties", "fit", lambda c, r: fit(r, "--data.min_count=100000"), "min_count"),
    ("no such tokenizer", "fit", lambda c, r: fit(r, "--data.tokenizer=no.such.fn"), "tokenizer"),
    # ---- options (training) ----
    ("unknown init", "fit", lambda c, r: fit(r, "--model.init=bogus"), "init"),
    ("negative lr", "fit", lambda c, r: fit(r, "--model.lr=-1"), "lr must be > 0"),
    ("zero decay steps", "fit", lambda c, r: fit(r, "--model.lr_decay_steps=0"), "lr_decay_steps"),
    ("unknown option", "fit", lambda c, r: fit(r, "--model.bogus=1"), "--model.bogus=1"),
    ("not a number", "fit", lambda c, r: fit(r, "--trainer.max_epochs=abc"), "max_epochs"),
    ("missing config", "fit", lambda c, r: fit(r, f"--config={c.bad_yaml}"), "missing.yaml"),
    ("unknown subcommand", "fit", lambda c, r: ["fitt"], "fitt"),
    (
        "unpickling resume",
        "fit",
        lambda c, r: fit(r, f"--ckpt_path={c.ckpt}", "--weights_only=false"),
        "weights_only",
    ),
    # ---- checkpoints (training) ----
    ("missing ckpt", "fit", lambda c, r: fit(r, f"--ckpt_path={c.tmp}/nope.ckpt"), "nope.ckpt"),
    ("truncated ckpt", "fit", lambda c, r: fit(r, f"--ckpt_path={c.cut_ckpt}"), "truncated"),
    (
        "pickled ckpt",
        "fit",
        lambda c, r: fit(r, f"--ckpt_path={c.pickled}"),
        "pickled Python objects",
    ),
    ("text as ckpt", "fit", lambda c, r: fit(r, f"--ckpt_path={c.notes}"), "notes.txt"),
    ("vectors as ckpt", "fit", lambda c, r: fit(r, f"--ckpt_path={c.pt}"), "not a cbow-torch"),
    (
        "ckpt of another corpus",
        "fit",
        lambda c, r: fit(r, f"--ckpt_path={c.ckpt}", "--data.max_vocab_size=200"),
        "another vocabulary",
    ),
    ("last without runs", "fit", lambda c, r: fit(r, "--ckpt_path=last"), "no run"),
    (
        "last, newest run has no last.ckpt",
        "fit",
        lambda c, r: fit(c.halfway, "--ckpt_path=last"),
        "has no checkpoints/last.ckpt",
    ),
    (
        "validate a truncated ckpt",
        "fit",
        lambda c, r: fit(r, f"--ckpt_path={c.cut_ckpt}", sub="validate"),
        "truncated",
    ),
    (
        "validate on another corpus",
        "fit",
        lambda c, r: fit(r, f"--ckpt_path={c.ckpt}", "--data.max_vocab_size=200", sub="validate"),
        "another vocabulary",
    ),
    # ---- vector files (tools) ----
    ("missing file", "tool", lambda c, r: ["neighbors", c.tmp / "nope.txt", "the"], "nope.txt"),
    ("a folder", "tool", lambda c, r: ["neighbors", c.tmp, "the"], "is a directory"),
    ("plain text", "tool", lambda c, r: ["neighbors", c.notes, "the"], "first line"),
    ("empty file", "tool", lambda c, r: ["neighbors", c.empty, "the"], "empty.txt"),
    ("cut mid-line", "tool", lambda c, r: ["neighbors", c.cut_mid_line, "the"], "mid-line"),
    ("fewer vectors", "tool", lambda c, r: ["neighbors", c.too_few, "the"], "cut short"),
    ("not a number", "tool", lambda c, r: ["neighbors", c.not_a_number, "the"], "line 4"),
    ("cut binary", "tool", lambda c, r: ["neighbors", c.cut_bin, "the"], "word2vec-binary"),
    ("truncated ckpt", "tool", lambda c, r: ["neighbors", c.cut_ckpt, "the"], "truncated"),
    ("pickled ckpt", "tool", lambda c, r: ["neighbors", c.pickled, "the"], "--trust-pickle"),
    ("other torch file", "tool", lambda c, r: ["evaluate", c.other_pt], "neither"),
    (
        "words and vectors differ",
        "tool",
        lambda c, r: ["export", c.bad_pt, "--out", c.tmp / "x.txt"],
        "1 words for 3",
    ),
    (
        "source of vectors",
        "tool",
        lambda c, r: ["neighbors", c.txt, "the", "--source", "W1"],
        "cannot apply",
    ),
    # ---- words (tools) ----
    ("unknown word", "tool", lambda c, r: ["neighbors", c.txt, "kingg"], "'kingg' is not"),
    ("unknown analogy word", "tool", lambda c, r: ["analogy", c.ckpt, "the", "of", "zzz"], "'zzz'"),
    (
        "plot unknown words",
        "tool",
        lambda c, r: ["plot", c.txt, "--words", "qq", "zz", "--out", c.tmp / "p.png"],
        "at least 2",
    ),
    # ---- options (tools) ----
    ("topn 0", "tool", lambda c, r: ["neighbors", c.txt, "the", "--topn", "0"], "--topn"),
    (
        "restrict-vocab 0",
        "tool",
        lambda c, r: ["evaluate", c.txt, "--restrict-vocab", "0"],
        "--restrict-vocab",
    ),
    ("plot to jpg", "tool", lambda c, r: ["plot", c.txt, "--out", c.tmp / "p.jpg"], ".png"),
    (
        "missing analogies",
        "tool",
        lambda c, r: ["evaluate", c.txt, "--analogies", c.tmp / "q.txt"],
        "q.txt",
    ),
    (
        "unknown format",
        "tool",
        lambda c, r: ["export", c.txt, "--format", "csv", "--out", "x"],
        "csv",
    ),
    ("out is a folder", "tool", lambda c, r: ["export", c.txt, "--out", c.tmp], "directory"),
    ("unknown tool option", "tool", lambda c, r: ["neighbors", c.txt, "the", "--bogus"], "--bogus"),
    ("no --out", "tool", lambda c, r: ["export", c.txt], "--out"),
]


def snapshot(root: Path) -> dict[str, int]:
    return (
        {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*")}
        if root.exists()
        else {}
    )


@pytest.mark.parametrize(
    "name, kind, argv, fragment", CASES, ids=[f"{c[1]}: {c[0]}" for c in CASES]
)
def test_bad_input_is_one_clean_line(ctx, tmp_path, capsys, name, kind, argv, fragment):
    runs = tmp_path / "runs"
    args = [str(a) for a in argv(ctx, runs)]
    # ./runs too: a user's earlier `make train` may have made it; a bad fit must not add to it
    roots = (ctx.root, ctx.halfway, Path.cwd() / "runs")
    before = {root: snapshot(root) for root in roots}
    with pytest.raises(SystemExit) as exit:  # anything else escaping would be a traceback
        main(args)
    err = capsys.readouterr().err
    if kind == "fit":
        assert exit.value.code != 0 and isinstance(exit.value.code, str), exit.value.code
        message = exit.value.code  # what Python prints on stderr, with exit status 1
    else:
        assert exit.value.code == 2
        message = err.removesuffix("\n")
    assert message.startswith("cbow-torch") and "error: " in message
    assert "\n" not in message and "Traceback" not in err, message
    assert fragment in message, message
    # no run directory, events file or config.yaml left behind; the existing runs untouched
    assert not runs.exists() or not any(runs.rglob("*")), sorted(runs.rglob("*"))
    assert {root: snapshot(root) for root in roots} == before


@pytest.mark.slow
def test_a_real_process_prints_one_line_and_exits_1(ctx, tmp_path):
    """The entry point a user runs: the message is the last line of stderr, no traceback."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cbow_torch",
            *fit(tmp_path / "runs", f"--ckpt_path={ctx.cut_ckpt}"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1].startswith("cbow-torch: error: --ckpt_path ")
    assert not (tmp_path / "runs").exists()
