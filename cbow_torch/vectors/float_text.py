"""float32 values as text, in bulk: the shortest digits that read back to the same float32.

``float32_rows(x)`` gives, for each row of a [V, N] float32 matrix, the bytes
``"v1 v2 … vN\\n"`` where each value is written exactly as ``str(numpy.float32(v))`` writes it
(gensim's word2vec writer): the fewest significant digits that read back, through a float64
as gensim and fastText read them, to the same float32; positional for 1e-4 <= |v| < 1e6
(``0.0123``, ``150.0``), scientific otherwise (``1e-05``, ``1.5e+06``); ``-0.0``, ``nan``,
``inf``.

The work is two numba loops over the values, compiled on the first call and cached on disk
(importing this module loads no numba): the first finds each value's digits and the length of
its text, the second writes the characters at their offsets in one buffer. A 41k x 100 matrix
takes about half a second where ``str`` per value takes seconds. Finite values outside
1e-14 <= |v| < 1e22 go through ``str``: there the powers of ten that the digit search scales
by are not exact in a float64. Without numba every value goes through ``str``.
"""

from __future__ import annotations

import math
import warnings
from itertools import accumulate, pairwise

import numpy as np

POW10 = np.array([10.0**i for i in range(23)])  # [23], exact in float64
EXP10 = 10.0 ** np.arange(-16, 24, dtype=np.float64)  # [40], 10^e at index e + 16
LOG10_2 = math.log10(2.0)
WORDS = np.frombuffer(b"0.0infnan", np.uint8)  # [9], the texts of ZERO, INF, NAN
SLOW, ZERO, INF, NAN = 0, 10, 11, 12  # digit counts that are none: str(), "0.0", "inf", "nan"

_compiled: list = []


def float32_rows(x: np.ndarray) -> list[bytes]:
    """Each row of ``x`` [V, N] as ``b"v1 v2 … vN\\n"`` in numpy's ``str`` digits (above)."""
    text, bounds = float32_text(x)
    blob = text.tobytes()
    return [blob[i:j] for i, j in pairwise(bounds)]


def float32_text(x: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """The rows of ``float32_rows(x)`` one after another in one uint8 array [bytes], and where
    each row starts and ends [V + 1]: for a writer that takes them without a copy each
    (``memoryview`` slices)."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    if x.ndim != 2:
        raise ValueError(f"float32_rows takes a [V, N] matrix, got shape {x.shape}")
    V, N = x.shape
    kernels = _kernels() if x.size else None
    if kernels is None:  # no numba: numpy's own str, value by value (the same bytes, slowly)
        rows = [(" ".join(map(str, row)) + "\n").encode() for row in x]
        return np.frombuffer(b"".join(rows), np.uint8), [0, *accumulate(map(len, rows))]
    measure, write = kernels
    flat = x.ravel()  # [V·N]
    digits = np.empty(flat.size, np.int64)  # [V·N], the significant digits as an integer
    count = np.empty(flat.size, np.int8)  # [V·N], how many (or SLOW, ZERO, INF, NAN)
    power = np.empty(flat.size, np.int8)  # [V·N], the leading digit's power of ten
    size = measure(flat, digits, count, power)  # [V·N], each text's length and its gap
    slow = np.flatnonzero(count == SLOW)  # [s]
    texts = [str(v).encode() for v in flat[slow]]
    size[slow] += np.array([len(t) for t in texts], np.int64)  # [s]
    ends = np.cumsum(size)  # [V·N], where each value's gap ends
    out = np.empty(int(ends[-1]), np.uint8)  # [bytes]
    write(flat, digits, count, power, ends, out, N)
    for i, text in zip((ends[slow] - size[slow]).tolist(), texts, strict=True):
        out[i : i + len(text)] = np.frombuffer(text, np.uint8)
    return out, [0, *ends[N - 1 :: N].tolist()]  # [bytes], [V + 1]


def _kernels() -> tuple | None:
    """The two loops below, compiled by numba on the first call (from its disk cache after);
    None, with a warning, where numba does not import."""
    if not _compiled:
        try:
            from numba import njit
        except ImportError as err:
            warnings.warn(
                f"numba does not import ({err}): text is written with str, value by value"
                " (slowly); reinstall numba for this numpy (pip install -U numba)",
                stacklevel=3,
            )
            return None
        _compiled.extend(njit(nogil=True, cache=True)(f) for f in (_measure, _write))
    return tuple(_compiled)


def _measure(flat, digits, count, power):
    """Each value's digits, count and power; returns the length of each one's text and gap
    [n] (the gap alone for a SLOW value, whose text the caller measures).

    The p-digit candidate is a·10^(p-1-e) rounded; it reads back as gensim reads it: the
    float64 nearest m·10^(e+1-p) (one correctly rounded operation, both factors exact), then
    float32. More digits never read back farther, so the search tries 8, then 9 if 8 fails,
    or 7, 6, … while they pass.
    """
    size = np.ones(flat.size, np.int64)  # [n]
    for i in range(flat.size):
        x = abs(flat[i])
        a = np.float64(x)
        digits[i], count[i], power[i] = 0, SLOW, 0
        if math.isnan(a):
            count[i], size[i] = NAN, 4  # no sign, as numpy writes it
            continue
        sign = 1 if np.signbit(flat[i]) else 0
        if a == 0 or math.isinf(a):
            count[i], size[i] = ZERO if a == 0 else INF, 4 + sign
            continue
        if not 1e-14 <= a < 1e22:
            continue  # SLOW
        # the leading digit's power of ten: 2^(b-1) <= a < 2^b gives floor((b-1)·log10(2))
        # or one more
        e = int(math.floor((math.frexp(a)[1] - 1) * LOG10_2))
        e += a >= EXP10[e + 17]
        p, m, best_p, best_m = 8, 0.0, 0, 0.0
        while True:
            k = p - 1 - e
            if k >= 0:
                m = np.rint(a * POW10[k])
                ok = np.float32(m / POW10[k]) == x
            else:
                m = np.rint(a / POW10[-k])
                ok = np.float32(m * POW10[-k]) == x
            if ok:
                best_p, best_m = p, m
                if p == 1 or p == 9:
                    break
                p -= 1
            elif p == 8:
                p = 9
            else:
                break  # p fails: best_p (p + 1, or none after 9) is the fewest
        if best_p == 0:
            continue  # SLOW: not even 9 digits read back
        if best_p == 1 and best_m == 10.0:  # a carry: 9.99… rounds to 10, "1" at 10^(e+1)
            best_m, e = 1.0, e + 1
        digits[i], count[i], power[i] = np.int64(best_m), best_p, e
        if not 1e-4 <= a < 1e6:  # d.ddde±XX
            size[i] = 1 + sign + best_p + (best_p > 1) + 4
        elif e < 0:  # 0.000ddd
            size[i] = 1 + sign + 1 - e + best_p
        else:  # ddd.ddd, or ddd.0 for an integer
            size[i] = 1 + sign + (e + 3 if best_p <= e + 1 else best_p + 1)
    return size


def _write(flat, digits, count, power, ends, out, N):
    """Write each value's text before ends[i] - 1 in out, and its gap at ends[i] - 1: "\\n"
    after a row's last value, " " after the others (the gap alone for a SLOW value)."""
    for i in range(flat.size):
        at = 0 if i == 0 else ends[i - 1]
        c, e = count[i], power[i]
        out[ends[i] - 1] = 10 if i % N == N - 1 else 32
        if c == SLOW:
            continue
        if np.signbit(flat[i]) and c != NAN:
            out[at] = 45  # "-"
            at += 1
        if c >= ZERO:
            for j in range(3):
                out[at + j] = WORDS[3 * (c - ZERO) + j]
            continue
        a = abs(np.float64(flat[i]))
        point = 0  # the digit the point follows (99: none among the digits)
        if not 1e-4 <= a < 1e6:  # d.ddde±XX
            if c > 1:
                out[at + 1] = 46  # "."
            end = at + c + (c > 1)
            out[end], out[end + 1] = 101, 45 if e < 0 else 43  # "e-" or "e+"
            out[end + 2], out[end + 3] = 48 + abs(e) // 10, 48 + abs(e) % 10
        elif e < 0:  # 0.000ddd
            out[at], out[at + 1] = 48, 46
            for j in range(-e - 1):
                out[at + 2 + j] = 48
            at, point = at + 1 - e, 99
        elif c <= e + 1:  # ddd000.0
            for j in range(c, e + 1):
                out[at + j] = 48
            out[at + e + 1], out[at + e + 2], point = 46, 48, 99
        else:  # ddd.ddd
            out[at + e + 1], point = 46, e
        m = digits[i]
        for j in range(c - 1, -1, -1):  # the last digit first
            out[at + j + (j > point)] = 48 + m % 10
            m //= 10
    return 0
