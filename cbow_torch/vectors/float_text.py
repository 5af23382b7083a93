"""float32 values as text, in bulk: the shortest digits that read back to the same float32.

``float32_rows(x)`` gives, for each row of a [V, N] float32 matrix, the bytes
``"v1 v2 … vN\\n"`` where each value is written exactly as ``str(numpy.float32(v))`` writes it
(gensim's word2vec writer): the fewest significant digits that read back, through a float64
as gensim and fastText read them, to the same float32; positional for 1e-4 <= |v| < 1e6
(``0.0123``, ``150.0``), scientific otherwise (``1e-05``, ``1.5e+06``); ``-0.0``, ``nan``,
``inf``. The work is numpy over the whole matrix, grouped by decimal exponent and digit count,
so that a 41k x 100 matrix takes a fraction of a second where ``str`` per value takes seconds.
Values outside 1e-14 <= |v| < 1e22 (and the rare one that needs a carry) go through ``str``.
"""

from __future__ import annotations

import numpy as np

POW10 = [float(10**i) for i in range(23)]  # exact in float64
EXP10 = 10.0 ** np.arange(-16, 24, dtype=np.float64)  # 10^e at index e + 16
WIDTH = 16  # sign, then at most 14 characters ("-0.00012345678" or "1.2345678e+08"), then a gap
SLOW = 99  # the exponent group of the values left to str()
CHUNK = 1 << 18  # values formatted at a time


def float32_rows(x: np.ndarray) -> list[bytes]:
    """Each row of ``x`` [V, N] as ``b"v1 v2 … vN\\n"`` in numpy's ``str`` digits (above)."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    if x.ndim != 2:
        raise ValueError(f"float32_rows takes a [V, N] matrix, got shape {x.shape}")
    V, N = x.shape
    flat = x.ravel()  # [V·N]
    cells = np.empty((flat.size, WIDTH), np.uint8)  # 0 where there is no character
    for lo in range(0, flat.size, CHUNK):  # a chunk's temporaries stay in the cache
        cells[lo : lo + CHUNK] = _cells(flat[lo : lo + CHUNK])
    cells[:, -1] = 32  # " " after each value
    cells.reshape(V, N, WIDTH)[:, -1, -1] = 10  # "\n" after each row's last one
    keep = cells != 0  # [V·N, WIDTH]
    text = cells[keep].tobytes()
    ends = np.cumsum(keep.reshape(V, -1).sum(axis=1)).tolist()  # [V]
    return [text[i:j] for i, j in zip([0, *ends[:-1]], ends, strict=True)]


def _cells(x: np.ndarray) -> np.ndarray:
    """x [n] float32 -> [n, WIDTH] uint8: column 0 the sign, then the digits, 0 for nothing."""
    n = x.size
    ax = np.abs(x)  # [n]
    with np.errstate(invalid="ignore"):  # a signalling nan
        a = ax.astype(np.float64)  # [n], exact
        fast = (a >= 1e-14) & (a < 1e22)  # [n]; False for 0, nan, inf
    safe = np.where(fast, a, 1.0)  # [n]
    e = np.floor(np.log10(safe)).astype(np.intp)  # [n], the leading digit's power of ten
    e += safe >= EXP10[e + 17]  # log10 may be off by one next to a power of ten
    e -= safe < EXP10[e + 16]
    e[~fast] = SLOW
    order = np.argsort(e.astype(np.int16), kind="stable")  # [n], grouped by exponent
    se = e[order]  # [n]
    m = np.zeros(n, np.float64)  # [n], the digits as an integer, in sorted order
    p = np.zeros(n, np.int16)  # [n], how many; 0: left to str()
    for lo, hi in _runs(se):
        if se[lo] != SLOW:
            m[lo:hi], p[lo:hi] = _shortest(a[order[lo:hi]], ax[order[lo:hi]], int(se[lo]))
    # a carry (9.99… rounding up to 10) can only give "1" at the next power: left to str()
    p[(p == 1) & (m == 10)] = 0
    key = ((se + 16) * 10 + p).astype(np.int16)  # [n]; int16 sorts by radix
    regroup = np.argsort(key, kind="stable")  # [n], grouped by exponent and digit count
    key, m, p, se, order = key[regroup], m[regroup], p[regroup], se[regroup], order[regroup]
    sorted_cells = np.zeros((n, WIDTH), np.uint8)  # in the order of ``order``
    sorted_cells[:, 0] = np.signbit(x[order]) * np.uint8(45)  # "-", -0.0 included
    slow = []
    for lo, hi in _runs(key):
        digits, power = int(p[lo]), int(se[lo])
        if digits == 0:
            slow.append(order[lo:hi])
            continue
        _layout(sorted_cells[lo:hi, 1:], m[lo:hi], digits, power)
    cells = np.empty_like(sorted_cells)
    cells[order] = sorted_cells  # [n, WIDTH], back in x's order
    for i in np.concatenate(slow).tolist() if slow else []:
        text = str(x[i]).encode()
        cells[i] = 0
        cells[i, : len(text)] = np.frombuffer(text, np.uint8)
    return cells


def _runs(key: np.ndarray):
    """(start, end) of each run of equal values in a sorted array."""
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]).tolist()
    return zip(starts, [*starts[1:], key.size], strict=True)


def _shortest(a: np.ndarray, x: np.ndarray, e: int) -> tuple[np.ndarray, np.ndarray]:
    """For values a [g] (float64 of the float32 x [g]) with leading digit at 10^e: the fewest
    digits p that read back to x (p = 0: none found) and the p-digit integer m.

    The p-digit candidate is a·10^(p-1-e) rounded; it reads back as gensim reads it: the
    float64 nearest m·10^(e+1-p) (one correctly rounded operation, both factors exact), then
    float32. Most float32 values need 7 or 8 digits: try 8, then 9 for those that fail and
    fewer for those that pass, dropping each value at its first failure.
    """
    g = a.size
    m = np.zeros(g, np.float64)  # [g]
    p = np.zeros(g, np.int16)  # [g]
    cand, ok = _candidate(a, x, 8 - 1 - e)  # [g], [g]
    fail = np.flatnonzero(~ok)
    if fail.size:
        cand9, ok9 = _candidate(a[fail], x[fail], 9 - 1 - e)
        m[fail], p[fail] = cand9, np.where(ok9, 9, 0)
    rows = np.flatnonzero(ok)
    m[rows], p[rows] = cand[ok], 8
    ar, xr = a[rows], x[rows]
    for digits in range(7, 0, -1):
        if rows.size == 0:
            break
        cand, ok = _candidate(ar, xr, digits - 1 - e)
        rows, ar, xr = rows[ok], ar[ok], xr[ok]
        m[rows], p[rows] = cand[ok], digits
    return m, p


def _candidate(a: np.ndarray, x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """a·10^k rounded to an integer [g], and whether it reads back to x [g]; |k| <= 22."""
    if k >= 0:
        cand = np.rint(a * POW10[k])  # [g]
        back = cand / POW10[k]  # [g]
    else:
        cand = np.rint(a / POW10[-k])
        back = cand * POW10[-k]
    return cand, back.astype(np.float32) == x


def _layout(out: np.ndarray, m: np.ndarray, p: int, e: int) -> None:
    """Write the p-digit integers m [g] (exact in float64), the digits of numbers whose leading
    digit is at 10^e, into out [g, ≥14] as numpy's str lays them out."""
    if -4 <= e < 0:  # 0.000ddd
        lead = "0." + "0" * (-e - 1)
        where = [len(lead) + i for i in range(p)]
    elif 0 <= e <= 5:  # ddd.ddd, with ".0" for an integer
        lead = ""
        where = [i + (i > e) for i in range(p)]  # the point after digit e
        pad = "0" * (e + 1 - p) + "." + ("0" if p <= e + 1 else "")
        at = min(p, e + 1)
        out[:, at : at + len(pad)] = np.frombuffer(pad.encode(), np.uint8)
    else:  # d.ddde±XX
        lead = ""
        where = [i + (i > 0) for i in range(p)]  # the point after the first digit
        tail = ("." if p > 1 else "", f"e{'-' if e < 0 else '+'}{abs(e):02d}")
        out[:, 1 : 1 + len(tail[0])] = np.frombuffer(tail[0].encode(), np.uint8)
        at = p + len(tail[0])
        out[:, at : at + 4] = np.frombuffer(tail[1].encode(), np.uint8)
    if lead:
        out[:, : len(lead)] = np.frombuffer(lead.encode(), np.uint8)
    for i in range(p - 1, -1, -1):  # the last digit first
        q = np.floor(m / 10.0)  # exact: m < 2^53, and m/10 is q + at most 0.9
        out[:, where[i]] = m - 10.0 * q + 48
        m = q
