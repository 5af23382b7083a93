"""Subwords in the product: the fastText config trains with both engines, the bags are cached
with the prepared data, words outside the vocabulary get vectors everywhere vectors are read,
fastText's .bin loads in fastText and gensim with our vectors, and every bad setting is one line.
"""

import fasttext
import numpy as np
import pytest
import pytorch_lightning as pl
import torch
from gensim.models.fasttext import ft_ngram_hashes, load_facebook_vectors
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from cbow_torch import fit
from cbow_torch.checkpoint import read_checkpoint
from cbow_torch.inputs import Subwords
from cbow_torch.inputs.ngrams import ngram_bags
from cbow_torch.train.cli import cli_main
from cbow_torch.train.run import main as fit_main
from cbow_torch.vectors.commands import main as tools
from cbow_torch.vectors.word_vectors import SubwordVectors, UnknownWordError, WordVectors

BUCKET = 5000
FAST = dict(vector_size=16, threads=1, trainer__enable_progress_bar=False)
UNSEEN = "governmentally"  # not in the Lee corpus's vocabulary


def cosine(a, b) -> float:
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One short fastText run (fused engine) on the bundled corpus: its directory and vectors."""
    out = tmp_path_factory.mktemp("subwords")
    cache = str(out / "cache")  # the prepared data, and the bags beside it
    vectors = fit(
        config="fasttext", bucket=BUCKET, epochs=1, out_dir=out, data__cache_dir=cache, **FAST
    )
    (run_dir,) = (out / "fasttext").glob("version_*")
    return run_dir, vectors


def test_fit_returns_vectors_that_answer_for_unseen_words(run):
    run_dir, vectors = run
    assert isinstance(vectors, SubwordVectors) and isinstance(vectors, WordVectors)
    assert UNSEEN not in vectors.key_to_index and vectors.vectors_ngrams.shape == (BUCKET, 16)
    ckpt = read_checkpoint(run_dir / "checkpoints" / "last.ckpt")
    assert ckpt.input.config()["init_args"] == {"min_n": 3, "max_n": 6, "bucket": BUCKET}
    W1T = ckpt.input_vectors.numpy()  # [V + B, N]
    V = len(ckpt.words)
    # An unseen word: the mean of its n-grams' bucket rows, as fastText computes it.
    grams = ft_ngram_hashes(UNSEEN, 3, 6, BUCKET)
    assert np.allclose(vectors[UNSEEN], W1T[V + np.array(grams)].mean(0), atol=1e-6)
    # A vocabulary word: the mean of its own row and its n-grams' rows.
    word = "government"
    bag = [vectors.key_to_index[word], *(V + h for h in ft_ngram_hashes(word, 3, 6, BUCKET))]
    assert np.allclose(vectors[word], W1T[bag].mean(0), atol=1e-6)
    assert not np.allclose(vectors[word], W1T[vectors.key_to_index[word]])  # not the bare row
    similar = vectors.most_similar(UNSEEN, topn=3)
    assert len(similar) == 3 and UNSEEN not in [w for w, _ in similar]
    assert -1 <= vectors.similarity(UNSEEN, word) <= 1


def test_the_checkpoint_the_npz_and_the_run_agree(run, tmp_path):
    run_dir, vectors = run
    loaded = WordVectors.load(run_dir / "checkpoints" / "last.ckpt")
    assert isinstance(loaded, SubwordVectors)
    assert np.allclose(loaded.vectors, vectors.vectors) and np.allclose(
        loaded[UNSEEN], vectors[UNSEEN]
    )
    text = WordVectors.load(run_dir / "embeddings.txt")  # the vocabulary, as word2vec text
    assert text.index_to_key == vectors.index_to_key
    assert np.allclose(text.vectors, vectors.vectors, atol=1e-5)
    loaded.save(tmp_path / "v.npz")
    again = WordVectors.load(tmp_path / "v.npz")
    assert isinstance(again, SubwordVectors) and np.allclose(again[UNSEEN], vectors[UNSEEN])
    plain = WordVectors.load(run_dir / "checkpoints" / "last.ckpt", source="W2")
    assert type(plain) is WordVectors  # W2 has no n-grams: no unseen words
    with pytest.raises(UnknownWordError, match="not in the vocabulary"):
        plain[UNSEEN]


def test_the_bags_are_cached_beside_the_prepared_data(run):
    run_dir, vectors = run
    (meta,) = (run_dir.parents[1] / "cache").glob("*/meta.json")  # the prepared data
    cached = list(meta.parent.glob(f"bags-3-6-{BUCKET}-*.npz"))
    assert len(cached) == 1, "the bags are not cached beside the prepared data"
    piece = Subwords(3, 6, BUCKET)
    piece.setup(vectors.index_to_key, cached[0].parent)  # read from the cache
    offsets, ids = ngram_bags(vectors.index_to_key, 3, 6, BUCKET)  # computed afresh
    assert np.array_equal(piece.bags[0], offsets) and np.array_equal(piece.bags[1], ids)
    assert len(offsets) == len(vectors) + 1


def test_the_fasttext_bin_loads_in_fasttext_and_gensim(run, tmp_path, capsys):
    run_dir, vectors = run
    out = tmp_path / "model.bin"
    assert tools(["export", str(run_dir / "checkpoints/last.ckpt"), "--format", "fasttext",
                  "--out", str(out)]) == 0  # fmt: skip
    assert "fasttext, W1" in capsys.readouterr().out
    theirs = fasttext.load_model(str(out))
    gensims = load_facebook_vectors(str(out))
    assert theirs.get_dimension() == 16 and len(theirs.words) == len(vectors)
    for word in ["government", "said", UNSEEN, "zyxwv"]:
        assert cosine(theirs.get_word_vector(word), vectors[word]) >= 0.999, word
        assert cosine(gensims[word], vectors[word]) >= 0.999, word


class Saves(pl.Callback):
    """The global step of every checkpoint written."""

    def __init__(self) -> None:
        self.steps: list[int] = []

    def on_save_checkpoint(self, trainer, pl_module, checkpoint) -> None:
        self.steps.append(trainer.global_step)


def fasttext_args(tmp_path) -> list[str]:
    """``cbow-torch fit``'s options for configs/fasttext.yaml, small: B = BUCKET, N 16, one
    thread, no export."""
    return [
        "--config", "fasttext", f"--model.input.init_args.bucket={BUCKET}",
        "--model.embedding_dim=16", "--threads.count=1", "--trainer.enable_progress_bar=false",
        "--export.enabled=false", f"--trainer.logger.init_args.save_dir={tmp_path}",
        f"--data.cache_dir={tmp_path / 'cache'}",
    ]  # fmt: skip


@pytest.mark.parametrize("every, writes", [(None, 1), (1, 2)])
def test_the_config_writes_its_800_mb_checkpoint_once(tmp_path, every, writes):
    """last.ckpt of the fastText config is written at the end of fit, not at every epoch's end
    (``checkpoint.last_every_n_epochs`` 0); 1 writes it at each, as other configs do."""
    more = [] if every is None else [f"--checkpoint.last_every_n_epochs={every}"]
    cli = cli_main([*fasttext_args(tmp_path), "--trainer.max_epochs=2", *more], run=False)
    saves = Saves()
    cli.trainer.callbacks.append(saves)
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    steps = cli.trainer.global_step
    assert saves.steps == ([steps] if writes == 1 else [steps // 2, steps])
    (last,) = tmp_path.glob("fasttext/version_*/checkpoints/last.ckpt")
    ckpt = torch.load(last, weights_only=True)
    assert (ckpt["epochs_done"], ckpt["global_step"]) == (2, steps)


def test_the_config_holds_nothing_out_and_resumes_from_last(tmp_path, capfd):
    """configs/fasttext.yaml validates nothing, as fastText: no val/loss, the training loss
    logged each step, last.ckpt at the end, and ``--ckpt_path last`` goes on from it."""
    args = ["fit", *fasttext_args(tmp_path)]
    fit_main([*args, "--trainer.max_epochs=1"])
    (run_dir,) = (tmp_path / "fasttext").glob("version_*")
    last = run_dir / "checkpoints" / "last.ckpt"
    first = torch.load(last, weights_only=True)
    assert first["epochs_done"] == 1 and first["global_step"] >= 1
    tags = EventAccumulator(str(run_dir)).Reload().Tags()["scalars"]
    assert "train/loss" in tags and not [t for t in tags if t.startswith("val/")]
    capfd.readouterr()
    fit_main([*args, "--trainer.max_epochs=2", "--ckpt_path=last"])
    assert f"Resuming run {run_dir} from step {first['global_step']}" in capfd.readouterr().err
    again = torch.load(last, weights_only=True)
    assert again["epochs_done"] == 2 and again["global_step"] == 2 * first["global_step"]
    assert sorted(p.name for p in run_dir.parent.iterdir()) == [run_dir.name]


def test_fit_takes_gensims_fasttext_names(tmp_path):
    vectors = fit(config="word2vec", min_n=2, max_n=4, bucket=300, trainer__max_steps=2,
                  out_dir=tmp_path, **FAST)  # fmt: skip
    assert isinstance(vectors, SubwordVectors) and (vectors.min_n, vectors.max_n) == (2, 4)
    assert vectors.vectors_ngrams.shape == (300, 16)
    off = fit(config="word2vec", bucket=0, trainer__max_steps=2, out_dir=tmp_path, **FAST)
    assert type(off) is WordVectors  # bucket 0: no n-grams, each word its own column


def test_the_autograd_engine_trains_subwords(tmp_path):
    vectors = fit(
        config="fasttext",
        bucket=BUCKET,
        trainer__max_steps=3,
        model__objective__init_args__engine="autograd",
        model__objective__init_args__input_step="mean",
        model__lr=1.0,
        out_dir=tmp_path,
        **FAST,
    )
    assert isinstance(vectors, SubwordVectors)
    assert np.isfinite(vectors.vectors_ngrams).all() and np.isfinite(vectors[UNSEEN]).all()
    moved = np.abs(vectors.vectors_ngrams).sum(1) > 0  # W1 starts uniform: every row is set
    assert moved.all()


def test_a_word_without_ngrams_is_one_line(tmp_path, capsys):
    words = ["alpha", "beta", "gamma"]
    rng = np.random.default_rng(0)
    rows = {"min_n": 5, "max_n": 6, "bucket": 10}
    rows.update(vocab_rows=rng.normal(size=(3, 4)), ngram_rows=rng.normal(size=(10, 4)))
    vectors = SubwordVectors.from_rows(words, rng.normal(size=(3, 4)), rows)
    assert vectors["alphabet"].shape == (4,)  # "<alph", "alpha", … exist
    with pytest.raises(UnknownWordError, match="'ab' is not in the vocabulary .* no character"):
        vectors["ab"]  # "<ab>" is 4 characters: no n-gram of 5 or 6
    path = tmp_path / "v.npz"
    vectors.save(path)
    assert tools(["neighbors", str(path), "ab"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no character n-gram of 5 to 6 characters" in err
    assert tools(["neighbors", str(path), "alphabet", "--topn", "2"]) == 0
    assert "alphabet  (not in the vocabulary: its n-grams)" in capsys.readouterr().out


@pytest.mark.parametrize(
    "option, message",
    [
        ("--model.input.init_args.min_n=7", "min_n 7 is greater than max_n 6"),
        ("--model.input.init_args.min_n=0", "min_n must be >= 1"),
        ("--model.input.init_args.bucket=-1", "bucket must be an integer >= 0"),
        ("--model.input.init_args.bucket=100000000000", "the parameters need 40000.0 GB"),
        ("--checkpoint.last_every_n_epochs=-1", "last_every_n_epochs must be an integer >= 0"),
    ],
)
def test_bad_subword_settings_are_one_line(tmp_path, option, message):
    args = [
        "fit",
        "--config",
        "fasttext",
        option,
        f"--trainer.logger.init_args.save_dir={tmp_path}",
    ]
    with pytest.raises(SystemExit) as error:
        fit_main(args)
    text = str(error.value.code)
    assert text.startswith("cbow-torch: error: ") and message in text and "\n" not in text
    assert not list(tmp_path.rglob("*.ckpt"))


def test_a_bin_needs_a_checkpoint_with_subwords(tmp_path, capsys):
    fit(config="word2vec", trainer__max_steps=2, out_dir=tmp_path, **FAST)
    (ckpt,) = tmp_path.glob("word2vec/version_*/checkpoints/last.ckpt")
    out = tmp_path / "m.bin"
    assert tools(["export", str(ckpt), "--format", "fasttext", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "trained without subwords" in err and "--format word2vec" in err
    assert not out.exists()
    text = ckpt.parent.parent / "embeddings.txt"
    assert tools(["export", str(text), "--format", "fasttext", "--out", str(out)]) == 2
    assert "training checkpoint" in capsys.readouterr().err and not out.exists()


def test_unseen_words_do_not_count_as_the_vocabularys(tmp_path):
    """`word in vectors` is true for any word with n-grams (gensim's), so the run's pictures ask
    ``has_index_for``: a vocabulary without the course's words gets no course-words picture."""
    from cbow_torch.vectors.evaluation import write_pictures

    rng = np.random.default_rng(1)
    words = [f"word{i}" for i in range(20)]
    rows = {"min_n": 3, "max_n": 6, "bucket": 50}
    rows.update(vocab_rows=rng.normal(size=(20, 4)), ngram_rows=rng.normal(size=(50, 4)))
    vectors = SubwordVectors.from_rows(words, rng.normal(size=(20, 4)), rows)
    assert "king" in vectors and not vectors.has_index_for("king")
    assert write_pictures(vectors, tmp_path) == ["pca_frequent_words.png"]


def vm_mib(field: str) -> float:
    """A size from /proc/self/status (``VmRSS``, ``VmHWM``), in MiB."""
    with open("/proc/self/status") as f:
        line = next(line for line in f if line.startswith(field + ":"))
    return int(line.split()[1]) / 1024


def test_word_vectors_gather_no_copy_of_the_bag_rows():
    """The bag means are summed bag by bag: a million bag rows of N 100 (400 MB gathered) cost
    next to nothing above the [V, N] result."""
    words = [f"w{i:06d}x" for i in range(60_000)]  # 8 characters: 23 rows a bag
    piece = Subwords(3, 6, BUCKET)
    piece.setup(words)
    assert len(piece.bags[1]) > 1_000_000
    W1T = torch.rand(len(words) + BUCKET, 100)  # [V + B, N]
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # VmHWM back to VmRSS
    except OSError:
        pytest.skip("needs Linux's /proc/self/clear_refs to read a peak")
    before = vm_mib("VmRSS")
    vectors = piece.word_vectors(W1T, len(words))  # [V, N]
    assert vm_mib("VmHWM") - before < 100
    offsets, ids = piece.bags
    for w in (0, 12_345, 59_999):
        rows = W1T[torch.from_numpy(ids[offsets[w] : offsets[w + 1]].astype(np.int64))]
        assert torch.allclose(vectors[w], rows.mean(0), atol=1e-6)
