"""The docs cannot go stale: every fenced python and bash block of README.md and docs/*.md runs.

Each block runs in a fresh directory holding ``configs/``, ``scripts/``, ``corpus.txt`` (the
bundled Lee corpus) and a copy of ``runs/default/version_0`` (one short run shared by all
blocks): Python in a subprocess, bash with ``bash -e`` and the environment's ``bin`` on PATH.
The HTML comment on the line before a block says how it runs (docs/development.md):

    <!-- test: short -->        every `cbow-torch fit` line (Python: `fit()` call) gets 5 steps
    <!-- test: fails -->        must exit non-zero with one `cbow-torch[ TOOL]: error:` line
    <!-- not run: REASON -->    skipped, REASON reported
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(?P<lang>[^\n`]*)\n(?P<code>.*?)^```[ \t]*$", re.M | re.S)
MARKER = re.compile(r"^<!--\s*(?P<kind>not run|test):\s*(?P<arg>.*?)\s*-->$")
SHORT = ["--trainer.max_steps=5", "--trainer.enable_progress_bar=false"]
PRELUDE = """\
import functools, cbow_torch
from cbow_torch.train import fit as _fit
cbow_torch.fit = functools.partial(
    _fit.fit, trainer__max_steps=5, trainer__enable_progress_bar=False
)
"""


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # of the opening fence, 1-based
    lang: str
    code: str
    kind: str | None  # "not run", "test" or None
    arg: str

    @property
    def name(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks() -> list[Block]:
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf8")
        for match in FENCE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
            marker = MARKER.match(before.strip())
            found.append(
                Block(
                    page,
                    line,
                    match["lang"].strip(),
                    match["code"],
                    marker["kind"] if marker else None,
                    marker["arg"] if marker else "",
                )
            )
    return found


RUNNABLE = [b for b in blocks() if b.lang in ("python", "bash")]


# Features that other branches of the same issues bring; a block that uses one is an expected
# failure until it is there. Remove an entry once the feature has landed.
# ---- checks of the pages themselves (fast) -----------------------------------------------


def test_every_block_is_tagged_and_every_marker_valid():
    assert len(RUNNABLE) >= 10, "the pages lost their examples, or the parser broke"
    for block in blocks():
        assert block.lang, f"{block.name}: a fence without a language (python, bash or text)"
        if block.kind is None:
            continue
        assert block.lang in ("python", "bash"), f"{block.name}: a marker on a {block.lang} block"
        if block.kind == "not run":
            assert block.arg, f"{block.name}: `not run` needs a reason"
        else:
            assert block.arg in ("short", "fails"), f"{block.name}: unknown test: {block.arg}"
    for page in PAGES:  # a marker that lost its block is a silent skip
        lines = page.read_text(encoding="utf8").splitlines()
        for i, line in enumerate(lines):
            if MARKER.match(line.strip()):
                following = lines[i + 1] if i + 1 < len(lines) else ""
                assert following.startswith("```"), f"{page.name}:{i + 1}: marker without block"


def test_the_readme_fits_a_screenful_and_its_headline_is_the_benchmarks():
    readme = (ROOT / "README.md").read_text(encoding="utf8")
    assert len(readme.splitlines()) <= 150
    benchmarks = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf8")
    headline = readme.split("## Compared with gensim and fastText")[1].split("\n## ")[0]
    rows = [line for line in headline.splitlines() if line.startswith("| [")]
    assert rows, "no headline table"
    for row in rows:
        for cell in row.split("|")[2:-1]:
            assert f"{cell.strip()} [" in benchmarks, f"README {cell.strip()!r}: not in its table"


def test_the_links_between_pages_resolve():
    for page in [*PAGES, ROOT / "CHANGELOG.md"]:
        for target in re.findall(r"\]\(([^)#\s]+\.md)(?:#[^)]*)?\)", page.read_text("utf8")):
            assert (page.parent / target).is_file(), f"{page.name}: broken link {target}"


# ---- the blocks, run (slow) ---------------------------------------------------------------


@pytest.fixture(scope="module")
def workspace(made_once) -> dict:
    """One short run of configs/default.yaml that every block's directory gets a copy of, made
    once for the session (conftest.py's ``made_once``)."""
    from cbow_torch.data.corpus import bundled_corpus

    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
        "MPLBACKEND": "Agg",
    }

    def env_of(base: Path) -> dict:
        return {**env, "XDG_CACHE_HOME": str(base / "cache")}  # prepared corpora, shared

    def make(base: Path) -> None:
        shutil.copy(bundled_corpus(), base / "corpus.txt")
        config = str(ROOT / "configs" / "default.yaml")
        run = [sys.executable, "-m", "cbow_torch", "fit", "--config", config, *SHORT]
        done = subprocess.run(
            run, cwd=base, env=env_of(base), capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, done.stderr[-3000:]

    base = made_once("docs", make)
    assert (base / "runs/default/version_0/embeddings.txt").is_file()
    return {"base": base, "env": env_of(base)}


def _directory(workspace: dict, block: Block) -> Path:
    where = workspace["base"] / "blocks" / re.sub(r"\W", "_", block.name)
    where.mkdir(parents=True)
    for name in ("configs", "scripts"):
        (where / name).symlink_to(ROOT / name)
    (where / "corpus.txt").symlink_to(workspace["base"] / "corpus.txt")
    shutil.copytree(workspace["base"] / "runs", where / "runs")
    return where


def _shortened(code: str) -> str:
    """Each `cbow-torch fit` line with few steps, the options before any trailing comment."""
    out = []
    for line in code.splitlines():
        match = re.match(r"(?P<cmd>.*?\bcbow-torch fit\b.*?)(?P<comment>\s+#.*)?$", line)
        if match and not line.lstrip().startswith("#"):
            line = f"{match['cmd']} {' '.join(SHORT)}{match['comment'] or ''}"
        out.append(line)
    return "\n".join(out) + "\n"


@pytest.mark.slow
@pytest.mark.parametrize("block", RUNNABLE, ids=lambda b: b.name)
def test_block_runs(block: Block, workspace: dict):
    if block.kind == "not run":
        pytest.skip(f"{block.name}: {block.arg}")
    where = _directory(workspace, block)
    short = block.arg == "short"
    if block.lang == "python":
        (where / "block.py").write_text((PRELUDE if short else "") + block.code)
        command = [sys.executable, "block.py"]
    else:
        code = _shortened(block.code) if short else block.code
        command = ["bash", "-c", code] if block.arg == "fails" else ["bash", "-e", "-c", code]
    result = subprocess.run(
        command, cwd=where, env=workspace["env"], capture_output=True, text=True, timeout=600
    )
    if block.arg == "fails":
        lines = result.stderr.strip().splitlines()
        assert result.returncode != 0, f"{block.name} should fail:\n{result.stdout[-2000:]}"
        assert "Traceback" not in result.stderr, f"{block.name}:\n{result.stderr[-3000:]}"
        one_line = re.compile(r"cbow-torch( [a-z]+)?: error: ")  # the vector tools name themselves
        assert lines and one_line.match(lines[-1]), result.stderr[-2000:]
    else:
        assert result.returncode == 0, f"{block.name}:\n{result.stderr[-3000:]}"
