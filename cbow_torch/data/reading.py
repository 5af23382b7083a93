"""A corpus file's text: opened (``.gz`` and ``.bz2`` decompressed on the fly), cut into chunks
of about 1 MB at line ends, and decoded.

The chunks are the units the tokenizers see (a whole chunk, or each of its lines), so where they
are cut is part of what a corpus prepares to: ``read_pieces`` cuts the bytes in one fixed way,
and every reader (one process or several) decodes those same pieces. A file whose
compressed stream is cut short or corrupt is a ``CBOWDataError`` naming it, wherever it breaks.

``encoding`` is any text encoding Python knows in which the ASCII characters are single bytes
(UTF-8, Latin-1, cp1252, …): ``check_encoding`` refuses the others (UTF-16, EBCDIC). Bytes that
are not valid in it become U+FFFD, with one warning naming the file.
"""

from __future__ import annotations

import bz2
import codecs
import contextlib
import gzip
import warnings
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from .errors import CBOWDataError

CHUNK_BYTES = 1 << 20
COMPRESSED = {  # suffix: (the decompressing reader of a file object, the tool that checks one)
    ".gz": (lambda f: gzip.GzipFile(fileobj=f, mode="rb"), "gzip"),
    ".bz2": (lambda f: bz2.BZ2File(f, "rb"), "bzip2"),
}
_UTF8_BOM = b"\xef\xbb\xbf"
_ASCII = b"\t\n\r !\"#'()*+,-./0123456789:;<=>?@AZ[\\]_`az{|}~"


def check_encoding(encoding: str, option: str = "--encoding") -> str:
    """Python's name for ``encoding`` (``"latin-1"`` -> ``"iso8859-1"``); CBOWDataError, naming
    ``option``, for a name Python does not know or an encoding that is not ASCII-compatible."""
    try:
        name = codecs.lookup(encoding).name
        ascii_compatible = _ASCII.decode(encoding) == _ASCII.decode("ascii")
    except (LookupError, TypeError, UnicodeDecodeError):
        raise CBOWDataError(
            f"{option} {encoding!r} is not a text encoding Python knows: use e.g. 'utf-8', "
            "'latin-1' or 'cp1252'"
        ) from None
    if not ascii_compatible:
        raise CBOWDataError(
            f"{option} {encoding!r} is not read here: lines are found as bytes, so the encoding "
            f"must keep ASCII as single bytes; convert the corpus with iconv -f {encoding} -t "
            "UTF-8"
        )
    return name


def _utf8(encoding: str) -> bool:
    return codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")


def label(encoding: str) -> str:
    """``encoding`` as messages name it: "UTF-8", or the name given."""
    return "UTF-8" if _utf8(encoding) else encoding


def broken_file(path: Path, err: BaseException) -> CBOWDataError:
    """The one-line error for a file that fails while it is read."""
    reason = " ".join(str(err).split()) or type(err).__name__
    if path.suffix in COMPRESSED:
        tool = COMPRESSED[path.suffix][1]
        return CBOWDataError(
            f"corpus file {path} is cut short or corrupt ({reason}): check it with {tool} -t, "
            "then download or compress it again"
        )
    return CBOWDataError(f"corpus file {path} cannot be read: {reason}")


@contextlib.contextmanager
def open_binary(path: Path) -> Iterator[tuple[IO[bytes], IO[bytes]]]:
    """(the decompressed bytes, the file on disk): the second's ``tell()`` is the progress."""
    with open(path, "rb") as disk:
        if path.suffix in COMPRESSED:
            with COMPRESSED[path.suffix][0](disk) as stream:
                yield stream, disk
        else:
            yield disk, disk


def read_head(path: Path, size: int) -> bytes:
    """The first ``size`` bytes of ``path``, decompressed; CBOWDataError if they cannot be."""
    try:
        with open_binary(path) as (f, _):
            return f.read(size)
    except (OSError, EOFError, zlib.error) as err:
        raise broken_file(path, err) from None


def read_pieces(
    path: Path, chunk_bytes: int = CHUNK_BYTES, encoding: str = "utf-8"
) -> Iterator[tuple[int, bytes, int]]:
    """``(offset, piece, disk_position)``: the (decompressed) bytes of ``path`` in pieces of
    about ``chunk_bytes`` that end after a newline, ``offset`` where each starts.

    A line longer than ``chunk_bytes`` is cut at a space, or failing that between two UTF-8
    characters (other encodings: anywhere). A UTF-8 byte order mark at the start is skipped.
    """
    buffer, first, offset = b"", True, 0
    try:
        with open_binary(path) as (f, disk):
            while True:
                block = f.read(chunk_bytes)
                buffer += block
                if first and _utf8(encoding) and buffer.startswith(_UTF8_BOM):
                    buffer, offset = buffer[len(_UTF8_BOM) :], len(_UTF8_BOM)
                first = False
                if not block:
                    cut = len(buffer)
                else:
                    cut = buffer.rfind(b"\n") + 1
                    if cut == 0 and len(buffer) >= chunk_bytes:
                        cut = buffer.rfind(b" ") + 1 or (
                            _utf8_boundary(buffer) if _utf8(encoding) else len(buffer)
                        )
                    if cut == 0:
                        continue
                if cut:
                    yield offset, buffer[:cut], disk.tell()
                buffer, offset = buffer[cut:], offset + cut
                if not block:
                    return
    except (OSError, EOFError, zlib.error) as err:
        raise broken_file(path, err) from None


def decode(piece: bytes, encoding: str = "utf-8") -> tuple[str, UnicodeDecodeError | None]:
    """``piece`` as text, and the error that made any bytes U+FFFD (None if none did)."""
    encoding = "utf-8" if _utf8(encoding) else encoding  # the BOM is gone already
    try:
        return piece.decode(encoding), None
    except UnicodeDecodeError as err:
        return piece.decode(encoding, errors="replace"), err


def warn_bad_bytes(path: Path, encoding: str, offset: int, reason: str) -> None:
    """The one warning for a file with bytes that are not valid in ``encoding``."""
    warnings.warn(
        f"corpus file {path} is not valid {label(encoding)} ({reason} near byte {offset}); "
        "the bad bytes were replaced by U+FFFD",
        stacklevel=3,
    )


def read_chunks(
    path: Path, chunk_bytes: int = CHUNK_BYTES, encoding: str = "utf-8"
) -> Iterator[str]:
    """The text of ``path`` in the pieces of ``read_pieces``, decoded (empty ones skipped)."""
    warned = False
    for offset, piece, _ in read_pieces(path, chunk_bytes, encoding):
        text, err = decode(piece, encoding)
        if err is not None and not warned:
            warn_bad_bytes(path, encoding, offset + err.start, err.reason)
            warned = True
        if text:
            yield text


def _utf8_boundary(buffer: bytes) -> int:
    """The largest cut <= len(buffer) that does not split a UTF-8 character (at least 1)."""
    lead = len(buffer)
    while lead > 1 and buffer[lead - 1] & 0xC0 == 0x80:  # back over continuation bytes
        lead -= 1
    lead -= 1  # buffer[lead] starts the last character
    first = buffer[lead]
    size = 1 if first < 0xC0 else 2 if first < 0xE0 else 3 if first < 0xF0 else 4
    return len(buffer) if lead + size <= len(buffer) or lead == 0 else lead
