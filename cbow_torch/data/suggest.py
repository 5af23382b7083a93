"""Which config fits a corpus: the softmax epoch's cost, estimated before anything trains.

The softmax objective costs O(V·N) multiply-adds per example (the logits W2 h, then the two
products of its backward), so its epoch grows with the vocabulary; negative sampling's costs
O(k·N). ``prepare`` prints the command that fits the prepared data, and the training side can
warn with the same estimate once it knows V.
"""

from __future__ import annotations

# Seconds per example per (V·N) of one softmax SGD step (forward, hand-written backward, update),
# float32 on a 2-core AMD EPYC CPU with torch's 2 threads. Measured as the best of 5 rounds of 10
# steps of ``CBOW(V, 100, dtype=torch.float32)`` with m = 64, C = 5 and ``torch.optim.SGD``:
# 9.1e-11 to 9.3e-11 s at V = 5,000, 20,000 and 40,000 (2.96, 11.7 and 23.7 ms a step). A full
# ``fit`` of configs/default.yaml on 1M words with V = 40,195 ran at ~4,900 words/s, 5.1e-11 s.
SECONDS_PER_EXAMPLE_VN = 9e-11

# configs/default.yaml's model.embedding_dim and trainer.max_epochs (tests/test_data.py
# checks them against the file).
DEFAULT_DIM = 100
DEFAULT_EPOCHS = 15

# Above this many seconds a softmax epoch, prepare points to configs/word2vec.yaml.
SLOW_EPOCH_SECONDS = 180.0


def softmax_epoch_seconds(tokens: int, V: int, N: int = DEFAULT_DIM) -> float:
    """About how long one softmax epoch over ``tokens`` examples takes on a 2-core CPU:
    tokens × V × N × ``SECONDS_PER_EXAMPLE_VN`` (subsampling, if on, makes it shorter)."""
    return float(tokens) * V * N * SECONDS_PER_EXAMPLE_VN


def duration(seconds: float) -> str:
    """``42 s``, ``7 min``, ``2.5 h``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def suggest_config(dataset: str, tokens: int, V: int) -> str:
    """The lines ``prepare`` prints after writing ``dataset``: the fit command that fits it,
    and, for a vocabulary that makes the softmax slow, the estimate that says why."""
    epoch = softmax_epoch_seconds(tokens, V)
    if epoch <= SLOW_EPOCH_SECONDS:
        return f"train on it: cbow-torch fit --config configs/default.yaml --data.dataset {dataset}"
    return (
        f"the softmax (configs/default.yaml) costs O(V·N) a word: with V = {V:,} and N = "
        f"{DEFAULT_DIM} an epoch over {tokens:,} tokens takes about {duration(epoch)} on a "
        f"2-core CPU, {duration(epoch * DEFAULT_EPOCHS)} for its {DEFAULT_EPOCHS} epochs; "
        "negative sampling costs O(k·N) a word\n"
        f"train on it: cbow-torch fit --config configs/word2vec.yaml --data.dataset {dataset}"
    )
