"""word2vec's CBOW negative-sampling SGD as compiled per-window numba kernels (the fused engine).

One window with centre c, context ctx₁…ctx_count (count ≤ 2C) and noise words n₁…n_k:

    h  = (1/count) Σⱼ W1ᵀ[ctxⱼ]
    s_w = W2[w]·h,   e_c = σ(s_c) − 1,   e_n = σ(s_n)            (the exact sigmoid)
    J  = softplus(s_c) − s_c + Σⱼ softplus(s_nⱼ)
    for w in c, n₁…n_k:  ∂h += e_w W2[w] (W2[w] before its update);  W2[w] −= α_out e_w h
    for each context position j:  W1ᵀ[ctxⱼ] −= α_in ∂h / count   (``mean_input``, fastText's)
                                or W1ᵀ[ctxⱼ] −= α_in ∂h          (word2vec's and gensim's)

These are ``NegativeSamplingFunction``'s e₀, eⱼ and gradients for m = 1, applied row by row
while each row is in cache. Two differences from one SGD step of that Function, both word2vec's:
a noise word equal to the centre is skipped, and a noise word drawn twice in one window sees its
own first update; for distinct noise words other than the centre the two agree to rounding.

Random numbers: splitmix64 (state += γ; draw = mix(state)), thread t from mix(seed ⊕ mix(t + γ)):
a chunk's result at a fixed thread count depends only on its inputs; resuming needs no RNG state.
"""

from __future__ import annotations

import math
import os

import numpy as np
import torch

from .checks import check_ids

try:
    import numba
    from numba import njit, prange

    # numba's own thread pool, unless the user chose a layer: its OpenMP layer shares torch's
    # OpenMP runtime and resets torch's thread count (threads.count) at the first kernel call.
    if "NUMBA_THREADING_LAYER" not in os.environ:
        numba.config.THREADING_LAYER = "workqueue"
except ImportError as err:  # the autograd engine and everything else work without numba
    numba, _NUMBA_IMPORT_ERROR, prange = None, err, range

    def njit(*_, **__):
        return lambda f: f


_ID_DTYPES = (np.dtype(np.uint16), np.dtype(np.int32), np.dtype(np.int64))
_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_FIX = "reinstall numba for this numpy (pip install -U numba) or set model.engine: autograd"


@njit(nogil=True, cache=True)
def _mix(z):
    """splitmix64's finaliser: a uint64 hashed to a uniform uint64."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit(nogil=True, cache=True)
def _below(u, n):  # an integer uniform in 0…n−1 (n < 2³²) from the high half of the uint64 u
    return np.int64(((u >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32))


@njit(nogil=True, cache=True, fastmath={"reassoc"})
def _dot(W, row, x):
    """W[row]·x. Licence to reorder the sum (and only that) lets it run as vector
    instructions: 6× faster, the same result for the same build, and still exact to rounding."""
    s = x.dtype.type(0.0)
    for n in range(x.shape[0]):
        s += W[row, n] * x[n]
    return s


@njit(nogil=True, cache=True, fastmath=False)
def _window_sgd(W1T, W2, context, count, center, noise, lr_in, lr_out, h, grad_h, mean_input):
    """One window's SGD step in place (formulas in the module docstring); returns its J."""
    N, line = W1T.shape[1], 64 // W2.itemsize
    touched = 0.0  # one read a cache line of the 1 + k output rows: their misses overlap (1.4×)
    for t in range(-1, noise.shape[0]):
        for n in range(0, N, line):
            touched += W2[center if t < 0 else noise[t], n]
    h[:] = 0.0
    grad_h[:] = 0.0
    for j in range(count):
        row = context[j]
        for n in range(N):
            h[n] += W1T[row, n]  # [N] Σⱼ W1ᵀ[ctxⱼ]
    h *= h.dtype.type(1.0) / h.dtype.type(count)  # [N] the mean
    cost, prod = 0.0, 1.0
    for t in range(-1, noise.shape[0]):
        w = center if t < 0 else noise[t]
        if t >= 0 and w == center:  # word2vec's skip
            continue
        sf = float(_dot(W2, w, h))  # [] s_w = W2[w]·h
        ex = math.exp(-abs(sf))  # softplus(s) = max(s, 0) + log1p(e^−|s|): finite for any s
        cost += max(sf, 0.0)
        prod *= 1.0 + ex  # Σ log1p(e^−|s|) = log Π(1 + e^−|s|): one log a window
        if t < 0:
            cost -= sf
            e = -(ex if sf >= 0.0 else 1.0) / (1.0 + ex)  # σ(s) − 1 = −σ(−s), without cancelling
        else:
            e = (1.0 if sf >= 0.0 else ex) / (1.0 + ex)  # σ(s)
        e_w = h.dtype.type(e)
        step = h.dtype.type(lr_out * e)
        for n in range(N):
            old = W2[w, n]
            grad_h[n] += e_w * old  # [N] ∂J/∂h, from W2[w] before its update
            W2[w, n] = old - step * h[n]  # [N] W2[w] −= α_out e_w h
    grad_h *= h.dtype.type(lr_in / count if mean_input else lr_in)  # [N] α_in ∂J/∂h (/ count)
    for j in range(count):
        row = context[j]
        for n in range(N):
            W1T[row, n] -= grad_h[n]  # [N] once per position: a repeated word gets it twice
    return touched if touched != touched else cost + math.log(prod)


@njit(nogil=True, cache=True)
def _sgd_windows(W1T, W2, context, center, negatives, lr, mean):
    h, g = np.empty(W1T.shape[1], W1T.dtype), np.empty(W1T.shape[1], W1T.dtype)  # scratch [N]
    cost, C2 = 0.0, context.shape[1]
    for i in range(context.shape[0]):
        cost += _window_sgd(W1T, W2, context[i], C2, center[i], negatives[i], lr, lr, h, g, mean)
    return cost


@njit(nogil=True, parallel=True, cache=True)
def _train(W1T, W2, ids, spans, bounds, keep, prob, alias, C, k, lr0, lr1, seed, longest, mean):
    parts, (V, N) = bounds.shape[0] - 1, W1T.shape
    costs, counts = np.zeros(parts), np.zeros((parts, 2), np.int64)  # words, windows
    for t in prange(parts):
        state = _mix(seed ^ _mix(np.uint64(t) + _GAMMA))
        slope = (lr1 - lr0) / max(spans[bounds[t + 1]] - spans[bounds[t]], 1)  # α per word
        kept = np.empty(longest, np.int32)
        context, noise = np.empty(2 * C, np.int32), np.empty(k, np.int64)
        h, g = np.empty(N, W1T.dtype), np.empty(N, W1T.dtype)  # scratch [N]
        cost, done, trained = 0.0, 0, 0
        for s in range(bounds[t], bounds[t + 1]):
            a, b, n = spans[s], spans[s + 1], 0
            for p in range(a, b):  # word2vec's subsampling
                w = ids[p]
                if keep[w] < 1.0:
                    state += _GAMMA
                    if (_mix(state) >> np.uint64(11)) * 2.0**-53 >= keep[w]:
                        continue
                kept[n] = w
                n += 1
            for i in range(n):
                state += _GAMMA
                reach = C - _below(_mix(state), C)  # shrunk window: C − b, b uniform in 0…C−1
                count = 0
                for j in range(max(0, i - reach), min(n, i + reach + 1)):
                    if j != i:
                        context[count] = kept[j]
                        count += 1
                if count == 0:
                    continue
                for j in range(k):  # the alias table: a column, then a coin against prob
                    state += _GAMMA
                    u = _mix(state)
                    col = _below(u, V)
                    coin = (u & np.uint64(0xFFFFFFFF)) * 2.0**-32
                    noise[j] = col if coin < prob[col] else alias[col]
                lr = lr0 + slope * (done + (b - a) * i / n)
                cost += _window_sgd(W1T, W2, context, count, kept[i], noise, lr, lr, h, g, mean)
                trained += 1
            done += b - a
        costs[t], counts[t, 0], counts[t, 1] = cost, done, trained
    return costs.sum(), counts[:, 0].sum(), counts[:, 1].sum()


def _numba(kernel, *args):
    """Call a kernel; numba's compile and threading-layer errors become one RuntimeError line."""
    if numba is None:
        raise RuntimeError(f"the fused engine needs numba ({_NUMBA_IMPORT_ERROR}): {_FIX}")
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


def _check_params(W1T: torch.Tensor, W2: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """W1ᵀ and W2 as zero-copy numpy views, after the checks that in-place updates need."""
    for name, W in (("W1T", W1T), ("W2", W2)):
        ok = isinstance(W, torch.Tensor) and W.dim() == 2 and W.device.type == "cpu"
        if not ok or W.dtype not in (torch.float32, torch.float64) or not W.is_contiguous():
            got = f"{W.dtype} {tuple(W.shape)} on {W.device}" if ok else type(W).__name__
            raise ValueError(f"{name} must be a contiguous float32/64 CPU tensor [V, N], got {got}")
        if W.numel() == 0:
            raise ValueError(f"{name} must hold V >= 1 words of N >= 1, got {tuple(W.shape)}")
    if W1T.shape != W2.shape or W1T.dtype != W2.dtype:
        got = f"{tuple(W1T.shape)} {W1T.dtype}, {tuple(W2.shape)} {W2.dtype}"
        raise ValueError(f"W1T and W2 must share shape [V, N] and dtype, got {got}")
    return W1T.detach().numpy(), W2.detach().numpy()


def _check_lr(name: str, lr: float) -> float:
    if not math.isfinite(float(lr)) or lr < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {lr}")
    return float(lr)


def negative_sampling_sgd_(W1T, W2, context, center, negatives, lr, mean_input=True) -> float:
    """The fused kernel's per-window update on m given windows, in order, in place, one thread.

    W1T (row j: word j's input vector) and W2: [V, N] contiguous CPU tensors of one float dtype;
    context [m, 2C], center [m], negatives [m, k]: word ids; lr: α for both; ``mean_input``: the
    input update divided by 2C (the true gradient), False: word2vec's. Returns Σᵢ Jᵢ, each before
    its update. For m = 1 and distinct noise words other than the centre, this is one step
    W ← W − lr ∇J of ``cbow_negative_sampling_loss`` (module docstring).
    """
    W1, W2_ = _check_params(W1T, W2)
    check_ids(W1.shape[0], context, center, negatives)
    if any(t.device.type != "cpu" for t in (context, center, negatives)):
        raise ValueError(f"context, center and negatives must be on the CPU, got {context.device}")
    ids = [t.to(torch.int64).contiguous().numpy() for t in (context, center, negatives)]
    args = (W1, W2_, *ids, _check_lr("lr", lr), bool(mean_input))
    return float(_numba(_sgd_windows, *args))


def _as_array(name: str, x, dtype, V: int) -> np.ndarray:
    x = x.numpy() if isinstance(x, torch.Tensor) else x
    if not isinstance(x, np.ndarray) or x.dtype != dtype or x.shape != (V,):
        got = f"{x.dtype} {x.shape}" if isinstance(x, np.ndarray) else type(x).__name__
        raise ValueError(f"{name} must be a {np.dtype(dtype)} array [{V}], got {got}")
    return np.ascontiguousarray(x)


def train_chunk(
    W1T, W2, ids, spans, lo, hi, keep, noise_prob, noise_alias, window, negatives,
    lr_start, lr_end, seed, threads, mean_input=True,
) -> tuple[float, int, int]:  # fmt: skip
    """Train spans lo…hi−1 (span s: ids[spans[s]:spans[s + 1]]) in place, Hogwild over ``threads``
    contiguous parts of about equal tokens. Per span: word2vec's subsampling (w stays if a uniform
    draw < keep[w]); per kept centre a shrunk window (b uniform in 0…C−1, the kept words within
    C − b each side; none: skipped), ``negatives`` noise words from the alias table (noise_prob
    float32 [V], noise_alias int64 [V]) and the update, α linear from lr_start to lr_end over
    each part's tokens. ids: 1-D uint16/int32/int64, read in place (a memory map; the caller
    checks once that every id is < V); spans: from ``data.chunks.make_spans``; keep: float32
    [V]; 0 ≤ seed < 2⁶⁴.
    Returns (summed window cost, tokens read before subsampling, windows trained)."""
    (W1, W2_), V = _check_params(W1T, W2), W1T.shape[0]
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
    parts = np.arange(threads + 1) * (offsets[-1] - offsets[0]) / threads + offsets[0]
    bounds = np.minimum(np.searchsorted(offsets, parts) + lo, hi).astype(np.int64)  # [threads + 1]
    bounds[0], bounds[-1] = lo, hi
    longest = max(int(lengths.max()) if len(lengths) else 0, 1)
    args = (W1, W2_, ids, spans, bounds, keep, prob, alias, int(window), int(negatives))
    rest = (lr0, lr1, np.uint64(seed), longest, bool(mean_input))
    cost, words, windows = _numba(_train, *args, *rest)
    return float(cost), int(words), int(windows)
