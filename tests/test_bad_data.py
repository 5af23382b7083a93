"""Inputs that are not what they claim: corpora that are not text, vectors files whose header
does not match what they hold. Each is one line that names the file, before anything is written."""

import bz2
import gzip
import os
import shutil

import numpy as np
import pytest
import torch
from gensim.models import KeyedVectors

from cbow_torch.data.corpus import bundled_corpus, resolve_corpus
from cbow_torch.data.datamodule import CBOWDataModule
from cbow_torch.data.errors import CBOWDataError
from cbow_torch.data.prepare import main as prepare_main
from cbow_torch.data.prepare import prepare
from cbow_torch.vectors.commands import main as tools_main
from cbow_torch.vectors.word_vectors import WordVectors

GREEK = "Η γρήγορη καφέ αλεπού πηδά πάνω από το τεμπέλικο σκυλί και τρέχει στο δάσος.\n"
ACCENTS = "Ça a été très élégant: le café crème de la rue Cléry, déjà fermé à l'aube.\n"


def elf_like(path):
    """Bytes shaped like /bin/ls: an ELF header, NUL padding, code, a few strings."""
    rng = np.random.default_rng(0)
    body = rng.integers(0, 256, 30_000, dtype=np.uint8).tobytes()
    path.write_bytes(b"\x7fELF\x02\x01\x01" + b"\0" * 9 + body + b"usage: ls [OPTION]\0GLIBC\0")
    return path


def not_utf8_without_nuls(path):
    """High bytes and controls, no NUL: what a non-UTF-8 binary or an image may look like."""
    rng = np.random.default_rng(1)
    path.write_bytes(rng.integers(1, 256, 30_000, dtype=np.uint8).tobytes())
    return path


def written(data):
    def write(path):
        path.write_bytes(data)
        return path

    return write


BINARIES = {
    "elf": elf_like,
    "nul bytes in text": written(("some words " * 400).encode("utf-16-le")),
    "no nul, not utf-8": not_utf8_without_nuls,
    "greek in iso-8859-7": written((GREEK * 200).encode("iso-8859-7")),
}


def one_line(err: BaseException) -> str:
    message = str(err)
    assert "\n" not in message and "Traceback" not in message
    return message


@pytest.mark.parametrize("kind", list(BINARIES))
def test_a_corpus_that_is_not_text_is_refused_before_anything_is_written(tmp_path, kind):
    corpus = BINARIES[kind](tmp_path / "corpus.dat")
    with pytest.raises(CBOWDataError) as prepared:
        prepare(str(corpus), tmp_path / "ds")
    message = one_line(prepared.value)
    assert str(corpus) in message and "not" in message and "text" in message
    assert "iconv -t UTF-8" in message  # the fix, for a file that is text in another encoding
    assert sorted(os.listdir(tmp_path)) == ["corpus.dat"]  # no dataset, no temporary directory
    with pytest.raises(CBOWDataError) as fit:  # fit refuses it when the data is built
        CBOWDataModule(corpus=str(corpus), cache_dir=str(tmp_path / "cache"))
    assert str(corpus) in one_line(fit.value)
    assert not (tmp_path / "cache").exists()


def test_bin_ls_itself(tmp_path):
    ls = shutil.which("ls")
    if ls is None:
        pytest.skip("no ls on this machine")
    with pytest.raises(CBOWDataError, match=f"corpus file {ls} holds NUL bytes"):
        prepare(ls, tmp_path / "ds")
    assert not (tmp_path / "ds").exists()


def test_prepare_command_refuses_a_binary_in_one_line(tmp_path, capsys):
    corpus = elf_like(tmp_path / "ls")
    assert prepare_main([str(corpus), "--out", str(tmp_path / "ds")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"cbow-torch: error: corpus file {corpus} holds NUL bytes")
    assert err.count("\n") == 1 and not (tmp_path / "ds").exists()


@pytest.mark.parametrize("text", [GREEK, ACCENTS, GREEK + ACCENTS])
def test_real_text_in_any_language_is_accepted(tmp_path, text):
    corpus = tmp_path / "c.txt"
    corpus.write_text(text * 20, encoding="utf-8")
    dataset = prepare(str(corpus), tmp_path / "ds")
    words = set(dataset.vocab.index_to_key)
    assert words & {"γρήγορη", "αλεπού", "été", "élégant", "café"}
    assert dataset.meta["tokens"] == 20 * len(
        dataset.vocab.decode(dataset.ids[: len(dataset.ids) // 20])
    )


def test_latin1_text_with_a_few_bad_bytes_is_accepted_with_a_warning(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_bytes((ACCENTS * 20).encode("latin-1"))
    with pytest.warns(UserWarning, match="not valid UTF-8"):
        dataset = prepare(str(corpus), tmp_path / "ds")
    assert "le" in dataset.vocab and "rue" in dataset.vocab


# ---- vectors files whose header is wrong -------------------------------------------------

WORDS = ["king", "queen", "man", "woman", "dog"]


def vectors_file(tmp_path, binary, header=None, drop=0):
    """A word2vec file of WORDS written by gensim, then its header replaced (``header``) or its
    last ``drop`` vectors removed."""
    kv = KeyedVectors(4)
    kv.add_vectors(WORDS, np.arange(20, dtype=np.float32).reshape(5, 4) / 7)
    path = tmp_path / ("v.bin" if binary else "v.txt")
    kv.save_word2vec_format(str(path), binary=binary)
    data = path.read_bytes()
    first, rest = data.split(b"\n", 1)
    if drop:
        cut = len(rest) - drop * (len(rest) // len(WORDS)) if binary else None
        rest = rest[:cut] if binary else b"".join(rest.splitlines(True)[:-drop])
    path.write_bytes((header.encode() if header else first) + b"\n" + rest)
    return path


@pytest.mark.parametrize("binary", [False, True])
def test_a_header_that_says_fewer_words_than_the_file_holds(tmp_path, binary):
    path = vectors_file(tmp_path, binary, header="3 4")
    with pytest.raises(ValueError) as err:
        WordVectors.load(path)
    message = one_line(err.value)
    kind = "word2vec-binary" if binary else "word2vec"
    assert message.startswith(f"{path}: not a valid {kind} file (its header says 3 vectors")
    assert "header" in message.split("(", 1)[1]


@pytest.mark.parametrize("binary", [False, True])
def test_a_header_that_says_more_words_than_the_file_holds(tmp_path, binary):
    path = vectors_file(tmp_path, binary, header="9 4")
    with pytest.raises(ValueError) as err:
        WordVectors.load(path)
    message = one_line(err.value)
    assert str(path) in message and "cut short, or its header is wrong" in message


@pytest.mark.parametrize("dim", [3, 5])
def test_a_wrong_dimension_is_a_wrong_text_header(tmp_path, dim):
    path = vectors_file(tmp_path, binary=False, header=f"5 {dim}")
    with pytest.raises(ValueError) as err:
        WordVectors.load(path)
    message = one_line(err.value)
    assert message.startswith(f"{path}: not a valid word2vec file (its header '5 {dim}' says")
    assert "binary" not in message and f"says {dim} numbers a vector, but line 2 holds 4" in message


def test_a_file_that_matches_its_header_still_loads(tmp_path):
    for binary in (False, True):
        wv = WordVectors.load(vectors_file(tmp_path, binary))
        assert wv.index_to_key == WORDS


def test_word2vecs_own_binary_with_newlines_loads(tmp_path):
    """word2vec's C tool ends each binary vector with a newline; gensim reads that, so do we."""
    vectors = np.arange(20, dtype=np.float32).reshape(5, 4)
    body = b"".join(
        w.encode() + b" " + v.tobytes() + b"\n" for w, v in zip(WORDS, vectors, strict=True)
    )
    (tmp_path / "c.bin").write_bytes(b"5 4\n" + body)
    wv = WordVectors.load(tmp_path / "c.bin")
    assert wv.index_to_key == WORDS and torch.equal(torch.tensor(wv.vectors), torch.tensor(vectors))


def test_the_vector_tools_say_it_in_one_line(tmp_path, capsys):
    path = vectors_file(tmp_path, binary=False, header="2 4")
    assert tools_main(["neighbors", str(path), "king"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cbow-torch neighbors: error: ") and err.count("\n") == 1
    assert "its header says 2 vectors but it holds 5" in err


def test_fit_on_a_binary_exits_in_one_line_with_no_run_directory(tmp_path):
    """`cbow-torch fit --data.corpus /bin/ls`: refused when the data is built, before the run."""
    from _fast import fit_args

    from cbow_torch.train.run import main as fit_main

    corpus = elf_like(tmp_path / "ls")
    args = [a for a in fit_args(tmp_path) if not a.startswith("--data.corpus")]
    with pytest.raises(SystemExit) as error:
        fit_main([*args, f"--data.corpus={corpus}"])
    message = str(error.value.code)
    assert message.startswith(f"cbow-torch: error: corpus file {corpus} holds NUL bytes")
    assert "\n" not in message
    assert not (tmp_path / "runs").exists() and not (tmp_path / "cache").exists()


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["export", "{v}"], "export: error: --out is required (see cbow-torch export --help)"),
        (["plot", "{v}"], "plot: error: --out is required (see cbow-torch plot --help)"),
        (["export", "{v}", "--out", "x", "--format", "csv"], "format"),
        (["neighbors", "{v}", "king", "--topnn", "3"], "--topnn"),
        (["neighbors", "{v}", "king", "--topn", "x"], "topn"),
        (["neighbors", "{v}", "king", "--source", "W3"], "W3"),
        (["plot", "{v}", "--words", "a", "b", "--top", "3", "--out", "p.png"], "exclude"),
    ],
)
def test_usage_errors_of_the_vector_tools_are_one_line(tmp_path, capsys, argv, fragment):
    path = vectors_file(tmp_path, binary=False)
    assert tools_main([a.format(v=path) for a in argv]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(f"cbow-torch {argv[0]}: error: ")
    assert err.count("\n") == 1 and fragment in err
    assert sorted(os.listdir(tmp_path)) == ["v.txt"]


def test_prepare_without_out_is_one_line(tmp_path, capsys):
    assert prepare_main(["lee"]) == 2
    assert capsys.readouterr().err == (
        "cbow-torch: error: --out is required (see cbow-torch prepare --help)\n"
    )


# ---- compressed corpora that are cut short or corrupt -------------------------------------

COMPRESS = {".gz": gzip.compress, ".bz2": lambda data: bz2.compress(data, 1)}  # 100 kB blocks


def damaged(tmp_path, suffix, damage):
    """The Lee corpus compressed, then its last third cut off or 200 bytes there zeroed: the
    start still reads as text, so the file is refused only when prepare reaches the damage."""
    data = bytearray(COMPRESS[suffix](bundled_corpus().read_bytes()))
    at = len(data) * 2 // 3
    if damage == "cut":
        del data[at:]
    else:
        data[at : at + 200] = bytes(200)
    path = tmp_path / f"lee{suffix}"
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("damage", ["cut", "corrupt"])
@pytest.mark.parametrize("suffix", [".gz", ".bz2"])
def test_a_damaged_compressed_corpus_is_one_line(tmp_path, capsys, suffix, damage):
    path = damaged(tmp_path, suffix, damage)
    assert resolve_corpus(str(path)) == [path]  # its start is text
    with pytest.raises(CBOWDataError) as info:
        prepare(str(path), tmp_path / "ds")
    message = one_line(info.value)
    assert message.startswith(f"corpus file {path} is cut short or corrupt (")
    tool = {".gz": "gzip", ".bz2": "bzip2"}[suffix]
    assert message.endswith(f"check it with {tool} -t, then download or compress it again")
    assert prepare_main([str(path), "--out", str(tmp_path / "ds")]) == 2
    err = capsys.readouterr().err
    assert err == f"cbow-torch: error: {message}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # nothing half-written


def test_a_damaged_compressed_corpus_in_fit_is_one_line(tmp_path):
    from _fast import fit_args

    from cbow_torch import fit
    from cbow_torch.train.run import main as fit_main

    path = damaged(tmp_path, ".gz", "cut")
    args = [a for a in fit_args(tmp_path) if not a.startswith("--data.corpus")]
    with pytest.raises(SystemExit) as error:
        fit_main([*args, f"--data.corpus={path}"])
    assert str(error.value.code) == (
        f"cbow-torch: error: corpus file {path} is cut short or corrupt (Compressed file ended "
        "before the end-of-stream marker was reached): check it with gzip -t, then download or "
        "compress it again"
    )
    with pytest.raises(ValueError, match=f"corpus file {path} is cut short or corrupt"):
        fit(path, config="default", out_dir=tmp_path / "runs", trainer__max_steps=2)


def test_a_corpus_directory_names_its_broken_compressed_file(tmp_path):
    (tmp_path / "a.txt").write_text("some words\n")
    (tmp_path / "b.txt.gz").write_bytes(b"not gzip at all\n")  # named, not skipped
    with pytest.raises(CBOWDataError) as info:
        resolve_corpus(str(tmp_path))
    assert one_line(info.value).startswith(f"corpus file {tmp_path / 'b.txt.gz'} is cut short")
