"""cbow_torch.fit: real tiny fits through the CLI's path, from a file and from token lists."""

import pytest
import torch
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
