"""Whole processes, part by part: where the time of ``cbow-torch fit`` goes, beside gensim's or
fastText's own run on the same file.

Ours is ``cbow-torch fit`` as a user runs it (``benchlib.runs.launch``), with an empty
``data.cache_dir`` so that it prepares the corpus; its parts are read from the run itself:

- start-up (interpreter, imports, config): from the launch until the preparation makes the
  cache folder (watched every ``WATCH`` seconds; a preparation shorter than that counts 0);
- prepare: until the prepared dataset's ``meta.json`` is written (its mtime: written last);
- model and Trainer: until the fit's ``setup`` (``benchlib.clock.TrainingClock``'s marks);
- the fit's set-up (loaders, hooks): until ``on_train_start``;
- training: the loop, with its validation and checkpoints;
- end of the run: from ``on_train_end`` to ``teardown``, the export (last checkpoint,
  embeddings, evaluation, pictures, projector);
- exit: from ``teardown`` until the process has ended (loggers closed, interpreter exit).

A rival's parts are ``benchlib.fresh``'s marks (``word2vec``, ``fasttext``) between its launch
and its end. Every part is wall time; the parts of a run add up to the whole process.
"""

from __future__ import annotations

import functools
import statistics
import subprocess
import time
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

from . import BenchError, fresh
from .common import rotating
from .docs import table
from .runs import finish, fit_args, launch

WATCH = 0.02  # seconds between looks at the cache folder
PARTS = (  # the rows, in a run's order
    "start-up: interpreter, imports, config",
    "prepare / vocabulary",
    "model and Trainer",
    "the fit's set-up",
    "training",
    "end of the run",
    "exit",
)
START, PREPARE, MODEL, SETUP, TRAIN, END, EXIT = PARTS
WHOLE = "whole process"
MARKS = ("fit_start", "train_start", "train_end", "fit_end")  # the clock's, after meta.json
RIVALS = {  # a benchlib.fresh function: its marks in order, each with the part that ends there
    "word2vec": (("imported", START), ("vocabulary", PREPARE), ("trained", TRAIN), ("saved", END)),
    "fasttext": (("imported", START), ("trained", TRAIN), ("saved", END)),
}


def appears(process: subprocess.Popen, path: Path) -> float | None:
    """When (``time.time()``) PATH was first seen while PROCESS ran; None if not before it
    ended. Its output is read meanwhile (``finish`` gets all of it)."""
    while True:
        try:
            process.communicate(timeout=WATCH)
            return None
        except subprocess.TimeoutExpired:
            if path.exists():
                return time.time()


def ours(args: list[str], work: Path, what: str) -> dict[str, float]:
    """The parts of ``cbow-torch fit ARGS`` in a fresh process in WORK (made), whose cache is
    WORK/cache, empty; WHAT names the run in a BenchError."""
    cache = work / "cache"
    launched = time.time()
    process = launch([*args, *fit_args(cache_dir=cache)], work)
    seen = appears(process, cache)
    record, _ = finish(process, work, what)
    exited = time.time()
    metas = list(cache.glob("*/meta.json"))
    if seen is None or len(metas) != 1:
        raise BenchError(f"{what} prepared no corpus in {cache}: its parts need a fresh cache")
    prepared = metas[0].stat().st_mtime
    marks = record["marks"]
    ends = [min(seen, prepared), prepared, *(marks[k] for k in MARKS), exited]
    return _parts(launched, ends, PARTS, what)


def rival(function: str, what: str, **options) -> dict[str, float]:
    """The parts of ``python -m benchlib.fresh FUNCTION OPTIONS`` (``word2vec``, ``fasttext``)."""
    launched = time.time()
    marks = fresh.run(function, **options)
    exited = time.time()
    names, parts = zip(*RIVALS[function], strict=True)
    return _parts(launched, [*(marks[n] for n in names), exited], [*parts, EXIT], what)


def _parts(start: float, ends: list[float], parts, what: str) -> dict[str, float]:
    """Each part's seconds, from the times at which the parts end, in order."""
    figures = {part: b - a for part, (a, b) in zip(parts, pairwise([start, *ends]), strict=True)}
    for part, seconds in figures.items():
        if seconds < 0:
            raise BenchError(f"{what}: the part {part!r} ends {-seconds:.3f} s before it starts")
    return {**figures, WHOLE: ends[-1] - start}


def compare(contenders: dict[str, Callable[[int], dict]], rounds: int) -> dict[str, list[dict]]:
    """Each contender's parts (a function of the round's number: :func:`ours`, :func:`rival`) in
    ROUNDS rounds, in rotating order (``benchlib.common.rotating``)."""
    runs = {name: [] for name in contenders}

    def whole(name: str, r: int) -> float:
        runs[name].append(contenders[name](r))
        return runs[name][-1][WHOLE]

    rotating({name: functools.partial(whole, name) for name in contenders}, rounds)
    return runs


def print_table(runs: dict[str, list[dict[str, float]]]) -> None:
    """A table of the contenders' parts (columns), the median of each over the runs; "–" where a
    contender has no such part. Medians of parts need not add up to the median whole."""
    names = list(runs)
    cells = []
    for part in (*PARTS, WHOLE):
        values = {n: [r[part] for r in runs[n] if part in r] for n in names}
        row = [f"{statistics.median(v):.2f} s" if v else "–" for v in values.values()]
        cells.append([f"**{part}**" if part == WHOLE else part, *row])
    print(table(["part", *(f"{n}:" for n in names)], cells))
    wholes = {n: [r[WHOLE] for r in runs[n]] for n in names}
    for n, w in wholes.items():
        print(f"\n{n}, whole process, all rounds: {', '.join(f'{x:.1f} s' for x in w)}", end="")
    print(
        "\n\nOurs: the end of the run is the last checkpoint, embeddings.txt, the evaluation, the "
        "pictures and the projector; a rival's is saving its vectors or model. fastText reads "
        "its vocabulary inside train_unsupervised: its training row holds both."
    )
