"""WordVectors is gensim's KeyedVectors: gensim's own tests pass on it.

- gensim's ``TestKeyedVectors`` (gensim/test/test_keyedvectors.py, shipped with gensim) runs
  unchanged, with its vectors loaded as a ``WordVectors``.
- Its cases are ported to vectors trained here (a short fused word2vec run on the bundled Lee
  corpus), each answer compared with gensim's own ``KeyedVectors`` holding the same words and
  vectors.
"""

import copy
import functools

import gensim.test.test_keyedvectors as gensim_tests
import numpy as np
import pytest
from gensim.models import KeyedVectors
from gensim.test.utils import datapath

import cbow_torch
from cbow_torch.vectors.queries import UnknownWordError
from cbow_torch.vectors.word_vectors import WordVectors


class TestGensimsOwnSuite(gensim_tests.TestKeyedVectors):
    """Every test of gensim's ``TestKeyedVectors``, on a ``WordVectors``."""

    def setUp(self):
        super().setUp()
        self.vectors = WordVectors.load_word2vec_format(
            datapath("euclidean_vectors.bin"), binary=True
        )
        assert type(self.vectors) is WordVectors


@pytest.mark.parametrize("chunk", [5, 16, 1024])
@pytest.mark.parametrize("limit", [None, 1, 2])
def test_gensims_binary_loading_cases(tmp_path, chunk, limit):
    """gensim's ``LoadWord2VecFormatTest``: odd binary files, read by WordVectors as by gensim."""
    for w2v in (
        {"abc": [1, 2, 3], "cde": [4, 5, 6], "def": [7, 8, 9]},
        {"abc": [1, 2, 3], "cdefg": [4, 5, 6], "d": [7, 8, 9]},
        {"\nabc": [1, 2, 3], "cdefdg": [4, 5, 6], "\n\ndef": [7, 8, 9]},
    ):
        path = tmp_path / "w2v.bin"
        gensim_tests.save_dict_to_word2vec_formated_file(str(path), w2v)
        ours = WordVectors.load_word2vec_format(str(path), binary=True, limit=limit)
        theirs = KeyedVectors.load_word2vec_format(str(path), binary=True, limit=limit)
        assert ours.index_to_key == theirs.index_to_key
        assert np.array_equal(ours.vectors, theirs.vectors)
        if limit is None:
            assert WordVectors.load(path).index_to_key == theirs.index_to_key


def test_a_gensim_3_pickle_loads_when_trusted():
    """gensim's ``Gensim320Test``: an old gensim pickle, through ``WordVectors.load``."""
    vectors = WordVectors.load(datapath("old_keyedvectors_320.dat"), trust_pickle=True)
    assert vectors.get_vector("computer") is not None


# ---- gensim's cases on vectors trained here -------------------------------------------------


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A short fused word2vec run on the bundled Lee corpus (a few seconds)."""
    out = tmp_path_factory.mktemp("fit")
    return cbow_torch.fit(
        config="word2vec",
        epochs=5,
        vector_size=32,
        threads=1,
        out_dir=str(out),
        trainer__enable_progress_bar=False,
    )


@pytest.fixture(scope="module")
def oracle(trained):
    """gensim's own KeyedVectors with the same words and vectors."""
    kv = KeyedVectors(trained.vector_size)
    kv.add_vectors(trained.index_to_key, trained.vectors)
    return kv


@pytest.fixture
def fresh(trained):
    """A copy to change (add, replace)."""
    return WordVectors.from_vectors(trained.index_to_key, trained.vectors, trained.counts)


WORD, OTHER = "police", "attack"


def test_it_is_a_keyed_vectors_with_numpy_vectors(trained, oracle):
    assert isinstance(trained, KeyedVectors) and type(trained) is WordVectors
    assert isinstance(trained.vectors, np.ndarray) and trained.vectors.dtype == np.float32
    assert trained.vector_size == 32 and len(trained) == len(oracle)
    assert list(trained) == trained.index_to_key  # iteration: the keys, in index order
    assert np.array_equal(trained.get_vector(WORD), oracle.get_vector(WORD))
    assert np.array_equal(trained.get_vector(WORD, norm=True), oracle.get_vector(WORD, norm=True))
    assert np.array_equal(trained[[WORD, OTHER]], oracle[[WORD, OTHER]])
    assert trained.get_index(WORD) == oracle.get_index(WORD)
    assert trained.has_index_for(WORD) and not trained.has_index_for("not_in_vocab")
    assert WORD in trained and "not_in_vocab" not in trained
    assert (
        trained.counts is not None
        and trained.source == "W1"
        and trained.tokenizer
        in (
            None,
            "simple",
        )
    )
    empty = WordVectors(4, 2, np.float64)  # gensim's constructor, as gensim code calls it
    assert empty.vectors.shape == (2, 4) and empty.vectors.dtype == np.float64


def test_most_similar(trained, oracle):
    got = trained.most_similar(WORD, topn=5)
    assert got == oracle.most_similar(WORD, topn=5) and len(got) == 5
    assert WORD not in [w for w, _ in got]


def test_most_similar_vector(trained, oracle):
    positive = trained.vectors[0:5]  # [5, N]
    assert trained.most_similar(positive=positive) == oracle.most_similar(positive=positive)


def test_most_similar_with_vector_input(trained, oracle):
    vector = trained[WORD]
    got = trained.most_similar([vector], topn=5)
    assert got[0][0] == WORD and got == oracle.most_similar([vector], topn=5)
    assert trained.most_similar(vector, topn=5) == got  # one vector, not in a list


@pytest.mark.parametrize("method", ["most_similar", "most_similar_cosmul"])
def test_most_similar_parameter_types(trained, oracle, method):
    partial = functools.partial(getattr(trained, method), topn=5)
    position = partial(WORD, OTHER)
    assert position == partial([WORD], [OTHER])
    assert position == partial(positive=WORD, negative=OTHER)
    assert position == partial(positive=[WORD], negative=[OTHER])
    assert position == getattr(oracle, method)(WORD, OTHER, topn=5)


def test_most_similar_topn(trained):
    assert len(trained.most_similar(WORD, topn=5)) == 5
    assert len(trained.most_similar(WORD, topn=10)) == 10
    assert len(trained.most_similar(WORD, topn=None)) == len(trained)
    assert len(trained.most_similar(WORD, topn=0)) == 0
    assert len(trained.most_similar(WORD, topn=np.uint8(0))) == 0


def test_most_similar_raises_keyerror_naming_close_words(trained):
    with pytest.raises(KeyError):
        trained.most_similar("not_in_vocab")
    with pytest.raises(UnknownWordError, match="'polise' is not in the vocabulary.*police"):
        trained.most_similar("polise")
    with pytest.raises(UnknownWordError, match="'polise'"):
        trained.most_similar_cosmul(positive=[WORD], negative=["polise"])
    with pytest.raises(UnknownWordError, match="'polise'"):
        trained["polise"]
    with pytest.raises(UnknownWordError, match="'polise'"):
        trained.similarity(WORD, "polise")


def test_most_similar_restrict_vocab(trained):
    got = {w for w, _ in trained.most_similar(WORD, topn=5, restrict_vocab=5)}
    assert got == set(trained.index_to_key[:5]) - {WORD} or len(got) == 5


def test_queries_match_gensim(trained, oracle):
    words = ["government", "police", "attack", "afghanistan", "israel"]
    assert trained.most_similar_to_given(WORD, words[2:]) == oracle.most_similar_to_given(
        WORD, words[2:]
    )
    assert trained.similar_by_word(WORD, topn=5) == oracle.similar_by_word(WORD, topn=5)
    assert trained.similar_by_key(WORD, topn=5) == oracle.similar_by_key(WORD, topn=5)
    vector = trained[WORD]
    assert trained.similar_by_vector(vector, topn=5) == oracle.similar_by_vector(vector, topn=5)
    assert trained.doesnt_match(words) == oracle.doesnt_match(words)
    assert trained.n_similarity(words[:2], words[2:]) == oracle.n_similarity(words[:2], words[2:])
    assert trained.rank_by_centrality(words) == oracle.rank_by_centrality(words)
    assert np.array_equal(trained.distances(WORD, words), oracle.distances(WORD, words))
    assert trained.relative_cosine_similarity(WORD, OTHER) == pytest.approx(
        oracle.relative_cosine_similarity(WORD, OTHER)
    )
    mean = trained.get_mean_vector(words, weights=[1, 2, 3, 1, 2], pre_normalize=False)
    assert np.array_equal(mean, oracle.get_mean_vector(words, [1, 2, 3, 1, 2], False))
    assert np.array_equal(
        trained.get_mean_vector([*words, "an out-of-vocabulary word"]),
        oracle.get_mean_vector([*words, "an out-of-vocabulary word"]),
    )
    with pytest.raises(UnknownWordError, match="'an out-of-vocabulary word'"):
        trained.get_mean_vector(["an out-of-vocabulary word"], ignore_missing=False)


def test_distance_similarity_closer_than_rank(trained, oracle):
    assert trained.distance(WORD, OTHER) == oracle.distance(WORD, OTHER)
    assert trained.distance(WORD, WORD) == pytest.approx(0, abs=1e-6)
    assert np.allclose(trained.similarity(WORD, WORD), 1)
    assert trained.similarity(WORD, OTHER) == oracle.similarity(WORD, OTHER)
    assert trained.closer_than(WORD, WORD) == []
    assert trained.closer_than(WORD, OTHER) == oracle.closer_than(WORD, OTHER)
    assert trained.rank(WORD, WORD) == 1
    assert trained.rank(WORD, OTHER) == oracle.rank(WORD, OTHER) > 1
    assert trained.words_closer_than(WORD, OTHER) == oracle.words_closer_than(WORD, OTHER)


def test_vectors_for_all(trained, oracle):
    words = [WORD, OTHER, "an out-of-vocabulary word"]
    got = trained.vectors_for_all(words)
    assert len(got) == 2 and np.allclose(got[WORD], oracle[WORD])


def test_evaluations_match_gensim(trained, oracle):
    pairs, analogies = datapath("wordsim353.tsv"), datapath("questions-words.txt")
    assert trained.evaluate_word_pairs(pairs) == oracle.evaluate_word_pairs(pairs)
    score, sections = trained.evaluate_word_analogies(analogies)
    assert score == oracle.evaluate_word_analogies(analogies)[0]
    assert sections[-1]["section"] == "Total accuracy"


def test_add_and_set_items(fresh):
    entities = [f"___some_entity{i}_not_present___" for i in range(5)]
    vectors = [np.random.randn(fresh.vector_size) for _ in range(5)]
    size = len(fresh)
    fresh.add_vectors(entities, vectors, replace=False)
    assert len(fresh) == size + 5
    for entity, vector in zip(entities, vectors, strict=True):
        assert np.allclose(fresh[entity], vector)
    fresh[WORD] = vectors[0]  # replace one
    assert len(fresh) == size + 5 and np.allclose(fresh[WORD], vectors[0])
    single = WordVectors(fresh.vector_size)
    single.add_vector("one", vectors[1])
    assert np.allclose(single["one"], vectors[1]) and single.vectors.dtype == np.float32


def test_save_reload_and_no_header(trained, tmp_path):
    for binary in (False, True):
        path = tmp_path / f"kv{binary}"
        trained.save_word2vec_format(path, binary=binary)
        back = WordVectors.load_word2vec_format(path, binary=binary)
        assert type(back) is WordVectors and back.counts is None  # gensim's counts: made up
        assert back.get_vecattr(back.index_to_key[0], "count") == len(back)
        order = np.argsort(-trained.counts, kind="stable")
        assert back.index_to_key == [trained.index_to_key[i] for i in order]
        assert np.array_equal(back.vectors, trained.vectors[order])
    trained.save_word2vec_format(tmp_path / "nh.txt", write_header=False)
    back = WordVectors.load_word2vec_format(tmp_path / "nh.txt", no_header=True)
    assert np.array_equal(np.sort(back.vectors, axis=0), np.sort(trained.vectors, axis=0))


def test_copies_and_gensims_pickle(trained, tmp_path):
    clone = copy.deepcopy(trained)
    assert type(clone) is WordVectors and clone.most_similar(WORD) == trained.most_similar(WORD)
    kv = trained.to_keyed_vectors()
    assert type(kv) is KeyedVectors and kv.most_similar(WORD) == trained.most_similar(WORD)
    assert kv.get_vecattr(WORD, "count") == trained.counts[trained.get_index(WORD)]
