"""The fused engine's entries: word2vec's CBOW negative-sampling SGD, in place, in numba.

``negative_sampling_sgd_`` runs given windows in order (the kernel's per-window step, which
the tests hold against ``NegativeSamplingFunction``); ``train_chunk`` trains a chunk of the
corpus with word2vec's subsampling, shrunk windows and noise draws, Hogwild over threads. Both
take optional subword bags, fastText's input: word w's bag is
``bag_ids[bag_offsets[w]:bag_offsets[w + 1]]`` (CSR; ``inputs.ngrams.ngram_bags`` builds
them), rows of W1ᵀ [V + B, N]. The formulas are in ``kernels``; this module checks the inputs
once per call and turns numba's failures into one line.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from . import kernels
from .checks import check_ids
from .kernels import numba

_ID_DTYPES = (np.dtype(np.uint16), np.dtype(np.int32), np.dtype(np.int64))
_BAG_DTYPES = (np.dtype(np.int32), np.dtype(np.int64))
_FIX = "reinstall numba for this numpy (pip install -U numba) or set model.engine: autograd"


def _numba(kernel, *args):
    """Call a kernel; numba's compile and threading-layer errors become one RuntimeError line."""
    if numba is None:
        raise RuntimeError(f"the fused engine needs numba ({kernels.NUMBA_IMPORT_ERROR}): {_FIX}")
    try:
        return kernel(*args)
    except (numba.core.errors.NumbaError, ValueError) as err:  # ValueError: no threading layer
        if isinstance(err, ValueError) and "threading layer" not in str(err):
            raise
        first = (str(err).strip().splitlines() or [""])[0]
        raise RuntimeError(f"numba failed ({type(err).__name__}: {first}): {_FIX}") from None


def set_threads(n: int) -> int:
    """numba's thread count, clipped to 1…NUMBA_NUM_THREADS; returns the count set."""
    n = _numba(lambda: max(1, min(int(n), numba.config.NUMBA_NUM_THREADS)))
    return _numba(lambda: numba.set_num_threads(n) or n)


def _check_params(W1T, W2, bags: bool) -> tuple[np.ndarray, np.ndarray]:
    """W1ᵀ and W2 as zero-copy numpy views, after the checks that in-place updates need."""
    for name, W in (("W1T", W1T), ("W2", W2)):
        ok = isinstance(W, torch.Tensor) and W.dim() == 2 and W.device.type == "cpu"
        if not ok or W.dtype not in (torch.float32, torch.float64) or not W.is_contiguous():
            got = f"{W.dtype} {tuple(W.shape)} on {W.device}" if ok else type(W).__name__
            raise ValueError(f"{name} must be a contiguous float32/64 CPU tensor [V, N], got {got}")
        if W.numel() == 0:
            raise ValueError(f"{name} must hold V >= 1 words of N >= 1, got {tuple(W.shape)}")
    got = f"{tuple(W1T.shape)} {W1T.dtype}, {tuple(W2.shape)} {W2.dtype}"
    if not bags and (W1T.shape != W2.shape or W1T.dtype != W2.dtype):
        raise ValueError(f"W1T and W2 must share shape [V, N] and dtype, got {got}")
    if bags and (
        W1T.shape[1] != W2.shape[1] or W1T.shape[0] < W2.shape[0] or W1T.dtype != W2.dtype
    ):
        raise ValueError(f"W1T [V + B, N] and W2 [V, N] must share N and dtype, got {got}")
    return W1T.detach().numpy(), W2.detach().numpy()


def _check_bags(bag_offsets, bag_ids, V: int, rows: int):
    """The CSR bags as contiguous numpy arrays (zero-copy), or (None, None) without them:
    offsets int64 [V + 1] rising from 0 to len(bag_ids), every bag non-empty, ids in [0, rows)."""
    if (bag_offsets is None) != (bag_ids is None):
        raise ValueError("bag_offsets and bag_ids go together: give both (subwords) or neither")
    if bag_offsets is None:
        return None, None
    offsets, ids = (x.numpy() if isinstance(x, torch.Tensor) else x for x in (bag_offsets, bag_ids))
    for name, x, dtypes in (
        ("bag_offsets", offsets, _BAG_DTYPES[1:]),
        ("bag_ids", ids, _BAG_DTYPES),
    ):
        if not isinstance(x, np.ndarray) or x.ndim != 1 or x.dtype not in dtypes:
            got = f"{x.dtype} {x.shape}" if isinstance(x, np.ndarray) else type(x).__name__
            raise ValueError(f"{name} must be a 1-D {'/'.join(map(str, dtypes))} array, got {got}")
    if len(offsets) != V + 1:
        raise ValueError(f"bag_offsets must hold V + 1 = {V + 1} offsets, got {len(offsets)}")
    if offsets[0] != 0 or offsets[-1] != len(ids) or (np.diff(offsets) < 1).any():
        raise ValueError(
            f"bag_offsets must rise from 0 to len(bag_ids) = {len(ids)} by >= 1 a word (every "
            f"word's bag holds at least the word), got {offsets[0]}…{offsets[-1]}"
        )
    lo, hi = int(ids.min()), int(ids.max())
    if lo < 0 or hi >= rows:
        bad = lo if lo < 0 else hi
        raise ValueError(f"bag_ids holds row {bad}, outside [0, {rows}) for W1T's V + B rows")
    return np.ascontiguousarray(offsets), np.ascontiguousarray(ids)


def _check_lr(name: str, lr: float) -> float:
    if not math.isfinite(float(lr)) or lr < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {lr}")
    return float(lr)


def negative_sampling_sgd_(
    W1T, W2, context, center, negatives, lr, mean_input=True, bag_offsets=None, bag_ids=None
) -> float:
    """The fused kernel's per-window update on m given windows, in order, in place, one thread.

    W1T (row j: word j's input vector, then B >= 0 subword buckets) [V + B, N] and W2 [V, N]:
    contiguous CPU tensors of one float dtype (B = 0 without bags); context [m, 2C], center
    [m], negatives [m, k]: word ids < V; lr: α for both. ``mean_input``: each input row's
    step is its weight in h times α∂J/∂h (the true gradient); False: the whole α∂J/∂h
    (word2vec's and fastText's). ``bag_offsets`` int64 [V + 1], ``bag_ids`` int32/int64: word
    w's bag of W1T rows (module docstring), each context word's input then the mean of its bag's
    rows; None: the word's row. Returns Σᵢ Jᵢ, each before its update. For m = 1 and distinct
    noise words other than the centre, this is one step W ← W − lr ∇J of
    ``cbow_negative_sampling_loss`` (with ``bag_context``'s weights when there are bags).
    """
    bags = bag_offsets is not None or bag_ids is not None
    W1, W2_ = _check_params(W1T, W2, bags)
    V = W2_.shape[0]
    check_ids(V, context, center, negatives)
    if any(t.device.type != "cpu" for t in (context, center, negatives)):
        raise ValueError(f"context, center and negatives must be on the CPU, got {context.device}")
    offsets, ids = _check_bags(bag_offsets, bag_ids, V, W1.shape[0])
    words = [t.to(torch.int64).contiguous().numpy() for t in (context, center, negatives)]
    args = (W1, W2_, *words, _check_lr("lr", lr), bool(mean_input), offsets, ids)
    return float(_numba(kernels.sgd_windows, *args))


def _as_array(name: str, x, dtype, V: int) -> np.ndarray:
    x = x.numpy() if isinstance(x, torch.Tensor) else x
    if not isinstance(x, np.ndarray) or x.dtype != dtype or x.shape != (V,):
        got = f"{x.dtype} {x.shape}" if isinstance(x, np.ndarray) else type(x).__name__
        raise ValueError(f"{name} must be a {np.dtype(dtype)} array [{V}], got {got}")
    return np.ascontiguousarray(x)


def train_chunk(
    W1T, W2, ids, spans, lo, hi, keep, noise_prob, noise_alias, window, negatives,
    lr_start, lr_end, seed, threads, mean_input=True, bag_offsets=None, bag_ids=None,
) -> tuple[float, int, int]:  # fmt: skip
    """Train spans lo…hi−1 (span s: ids[spans[s]:spans[s + 1]]) in place, Hogwild over ``threads``
    contiguous parts of about equal tokens. Per span: word2vec's subsampling (w stays if a uniform
    draw < keep[w]); per kept centre a shrunk window (b uniform in 0…C−1, the kept words within
    C − b each side; none: skipped), ``negatives`` noise words from the alias table (noise_prob
    float32 [V], noise_alias int64 [V]) and the update, α linear from lr_start to lr_end over
    each part's tokens. ids: 1-D uint16/int32/int64, read in place (a memory map; the caller
    checks once that every id is < V); spans: from ``data.chunks.make_spans``; keep: float32
    [V]; 0 ≤ seed < 2⁶⁴. W1T, W2, ``mean_input`` and the bags: as for ``negative_sampling_sgd_``.
    Returns (summed window cost, tokens read before subsampling, windows trained)."""
    bags = bag_offsets is not None or bag_ids is not None
    (W1, W2_), V = _check_params(W1T, W2, bags), W2.shape[0]
    for name, x, dtypes in (("ids", ids, _ID_DTYPES), ("spans", spans, (np.dtype(np.int64),))):
        if not isinstance(x, np.ndarray) or x.ndim != 1 or x.dtype not in dtypes:
            got = f"{x.dtype} {x.shape}" if isinstance(x, np.ndarray) else type(x).__name__
            raise ValueError(f"{name} must be a 1-D {'/'.join(map(str, dtypes))} array, got {got}")
        if not x.flags.c_contiguous:
            raise ValueError(f"{name} must be contiguous (a memory map of ids.npy is)")
    if not 0 <= lo <= hi < len(spans):
        raise ValueError(f"need 0 <= lo <= hi <= {len(spans) - 1} spans, got lo={lo}, hi={hi}")
    offsets = spans[lo : hi + 1]  # [hi − lo + 1]
    lengths = np.diff(offsets)  # [hi − lo]
    if offsets[0] < 0 or offsets[-1] > len(ids) or (lengths < 0).any():
        raise ValueError(f"spans[{lo}:{hi + 1}] must rise within [0, {len(ids)}] (make_spans)")
    keep = _as_array("keep", keep, np.float32, V)
    prob = _as_array("noise_prob", noise_prob, np.float32, V)
    alias = _as_array("noise_alias", noise_alias, np.int64, V)
    for name, value in (("window", window), ("negatives", negatives), ("threads", threads)):
        if int(value) != value or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value}")
    if int(seed) != seed or not 0 <= seed < 2**64:
        raise ValueError(f"seed must be an integer in [0, 2**64), got {seed}")
    lr0, lr1 = _check_lr("lr_start", lr_start), _check_lr("lr_end", lr_end)
    bag_offsets, bag_ids = _check_bags(bag_offsets, bag_ids, V, W1.shape[0])
    parts = np.arange(threads + 1) * (offsets[-1] - offsets[0]) / threads + offsets[0]
    bounds = np.minimum(np.searchsorted(offsets, parts) + lo, hi).astype(np.int64)  # [threads + 1]
    bounds[0], bounds[-1] = lo, hi
    longest = max(int(lengths.max()) if len(lengths) else 0, 1)
    args = (W1, W2_, ids, spans, bounds, keep, prob, alias, int(window), int(negatives))
    rest = (lr0, lr1, np.uint64(seed), longest, bool(mean_input), bag_offsets, bag_ids)
    cost, words, windows = _numba(kernels.train, *args, *rest)
    return float(cost), int(words), int(windows)
