"""The end of a run: its switches, the batched analogies, the projector's files, the exit."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from gensim.models import KeyedVectors
from gensim.test.utils import datapath
from torch.utils.tensorboard import SummaryWriter

from cbow_torch.train.run import run
from cbow_torch.vectors.analogies import score_analogies
from cbow_torch.vectors.projector import write_projector

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
