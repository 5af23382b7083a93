"""What a newcomer meets at the end of a run: the course-words picture only on a corpus that has
the course's words, and one run's scores the same from every file of it."""

import json

import numpy as np
import pytest

from cbow_torch.train.run import run
from cbow_torch.vectors import evaluation as ev
from cbow_torch.vectors.commands import main as tools
from cbow_torch.vectors.word_vectors import WordVectors


def vectors_with(words):
    rng = np.random.default_rng(0)
    words = [*words, *(f"w{i}" for i in range(20))]
    return WordVectors.from_vectors(words, rng.standard_normal((len(words), 8)))


@pytest.mark.parametrize("known", [ev.COURSE_MIN - 1, ev.COURSE_MIN])
def test_course_words_picture_needs_enough_of_them(known, tmp_path):
    wv = vectors_with(ev.COURSE_WORDS[:known])
    ev.finish_run(wv, tmp_path, evaluation=False)
    drawn = (tmp_path / ev.RUN_FILES["course_words"]).exists()
    assert drawn == (known >= ev.COURSE_MIN)
    assert (tmp_path / ev.RUN_FILES["frequent_words"]).exists()


def test_one_run_scores_the_same_from_checkpoint_embeddings_and_eval_json(tmp_path):
    run(
        [
            "fit",
            "--config=word2vec",
            "--trainer.max_epochs=1",
            "--trainer.enable_progress_bar=false",
            "--model.projector_words=50",
            f"--data.cache_dir={tmp_path / 'cache'}",
            f"--trainer.logger.init_args.save_dir={tmp_path / 'runs'}",
        ]
    )
    run_dir = tmp_path / "runs" / "word2vec" / "version_0"
    stored = json.loads((run_dir / "eval.json").read_text())["scores"]
    assert json.loads((run_dir / "eval.json").read_text())["vectors"]["source"] == "W1"
    for name, path in (
        ("ckpt", run_dir / "checkpoints" / "last.ckpt"),
        ("txt", run_dir / "embeddings.txt"),
    ):
        out = tmp_path / f"{name}.json"
        assert tools(["evaluate", str(path), "--out", str(out)]) == 0
        assert json.loads(out.read_text())["scores"] == stored, name
