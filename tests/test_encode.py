"""encode_corpus against a plain reference: the same ids, documents and vocabulary for every
tokenizer and option, on one process and on several; and prepare's interruptions and limits."""

import bz2
import gzip
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from cbow_torch.data.corpus import bundled_corpus, encode_corpus, resolve_corpus
from cbow_torch.data.options import PrepareOptions
from cbow_torch.data.text import UNK, Vocabulary, get_tokenizer

# ---- the reference: every step written the plain way -------------------------------------


def reference_chunks(path: Path, chunk_bytes: int) -> list[str]:
    """The corpus file's text as read_chunks cuts it: blocks of ``chunk_bytes`` read
    from the file, each cut after its last newline (a longer line at its last space, else
    between two UTF-8 characters), decoded with U+FFFD for bad bytes; a leading BOM dropped."""
    opener = gzip.open if path.suffix == ".gz" else bz2.open if path.suffix == ".bz2" else open
    with opener(path, "rb") as f:
        data = f.read()
    chunks, buffer, pos, first = [], b"", 0, True
    while True:
        block, pos = data[pos : pos + chunk_bytes], pos + chunk_bytes
        buffer += block
        if first:
            buffer, first = buffer.removeprefix(b"\xef\xbb\xbf"), False
        if not block:
            cut = len(buffer)
        else:
            cut = buffer.rfind(b"\n") + 1
            if cut == 0 and len(buffer) >= chunk_bytes:
                cut = buffer.rfind(b" ") + 1
                if cut == 0:  # between two UTF-8 characters
                    cut = len(buffer)
                    while cut > 1 and buffer[cut - 1] & 0xC0 == 0x80:
                        cut -= 1
                    lead = buffer[cut - 1]
                    size = 1 if lead < 0xC0 else 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4
                    cut = len(buffer) if cut - 1 + size <= len(buffer) or cut == 1 else cut - 1
            if cut == 0:
                continue
        text = buffer[:cut].decode("utf-8", errors="replace")
        buffer = buffer[cut:]
        if text:
            chunks.append(text)
        if not block:
            return chunks


def reference_tokens(files, tokenizer, line_per_document: bool, chunk_bytes: int):
    """(tokens, document starts): each chunk (or each line of it) tokenised, in order."""
    tokenize = get_tokenizer(tokenizer)
    tokens, starts = [], []
    for path in files:
        file_start = len(tokens)
        for chunk in reference_chunks(path, chunk_bytes):
            for doc in chunk.split("\n") if line_per_document else [chunk]:
                words = list(tokenize(doc))
                if words and line_per_document:
                    starts.append(len(tokens))
                tokens += words
        if not line_per_document:
            starts.append(file_start)
    return tokens, starts


def reference_vocabulary(counts: Counter, options: PrepareOptions) -> Vocabulary:
    """Words counted min_count times or more, most frequent first (ties alphabetical), the
    max_vocab_size first of them; with unk, "<unk>" (the count of all the others) in its place
    in that order; then by code point for the alphabetical order."""
    unk, max_size = options.unk, options.max_vocab_size
    kept = [(w, c) for w, c in counts.items() if c >= options.min_count and not (unk and w == UNK)]
    kept.sort(key=lambda wc: (-wc[1], wc[0]))
    kept = kept if max_size is None else kept[: max_size - 1 if unk else max_size]
    if unk:
        kept.append((UNK, sum(counts.values()) - sum(c for _, c in kept)))
        kept.sort(key=lambda wc: (-wc[1], wc[0]))
    if options.vocab_order == "alphabetical":
        kept.sort()
    return Vocabulary([w for w, _ in kept], [c for _, c in kept])


def reference_encode(tokens, starts, options: PrepareOptions):
    """(ids, docs, vocab): the vocabulary from the counts; dropped words removed (or <unk>);
    document starts counted in kept ids."""
    vocab = reference_vocabulary(Counter(tokens), options)
    ids = vocab.encode(tokens, "unk" if options.unk else "drop")  # [n]
    kept = np.fromiter((t in vocab for t in tokens), bool, len(tokens)) | options.unk  # [T]
    kept_before = np.concatenate([[0], np.cumsum(kept)])  # [T + 1]
    return ids, kept_before[np.asarray(starts, dtype=np.int64)], vocab


# ---- corpora ------------------------------------------------------------------------------

WORDS_TEXT = (
    "Café naïve façade Straße İstanbul ÉCOLE über déjà-vu 日本語の テキスト emoji🙂 "
    "abc123def _under __dunder snake_case x y a-b it's O'Neil Mr. Smith. U.S.A. "
    "supercalifragilisticexpialidocious ñandú Ωmega σοφία Москва"
)
WORDS = WORDS_TEXT.split()


def generated_corpus(root: Path) -> list[Path]:
    """Several files: long lines, non-ASCII words and separators, empty lines, CRLF, a BOM,
    bad bytes, no final newline, a line longer than any chunk, a file of no words, .gz, .bz2."""
    rng = random.Random(7)
    lee = bundled_corpus().read_text(encoding="utf-8").splitlines()
    root.mkdir()

    def words(n):
        pool = WORDS + [w for line in rng.sample(lee, 3) for w in line.split()]
        return [
            rng.choice(pool) if rng.random() < 0.3 else rng.choice(WORDS[:12]) for _ in range(n)
        ]

    seps = [" ", " ", " ", "\t", "\u00a0", "\u2003", "\x1c", "  ", " . ", ", "]

    def line(n):
        return "".join(w + rng.choice(seps) for w in words(n)).strip()

    (root / "a.txt").write_text(
        "\n".join(line(rng.randint(0, 40)) for _ in range(400)) + "\n\n\n", encoding="utf-8"
    )
    (root / "b.txt").write_bytes(
        b"\xef\xbb\xbf" + "\r\n".join(line(rng.randint(1, 30)) for _ in range(200)).encode()
    )
    long = " ".join(lee[:40])  # a line of many chunks, cut at spaces
    (root / "c.txt").write_text(long + "\n" + line(10) + "\n" + long, encoding="utf-8")
    (root / "d.txt").write_bytes(
        ("é" * 9000 + "\nplain words\n").encode() + b"caf\xe9 bad \xff bytes\n" + b"tail"
    )
    (root / "e.txt").write_text("123 456 -- ... !!!\n\n42\n", encoding="utf-8")
    with gzip.open(root / "f.txt.gz", "wt", encoding="utf-8") as f:
        f.write("\n".join(line(20) for _ in range(300)) + "\n")
    with bz2.open(root / "g.txt.bz2", "wt", encoding="utf-8") as f:
        f.write("\n".join(line(25) for _ in range(200)) + "\n")
    return resolve_corpus(str(root))


def capitals(text: str) -> list[str]:
    """A custom tokenizer: capitalised words, as written."""
    return re.findall(r"[A-Z]\w+", text)


CORPORA = ["lee", "shakespeare", "generated"]
TOKENIZERS = [
    "simple",
    "whitespace",
    "course",
    capitals,
    f"{__name__}.capitals",
    lambda text: text.lower().split(),  # cannot be pickled: forked workers inherit it
]
OPTIONS = [
    {},
    {"line_per_document": True},
    {"min_count": 3, "vocab_order": "alphabetical"},
    {"min_count": 2, "unk": True, "line_per_document": True},
    {"max_vocab_size": 50, "unk": True, "vocab_order": "alphabetical"},
    {"max_vocab_size": 200, "min_count": 2, "line_per_document": True},
]


@pytest.fixture
def corpus_files(request, tmp_path):
    name = request.param
    if name == "lee":
        return [bundled_corpus()]
    if name == "shakespeare":
        return [request.getfixturevalue("shakespeare")]
    return generated_corpus(tmp_path / "generated")


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:corpus file .* is not valid UTF-8")
@pytest.mark.parametrize("chunk_bytes, workers", [(1 << 20, 1), (2048, 2)])
@pytest.mark.parametrize("tokenizer", TOKENIZERS, ids=lambda t: getattr(t, "__name__", t))
@pytest.mark.parametrize("corpus_files", CORPORA, indirect=True)
def test_ids_docs_and_vocabulary_are_the_references(
    tmp_path, corpus_files, tokenizer, chunk_bytes, workers
):
    """On one process, and on two with chunks of 2 kB (many tasks, merged in order)."""
    streams = {
        lpd: reference_tokens(corpus_files, tokenizer, lpd, chunk_bytes) for lpd in (False, True)
    }
    for i, changes in enumerate(OPTIONS):
        options = PrepareOptions(tokenizer=tokenizer, **changes)
        ids, docs, vocab = reference_encode(*streams[options.line_per_document], options)
        out = tmp_path / f"out{i}"
        got = encode_corpus(corpus_files, out, options, chunk_bytes, workers=workers)
        assert got == vocab, changes
        assert np.array_equal(np.load(out / "ids.npy"), ids), changes
        assert np.array_equal(np.load(out / "docs.npy"), docs), changes
        assert Vocabulary.load(out / "vocab.tsv") == vocab, changes
        assert sorted(p.name for p in out.iterdir()) == ["docs.npy", "ids.npy", "vocab.tsv"]


def test_the_vocabulary_names_its_tokenizer(tmp_path):
    got = encode_corpus([bundled_corpus()], tmp_path / "a", PrepareOptions(tokenizer=capitals))
    assert got.tokenizer == f"{__name__}.capitals"
    got = encode_corpus([bundled_corpus()], tmp_path / "b", PrepareOptions(tokenizer="course"))
    assert got.tokenizer == "course"


def test_a_progress_bar_with_words_per_second(tmp_path, capsys):
    corpus = tmp_path / "c.txt"
    corpus.write_text("some words here\n" * 400)

    def slow(text):  # ten chunks of 0.3 s: past the bar's 2 s delay
        time.sleep(0.3)
        return text.split()

    encode_corpus([corpus], tmp_path / "a", PrepareOptions(tokenizer=slow), 640, progress=True)
    err = capsys.readouterr().err
    assert "prepare" in err and "words/s" in err and "100%" in err
    encode_corpus([corpus], tmp_path / "b", PrepareOptions(tokenizer="whitespace"), progress=True)
    assert capsys.readouterr().err == ""  # done before the bar would show
    encode_corpus([corpus], tmp_path / "c", PrepareOptions(tokenizer=slow), 640)
    assert capsys.readouterr().err == ""  # stderr is no terminal here: no bar by default


# ---- an interrupted prepare, and one that would not fit in memory -------------------------


def prepare_process(tmp_path, *args, setup=""):
    """``cbow-torch prepare`` in a process of its own, started after ``setup`` (Python)."""
    code = f"{setup}\nimport sys\nfrom cbow_torch.__main__ import main\nmain(sys.argv[1:])"
    return subprocess.Popen(
        [sys.executable, "-c", code, "prepare", *map(str, args)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def big_corpus(tmp_path) -> Path:
    """The Lee corpus repeated to 9 MB: past PARALLEL_BYTES, so prepare starts its workers."""
    corpus = tmp_path / "big.txt"
    text = bundled_corpus().read_text(encoding="utf-8")
    corpus.write_text(text * (9_000_000 // len(text) + 1), encoding="utf-8")
    return corpus


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text()


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc for the workers")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
def test_an_interrupted_prepare_leaves_no_dataset(tmp_path, sig):
    corpus = big_corpus(tmp_path)
    process = prepare_process(tmp_path, corpus, "--out", "ds", "--tokenizer", "course")
    deadline = time.monotonic() + 120
    while not [p for p in tmp_path.glob(".ds.*/raw.i32") if p.stat().st_size]:  # midway
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.05)
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    assert len(children) >= 2  # the workers
    process.send_signal(sig)
    _, err = process.communicate(timeout=60)
    assert not (tmp_path / "ds").exists()
    while any(alive(int(pid)) for pid in children):  # no worker outlives prepare
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert "Traceback" not in err
    if sig == signal.SIGKILL:  # nothing could remove the directory it was building
        assert process.returncode == -signal.SIGKILL
        assert [p.name for p in tmp_path.glob(".ds.*")]
        return
    assert process.returncode == {signal.SIGINT: 130, signal.SIGTERM: 143}[sig]
    assert err.count("\n") == 1 and "nothing was written to --out ds" in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.txt"]  # nothing half-written


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ulimit -v, /proc")
def test_a_corpus_too_large_for_the_memory_is_refused_before_it_starts(tmp_path):
    corpus = tmp_path / "hashes.txt"  # 1.2M words, every one new
    rng = np.random.default_rng(0)
    words = [f"{v:012x}" for v in rng.integers(0, 2**48, 1_200_000).tolist()]
    corpus.write_text("\n".join(" ".join(words[i : i + 12]) for i in range(0, len(words), 12)))
    limit = (  # 300 MB of address space past what the process holds once started
        "import resource, re; from pathlib import Path\n"
        "size = int(re.search(r'VmSize:\\s+(\\d+)', Path('/proc/self/status').read_text())[1])\n"
        "room = size * 1024 + 300 * 2**20\n"
        "resource.setrlimit(resource.RLIMIT_AS, (room, room))"
    )
    process = prepare_process(
        tmp_path, corpus, "--out", "ds", "--tokenizer", "whitespace", setup=limit
    )
    out, err = process.communicate(timeout=300)
    assert process.returncode == 2 and out == "" and err.count("\n") == 1, err
    assert err.startswith(f"cbow-torch: error: preparing {corpus} (")
    assert "1.2M words of which 1.2M distinct) needs about" in err and "is available" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hashes.txt"]  # before it started
    words = corpus.read_text().split()[:120_000]  # a tenth of it fits, and is prepared
    corpus.write_text(" ".join(words))
    process = prepare_process(
        tmp_path, corpus, "--out", "ds", "--tokenizer", "whitespace", setup=limit
    )
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0 and "wrote ds: 120,000 tokens" in out, err
