"""cbow_torch.fit: real tiny fits through the CLI's path, from a file and from token lists."""

import shlex
from pathlib import Path

import pytest
import torch
import yaml
from gensim.utils import simple_preprocess

from cbow_torch import fit
from cbow_torch.data.corpus import bundled_corpus
from cbow_torch.vectors.word_vectors import WordVectors


def most_similar(vectors, word):
    return vectors.most_similar(word, topn=3)


SMALL = dict(vector_size=16, threads=1, trainer__max_steps=5, trainer__enable_progress_bar=False)


def test_fit_from_a_file_is_the_cli_run(tmp_path):
    vectors = fit(bundled_corpus(), config="default", out_dir=tmp_path / "runs", **SMALL)
    assert isinstance(vectors, WordVectors) and vectors.vectors.shape[1] == 16
    assert vectors.source == "average"  # default.yaml's export.source
    neighbours = most_similar(vectors, "police")
    assert len(neighbours) == 3 and all(w != "police" for w, _ in neighbours)
    (run,) = (tmp_path / "runs" / "default").glob("version_*")
    assert list(run.glob("events.out.tfevents.*")), "no TensorBoard events"
    assert (run / "checkpoints" / "last.ckpt").is_file()
    written = WordVectors.load(run / "embeddings.txt")  # what the run exported
    assert written.index_to_key == vectors.index_to_key
    assert torch.allclose(torch.tensor(written.vectors), torch.tensor(vectors.vectors), atol=1e-5)
    assert "embedding_dim: 16" in (run / "config.yaml").read_text()


def test_fit_from_token_lists(tmp_path):
    with open(bundled_corpus(), encoding="utf8") as f:
        sentences = [simple_preprocess(line) for line in f][:150]
    out = tmp_path / "out"
    vectors = fit(sentences, config="word2vec", min_count=3, seed=5, out_dir=out, **SMALL)
    counts: dict[str, int] = {}
    for tokens in sentences:
        for token in tokens:
            counts[token] = counts.get(token, 0) + 1
    assert set(vectors.index_to_key) == {w for w, c in counts.items() if c >= 3}
    assert vectors.source == "W1"  # word2vec.yaml's export.source
    assert len(most_similar(vectors, "police")) == 3
    assert sorted(p.name for p in out.iterdir()) == ["word2vec"]  # the temporary corpus is gone
    config = next(out.glob("word2vec/version_*/config.yaml")).read_text()
    assert "tokenizer: whitespace" in config and "seed: 5" in config


@pytest.mark.parametrize(
    "options, fragment",
    [
        (dict(data__windw=3), "data.windw"),
        (dict(window="x"), "data.window"),
        (dict(model__init="nope"), "model.init"),
        (dict(config="nope"), "config 'nope'"),
        (dict(corpus="missing.txt"), "missing.txt"),
        (dict(corpus=[["a", "b c"]]), "'b c'"),
        (dict(corpus=[]), "corpus is empty"),
    ],
)
def test_bad_options_are_value_errors_not_exits(tmp_path, options, fragment):
    out = tmp_path / "runs"
    with pytest.raises(ValueError) as error:
        fit(out_dir=out, **options)
    message = str(error.value)
    assert fragment in message and "\n" not in message
    assert not out.exists()  # nothing left behind


def test_gensim_names_set_the_config_and_what_we_do_not_train_is_refused(tmp_path):
    out = tmp_path / "runs"
    options = dict(sample=1e-4, alpha=0.05, min_alpha=0.001, workers=1, max_vocab_size=500)
    fit(config="word2vec", out_dir=out, negative=3, sg=0, hs=0, cbow_mean=1, **options, **SMALL)
    config = yaml.safe_load(next(out.glob("word2vec/version_*/config.yaml")).read_text())
    assert config["data"]["sample"] == 1e-4 and config["data"]["max_vocab_size"] == 500
    assert (config["model"]["lr"], config["model"]["min_lr"]) == (0.05, 0.001)
    assert config["model"]["objective"]["init_args"]["negatives"] == 3
    assert config["model"]["objective"]["init_args"]["input_step"] == "sum"  # the config's, kept
    assert config["threads"]["count"] == 1
    for name, value, says in (
        ("sg", 1, "skip-gram"),
        ("hs", 1, "hierarchical softmax"),
        ("cbow_mean", 0, "cbow_mean=1"),
        ("shrink_windows", False, "shrinks windows"),
    ):
        with pytest.raises(ValueError, match=f"{name}={value!r} is not offered: .*{says}"):
            fit(config="word2vec", out_dir=out, **{name: value})


@pytest.mark.parametrize("options", [dict(epochs=0), dict(trainer__max_steps=0)])
def test_a_run_that_would_train_nothing_is_refused(tmp_path, options):
    with pytest.raises(ValueError, match=r"trainer.max_\w+=0 trains nothing") as error:
        fit(config="word2vec", out_dir=tmp_path / "runs", **options)
    assert "\n" not in str(error.value) and not (tmp_path / "runs").exists()


def test_undertrained_vectors_are_written_with_a_warning_and_shell_quoted_hints(tmp_path, capsys):
    out = tmp_path / "my runs"
    vectors = fit(config="word2vec", epochs=1, out_dir=out, threads=1)
    shown = capsys.readouterr()
    (warning,) = [line for line in shown.err.splitlines() if "warning:" in line]
    assert "the 200 most frequent words have a mean pairwise cosine of 1.000" in warning
    assert "train more epochs" in warning
    hints = {
        line.split(":")[0]: shlex.split(line.split(":", 1)[1])
        for line in shown.out.splitlines()
        if line.startswith(("TensorBoard:", "Neighbours:"))
    }
    assert hints["TensorBoard"][:2] == ["tensorboard", "--logdir"]
    assert Path(hints["TensorBoard"][2]) == out / "word2vec"
    *command, path, word = hints["Neighbours"]
    assert command == ["cbow-torch", "neighbors"] and Path(path).is_file() and word in vectors
