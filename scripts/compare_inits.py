"""Compare CBOW initialisations: training-loss curves and held-out loss, per learning rate.

python scripts/compare_inits.py                               # the bundled Lee corpus
python scripts/compare_inits.py --corpus ../shared/data/shakespeare.txt --tokenizer course
"""

from __future__ import annotations

import argparse
import itertools
from typing import get_args

import numpy as np
import torch

from cbow_torch import CBOW
from cbow_torch.choices import Init


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--corpus", default="lee")
    parser.add_argument("--tokenizer", default="simple")
    parser.add_argument("--inits", nargs="+", default=list(get_args(Init)), choices=get_args(Init))
    parser.add_argument("--lrs", nargs="+", type=float, default=[0.03, 0.3, 3.0])
    parser.add_argument("--dim", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=282)
    parser.add_argument("--out", help="also plot the curves to this PNG")
    args = parser.parse_args()

    from cbow_torch.data.datamodule import CBOWDataModule

    data = CBOWDataModule(
        args.corpus,
        tokenizer=args.tokenizer,
        batch_size=args.batch_size,
        shuffle=True,
        seed=args.seed,
        val_fraction=0.05,
    )
    data.prepare_data()
    data.setup("fit")
    print(f"corpus {args.corpus}: V = {data.vocab_size}, N = {args.dim}, m = {args.batch_size}")
    val = list(data.val_dataloader())
    checkpoints = [s for s in (1, 10, 50, 150, 500, 1000, 2000, 5000) if s <= args.steps]
    print(
        f"{'init':>9} {'lr':>6} "
        + " ".join(f"{f'step {s}':>10}" for s in checkpoints)
        + f" {'val loss':>9}"
    )
    curves = {}
    for init, lr in itertools.product(args.inits, args.lrs):
        model = CBOW(data.vocab_size, args.dim, init=init, seed=args.seed)
        optimizer = torch.optim.SGD(model.parameters(), lr=lr)
        losses = []
        batches = itertools.chain.from_iterable(iter(data.train_dataloader, None))
        for context, center in itertools.islice(batches, args.steps):
            optimizer.zero_grad()
            loss = model(context, center)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        with torch.no_grad():
            held_out = np.mean([model(c, t).item() for c, t in val])
        smooth = [np.mean(losses[max(0, s - 10) : s]) for s in checkpoints]  # mean of the last 10
        curves[(init, lr)] = losses
        print(
            f"{init:>9} {lr:>6g} " + " ".join(f"{v:>10.3f}" for v in smooth) + f" {held_out:>9.3f}"
        )
    if args.out:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(8, 5))
        ax = fig.add_subplot()
        for (init, lr), losses in curves.items():
            ax.plot(np.convolve(losses, np.ones(10) / 10, mode="valid"), label=f"{init}, lr {lr:g}")
        ax.set(xlabel="update", ylabel="training loss (mean of 10)", yscale="log")
        ax.legend()
        fig.savefig(args.out, dpi=100)
        print(f"curves: {args.out}")


if __name__ == "__main__":
    main()
