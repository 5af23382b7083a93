"""word_vectors.py and evaluation.py: sources, exports and round trips, scores, the PCA picture."""

import json
import math
import os
import tracemalloc
from pathlib import Path
from types import SimpleNamespace

import matplotlib.image
import numpy as np
import pytest
import torch
from gensim.models import KeyedVectors
from gensim.test.utils import datapath
from torch import nn

from cbow_torch import CBOW, CBOWNegativeSampling, atomic
from cbow_torch.checkpoint import read_checkpoint
from cbow_torch.data.text import Vocabulary
from cbow_torch.vectors import evaluation as ev
from cbow_torch.vectors import word2vec_format
from cbow_torch.vectors.evaluation import COURSE_WORDS
from cbow_torch.vectors.word_vectors import UnknownWordError, WordVectors

WORDS = ["the", "king", "queen", "man", "woman", "dog", "wolf", "happy", "sad", "rich", "of", "a"]
COUNTS = [50, 7, 6, 9, 8, 5, 2, 3, 3, 4, 40, 45]


def make_model(V=12, N=5, dtype=torch.float64):
    return CBOW(V, N, init="course", seed=282, dtype=dtype)  # W1 and W2 both non-zero


def vocab(words=WORDS, counts=COUNTS):
    return SimpleNamespace(index_to_key=list(words), counts=counts)


def checkpoint_dict(state, input_key, output_key, transposed, words=WORDS, counts=COUNTS):
    """A checkpoint as the training side lays it out: the state_dict, and the ``cbow_torch``
    entry that says where the vectors are (``transposed``: the input key holds W1 [N, V])."""
    return {
        "state_dict": state,
        "hyper_parameters": {"vocab_size": len(words)},
        "epoch": 0,
        "global_step": 10,
        "cbow_torch": {
            "vocabulary": Vocabulary(words, counts).to_dict(),
            "input_vectors": input_key,
            "input_transposed": transposed,
            "output_vectors": output_key,
        },
    }


def save_checkpoint(path, model, words=WORDS, counts=COUNTS, prefix="model."):
    """A CBOW's checkpoint (W1 [N, V] and W2 [V, N]) under any state_dict prefix."""
    state = {f"{prefix}{k}": v for k, v in model.state_dict().items()}
    ckpt = checkpoint_dict(state, f"{prefix}W1", f"{prefix}W2", True, words, counts)
    torch.save(ckpt, path)
    return path


@pytest.fixture
def wv():
    return WordVectors.from_model(make_model(dtype=torch.float32), vocab())


def rows(t):
    return t.detach().numpy()


def expected_rows(model, source):
    W1, W2 = model.W1.detach(), model.W2.detach()  # [N, V], [V, N]
    return {"W1": W1.t(), "W2": W2, "average": (W1.t() + W2) / 2}[source]


# ---- sources ----------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["W1", "W2", "average"])
def test_sources_are_the_right_slices_of_W1_and_W2(source, tmp_path):
    model = make_model()
    from_model = WordVectors.from_model(model, vocab(), source=source)
    ckpt = save_checkpoint(tmp_path / "run.ckpt", model)
    for wv in (from_model, WordVectors.load(ckpt, source=source)):
        assert wv.index_to_key == WORDS and wv.source == source
        assert isinstance(wv.vectors, np.ndarray) and wv.vectors.dtype == np.float64
        np.testing.assert_array_equal(wv.vectors, rows(expected_rows(model, source)))
        # word j is column j of W1 and row j of W2
        j = WORDS.index("queen")
        W1, W2 = model.W1.detach(), model.W2.detach()
        want = {"W1": W1[:, j], "W2": W2[j], "average": (W1[:, j] + W2[j]) / 2}[source]
        np.testing.assert_array_equal(wv["queen"], rows(want))
        assert wv.counts.tolist() == COUNTS


def test_from_model_takes_a_trained_module_alone():
    """Anything with .model and .vocab, as CBOWLightningModule after fit, is enough."""
    model = make_model()
    module = SimpleNamespace(model=model, vocab=Vocabulary(WORDS, COUNTS))
    wv = WordVectors.from_model(module)
    assert wv.source == "average" and wv.index_to_key == WORDS and wv.counts.tolist() == COUNTS
    np.testing.assert_array_equal(wv.vectors, rows(expected_rows(model, "average")))
    assert WordVectors.from_model(module, source="W1").source == "W1"
    named = SimpleNamespace(index_to_key=WORDS, counts=COUNTS, tokenizer="simple")
    assert WordVectors.from_model(model, named).lookup("Queen") == "queen"  # the run's tokenizer
    with pytest.raises(TypeError, match="without a vocabulary: pass a trained"):
        WordVectors.from_model(model)
    with pytest.raises(ValueError, match="no vocabulary yet"):
        WordVectors.from_model(SimpleNamespace(model=model, vocab=None))


def test_read_checkpoint_reads_through_the_named_keys(tmp_path):
    model = make_model()
    path = save_checkpoint(tmp_path / "run.ckpt", model, prefix="anything.")
    found = read_checkpoint(path)
    assert found.words == WORDS and found.counts == COUNTS and found.path == path
    assert (found.global_step, found.epochs_done, found.hparams) == (10, 0, {"vocab_size": 12})
    assert torch.equal(found.input_vectors, model.W1.detach().t())  # [V, N]
    assert torch.equal(found.output_vectors, model.W2.detach())
    assert set(found.entry) >= {"vocabulary", "input_vectors", "output_vectors"}
    assert WordVectors.load(path, source="W1").index_to_key == WORDS


def test_gensim_names(wv, tmp_path):
    kv = wv.to_keyed_vectors()
    assert wv.get_index("queen") == kv.get_index("queen") == 2
    assert wv.get_index("kingdom", default=-1) == -1
    with pytest.raises(KeyError, match="did you mean: king"):
        wv.get_index("kingg")
    assert wv.most_similar("king", topn=3) == kv.most_similar("king", topn=3)
    analogy = wv.most_similar(positive=["king", "woman"], negative="man", topn=2)
    assert analogy == kv.most_similar(positive=["king", "woman"], negative=["man"], topn=2)
    with pytest.raises(UnknownWordError, match="'quen' is not in the vocabulary"):
        wv.most_similar(positive=["king", "quen"])
    assert wv.similarity("king", "queen") == pytest.approx(float(kv.similarity("king", "queen")))
    with pytest.raises(UnknownWordError, match="'dgo'"):
        wv.similarity("dgo", "wolf")
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("king\tqueen\t9\nman\twoman\t8\ndog\twolf\t7\nsad\thappy\t2\n")
    pearson, spearman, oov = wv.evaluate_word_pairs(pairs)
    assert spearman[0] == pytest.approx(kv.evaluate_word_pairs(str(pairs))[1][0]) and oov == 0
    for old in ("words", "index"):
        assert not hasattr(wv, old)  # gensim's names only, no aliases


def test_save_and_load_round_trip_without_unpickling(wv, tmp_path):
    wv.tokenizer = "simple"
    wv.save(tmp_path / "emb.npz")
    assert os.listdir(tmp_path) == ["emb.npz"]  # one file
    with np.load(tmp_path / "emb.npz", allow_pickle=False) as z:  # plain arrays only
        assert set(z.files) >= {"vectors", "words", "word_ends", "counts"}
    back = WordVectors.load(tmp_path / "emb.npz")  # no trust flag needed
    assert back.index_to_key == WORDS and np.array_equal(back.vectors, wv.vectors)
    assert back.counts.tolist() == COUNTS and back.source == "average"
    assert back.tokenizer == "simple" and back.vectors.dtype == wv.vectors.dtype
    odd = WordVectors.from_vectors(["é", "tab\there", "日本"], np.eye(3))  # any words
    odd.save(tmp_path / "odd.npz")
    assert WordVectors.load(tmp_path / "odd.npz").index_to_key == ["é", "tab\there", "日本"]


def test_gensim_pickle_loads_only_when_trusted(wv, tmp_path):
    wv.to_keyed_vectors().save(str(tmp_path / "emb.kv"))  # gensim's own format, a pickle
    kv = KeyedVectors.load(str(tmp_path / "emb.kv"))  # gensim's reader, as gensim users do
    assert type(kv) is KeyedVectors and kv.index_to_key == WORDS
    assert kv.get_vecattr("the", "count") == 50
    with pytest.raises(ValueError, match="emb.kv: holds pickled Python objects"):
        WordVectors.load(tmp_path / "emb.kv")
    back = WordVectors.load(tmp_path / "emb.kv", trust_pickle=True)
    assert back.index_to_key == WORDS and np.array_equal(back.vectors, wv.vectors)
    assert back.counts.tolist() == COUNTS
    (tmp_path / "junk.npz").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(ValueError, match="junk.npz: unreadable torch file"):
        WordVectors.load(tmp_path / "junk.npz")


def test_vectors_do_not_alias_the_parameters():
    model = make_model()
    wv = WordVectors.from_model(model, vocab(), source="W2")
    with torch.no_grad():
        model.W2.add_(1)
    assert not np.array_equal(wv.vectors, rows(model.W2))


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_vectors_from_a_cuda_model_land_on_the_cpu():
    model = make_model(dtype=torch.float32)
    wv = WordVectors.from_model(model.cuda(), vocab(), source="W1")
    assert isinstance(wv.vectors, np.ndarray)
    np.testing.assert_array_equal(wv.vectors, model.W1.detach().t().cpu().numpy())


def test_bad_inputs_get_one_line_errors(tmp_path):
    with pytest.raises(ValueError, match="12 words but the model has V = 13"):
        WordVectors.from_model(make_model(V=13), vocab())
    with pytest.raises(ValueError, match="source must be one of"):
        WordVectors.from_model(make_model(), vocab(), source="W3")
    with pytest.raises(ValueError, match="appears more than once"):
        WordVectors.from_vectors(["a", "b", "a"], torch.zeros(3, 2))
    with pytest.raises(ValueError, match="2 words for 3 vectors"):
        WordVectors.from_vectors(["a", "b"], np.zeros((3, 2)))
    with pytest.raises(ValueError, match="counts must have shape"):
        WordVectors.from_vectors(["a", "b"], np.zeros((2, 2)), counts=[1])
    with pytest.raises(ValueError, match="2-D floating"):
        WordVectors.from_vectors(["a", "b"], np.zeros((2, 2), dtype=np.int64))
    bad = tmp_path / "bad.ckpt"
    torch.save({"state_dict": {}}, bad)
    with pytest.raises(ValueError, match="bad.ckpt: not a cbow-torch checkpoint, or written by"):
        WordVectors.load(bad)
    old = tmp_path / "old.ckpt"  # the vocabulary beside the state_dict, no cbow_torch entry
    state = {"model.W1": torch.zeros(2, 3), "model.W2": torch.zeros(3, 2)}
    torch.save({"state_dict": state, "vocabulary": {"words": ["a", "b", "c"]}}, old)
    with pytest.raises(ValueError, match="old.ckpt: not a cbow-torch checkpoint, or written by"):
        WordVectors.load(old)
    wrong_key = tmp_path / "wrong_key.ckpt"
    torch.save(checkpoint_dict(state, "W1", "model.W2", True, ["a", "b", "c"], None), wrong_key)
    with pytest.raises(ValueError, match="wrong_key.ckpt: .*input_vectors key 'W1' names no"):
        WordVectors.load(wrong_key)
    mismatch = tmp_path / "mismatch.ckpt"
    torch.save(
        checkpoint_dict(state, "model.W1", "model.W2", False, ["a", "b", "c"], None), mismatch
    )
    with pytest.raises(ValueError, match="mismatch.ckpt: inconsistent checkpoint"):
        WordVectors.load(mismatch)  # W1 [N, V] read as if it were [V, N]


def test_unknown_word_suggests_close_words(wv):
    with pytest.raises(UnknownWordError, match=r"'kings' is not in the vocabulary.*king"):
        wv.get_index("kings")
    with pytest.raises(UnknownWordError, match="did you mean: queen"):
        wv["Queen"]
    assert str(UnknownWordError("one line")) == "one line"


# ---- exports ----------------------------------------------------------------------------


@pytest.mark.parametrize("binary", [False, True])
def test_export_keeps_the_vocabulary_order_and_the_exact_floats(wv, tmp_path, binary):
    path = tmp_path / "emb.out"
    wv.export(path, "word2vec-binary" if binary else "word2vec")
    kv = KeyedVectors.load_word2vec_format(str(path), binary=binary)
    assert kv.index_to_key == WORDS  # row j is word j, whatever the counts
    np.testing.assert_array_equal(kv.vectors, wv.vectors)  # shortest digits: exact
    back = WordVectors.load(path)  # text or binary, detected whatever the suffix
    assert back.index_to_key == WORDS and back.counts is None
    np.testing.assert_array_equal(back.vectors, wv.vectors)


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("block", [None, 5])
def test_save_word2vec_format_writes_gensims_bytes(wv, tmp_path, binary, block, monkeypatch):
    """gensim's writer, on the same words, vectors and counts: the same file, byte for byte,
    in gensim's order (descending count), for every option of gensim's signature; also when
    the rows are formatted a few at a time (``block``, values at a time)."""
    if block:
        monkeypatch.setattr(word2vec_format, "BLOCK_VALUES", block)
    kv = wv.to_keyed_vectors()
    options = [{}, {"prefix": "p_", "write_header": False}, {"total_vec": 99}]
    options += [{"sort_attr": "nothing"}]
    for i, kw in enumerate(options):
        ours, theirs = tmp_path / f"ours{i}", tmp_path / f"theirs{i}"
        wv.save_word2vec_format(ours, binary=binary, **kw)
        kv.save_word2vec_format(str(theirs), binary=binary, **kw)
        assert ours.read_bytes() == theirs.read_bytes(), kw
    wv.save_word2vec_format(tmp_path / "a", tmp_path / "a.vocab", binary=binary)
    kv.save_word2vec_format(str(tmp_path / "b"), str(tmp_path / "b.vocab"), binary=binary)
    assert (tmp_path / "a.vocab").read_bytes() == (tmp_path / "b.vocab").read_bytes()
    assert (tmp_path / "a.vocab").read_text().splitlines()[:2] == ["the 50", "a 45"]
    wv.save_word2vec_format(tmp_path / "a", binary=binary, append=True)
    kv.save_word2vec_format(str(tmp_path / "b"), binary=binary, append=True)
    assert (tmp_path / "a").read_bytes() == (tmp_path / "b").read_bytes()


def test_word2vec_text_is_written_a_block_of_rows_at_a_time(tmp_path):
    """4M values (~40 MB of text): the writer's text and working arrays are a block's (~20 MB),
    not the file's (~150 MB at once)."""
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((40_000, 100)).astype(np.float32)  # [V, N]
    words = [f"w{i}" for i in range(len(vectors))]
    tracemalloc.start()
    try:
        word2vec_format.write_word2vec(tmp_path / "v.txt", words, vectors)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 48 * 2**20, f"{peak / 2**20:.0f} MiB"
    back = KeyedVectors.load_word2vec_format(str(tmp_path / "v.txt"))
    assert back.index_to_key == words
    np.testing.assert_array_equal(back.vectors, vectors)


def test_word2vec_float64_is_written_as_float32(tmp_path):
    wv = WordVectors.from_model(make_model(dtype=torch.float64), vocab())
    for binary in (False, True):
        wv.save_word2vec_format(tmp_path / "emb", binary=binary, sort_attr=None)
        kv = KeyedVectors.load_word2vec_format(str(tmp_path / "emb"), binary=binary)
        assert np.array_equal(kv.vectors, wv.vectors.astype(np.float32))


def test_word2vec_refuses_words_with_whitespace(tmp_path):
    wv = WordVectors.from_vectors(["new york", "b"], np.zeros((2, 3)))
    with pytest.raises(ValueError, match="'new york' contains whitespace"):
        wv.save_word2vec_format(tmp_path / "x.txt")
    assert not (tmp_path / "x.txt").exists()


def test_pt_round_trip(wv, tmp_path):
    wv.save_torch(tmp_path / "emb.pt")
    obj = torch.load(tmp_path / "emb.pt", weights_only=True)
    assert obj["words"] == WORDS and torch.equal(obj["vectors"], torch.from_numpy(wv.vectors))
    back = WordVectors.load(tmp_path / "emb.pt")
    assert back.index_to_key == WORDS and np.array_equal(back.vectors, wv.vectors)
    assert back.counts.tolist() == COUNTS and back.source == "average"
    with pytest.raises(ValueError, match="source='W1' cannot apply"):
        WordVectors.load(tmp_path / "emb.pt", source="W1")


def test_load_rejects_other_files_by_name(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        WordVectors.load(tmp_path / "nope.txt")
    (tmp_path / "notes.txt").write_text("hello world\n")
    with pytest.raises(ValueError, match="notes.txt: not a checkpoint"):
        WordVectors.load(tmp_path / "notes.txt")
    (tmp_path / "short.txt").write_text("3 2\na 1 2\nb 1\n")
    with pytest.raises(ValueError, match="short.txt: not a valid word2vec"):
        WordVectors.load(tmp_path / "short.txt")
    torch.save({"weights": torch.zeros(2)}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="other.pt: a torch file, but neither"):
        WordVectors.load(tmp_path / "other.pt")
    torch.save({"vectors": torch.zeros(2, 2), "words": ["a"]}, tmp_path / "bad.pt")
    with pytest.raises(ValueError, match="bad.pt: got 1 words for 2 vectors"):
        WordVectors.load(tmp_path / "bad.pt")
    with pytest.raises(IsADirectoryError, match="is a directory"):
        WordVectors.load(tmp_path)


def test_keyed_vectors_queries(wv):
    kv = wv.to_keyed_vectors()
    assert kv.index_to_key == WORDS
    assert kv.get_vecattr("the", "count") == 50
    np.testing.assert_array_equal(kv["wolf"], wv["wolf"])
    with pytest.raises(UnknownWordError, match="'kingg'"):
        wv.get_index("kingg")


def test_embedding_row_is_the_word_vector(wv):
    emb, index = wv.to_embedding()
    assert isinstance(emb, nn.Embedding) and not emb.weight.requires_grad
    assert emb.padding_idx is None and emb.weight.shape == (len(WORDS), 5)
    assert list(index) == WORDS and index["queen"] == 2
    for word in ("queen", "wolf", "the"):
        assert torch.equal(emb(torch.tensor(index[word])), torch.tensor(wv[word]))
    trainable, _ = wv.to_embedding(freeze=False)
    assert trainable.weight.requires_grad
    with torch.no_grad():
        trainable.weight.zero_()
    assert np.abs(wv.vectors).sum() > 0  # the layer owns a copy


@pytest.mark.parametrize("padding_idx", [0, 5, len(WORDS)])
def test_embedding_with_padding_and_unknown_rows_on_token_ids(wv, padding_idx):
    """A downstream model's batch: padded token ids, with words outside the vocabulary."""
    emb, index = wv.to_embedding(freeze=False, padding_idx=padding_idx, unknown="<unk>")
    V = len(WORDS)
    assert emb.weight.shape == (V + 2, 5) and emb.padding_idx == padding_idx
    assert index["<pad>"] == padding_idx and index["<unk>"] == V + 1
    assert sorted(index.values()) == list(range(V + 2))  # every row named once
    texts = [["king", "queen", "zebra"], ["dog"]]  # "zebra" is not a word of the vocabulary
    width = max(map(len, texts))
    ids = torch.tensor(
        [
            [index.get(w, index["<unk>"]) for w in t] + [index["<pad>"]] * (width - len(t))
            for t in texts
        ]
    )  # [2, 3]
    out = emb(ids)  # [2, 3, 5]
    assert torch.equal(out[0, 0], torch.tensor(wv["king"]))
    assert torch.equal(out[1, 0], torch.tensor(wv["dog"]))
    assert torch.equal(out[1, 1:], torch.zeros(2, 5))  # padding: zeros
    torch.testing.assert_close(out[0, 2], torch.tensor(wv.vectors.mean(axis=0)))  # the mean
    out.sum().backward()
    assert emb.weight.grad[padding_idx].abs().sum() == 0  # padding stays zero in training
    assert emb.weight.grad[index["<unk>"]].abs().sum() > 0


def test_embedding_keeps_a_trained_unknown_row_and_checks_padding(wv):
    words = [*WORDS, "<unk>"]  # trained with data.unk: the vocabulary has its own <unk>
    with_unk = WordVectors.from_vectors(words, np.arange(13 * 2.0).reshape(13, 2))
    emb, index = with_unk.to_embedding(unknown="<unk>")
    assert emb.weight.shape == (13, 2) and index["<unk>"] == 12  # its trained row
    with pytest.raises(ValueError, match="padding_idx must be between 0 and 12"):
        wv.to_embedding(padding_idx=13)
    pad = WordVectors.from_vectors(["<pad>", "a"], np.eye(2))
    with pytest.raises(ValueError, match="'<pad>' is a word of the vocabulary"):
        pad.to_embedding(padding_idx=0)


# ---- the projector ----------------------------------------------------------------------


def test_projector_labels_are_top_words_one_row_each(tmp_path):
    words = ["a", "tab\there", "two\nlines", "z"]
    wv = WordVectors.from_vectors(words, torch.arange(8.0).view(4, 2), [1, 5, 3, 4], "W1")
    labels = wv.write_projector(tmp_path, top_n=3, tag="emb", global_step=7)
    assert labels == ["tab\\there", "z", "two\\nlines"]
    out = tmp_path / "00007" / "emb"
    metadata = (out / "metadata.tsv").read_text().split("\n")
    assert metadata == labels + [""]
    tensors = np.loadtxt(out / "tensors.tsv", delimiter="\t")
    assert tensors.tolist() == [[2.0, 3.0], [6.0, 7.0], [4.0, 5.0]]
    assert (tmp_path / "projector_config.pbtxt").exists()


def test_projector_through_a_writer():
    calls = []
    writer = SimpleNamespace(add_embedding=lambda mat, **kw: calls.append((mat, kw)))
    wv = WordVectors.from_vectors(["a", "b", "c"], np.eye(3))
    wv.write_projector(writer, top_n=None)
    ((mat, kw),) = calls
    assert mat.dtype == torch.float32 and mat.shape == (3, 3)
    assert kw["metadata"] == ["a", "b", "c"] and kw["tag"] == "embeddings/vectors"


# ---- evaluation -------------------------------------------------------------------------


def analogy_vectors():
    """Capitals and countries placed so that 3CosAdd solves capital : country exactly."""
    pairs = [("athens", "greece"), ("baghdad", "iraq"), ("bangkok", "thailand")]
    pairs += [("beijing", "china"), ("berlin", "germany")]
    words, rows = [], []
    d = np.zeros(8)
    d[7] = 1.0  # the "country of" offset, orthogonal to every capital
    for i, (capital, country) in enumerate(pairs):
        e = np.zeros(8)
        e[i] = 1.0
        words += [capital, country]
        rows += [e, e + d]
    return WordVectors.from_vectors(words, np.array(rows))


def test_evaluate_analogies_perfect_and_oov_ratio():
    scores = ev.evaluate(analogy_vectors())
    assert set(scores) == {
        "eval/wordsim353_spearman",
        "eval/wordsim353_oov_ratio",
        "eval/simlex999_spearman",
        "eval/simlex999_oov_ratio",
        "eval/google_analogy_accuracy",
        "eval/google_analogy_oov_ratio",
    }
    assert all(isinstance(v, float) for v in scores.values())
    assert scores["eval/google_analogy_accuracy"] == 1.0
    known = set(analogy_vectors().index_to_key)
    with open(datapath("questions-words.txt")) as f:
        questions = [line.lower().split() for line in f if not line.startswith(":")]
    scored = sum(set(q) <= known for q in questions)
    assert scored == 30  # 5·4 ordered pairs of capitals, in two sections of the file
    assert scores["eval/google_analogy_oov_ratio"] == pytest.approx(1 - scored / len(questions))
    # no similarity pair is in this vocabulary: NaN, not a made-up number
    assert math.isnan(scores["eval/wordsim353_spearman"])
    assert scores["eval/wordsim353_oov_ratio"] == 1.0


def test_evaluate_pairs_match_gensim(tmp_path):
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("# w1\tw2\tscore\nking\tqueen\t9\nman\twoman\t8\ndog\twolf\t7\nsad\tzzz\t1\n")
    rng = np.random.default_rng(0)
    wv = WordVectors.from_vectors(WORDS, rng.standard_normal((len(WORDS), 6)))
    scores = ev.evaluate(wv, wordsim353=pairs, simlex999=pairs)
    _, rho, oov = wv.to_keyed_vectors().evaluate_word_pairs(str(pairs))
    assert scores["eval/wordsim353_spearman"] == pytest.approx(rho[0])
    assert scores["eval/simlex999_oov_ratio"] == pytest.approx(oov / 100) == 0.25


def test_evaluate_names_missing_or_empty_files(wv, tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.tsv: no such wordsim353 file"):
        ev.evaluate(wv, wordsim353=tmp_path / "missing.tsv")
    (tmp_path / "empty.tsv").write_text("# nothing\n")
    with pytest.raises(ValueError, match="empty.tsv: no word pairs"):
        ev.evaluate(wv, simlex999=tmp_path / "empty.tsv")


# ---- the picture ------------------------------------------------------------------------


def test_pca_finds_the_direction_of_largest_variance():
    rng = np.random.default_rng(0)
    direction = np.array([3.0, 4.0, 0.0, 0.0, 0.0]) / 5  # [5]
    t = rng.standard_normal(40) * 10  # [40] spread along it
    x = t[:, None] * direction + rng.standard_normal((40, 5)) * 0.1 + 7  # [40, 5], off-centre
    xy = ev.pca(x)  # [40, 2]
    assert xy.shape == (40, 2)
    assert abs(np.corrcoef(xy[:, 0], t)[0, 1]) > 0.999
    assert xy[:, 0].var() > 100 * xy[:, 1].var()
    np.testing.assert_allclose(xy.mean(axis=0), 0, atol=1e-9)
    # components the data lacks are zeros
    np.testing.assert_allclose(ev.pca(np.ones((1, 3))), np.zeros((1, 2)))
    np.testing.assert_allclose(np.abs(ev.pca(np.array([[0.0], [2.0]]))), [[1, 0], [1, 0]])


def assert_png(path):
    assert Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = matplotlib.image.imread(path)
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100


def test_course_words_picture_skips_missing_words(wv, tmp_path):
    missing = ev.plot_words(wv, tmp_path / "pca.png")
    assert missing == ["lord"] and COURSE_WORDS[2] == "lord"
    assert_png(tmp_path / "pca.png")
    with pytest.raises(ValueError, match="need at least 2 of the words"):
        ev.plot_words(wv, tmp_path / "none.png", words=["lord", "king"])
    assert not (tmp_path / "none.png").exists()


def test_frequent_words_picture(wv, tmp_path):
    words = ev.plot_frequent_words(wv, tmp_path / "top.png", n=4)
    assert words == ["the", "a", "of", "man"]
    assert_png(tmp_path / "top.png")


# ---- the end of a fit -------------------------------------------------------------------


def test_finish_run_writes_the_run_directory(wv, tmp_path):
    images = []
    writer = SimpleNamespace(add_image=lambda tag, img, **kw: images.append((tag, img, kw)))
    scores = ev.finish_run(wv, tmp_path / "run", writer=writer, global_step=3)
    run = tmp_path / "run"
    assert sorted(p.name for p in run.iterdir()) == sorted(ev.RUN_FILES.values())
    back = WordVectors.load(run / "embeddings.txt")
    assert back.index_to_key == WORDS
    np.testing.assert_array_equal(back.vectors, wv.vectors)
    report = json.loads((run / "eval.json").read_text())
    assert report["vectors"] == {"source": "average", "vocab_size": len(WORDS), "dim": 5}
    assert set(report["scores"]) == set(scores)
    for key, value in scores.items():
        assert isinstance(value, float)
        assert report["scores"][key] == (None if math.isnan(value) else value)
    for name in ("pca_course_words.png", "pca_frequent_words.png"):
        assert_png(run / name)
    assert [t for t, _, _ in images] == [
        "embeddings/pca_course_words",
        "embeddings/pca_frequent_words",
    ]
    assert all(
        img.shape[2] == 3 and kw == {"global_step": 3, "dataformats": "HWC"}
        for _, img, kw in images
    )


def test_finish_run_logs_to_a_real_summary_writer(tmp_path):
    from torch.utils.tensorboard import SummaryWriter

    wv = WordVectors.from_vectors(["x", "y", "z"], torch.randn(3, 4))  # no course words at all
    with SummaryWriter(tmp_path / "tb") as writer:
        ev.finish_run(wv, tmp_path / "run", writer=writer)
    assert not (tmp_path / "run" / "pca_course_words.png").exists()
    assert_png(tmp_path / "run" / "pca_frequent_words.png")
    assert any(p.name.startswith("events.out.tfevents") for p in (tmp_path / "tb").iterdir())


# ---- atomic writes ----------------------------------------------------------------------


class Interrupted(BaseException):
    pass


def interrupt_after(monkeypatch, nbytes):
    """Make every file write stop, as a killed process would, after ``nbytes`` reached disk."""
    import contextlib

    real = atomic.atomic_path

    @contextlib.contextmanager
    def cut(path):
        with real(path) as tmp:
            yield tmp
            with open(tmp, "r+b") as f:
                f.truncate(nbytes)  # the write had got this far...
            raise Interrupted  # ...when the process stopped

    monkeypatch.setattr(atomic, "atomic_path", cut)


@pytest.mark.parametrize(
    "name, write",
    [
        ("emb.txt", lambda wv, p: wv.save_word2vec_format(p)),
        ("emb.bin", lambda wv, p: wv.save_word2vec_format(p, binary=True)),
        ("emb.pt", lambda wv, p: wv.save_torch(p)),
        ("emb.npz", lambda wv, p: wv.save(p)),
        ("pca.png", lambda wv, p: ev.plot_words(wv, p)),
    ],
)
@pytest.mark.parametrize("existed", [False, True])
def test_interrupted_write_leaves_no_partial_file(wv, tmp_path, monkeypatch, name, write, existed):
    path = tmp_path / name
    if existed:
        path.write_bytes(b"the previous version")
    interrupt_after(monkeypatch, 64)
    with pytest.raises(Interrupted):
        write(wv, path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ([name] if existed else [])
    if existed:
        assert path.read_bytes() == b"the previous version"
    monkeypatch.undo()
    write(wv, path)  # and without the interruption it is written whole
    assert path.stat().st_size > 64
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


# ---- reading files: no unpickling unless asked, other models, cut files ------------------


def test_negative_sampling_checkpoints_give_the_same_vectors(tmp_path):
    """CBOWNegativeSampling keeps W1ᵀ and W2 as Embedding weights [V, N], with no biases."""
    model = make_model(dtype=torch.float32)
    ns = CBOWNegativeSampling(len(WORDS), model.embedding_dim)
    with torch.no_grad():
        ns.input_vectors.weight.copy_(model.W1.t())
        ns.output_vectors.weight.copy_(model.W2)
    state = {f"objective.net.{k}": v for k, v in ns.state_dict().items()}  # any keys
    keys = ("objective.net.input_vectors.weight", "objective.net.output_vectors.weight")
    torch.save(checkpoint_dict(state, *keys, transposed=False), tmp_path / "ns.ckpt")
    save_checkpoint(tmp_path / "cbow.ckpt", model)
    for source in ("W1", "W2", "average"):
        ns, cbow = (WordVectors.load(tmp_path / n, source=source) for n in ("ns.ckpt", "cbow.ckpt"))
        assert ns.index_to_key == WORDS and np.array_equal(ns.vectors, cbow.vectors)


def test_pickled_files_load_only_when_trusted(tmp_path):
    path = save_checkpoint(tmp_path / "last.ckpt", make_model(dtype=torch.float32))
    ckpt = torch.load(path, weights_only=True)
    ckpt["hyper_parameters"]["where"] = Path("runs")  # a Python object: needs unpickling
    torch.save(ckpt, path)
    with pytest.raises(ValueError, match="pickled Python objects .* --trust-pickle"):
        WordVectors.load(path)
    assert WordVectors.load(path, trust_pickle=True).index_to_key == WORDS


def test_word2vec_cut_mid_line_names_the_line(wv, tmp_path):
    wv.save_word2vec_format(tmp_path / "emb.txt")
    text = (tmp_path / "emb.txt").read_text()
    line = text.splitlines(keepends=True)[3]  # queen's
    (tmp_path / "cut.txt").write_text(text[: text.index(line) + len(line) // 2])
    with pytest.raises(
        ValueError, match="line 4 holds [0-4] numbers, not 5: the file ends mid-line"
    ):
        WordVectors.load(tmp_path / "cut.txt")


# ---- word2vec files at numpy speed ------------------------------------------------------


def test_float32_rows_are_numpys_str_of_each_value():
    """The writer's digits, against str(numpy.float32) (what gensim writes) value by value:
    every float32 bit pattern drawn at random, embedding-like values, and the edge cases."""
    from cbow_torch.vectors.float_text import float32_rows

    rng = np.random.default_rng(0)
    bits = rng.integers(0, 2**32, 300_000, dtype=np.uint64).astype(np.uint32).view(np.float32)
    edges = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, 1.1754944e-38, 3.4028235e38]
    edges += [1e-14, 9.9e-15, 1e22, 9.99e21, 1e-5, 1e-4, 9.9999997e-05, 999999.94, 1e6, 1e7]
    edges += [0.1, 1 / 3, 100.0, 1024.0, 0.5, 9.9999999, 123456789.0, -1.5e-7, 65504.0]
    for x in (
        bits,
        (rng.standard_normal(300_000) * 0.3).astype(np.float32),
        (10.0 ** rng.uniform(-16, 24, 100_000)).astype(np.float32),
        np.round(rng.standard_normal(100_000) * 1000, 2).astype(np.float32),
        np.array(edges * 4, np.float32),
    ):
        x = x[: x.size - x.size % 4].reshape(-1, 4)  # [k, 4]
        want = [(" ".join(str(v) for v in row) + "\n").encode() for row in x]
        assert float32_rows(x) == want


def test_the_fast_reader_gives_gensims_values_bit_for_bit(tmp_path):
    from cbow_torch.vectors.word2vec_format import read_word2vec

    rng = np.random.default_rng(1)
    kv = KeyedVectors(7)
    values = rng.standard_normal((300, 7)) * 10.0 ** rng.integers(-6, 6, (300, 1))
    kv.add_vectors([f"w{i}" for i in range(300)], values)
    path = tmp_path / "emb.txt"
    kv.save_word2vec_format(str(path))
    text = path.read_text().splitlines(keepends=True)  # long digit strings as well
    text[5] = "w4 " + " ".join(f"{v:.17g}" for v in values[4]) + "\n"
    path.write_text("".join(text))
    words, vectors = read_word2vec(path, binary=False)
    gensim = KeyedVectors.load_word2vec_format(str(path))
    assert words == gensim.index_to_key
    assert np.array_equal(vectors.view(np.int32), gensim.vectors.view(np.int32))
    (tmp_path / "ragged.txt").write_text("2 2\na 1 2\nb 1  2\n")  # gensim's reader decides
    assert read_word2vec(tmp_path / "ragged.txt", binary=False) is None
    (tmp_path / "twice.txt").write_text("2 2\na 1 2\na 3 4\n")  # gensim keeps the first
    assert read_word2vec(tmp_path / "twice.txt", binary=False) is None
    twice = WordVectors.load(tmp_path / "twice.txt")
    assert twice.index_to_key == ["a"] and twice["a"].tolist() == [1.0, 2.0]
