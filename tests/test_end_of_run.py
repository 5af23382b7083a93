"""The end of a run: its switches, the batched analogies, the projector's files, the exit."""

import subprocess
import sys
import tracemalloc
from itertools import pairwise
from pathlib import Path

import numba  # noqa: F401  (loaded, as in a fit: the analogies' first pass runs)
import numpy as np
import pytest
import torch
from gensim.models import KeyedVectors
from gensim.test.utils import datapath
from torch.utils.tensorboard import SummaryWriter

from cbow_torch.train.run import run
from cbow_torch.vectors import analogies
from cbow_torch.vectors import evaluation as ev
from cbow_torch.vectors.analogies import (
    direct_answers,
    first_pass,
    margin_bound,
    score_analogies,
    word_blocks,
)
from cbow_torch.vectors.float_text import float32_rows, float32_text
from cbow_torch.vectors.projector import write_projector
from cbow_torch.vectors.word_vectors import WordVectors

TINY = [
    "fit",
    "--data.corpus=lee",
    "--data.max_vocab_size=300",
    "--model.embedding_dim=16",
    "--model.projector_words=50",
    "--trainer.limit_train_batches=3",
    "--trainer.limit_val_batches=2",
    "--trainer.max_epochs=1",
    "--trainer.enable_progress_bar=false",
    "--trainer.enable_model_summary=false",
]


def fit_into(tmp_path: Path, *extra: str) -> Path:
    run(
        [
            *TINY,
            f"--data.cache_dir={tmp_path.parent / 'cache'}",
            f"--trainer.logger.init_args.save_dir={tmp_path / 'runs'}",
            *extra,
        ]
    )
    return tmp_path / "runs" / "default" / "version_0"


def test_export_switches_leave_out_evaluation_pictures_projector(tmp_path):
    full = fit_into(tmp_path / "full")
    bare = fit_into(
        tmp_path / "bare",
        "--export.evaluation=false",
        "--export.pictures=false",
        "--export.projector=false",
    )
    for name in ("eval.json", "pca_frequent_words.png", "projector_config.pbtxt"):
        assert (full / name).is_file(), name
        assert not (bare / name).exists(), name
    for name in ("embeddings.txt", "vocab.tsv"):
        assert (bare / name).read_bytes() == (full / name).read_bytes(), name


def test_the_collector_leaves_the_runs_objects_alone_during_the_export(tmp_path):
    """While the end of the run allocates, the objects alive before it are frozen (a full
    collection of a trained process took 0.3 s there); after it nothing stays frozen."""
    import gc

    seen = []

    def record(phase, info):
        if phase == "start":
            seen.append(gc.get_freeze_count())

    threshold = gc.get_threshold()
    gc.callbacks.append(record)
    gc.set_threshold(100)  # many collections, so that some fall inside the export
    try:
        fit_into(tmp_path)
    finally:
        gc.callbacks.remove(record)
        gc.set_threshold(*threshold)
    assert max(seen) > 0  # some collection ran with the run's objects frozen
    assert gc.get_freeze_count() == 0  # and they are back with the collector


def planted(words, rng):
    """Vectors in which many of Google's analogies hold, so that some answers are right."""
    index = {w: i for i, w in enumerate(words)}
    vectors = rng.standard_normal((len(words), 30)).astype(np.float32)  # [V, 30]
    for line in Path(datapath("questions-words.txt")).read_text().splitlines():
        quad = line.lower().split()
        if len(quad) == 4 and all(w in index for w in quad) and rng.random() < 0.5:
            a, b, c, d = (index[w] for w in quad)
            vectors[d] = vectors[b] + vectors[c] - vectors[a] + 0.3 * rng.standard_normal(30)
    return vectors


@pytest.mark.parametrize("restrict", [300_000, 700])
def test_batched_analogies_score_as_gensim(restrict, tmp_path):
    lines = Path(datapath("questions-words.txt")).read_text().splitlines()
    some = [x for i, x in enumerate(lines) if x.startswith(":") or i % 20 == 0]
    path = tmp_path / "q.txt"
    path.write_text("\n".join(some) + "\n")
    quads = [x.lower().split() for x in some if not x.startswith(":")]
    words = list(dict.fromkeys(w for q in quads for w in q))[:600]
    words += [w.capitalize() for w in words[:40]] + [f"x{i}" for i in range(400)]  # case variants
    rng = np.random.default_rng(0)
    vectors = planted(words, rng)
    kv = KeyedVectors(30)
    kv.add_vectors(words, vectors)
    _, sections = kv.evaluate_word_analogies(str(path), restrict_vocab=restrict)
    right, wrong = len(sections[-1]["correct"]), len(sections[-1]["incorrect"])
    ours = score_analogies(words, vectors, path, restrict)
    assert (ours.correct, ours.scored, ours.total) == (right, right + wrong, len(quads))
    assert 0 < ours.correct < ours.scored


def quiz(V: int, N: int, q: int, seed: int):
    """Random unit vectors [V, N] and q random questions [q, 4], each barring its own words."""
    rng = np.random.default_rng(seed)
    table = rng.standard_normal((V, N)).astype(np.float32)  # [V, N]
    unit = table / np.linalg.norm(table, axis=1, keepdims=True)  # [V, N]
    ids = rng.integers(0, V, (q, 4))  # [q, 4]
    return unit, ids, [list(row[:3]) for row in ids]


@pytest.mark.parametrize("V, N", [(3000, 4), (2000, 100)])
def test_first_pass_answers_as_the_direct_product(V, N):
    unit, ids, barred = quiz(V, N, 600, seed=V)
    best, sure = first_pass(unit, ids, barred)
    direct = direct_answers(unit, ids, barred)  # [q]
    assert sure.mean() > 0.9 and (N > 4 or not sure.all())  # 4 dimensions: some close calls
    np.testing.assert_array_equal(best[sure], direct[sure])


def test_the_first_pass_in_blocks_of_words_answers_as_in_one(monkeypatch):
    unit, ids, barred = quiz(3000, 8, 600, seed=5)
    whole = first_pass(unit, ids, barred)
    monkeypatch.setattr(analogies, "COSINE_BYTES", 4 * 3000 * 7)  # cosines of 7 words a block
    blocks = word_blocks(ids, 7)
    assert len(blocks) > 100 and blocks[0][0] == 0 and blocks[-1][1] == len(ids)
    assert all(a < b for a, b in blocks) and all(b == c for (_, b), (c, _) in pairwise(blocks))
    assert all(len(np.unique(ids[a:b, :3])) <= 7 for a, b in blocks)
    parts = first_pass(unit, ids, barred)
    np.testing.assert_array_equal(parts[0], whole[0])
    np.testing.assert_array_equal(parts[1], whole[1])


def test_the_analogies_cosines_stay_within_their_budget():
    """1,700 distinct question words against 20,000 words: 136 MB of cosines at once; the
    first pass holds a block of them, at most COSINE_BYTES (32 MiB)."""
    unit, ids, barred = quiz(20_000, 50, 600, seed=2)
    tracemalloc.start()
    try:
        first_pass(unit, ids, barred)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(np.unique(ids[:, :3])) * 20_000 * 4 > 4 * analogies.COSINE_BYTES
    assert peak < 1.5 * analogies.COSINE_BYTES


def test_margin_bound_covers_both_ways_of_rounding():
    unit, ids, _ = quiz(1500, 300, 400, seed=7)
    cosines = unit @ unit.T  # [V, V] float32, the first pass's
    sums = (cosines[ids[:, 1]] + cosines[ids[:, 2]]) - cosines[ids[:, 0]]  # [q, V] float32
    target = unit[ids[:, 1]] + unit[ids[:, 2]] - unit[ids[:, 0]]  # [q, N] float32
    length = np.linalg.norm(target.astype(np.float64), axis=1)  # [q]
    direct = (target / np.linalg.norm(target, axis=1, keepdims=True)) @ unit.T  # [q, V]
    apart = np.abs(sums / length[:, None] - direct).max(axis=1)  # [q]
    assert (apart < margin_bound(300, length)).all()
    assert (apart > margin_bound(300, length) / 1000).any()  # the bound is not far off


def test_a_tie_goes_to_the_direct_product():
    unit, ids, barred = quiz(500, 6, 50, seed=3)
    answer = direct_answers(unit, ids[:1], barred[:1])[0]
    twin = next(r for r in range(len(unit)) if r not in (*barred[0], answer))
    unit[twin] = unit[answer]  # the same cosine: argmax takes the first of the two
    best, sure = first_pass(unit, ids, barred)
    assert not sure[0] and sure[1:].any()
    assert direct_answers(unit, ids[:1], barred[:1])[0] == min(twin, answer)


def test_vectors_not_finite_skip_the_first_pass():
    unit, ids, barred = quiz(500, 6, 50, seed=4)
    unit[ids[0, 3]] = np.nan
    assert not first_pass(unit, ids, barred)[1].any()


def analogy_file(tmp_path: Path) -> tuple[Path, list[str], np.ndarray]:
    lines = Path(datapath("questions-words.txt")).read_text().splitlines()
    some = [x for i, x in enumerate(lines) if x.startswith(":") or i % 10 == 0]
    path = tmp_path / "q.txt"
    path.write_text("\n".join(some) + "\n")
    words = list(dict.fromkeys(w for x in some if not x.startswith(":") for w in x.split()))
    words += [w.upper() for w in words[:30]] + [f"x{i}" for i in range(2000)]  # case variants
    return path, words, planted([w.lower() for w in words], np.random.default_rng(5))


def test_scores_without_numba_are_the_same(tmp_path):
    path, words, vectors = analogy_file(tmp_path)
    np.save(tmp_path / "v.npy", vectors)
    (tmp_path / "words.txt").write_text("\n".join(words))
    ours = score_analogies(words, vectors, path)
    code = (
        "import sys\n"
        "sys.modules['numba'] = None  # numba's import fails\n"
        "import numpy as np\n"
        "from cbow_torch.vectors.analogies import score_analogies\n"
        f"words = open({str(tmp_path / 'words.txt')!r}).read().split()\n"
        f"v = np.load({str(tmp_path / 'v.npy')!r})\n"
        f"a = score_analogies(words, v, {str(path)!r})\n"
        "print(a.correct, a.scored, a.total)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == [str(ours.correct), str(ours.scored), str(ours.total)]
    assert 0 < ours.correct < ours.scored


def test_benchmark_paths_are_gensims_datapath():
    assert ev.benchmark_paths() == {
        "wordsim353": datapath("wordsim353.tsv"),
        "simlex999": datapath("simlex999.txt"),
        "google_analogy": datapath("questions-words.txt"),
    }


def test_finish_run_writes_the_projector_as_write_projector(tmp_path):
    words = [f"w{i}" for i in range(60)]
    vectors = np.random.default_rng(2).standard_normal((60, 8)).astype(np.float32)  # [60, 8]
    wv = WordVectors.from_vectors(words, vectors, counts=np.arange(60, 0, -1))
    with SummaryWriter(tmp_path / "ours") as writer:
        ev.finish_run(wv, tmp_path / "run", writer, 4, evaluation=False, projector=20)
    with SummaryWriter(tmp_path / "alone") as writer:
        wv.write_projector(writer, 20, global_step=4)
    files = ["projector_config.pbtxt", "00004/embeddings%2fvectors/tensors.tsv"]
    files.append("00004/embeddings%2fvectors/metadata.tsv")
    for name in files:
        assert (tmp_path / "ours" / name).read_bytes() == (tmp_path / "alone" / name).read_bytes()
    assert (tmp_path / "run" / "embeddings.txt").is_file()


@pytest.mark.parametrize("shape", [(50, 7), (3, 0), (0, 4)])
def test_float32_text_is_the_rows_in_one_buffer(shape):
    scales = 10.0 ** np.arange(-8, 8, 0.33)[: shape[1]]  # [N], 1e-8 to 1e7
    x = np.random.default_rng(6).standard_normal(shape) * scales  # [V, N]
    text, bounds = float32_text(x.astype(np.float32))  # [bytes], [V + 1]
    rows = [(" ".join(map(str, row)) + "\n").encode() for row in x.astype(np.float32)]
    assert text.tobytes() == b"".join(rows)
    assert bounds == [0, *np.cumsum([len(r) for r in rows]).tolist()]
    assert float32_rows(x) == rows


def test_projector_files_as_add_embedding_writes_them(tmp_path):
    words = ["a", "b", "c", "d"]
    vectors = np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32)  # [4, 3]
    with SummaryWriter(tmp_path / "torch") as writer:
        writer.add_embedding(torch.from_numpy(vectors), metadata=words, tag="e/W1", global_step=7)
        writer.add_embedding(torch.from_numpy(vectors), metadata=words, tag="x", global_step=2)
    with SummaryWriter(tmp_path / "ours") as writer:
        write_projector(words, vectors, writer, "e/W1", 7)
        write_projector(words, vectors, writer, "x", 2)
        write_projector(words, vectors, writer, "x", 2)  # again: listed once
    config = "projector_config.pbtxt"
    assert (tmp_path / "ours" / config).read_text() == (tmp_path / "torch" / config).read_text()
    for side in ("torch", "ours"):
        folder = tmp_path / side / "00007" / "e%2fW1"
        assert (folder / "metadata.tsv").read_text() == "a\nb\nc\nd\n"
        back = np.loadtxt(folder / "tensors.tsv", delimiter="\t", dtype=np.float32)  # [4, 3]
        np.testing.assert_array_equal(back, vectors)


def test_the_command_line_ends_without_a_last_collection():
    code = (
        "import gc, cbow_torch.__main__ as m\n"
        "try:\n    m.main(['evaluate', '--help'])\n"
        "except SystemExit:\n    pass\n"
        "print(gc.get_freeze_count() > 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "True"
