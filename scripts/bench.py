"""Benchmark one CBOW training step: the hand-written backward against autograd, numpy and the
matmul bound, plus the step's peak memory.

Contenders (each a full step: forward, backward, SGD update):

  manual    CBOW (the hand-written CBOWFunction) + torch.optim.SGD
  autograd  the same model in plain PyTorch ops (cbow_loss_autograd) + torch.optim.SGD
  numpy     the course's numpy code (cbow_torch.reference), dense X and Y prebuilt, float64
  bound     only the step's three products, into preallocated outputs: the logits H W2ᵀ,
            ∂W2 = (Ŷ−Y)ᵀ H and L1 = (Ŷ−Y) W2

All contenders of a shape run in one process, interleaved: every repeat times a block of steps of
each, in rotating order, and the table shows the median block. Speed is training examples per
second; the ratios are of those medians.

Memory runs each contender in a fresh subprocess: it loads the kernels on a tiny model, builds
the model, resets the kernel's resident-set high-water mark (/proc/self/clear_refs), runs two
steps and reads VmHWM. Peak above the parameters = VmHWM − resident size before the first step,
so it counts the gradients and anything a step keeps for the next; "extra" is that peak less the
gradients' own size, in units of one m×V logits buffer.

Lightning overhead (section "lightning") trains the default config (configs/default.yaml: its
model, data, logger, checkpointing, LR monitor) with a real Trainer, built by the package's own
cli_main, and, inside that same fit, a plain loop: the same DataLoader, CBOW + torch.optim.SGD and
the module's own LR scheduler, no logging and no checks. A callback times blocks of Trainer steps,
from one step's on_train_batch_start to that of the step a block later, and between two Trainer
blocks runs and times a block of plain steps, so the two contenders alternate in one process. The
warm-up steps, the epoch boundaries (validation, checkpoints), start-up and the end-of-fit export
are outside every block. One fit per variant (progress bar on/off × log_every_n_steps).

Examples:
  python scripts/bench.py                                  # speed at the course and large shapes
  python scripts/bench.py --sections lightning --lightning-log-every 1,10
  python scripts/bench.py --sections speed,memory --repeats 7
  python scripts/bench.py --sections memory --memory-shapes large,huge
  python scripts/bench.py --shapes 20000x64x256x2 --contenders manual,autograd --threads 1
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

sys.path.insert(
    0, str(Path(__file__).resolve().parents[1])
)  # run from a checkout, installed or not

from cbow_torch import CBOW, reference  # noqa: E402
from cbow_torch.functional import cbow_loss_autograd  # noqa: E402

SHAPES = {  # name: (V, N, m, C)
    "course": (5778, 50, 128, 2),
    "large": (50_000, 100, 512, 2),
    "huge": (200_000, 300, 1024, 2),
}
CONTENDERS = ("manual", "autograd", "numpy", "bound")
SECTIONS = ("speed", "memory", "lightning")
DEFAULT_CONFIG = Path(__file__).resolve().parents[1] / "configs" / "default.yaml"
DTYPES = {"float32": torch.float32, "float64": torch.float64}
LR = 0.03
# numpy's OpenBLAS threads busy-wait for a while after each call; timing the next contender
# then would charge it for them, so the numpy blocks are followed by this rest (seconds).
NUMPY_REST = 0.5


def set_numpy_threads(n: int) -> str:
    """Give numpy's bundled OpenBLAS torch's thread count, so that both sides get equal cores."""
    for path in glob.glob(os.path.join(os.path.dirname(np.__file__) + ".libs", "*openblas*")):
        lib = ctypes.CDLL(path)
        for prefix in ("scipy_openblas", "openblas"):
            for suffix in ("64_", ""):
                setter = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
                if setter is not None:
                    setter(n)
                    return str(n)
    return "numpy's default"


def parse_shape(text: str) -> tuple[str, tuple[int, int, int, int]]:
    if text in SHAPES:
        return text, SHAPES[text]
    try:
        V, N, m, C = (int(x) for x in text.split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"shape {text!r} is neither one of {sorted(SHAPES)} nor VxNxmxC (e.g. 5778x50x128x2)"
        ) from None
    return text, (V, N, m, C)


def csv_of(choices: tuple[str, ...]) -> Callable[[str], list[str]]:
    def parse(text: str) -> list[str]:
        items = [x for x in text.split(",") if x]
        bad = [x for x in items if x not in choices]
        if bad:
            raise argparse.ArgumentTypeError(f"unknown {bad}; choose from {','.join(choices)}")
        return items

    return parse


def batches(V: int, m: int, C: int, count: int = 8, seed: int = 0, device: str = "cpu"):
    gen = torch.Generator().manual_seed(seed)
    return [
        (
            torch.randint(0, V, (m, 2 * C), generator=gen).to(device),
            torch.randint(0, V, (m,), generator=gen).to(device),
        )
        for _ in range(count)
    ]


# --- the contenders: each returns a step() that advances through its batches ----------------


def torch_step(
    kind: str, V: int, N: int, m: int, C: int, dtype: torch.dtype, device: str = "cpu"
) -> Callable:
    model = CBOW(V, N, seed=0, dtype=dtype).to(device)
    torch.nn.init.normal_(model.W2, std=0.1)  # not all-zero logits: a realistic softmax
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    data, state = batches(V, m, C, device=device), {"i": 0}
    params = (model.W1, model.b1, model.W2, model.b2)

    def step() -> None:
        context, center = data[state["i"] % len(data)]
        state["i"] += 1
        optimizer.zero_grad(set_to_none=True)
        if kind == "manual":
            loss = model(context, center)
        else:
            loss = cbow_loss_autograd(context, center, *params)
        loss.backward()
        optimizer.step()

    return step


def numpy_step(V: int, N: int, m: int, C: int) -> Callable:
    W1, W2, b1, b2 = reference.initialize_model(N, V, random_seed=0)
    W1, W2 = (W1 - 0.5) / N, np.random.default_rng(0).normal(0, 0.1, (V, N))
    dense = [reference.dense_batch(c.numpy(), t.numpy(), V) for c, t in batches(V, m, C)]
    state = {"i": 0, "params": (W1, W2, b1 * 0, b2 * 0)}

    def step() -> None:
        x, y = dense[state["i"] % len(dense)]
        state["i"] += 1
        _, *params = reference.gradient_descent_step(x, y, *state["params"], LR)
        state["params"] = tuple(params)

    return step


def bound_step(V: int, N: int, m: int, dtype: torch.dtype, device: str = "cpu") -> Callable:
    gen = torch.Generator().manual_seed(0)
    h = torch.rand(m, N, generator=gen, dtype=dtype).to(device)  # [m, N]
    W2 = torch.randn(V, N, generator=gen, dtype=dtype).to(device)  # [V, N]
    d = torch.randn(m, V, generator=gen, dtype=dtype).to(device)  # [m, V] stands in for Ŷ − Y
    z2, grad_W2, l1 = d.new_empty(m, V), W2.new_empty(V, N), h.new_empty(m, N)

    def step() -> None:
        torch.mm(h, W2.t(), out=z2)  # [m, V] logits
        torch.mm(d.t(), h, out=grad_W2)  # [V, N] ∂W2
        torch.mm(d, W2, out=l1)  # [m, N] L1

    return step


def make_step(
    kind: str, V: int, N: int, m: int, C: int, dtype: torch.dtype, device: str = "cpu"
) -> Callable:
    if kind == "numpy":
        return numpy_step(V, N, m, C)
    if kind == "bound":
        return bound_step(V, N, m, dtype, device)
    return torch_step(kind, V, N, m, C, dtype, device)


# --- speed -------------------------------------------------------------------------------------


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def time_block(step: Callable, n: int, clock: Callable[[], float] = time.perf_counter) -> float:
    start = clock()
    for _ in range(n):
        step()
    return (clock() - start) / n


def speed(shape: tuple[int, int, int, int], kinds: list[str], args) -> dict[str, float]:
    """Median seconds per step of each contender, timed interleaved."""
    V, N, m, C = shape
    steps = {kind: make_step(kind, V, N, m, C, DTYPES[args.dtype]) for kind in kinds}
    per_block = {}
    for kind, step in steps.items():  # warm up, then size each block to about --block-time
        time_block(step, args.warmup)
        once = time_block(step, 1)
        if kind == "numpy":
            time.sleep(NUMPY_REST)
        per_block[kind] = max(1, min(1000, round(args.block_time / max(once, 1e-6))))
    samples: dict[str, list[float]] = {kind: [] for kind in kinds}
    for r in range(args.repeats):
        order = kinds[r % len(kinds) :] + kinds[: r % len(kinds)]
        for kind in order:
            samples[kind].append(time_block(steps[kind], per_block[kind], CLOCKS[args.clock]))
            if kind == "numpy":
                time.sleep(NUMPY_REST)
    return {kind: statistics.median(s) for kind, s in samples.items()}


# --- memory ------------------------------------------------------------------------------------


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


def memory_child(kind: str, shape: tuple[int, int, int, int], dtype: str) -> None:
    """In a fresh process: the resident-set peak of two steps above what was resident before."""
    V, N, m, C = shape
    make_step(kind, 97, 8, 16, C, DTYPES[dtype])()  # load the kernels' code on a tiny model
    step = make_step(kind, V, N, m, C, DTYPES[dtype])
    gc.collect()
    before = _status_kib("VmRSS")  # parameters and batches, nothing of a step yet
    try:
        Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current VmRSS
        method = "VmHWM after a reset"
    except OSError:  # without the reset, the setup's own peak may show
        method = "VmHWM since the process started"
    step()  # the first step allocates what later steps recycle, so it counts
    step()
    peak = _status_kib("VmHWM")
    print(json.dumps({"before_kib": before, "peak_kib": peak, "method": method}))


def memory(name: str, shape: tuple[int, int, int, int], kinds: list[str], args) -> list[dict]:
    V, N, m, C = shape
    itemsize = torch.empty(0, dtype=DTYPES[args.dtype]).element_size()
    params_b = (2 * V * N + V + N) * itemsize
    logits_b = m * V * itemsize
    rows = []
    for kind in kinds:
        if kind in ("numpy", "bound"):
            continue
        cmd = [sys.executable, __file__, "--memory-child", kind, "--shapes", name]
        cmd += ["--dtype", args.dtype, "--threads", str(torch.get_num_threads())]
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if out.returncode != 0:
            raise SystemExit(f"memory child for {kind} at {name} failed:\n{out.stderr}")
        res = json.loads(out.stdout.strip().splitlines()[-1])
        above = (res["peak_kib"] - res["before_kib"]) * 1024
        rows.append(
            {
                "shape": name,
                "kind": kind,
                "params_mb": params_b / 2**20,
                "logits_mb": logits_b / 2**20,
                "peak_above_mb": above / 2**20,
                "extra_logits": (above - params_b) / logits_b,
                "method": res["method"],
            }
        )
    return rows


# --- lightning overhead ------------------------------------------------------------------------


def lightning_overhead(progress_bar: bool, log_every: int, args) -> dict[str, float]:
    """One default-config fit: median seconds per step of the Trainer and of a plain loop."""
    import pytorch_lightning as pl

    from cbow_torch.cli import cli_main
    from cbow_torch.module import CBOWLightningModule

    clock = CLOCKS[args.clock]
    warmup = max(args.warmup, 20)  # steps; they also size the blocks

    class Interleave(pl.Callback):
        def __init__(self) -> None:
            self.start: float | None = None  # on_train_batch_start of the block's first step
            self.steps = 0  # Trainer steps begun since self.start
            self.block = 0  # steps per block, sized after the warm-up
            self.plain: Callable[[], None] | None = None
            self.samples: dict[str, list[float]] = {"lightning": [], "plain": []}

        def on_train_epoch_start(self, trainer, pl_module) -> None:
            self.start = None  # a block never spans validation or a checkpoint

        def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
            now = clock()
            if self.plain is None:  # the first step: build the plain loop, then warm up
                self.plain = plain_loop(trainer, pl_module)
                self.plain(warmup)
                now = clock()
            if self.start is None:
                self.start, self.steps = now, 0
            elif self.block == 0 and self.steps == warmup:  # warm-up over: size the blocks
                per_step = (now - self.start) / self.steps
                self.block = max(10, round(args.block_time / max(per_step, 1e-6)))
                self.start, self.steps = now, 0
            elif self.block and self.steps == self.block:
                self.samples["lightning"].append((now - self.start) / self.block)
                t0 = clock()
                self.plain(self.block)
                self.samples["plain"].append((clock() - t0) / self.block)
                if len(self.samples["lightning"]) >= args.repeats:
                    trainer.should_stop = True
                self.start, self.steps = clock(), 0
            self.steps += 1

    def plain_loop(trainer, pl_module) -> Callable[[int], None]:
        # A second module of the same hyper-parameters: its CBOW and the package's own optimizer
        # and scheduler (configure_optimizers reads the run's length from the trainer).
        hparams = {k: v for k, v in pl_module.hparams.items() if not k.startswith("_")}
        plain = CBOWLightningModule(**hparams)  # without the CLI's _instantiator
        plain.configure_model()
        plain.trainer = trainer
        config = plain.configure_optimizers()
        plain.trainer = None
        model, optimizer = plain.model, config["optimizer"]
        scheduler = config["lr_scheduler"]["scheduler"]
        loader = trainer.datamodule.train_dataloader()
        state = {"it": iter(loader)}

        def run(n: int) -> None:
            for _ in range(n):
                batch = next(state["it"], None)
                if batch is None:
                    state["it"] = iter(loader)
                    batch = next(state["it"])
                context, center = batch
                optimizer.zero_grad()
                loss = model(context, center)
                loss.backward()
                optimizer.step()
                scheduler.step()

        return run

    timer = Interleave()
    with tempfile.TemporaryDirectory(prefix="cbow-bench-") as tmp:
        cli = cli_main(
            [
                f"--config={DEFAULT_CONFIG}",
                f"--trainer.default_root_dir={tmp}",
                f"--trainer.logger.init_args.save_dir={tmp}",
                f"--trainer.enable_progress_bar={str(progress_bar).lower()}",
                f"--trainer.log_every_n_steps={log_every}",
                "--export.enabled=false",  # it runs after fit, outside every block
            ],
            run=False,
        )
        cli.trainer.callbacks.append(timer)
        with contextlib.redirect_stdout(sys.stderr):  # the progress bar, off the table's stream
            cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    if len(timer.samples["lightning"]) < args.repeats:
        raise SystemExit(
            f"lightning: only {len(timer.samples['lightning'])} of {args.repeats} blocks fit "
            "in the default config's run; lower --repeats or --block-time"
        )
    batch_size = cli.datamodule.batch_size
    return {
        "m": batch_size,
        "V": cli.model.hparams.vocab_size,
        "block": timer.block,
        **{kind: statistics.median(s) for kind, s in timer.samples.items()},
    }


# --- report ------------------------------------------------------------------------------------


def _cell(eps: dict[str, float], kind: str) -> str:
    return f"{eps[kind]:,.0f}" if kind in eps else "–"


def _ratio(eps: dict[str, float], a: str, b: str, percent: bool = False) -> str:
    if a not in eps or b not in eps:
        return "–"
    r = eps[a] / eps[b]
    return f"{r:.0%}" if percent else f"{r:.2f}×"


def print_speed_table(results: dict[str, tuple[tuple, dict[str, float]]]) -> None:
    print("\n## Speed (examples/s, median of interleaved blocks; higher is better)\n")
    print(
        "| shape | V | N | m | manual | autograd | numpy | bound "
        "| manual/autograd | manual/numpy | manual/bound |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, ((V, N, m, _C), med) in results.items():
        eps = {k: m / t for k, t in med.items()}
        cells = " | ".join(_cell(eps, k) for k in CONTENDERS)
        ratios = " | ".join(
            (
                _ratio(eps, "manual", "autograd"),
                _ratio(eps, "manual", "numpy"),
                _ratio(eps, "manual", "bound", percent=True),
            )
        )
        print(f"| {name} | {V:,} | {N} | {m} | {cells} | {ratios} |")


def print_memory_table(rows: list[dict]) -> None:
    print("\n## Peak memory of one step above the parameters (resident set, MiB)\n")
    print(
        "| shape | contender | params (= grads) | one m×V buffer | peak above params "
        "| extra beyond grads, in m×V buffers |"
    )
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['shape']} | {r['kind']} | {r['params_mb']:,.0f} | {r['logits_mb']:,.0f} "
            f"| {r['peak_above_mb']:,.0f} | {r['extra_logits']:.2f} |"
        )
    if rows:
        print(f"\nmethod: {rows[0]['method']} (/proc/self/status), one fresh process per row")


def print_lightning_table(rows: list[tuple[bool, int, dict]]) -> None:
    print(
        "\n## Lightning overhead: default config, Trainer against a plain loop "
        "(examples/s, median of interleaved blocks)\n"
    )
    print(
        "| progress bar | log_every_n_steps | V | m | steps/block "
        "| Trainer | plain | Trainer/plain |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for bar, every, r in rows:
        lightning, plain = r["m"] / r["lightning"], r["m"] / r["plain"]
        print(
            f"| {'on' if bar else 'off'} | {every} | {r['V']:,} | {r['m']} | {r['block']} "
            f"| {lightning:,.0f} | {plain:,.0f} | {lightning / plain:.0%} |"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sections",
        type=csv_of(SECTIONS),
        default=["speed"],
        help="comma list of: speed, memory, lightning (default: speed)",
    )
    parser.add_argument(
        "--shapes",
        default="course,large",
        help=f"speed shapes: names {sorted(SHAPES)} or VxNxmxC (default: %(default)s)",
    )
    parser.add_argument(
        "--memory-shapes",
        default="large,huge",
        help="memory shapes, same syntax (default: %(default)s)",
    )
    parser.add_argument(
        "--contenders",
        type=csv_of(CONTENDERS),
        default=list(CONTENDERS),
        help="comma list of: " + ",".join(CONTENDERS),
    )
    parser.add_argument(
        "--numpy-max-v",
        type=int,
        default=10_000,
        help="skip the numpy reference above this V (default: %(default)s)",
    )
    parser.add_argument("--repeats", type=int, default=7, help="timed blocks per contender")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps per contender")
    parser.add_argument(
        "--block-time",
        type=float,
        default=0.3,
        help="target seconds per timed block (default: %(default)s)",
    )
    parser.add_argument(
        "--dtype",
        choices=sorted(DTYPES),
        default="float32",
        help="torch contenders' dtype; numpy is always the course's float64",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch.set_num_threads (default: torch's own choice)",
    )
    parser.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="wall",
        help="wall: elapsed time (default); cpu: this process's CPU time, all threads, which "
        "ignores time spent descheduled on a busy machine (use it with --threads 1)",
    )
    parser.add_argument(
        "--lightning-progress-bar",
        type=csv_of(("on", "off")),
        default=["on", "off"],
        help="lightning section: progress bar settings to run (default: on,off)",
    )
    parser.add_argument(
        "--lightning-log-every",
        default="1",
        help="lightning section: comma list of log_every_n_steps (default: %(default)s, the "
        "default config's)",
    )
    parser.add_argument("--memory-child", choices=("manual", "autograd"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    shapes = [parse_shape(s) for s in args.shapes.split(",") if s]
    if args.memory_child:
        memory_child(args.memory_child, shapes[0][1], args.dtype)
        return

    numpy_threads = set_numpy_threads(torch.get_num_threads())
    print(
        f"torch {torch.__version__}, numpy {np.__version__} ({numpy_threads} BLAS threads), "
        f"{torch.get_num_threads()} threads, "
        f"{os.cpu_count()} CPUs, dtype {args.dtype}, repeats {args.repeats}, clock {args.clock}"
    )
    speed_results, memory_rows, lightning_rows = {}, [], []
    if "speed" in args.sections:
        for name, shape in shapes:
            kinds = [k for k in args.contenders if k != "numpy" or shape[0] <= args.numpy_max_v]
            print(f"timing {name} {shape} ...", file=sys.stderr, flush=True)
            speed_results[name] = (shape, speed(shape, kinds, args))
    if "memory" in args.sections:
        for name, shape in (parse_shape(s) for s in args.memory_shapes.split(",") if s):
            print(f"memory {name} {shape} ...", file=sys.stderr, flush=True)
            memory_rows += memory(name, shape, args.contenders, args)
    if "lightning" in args.sections:
        warnings.filterwarnings("ignore", ".*does not have many workers.*")
        for every in (int(x) for x in args.lightning_log_every.split(",") if x):
            for bar in args.lightning_progress_bar:
                print(f"lightning: progress bar {bar}, log every {every} ...", file=sys.stderr)
                row = lightning_overhead(bar == "on", every, args)
                lightning_rows.append((bar == "on", every, row))
    if speed_results:
        print_speed_table(speed_results)
    if memory_rows:
        print_memory_table(memory_rows)
    if lightning_rows:
        print_lightning_table(lightning_rows)


if __name__ == "__main__":
    main()
