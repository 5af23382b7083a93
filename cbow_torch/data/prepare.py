"""Text to ids, once: ``cbow-torch prepare CORPUS --out DIR`` and the dataset directory it writes.

A prepared dataset is a plain directory that numpy and a text editor can read:

- ``ids.npy``: the token ids of the whole corpus, one stream, uint16 when V fits, else int32;
  training memory-maps it, so every DDP rank shares the same pages;
- ``docs.npy``: int64 start offsets of the documents in ``ids`` (windows never cross them);
- ``vocab.tsv``: ``word<TAB>count`` lines in id order;
- ``meta.json``: the format version, the ``PrepareOptions`` (options.py) it was made with,
  token, document and word counts, and the source files.

The directory is written beside its final name and renamed into place, so it is whole or absent.
``fit`` reads one through ``data.dataset``, or prepares ``data.corpus`` into its cache directory
on one process (Lightning's ``prepare_data``), under a key that hashes the files' paths, sizes and
modification times and the options: a second run reuses it, a changed corpus is prepared again.
After writing, ``cbow-torch prepare`` prints the fit command that suits the data (suggest.py).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import atomic_write
from ..version import __version__
from .corpus import encode_corpus, resolve_corpus
from .errors import CBOWDataError
from .options import PrepareOptions
from .text import Vocabulary

FORMAT = 2  # 1 was the id cache before `prepare`; bump when the files or meta.json change
FILES = ("ids.npy", "docs.npy", "vocab.tsv", "meta.json")
HOW = "cbow-torch prepare CORPUS --out DIR"


def cache_key(files: Sequence[Path], options: PrepareOptions) -> str:
    """A hash of the files (path, size, mtime), the options that change the ids, and FORMAT."""
    stats = [(str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns) for p in files]
    blob = json.dumps({"format": FORMAT, "files": stats, **options.record()}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def write_dataset(
    files: Sequence[Path],
    out: str | os.PathLike,
    options: PrepareOptions,
    workers: int | None = None,
) -> Path:
    """Encode ``files`` into the dataset directory ``out``, built beside it and renamed into
    place (on ``workers`` processes, see ``encode_corpus``). Another process that renamed a
    complete one there first wins; ours is dropped. Interrupted, it leaves nothing: a ``kill
    -9`` alone leaves the hidden ``.OUT.*`` directory it was building, which can be deleted."""
    out = Path(out).expanduser()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)  # mkdtemp's 0700 would hide a dataset that others may read
    try:
        vocab = encode_corpus(files, tmp, options, workers=workers)
        ids = np.load(tmp / "ids.npy", mmap_mode="r")
        meta = {
            "format": FORMAT,
            "cbow_torch": __version__,
            "options": options.record(),
            "tokens": len(ids),
            "documents": len(np.load(tmp / "docs.npy")),
            "vocab_size": len(vocab),
            "ids_dtype": str(ids.dtype),
            "sources": [
                {
                    "path": str(p.resolve()),
                    "bytes": p.stat().st_size,
                    "mtime_ns": p.stat().st_mtime_ns,
                }
                for p in files
            ],
        }
        del ids
        text = json.dumps(meta, indent=1) + "\n"
        atomic_write(tmp / "meta.json", lambda f: f.write(text.encode()))  # last, and synced
        try:
            os.rename(tmp, out)  # onto nothing or an empty directory; else it raises
        except OSError:
            if not (out / "meta.json").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


@dataclass
class PreparedDataset:
    """A dataset directory, opened: ``ids`` memory-mapped, ``docs``, ``vocab`` and ``meta``."""

    path: Path
    meta: dict[str, Any]
    vocab: Vocabulary
    ids: np.ndarray  # [n] uint16 or int32, read-only memory map
    docs: np.ndarray  # [D] int64

    @staticmethod
    def read_meta(path: str | os.PathLike, what: str = "data.dataset") -> dict[str, Any]:
        """``meta.json`` of the dataset at ``path``, checked: CBOWDataError names ``what``."""
        path = Path(path).expanduser()
        if not path.is_dir():
            raise CBOWDataError(
                f"{what} {path} does not exist or is not a directory: prepare it with {HOW}"
            )
        meta_path = path / "meta.json"
        if not meta_path.is_file():
            raise CBOWDataError(
                f"{what} {path} holds no meta.json, so it is not a prepared dataset: "
                f"prepare one with {HOW}"
            )
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise CBOWDataError(f"{meta_path} cannot be read ({err}): prepare it again") from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            found = meta.get("format", "none") if isinstance(meta, dict) else "none"
            raise CBOWDataError(
                f"{what} {path} was prepared in dataset format {found} and this cbow-torch "
                f"reads format {FORMAT}: prepare it again with {HOW}"
            )
        return meta

    @classmethod
    def open(cls, path: str | os.PathLike, what: str = "data.dataset") -> PreparedDataset:
        path = Path(path).expanduser()
        meta = cls.read_meta(path, what)
        try:
            vocab = Vocabulary.load(path / "vocab.tsv")
            ids = np.load(path / "ids.npy", mmap_mode="r")
            docs = np.load(path / "docs.npy")
        except (OSError, ValueError) as err:
            named = isinstance(err, OSError) and err.filename and err.strerror
            reason = f"{Path(err.filename).name}: {err.strerror}" if named else str(err)
            reason = " ".join(reason.split())
            raise CBOWDataError(f"{what} {path}: {reason}: prepare it again") from None
        options = meta.get("options")
        vocab.tokenizer = options.get("tokenizer") if isinstance(options, dict) else None
        counts = (ids.ndim, len(ids), len(vocab), docs.ndim)
        if counts != (1, meta.get("tokens"), meta.get("vocab_size"), 1) or (
            len(ids) and int(ids.max()) >= len(vocab)
        ):
            raise CBOWDataError(
                f"{what} {path}: ids.npy, vocab.tsv and meta.json do not agree "
                f"({len(ids)} ids up to {int(ids.max()) if len(ids) else '-'}, {len(vocab)} "
                f"words; meta.json says {meta.get('tokens')} and {meta.get('vocab_size')}): "
                "prepare it again"
            )
        return cls(path, meta, vocab, ids, docs)


def prepare(
    corpus: str | list[str] | None,
    out: str | os.PathLike,
    options: PrepareOptions | None = None,
    *,
    workers: int | None = None,
    **changes: Any,
) -> PreparedDataset:
    """Prepare ``corpus`` into the new dataset directory ``out``.

    Args:
        corpus: file, directory, glob or list of them; None or "lee": the bundled Lee corpus.
        out: the directory to write; it must not exist, or be empty.
        options: the ``PrepareOptions`` (tokenizer, line_per_document, min_count,
            max_vocab_size, vocab_order, unk, encoding); default ``PrepareOptions()``.
        workers: processes that tokenise (default: every CPU, for a corpus of 8 MB or more).
        **changes: any of those options by name, over ``options``:
            ``prepare("lee", "ds", min_count=5)``.
    """
    try:
        options = dataclasses.replace(options or PrepareOptions(), **changes)
    except TypeError as err:
        raise TypeError(f"prepare: {err}; the options are {PrepareOptions.names()}") from None
    options.check("--")
    out = Path(out).expanduser()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise CBOWDataError(f"--out {out} already exists: remove it or give another directory")
    if workers is not None and workers < 1:
        raise CBOWDataError(f"--workers must be >= 1 (or left out: every CPU), got {workers}")
    write_dataset(resolve_corpus(corpus, options.encoding), out, options, workers)
    return PreparedDataset.open(out, "--out")


def build_parser():
    """``cbow-torch prepare``'s jsonargparse parser: the corpus, ``--out`` and the fields of
    ``PrepareOptions`` (their help is its docstring), or a YAML of them through ``--config``."""
    from jsonargparse import ActionConfigFile, ArgumentParser

    parser = ArgumentParser(
        prog="cbow-torch prepare",
        description=(
            "Tokenise a corpus once into a dataset directory (ids.npy, docs.npy, vocab.tsv, "
            "meta.json) that `cbow-torch fit --data.dataset DIR` memory-maps on every process."
        ),
        exit_on_error=False,  # main() makes a bad option one line
    )
    parser.add_argument("-c", "--config", action=ActionConfigFile, help="a YAML of the options")
    parser.add_argument(
        "corpus", nargs="+", help="file, directory, glob, or several; 'lee': the bundled corpus"
    )
    parser.add_argument("--out", help="the dataset directory to write, new (required)")
    parser.add_argument(
        "--workers",
        type=int | None,
        default=None,
        help="processes that tokenise (default: every CPU, for a corpus of 8 MB or more)",
    )
    parser.add_class_arguments(PrepareOptions)
    return parser


def main(argv: list[str]) -> int:
    """``cbow-torch prepare``: exit status 0; or 2 with one line on stderr; or, stopped by Ctrl-C
    or SIGTERM, 130 or 143 with one line, and no dataset written."""
    from argparse import ArgumentError

    from .suggest import suggest_config

    parser, args = build_parser(), None
    try:
        with _sigterm_stops():
            args = parser.parse_args(argv)
            if args.out is None:  # checked here to name it as it is written
                return _fail("--out is required (see cbow-torch prepare --help)")
            corpus = args.corpus[0] if len(args.corpus) == 1 else args.corpus
            dataset = prepare(corpus, args.out, PrepareOptions.pick(args), workers=args.workers)
    except ArgumentError as err:
        return _fail(f"{err} (see cbow-torch prepare --help)")
    except (CBOWDataError, OSError) as err:
        return _fail(str(err))
    except (KeyboardInterrupt, _Stopped) as err:
        how = "interrupted" if isinstance(err, KeyboardInterrupt) else f"stopped by {err}"
        code = 130 if isinstance(err, KeyboardInterrupt) else 143
        where = f" to --out {args.out}" if args is not None else ""
        return _fail(f"{how}: nothing was written{where}", code)
    meta = dataset.meta
    print(
        f"wrote {dataset.path}: {meta['tokens']:,} tokens in {meta['documents']:,} documents, "
        f"V = {meta['vocab_size']:,} ({meta['ids_dtype']} ids)\n"
        + suggest_config(str(dataset.path), meta["tokens"], meta["vocab_size"])
    )
    return 0


class _Stopped(BaseException):
    """SIGTERM, raised where prepare is, so that its temporary directory is removed."""


@contextlib.contextmanager
def _sigterm_stops():
    def stop(signum, frame):
        raise _Stopped(signal.Signals(signum).name)

    try:
        previous = signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread: SIGTERM keeps its way
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _fail(message: str, code: int = 2) -> int:
    print(f"cbow-torch: error: {' '.join(message.split())}", file=sys.stderr)
    return code
