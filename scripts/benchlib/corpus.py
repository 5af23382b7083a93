"""The benchmarks' corpora: generated Zipf text, gensim's Wikipedia excerpt, real English text
from Debian's dictionary packages, one token list per line of a file."""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import sys
import time
from pathlib import Path
from typing import Literal

import numpy as np

from . import BenchError

WIKI = "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
# The real corpus: dictd databases in /usr/share/dictd, each from its Debian package.
DICTIONARIES = {"gcide": "dict-gcide", "foldoc": "dict-foldoc"}
DICTD = Path("/usr/share/dictd")
CLEANING = 1  # the version of clean_entry's rules, part of the cached file's name
_BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"  # dictd's numbers
_NOT_TEXT = re.compile(
    r"\\[^\\\n]*\\"  # a pronunciation: \Ab*do"men\
    r"|\[[^\]]*\]"  # etymologies, sources and labels: [L. abdomen], [1913 Webster], [Obs.]
    r"|\S+://\S+"  # addresses
)


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/cbow_torch`` (default ``~/.cache/cbow_torch``): the extracted corpora."""
    home = os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache"))
    return Path(home, "cbow_torch")


def zipf_probabilities(types: int) -> np.ndarray:
    """p ∝ 1/(r + 2.7) over ranks r = 1 … types: word frequencies shaped like English text's."""
    p = 1.0 / (np.arange(1, types + 1) + 2.7)  # [types]
    return p / p.sum()


def write_zipf(
    path: Path, words: int, types: int, seed: int, every_type: bool = False, line_words: int = 1000
) -> Path:
    """A text file of ``words`` tokens ``w0``, ``w1``, … drawn from the Zipf law over ``types``
    word types, ``line_words`` a line (a document each). ``every_type``: each type once among
    them (the rest drawn), in shuffled order, so that min_count 1 keeps all ``types`` words."""
    from cbow_torch.atomic import atomic_file

    rng = np.random.default_rng(seed)
    if every_type:
        drawn = rng.choice(types, size=words - types, p=zipf_probabilities(types))
        ids = rng.permutation(np.concatenate([np.arange(types), drawn]))  # [words]
    else:
        ids = rng.choice(types, size=words, p=zipf_probabilities(types))  # [words]
    names = np.array([f"w{i}" for i in range(types)])  # [types]
    with atomic_file(path) as f:
        for start in range(0, words, line_words):
            f.write((" ".join(names[ids[start : start + line_words]]) + "\n").encode())
    return path


def wiki_excerpt() -> Path:
    """gensim's Wikipedia excerpt as one article a line, extracted once through ``WikiCorpus``
    into ``$XDG_CACHE_HOME/cbow_torch`` (default ``~/.cache/cbow_torch``)."""
    from gensim.corpora import WikiCorpus
    from gensim.test.utils import datapath

    from cbow_torch.atomic import atomic_write

    path = cache_dir() / (WIKI.split(".xml")[0] + "-shortened.txt")
    if not path.is_file():
        start = time.perf_counter()
        # dictionary={} skips building a Dictionary we do not need; one process is enough here.
        wiki = WikiCorpus(datapath(WIKI), dictionary={}, processes=1)
        text = "".join(" ".join(tokens) + "\n" for tokens in wiki.get_texts())
        atomic_write(path, lambda f: f.write(text.encode()))
        print(f"extracted {datapath(WIKI)} to {path} in {time.perf_counter() - start:.1f} s")
    return path


def dictd_entries(dict_file: Path, index_file: Path) -> list[str]:
    """The entries of a dictd database (``NAME.dict.dz``, or ``NAME.dict``, with ``NAME.index``)
    in the order they are stored, each once, without the database's own ``00-database-*``
    entries. Bytes that are not UTF-8 (a few stray cp1252 quotes in GCIDE) become U+FFFD."""

    def number(text: str) -> int:
        value = 0
        for char in text:
            value = value * 64 + _BASE64.index(char)
        return value

    opener = gzip.open if dict_file.suffix == ".dz" else open  # dictzip is gzip
    with opener(dict_file, "rb") as f:
        data = f.read()
    spans = set()
    with open(index_file, encoding="utf8") as index:
        for line in index:  # headword, offset, length: the numbers in dictd's base 64
            head, offset, length = line.rstrip("\n").split("\t")[:3]
            if not head.startswith(("00-database", "00database")):
                spans.add((number(offset), number(length)))
    return [data[o : o + n].decode("utf8", errors="replace") for o, n in sorted(spans)]


def clean_entry(text: str) -> list[str]:
    """A dictionary entry's words by gensim's ``simple_preprocess``, after its pronunciations,
    bracketed etymologies and labels, and addresses are taken out."""
    from gensim.utils import simple_preprocess

    return simple_preprocess(_NOT_TEXT.sub(" ", text))


def dictionary_corpus(source: Path = DICTD, names: tuple[str, ...] = tuple(DICTIONARIES)) -> Path:
    """Real English text that nothing in this project was tuned on: the entries of the dictd
    databases NAMES in SOURCE, by default GCIDE (the GNU Collaborative International Dictionary
    of English: Webster's 1913 with WordNet's glosses, and the quotations from English writers
    that illustrate them) and FOLDOC (the Free On-line Dictionary of Computing), about 4.5
    million words. One entry a line, as the lower-cased tokens of gensim's
    ``simple_preprocess`` (:func:`clean_entry`).

    Built once into :func:`cache_dir`, under a name that holds a hash of the databases' bytes
    and of the cleaning rules: the same files give the same bytes every time, other files
    another name. A missing database is a BenchError that names the package to install."""
    from cbow_torch.atomic import atomic_file

    files = []
    for name in names:
        dict_file = source / f"{name}.dict.dz"
        if not dict_file.is_file() and (source / f"{name}.dict").is_file():
            dict_file = source / f"{name}.dict"  # dictd also reads an uncompressed database
        index_file = source / f"{name}.index"
        if not (dict_file.is_file() and index_file.is_file()):
            package = DICTIONARIES.get(name, f"the dictd database {name}")
            raise BenchError(
                f"the real corpus needs {dict_file} and {index_file}: install them with "
                f"apt-get install {' '.join(DICTIONARIES.get(n, n) for n in names)} "
                f"({package} is missing)"
            )
        files += [dict_file, index_file]
    digest = hashlib.sha256(f"cleaning {CLEANING}".encode())
    for file in files:
        digest.update(file.read_bytes())
    path = cache_dir() / f"dictionaries-{'-'.join(names)}-{digest.hexdigest()[:12]}.txt"
    if not path.is_file():
        start, words = time.perf_counter(), 0
        with atomic_file(path) as out:
            for dict_file, index_file in zip(files[::2], files[1::2], strict=True):
                for entry in dictd_entries(dict_file, index_file):
                    tokens = clean_entry(entry)
                    if tokens:
                        out.write((" ".join(tokens) + "\n").encode())
                        words += len(tokens)
        seconds = time.perf_counter() - start
        said = f"wrote {words:,} words of {', '.join(names)} to {path} in {seconds:.1f} s"
        print(said, file=sys.stderr)  # stderr: a section's stdout is its table
    return path


def named_corpus(name: str, folder: Path, words: float, types: int, seed: int) -> Path:
    """A section's ``--corpus``: ``zipf``, WORDS of generated Zipf text written into FOLDER;
    ``dictionaries``, :func:`dictionary_corpus`; or the path of a text file."""
    if name == "zipf":
        return write_zipf(folder / "zipf.txt", int(words), types, seed)
    if name == "dictionaries":
        return dictionary_corpus()
    if not Path(name).is_file():
        raise BenchError(f"--corpus {name}: no such file; give zipf, dictionaries or a text file")
    return Path(name)


def count_words(path: Path) -> int:
    """The whitespace-separated words of a text file."""
    with open(path, "rb") as f:
        return sum(len(line.split()) for line in f)


def documents(path: Path, tokenizer: Literal["simple", "whitespace"] = "simple") -> list[list[str]]:
    """Token lists, one per non-empty line, by the package's tokenizer of that name: gensim's
    ``simple_preprocess`` (``simple``) or ``str.split`` (``whitespace``)."""
    from gensim.utils import simple_preprocess

    split = str.split if tokenizer == "whitespace" else simple_preprocess
    with open(path, encoding="utf8", errors="replace") as f:
        return [d for d in map(split, f) if d]
