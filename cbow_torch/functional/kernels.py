"""The fused engine's numba kernels: word2vec's CBOW negative-sampling SGD, window by window.

One window with centre c, context words ctx₁…ctx_count (count ≤ 2C) and noise words n₁…n_k:

    h  = (1/count) Σⱼ W1ᵀ[ctxⱼ]                           (words alone)
    h  = (1/count) Σⱼ (1/|bagⱼ|) Σ_{r ∈ bagⱼ} W1ᵀ[r]      (subwords: bagⱼ is ctxⱼ's CSR bag)
    s_w = W2[w]·h,   e_c = σ(s_c) − 1,   e_n = σ(s_n)            (the exact sigmoid)
    J  = softplus(s_c) − s_c + Σⱼ softplus(s_nⱼ)
    for w in c, n₁…n_k:  ∂h += e_w W2[w] (W2[w] before its update);  W2[w] −= α_out e_w h
    for each input row r with weight w_r in h (1/count, or 1/(count·|bagⱼ|)):
        ``mean_input``: W1ᵀ[r] −= α_in w_r ∂h           (the true gradient)
        otherwise:      W1ᵀ[r] −= α_in ∂h               (word2vec's, gensim's and fastText's)

These are ``NegativeSamplingFunction``'s e₀, eⱼ and gradients for m = 1, applied row by row
while each row is in cache. Two differences from one SGD step of that Function, both word2vec's:
a noise word equal to the centre is skipped, and a noise word drawn twice in one window sees its
own first update; for distinct noise words other than the centre the two agree to rounding.

Random numbers: splitmix64 (state += γ; draw = mix(state)), thread t from mix(seed ⊕ mix(t + γ)):
a chunk's result at a fixed thread count depends only on its inputs; resuming needs no RNG state.

Bags are optional arguments (``offsets``, ``bag_ids``, None without subwords): numba compiles a
separate specialisation for None, from which the bag code is pruned, so training on words alone
runs the words-alone loop only.
"""

from __future__ import annotations

import math
import os

import numpy as np

try:
    import numba
    from numba import njit, prange
    from numba.extending import intrinsic

    # numba's own thread pool, unless the user chose a layer: its OpenMP layer shares torch's
    # OpenMP runtime and resets torch's thread count (threads.count) at the first kernel call.
    if "NUMBA_THREADING_LAYER" not in os.environ:
        numba.config.THREADING_LAYER = "workqueue"
    NUMBA_IMPORT_ERROR = None
except ImportError as err:  # the autograd engine and everything else work without numba
    numba, NUMBA_IMPORT_ERROR, prange = None, err, range

    def njit(*_, **__):
        return lambda f: f

    def intrinsic(f):
        return f


GAMMA = np.uint64(0x9E3779B97F4A7C15)


@njit(nogil=True, cache=True)
def mix(z):
    """splitmix64's finaliser: a uint64 hashed to a uniform uint64."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit(nogil=True, cache=True)
def below(u, n):  # an integer uniform in 0…n−1 (n < 2³²) from the high half of the uint64 u
    return np.int64(((u >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32))


@intrinsic
def _prefetch(typingctx, W, row, col):
    """Ask the CPU to bring W[row, col]'s cache line in (LLVM's prefetch: read, keep in all
    levels), without waiting for it as a load would."""
    from llvmlite import ir
    from numba import types
    from numba.core import cgutils

    def codegen(context, builder, signature, args):
        array = context.make_array(signature.args[0])(context, builder, args[0])
        at = [
            context.cast(builder, v, t, types.intp)
            for v, t in zip(args[1:], signature.args[1:], strict=True)
        ]
        ptr = cgutils.get_item_pointer(context, builder, signature.args[0], array, at)
        i8p, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
        fn = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fn, "llvm.prefetch.p0")
        builder.call(fn, [builder.bitcast(ptr, i8p), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return types.void(W, row, col), codegen


@njit(nogil=True, cache=True, inline="always")
def _prefetch_bag(W1T, offsets, bag_ids, word):
    """Every cache line of word's bag rows, prefetched a window before they can first be read:
    they are random rows of a matrix far larger than the caches (1.17× at bucket 2,000,000)."""
    line = 64 // W1T.itemsize
    for p in range(offsets[word], offsets[word + 1]):
        for n in range(0, W1T.shape[1], line):
            _prefetch(W1T, bag_ids[p], n)


@njit(nogil=True, cache=True, fastmath={"reassoc"})
def _dot(W, row, x):
    """W[row]·x. Licence to reorder the sum (and only that) lets it run as vector
    instructions: 6× faster, the same result for the same build, and still exact to rounding."""
    s = x.dtype.type(0.0)
    for n in range(x.shape[0]):
        s += W[row, n] * x[n]
    return s


@njit(nogil=True, cache=True, fastmath=False, inline="always")
def _outputs(W2, center, noise, lr_out, h, grad_h):
    """The output rows' half of a window: scores, W2's updates and ∂J/∂h (in ``grad_h``, which
    must start at 0); returns (Σ max(s, 0) − s_c, Π (1 + e^−|s|)), J's two parts."""
    N = h.shape[0]
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
    return cost, prod


@njit(nogil=True, cache=True, fastmath=False)
def _window_sgd(W1T, W2, context, count, center, noise, lr_in, lr_out, h, grad_h, mean_input):
    """One window's SGD step in place, words alone (module docstring); returns its J."""
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
    cost, prod = _outputs(W2, center, noise, lr_out, h, grad_h)
    grad_h *= h.dtype.type(lr_in / count if mean_input else lr_in)  # [N] α_in ∂J/∂h (/ count)
    for j in range(count):
        row = context[j]
        for n in range(N):
            W1T[row, n] -= grad_h[n]  # [N] once per position: a repeated word gets it twice
    return touched if touched != touched else cost + math.log(prod)  # reads kept, never NaN


@njit(nogil=True, cache=True, fastmath=False)
def _bag_window_sgd(
    W1T, W2, context, count, offsets, bag_ids, center, noise, lr_in, lr_out, h, grad_h, mean_input
):
    """One window's SGD step in place, each context word a bag of W1ᵀ's rows (module
    docstring); returns its J."""
    N, line = W1T.shape[1], 64 // W2.itemsize
    touched = 0.0  # the output rows as in _window_sgd; the bag rows are mostly in cache: the
    # next window shares all its context words but one (reading them first costs 1.2×)
    for t in range(-1, noise.shape[0]):
        for n in range(0, N, line):
            touched += W2[center if t < 0 else noise[t], n]
    h[:] = 0.0
    grad_h[:] = 0.0
    for j in range(count):
        a, b = offsets[context[j]], offsets[context[j] + 1]
        weight = h.dtype.type(1.0 / (count * (b - a)))  # w_r = 1/(count·|bagⱼ|)
        for p in range(a, b):
            row = bag_ids[p]
            for n in range(N):
                h[n] += weight * W1T[row, n]  # [N] Σⱼ Σ_r w_r W1ᵀ[r]
    cost, prod = _outputs(W2, center, noise, lr_out, h, grad_h)
    for j in range(count):
        a, b = offsets[context[j]], offsets[context[j] + 1]
        step = h.dtype.type(lr_in / (count * (b - a)) if mean_input else lr_in)  # α_in (w_r)
        for p in range(a, b):
            row = bag_ids[p]
            for n in range(N):
                W1T[row, n] -= step * grad_h[n]  # [N] once per occurrence in the window's bags
    return touched if touched != touched else cost + math.log(prod)  # reads kept, never NaN


@njit(nogil=True, cache=True)
def sgd_windows(W1T, W2, context, center, negatives, lr, mean, offsets, bag_ids):
    """m given windows in order, one thread; returns Σᵢ Jᵢ."""
    h, g = np.empty(W1T.shape[1], W1T.dtype), np.empty(W1T.shape[1], W1T.dtype)  # scratch [N]
    cost, C2 = 0.0, context.shape[1]
    for i in range(context.shape[0]):
        ctx, noise = context[i], negatives[i]
        if offsets is None:
            cost += _window_sgd(W1T, W2, ctx, C2, center[i], noise, lr, lr, h, g, mean)
        else:
            cost += _bag_window_sgd(
                W1T, W2, ctx, C2, offsets, bag_ids, center[i], noise, lr, lr, h, g, mean
            )
    return cost


@njit(nogil=True, parallel=True, cache=True)
def train(
    W1T, W2, ids, spans, bounds, keep, prob, alias, C, k, lr0, lr1, seed, longest, mean,
    offsets, bag_ids,
):  # fmt: skip
    """Spans bounds[t]…bounds[t + 1] − 1 on thread t, Hogwild (``fused.train_chunk``)."""
    parts, (V, N) = bounds.shape[0] - 1, W2.shape
    costs, counts = np.zeros(parts), np.zeros((parts, 2), np.int64)  # words, windows
    for t in prange(parts):
        state = mix(seed ^ mix(np.uint64(t) + GAMMA))
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
                    state += GAMMA
                    if (mix(state) >> np.uint64(11)) * 2.0**-53 >= keep[w]:
                        continue
                kept[n] = w
                n += 1
            for i in range(n):
                state += GAMMA
                reach = C - below(mix(state), C)  # shrunk window: C − b, b uniform in 0…C−1
                count = 0
                for j in range(max(0, i - reach), min(n, i + reach + 1)):
                    if j != i:
                        context[count] = kept[j]
                        count += 1
                if count == 0:
                    continue
                for j in range(k):  # the alias table: a column, then a coin against prob
                    state += GAMMA
                    u = mix(state)
                    col = below(u, V)
                    coin = (u & np.uint64(0xFFFFFFFF)) * 2.0**-32
                    noise[j] = col if coin < prob[col] else alias[col]
                lr = lr0 + slope * (done + (b - a) * i / n)
                if offsets is not None and i + C + 1 < n:  # the next window's newest word
                    _prefetch_bag(W1T, offsets, bag_ids, kept[i + C + 1])
                if offsets is None:
                    cost += _window_sgd(W1T, W2, context, count, kept[i], noise, lr, lr, h, g, mean)
                else:
                    cost += _bag_window_sgd(
                        W1T, W2, context, count, offsets, bag_ids, kept[i], noise, lr, lr, h, g,
                        mean,
                    )  # fmt: skip
                trained += 1
            done += b - a
        costs[t], counts[t, 0], counts[t, 1] = cost, done, trained
    return costs.sum(), counts[:, 0].sum(), counts[:, 1].sum()
