"""The benchmarks' corpora: generated Zipf text, gensim's Wikipedia excerpt, one token list per
line of a file."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Literal

import numpy as np

WIKI = "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"


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

    home = os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache"))
    path = Path(home, "cbow_torch", WIKI.split(".xml")[0] + "-shortened.txt")
    if not path.is_file():
        start = time.perf_counter()
        # dictionary={} skips building a Dictionary we do not need; one process is enough here.
        wiki = WikiCorpus(datapath(WIKI), dictionary={}, processes=1)
        text = "".join(" ".join(tokens) + "\n" for tokens in wiki.get_texts())
        atomic_write(path, lambda f: f.write(text.encode()))
        print(f"extracted {datapath(WIKI)} to {path} in {time.perf_counter() - start:.1f} s")
    return path


def documents(path: Path, tokenizer: Literal["simple", "whitespace"] = "simple") -> list[list[str]]:
    """Token lists, one per non-empty line, by the package's tokenizer of that name: gensim's
    ``simple_preprocess`` (``simple``) or ``str.split`` (``whitespace``)."""
    from gensim.utils import simple_preprocess

    split = str.split if tokenizer == "whitespace" else simple_preprocess
    with open(path, encoding="utf8", errors="replace") as f:
        return [d for d in map(split, f) if d]
