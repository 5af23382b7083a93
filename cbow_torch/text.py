"""Text to tokens to ids: the tokenizers and the Vocabulary (word <-> id, counts, save/load).

Tokenizers, all ``str -> list[str]``:

- ``"course"``: the course's preprocessing, ``re.sub(r"[,!?;-]", ".", text)``, NLTK 3.5's
  ``word_tokenize`` (Punkt sentences, then the Treebank word rules), lower-case, keep alphabetic
  tokens and ``"."``. Written by hand here: no NLTK, no model download. Clitics (``'s``, ``'d``,
  ``n't``, ``'ll`` …) are split off and then dropped because they are not alphabetic. The one
  thing that cannot be copied is Punkt's model trained on the Wall Street Journal; it decides
  whether a period after a single letter (``"O."``, ``"I."``) or a known abbreviation ends a
  sentence. Here that decision uses Punkt's own rules with the text being tokenised standing in
  for the training data (is the next word ever written lower-case in it?), and a short list of
  Punkt's abbreviations. On the course's Shakespeare file this gives 60,990 tokens (NLTK 3.5:
  60,996) and NLTK 3.5's 5,778 types; the token lists differ in 10 positions.
- ``"simple"``: gensim's ``simple_preprocess``: lower-cased alphabetic words of 2 to 15 letters.
- ``"whitespace"``: ``text.split()``, for text that is already tokenised.
- any callable, or the dotted name of an importable one (``"my_pkg.my_mod.my_tokenizer"``).
"""

from __future__ import annotations

import importlib
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np

from .atomic import atomic_write

TOKENIZERS = ("course", "simple", "whitespace")
ORDERS = ("alphabetical", "frequency")
UNK = "<unk>"

# ---------------------------------------------------------------------------------------------
# The course tokenizer: NLTK 3.5 word_tokenize, by hand.

_COURSE_PUNCT = str.maketrans({c: "." for c in ",!?;-"})

# Punkt: a word ending in a period, followed by punctuation or by whitespace and a token, is a
# candidate sentence end (Punkt's period_context_re, with "." the only sentence-end character
# left once ,!?; are periods).
_PERIOD_CONTEXT = re.compile(r"""\S*\.(?=(?:[?!)";}\]*:@'({\[]|\s+(?P<next>\S+)))""")
_FINAL_PERIOD = re.compile(r"""([^.])(\.)([\])}>"'»”’ ]*)\s*$""")
_NUMBER = re.compile(r"^-?[.,]?\d[\d,.-]*$")
_LOWER_WORD = re.compile(r"\b[a-z]+")
# Abbreviations that Punkt's English model knows and that turn up in literary text. A period
# after one of these is not taken as a sentence end (see _is_sentence_end).
ABBREVIATIONS = frozenset(
    "mr mrs ms dr st jr sr vs v etc inc co corp ltd jan feb mar apr jun jul aug sep sept oct "  # noqa: SIM905
    "nov dec mon tue wed thu fri ill gen gov sen rep col lt capt sgt prof".split()
)

# Treebank (NLTK 3.5's NLTKWordTokenizer), in its order; the sentence-final period is handled
# while splitting sentences. Sentences arrive padded with one space on each side.
_TREEBANK = [
    (re.compile(r"([«“‘„]|[`]+)"), r" \1 "),  # starting quotes
    (re.compile(r'^"'), r"``"),
    (re.compile(r"(``)"), r" \1 "),
    (re.compile(r"""([ (\[{<])("|'{2})"""), r"\1 `` "),
    (re.compile(r"(?i)(')(?!re|ve|ll|m|t|s|d)(\w)\b"), r"\1 \2"),  # 3.6+ adds n: stol'n
    (re.compile(r"([:,])([^\d])"), r" \1 \2"),  # punctuation
    (re.compile(r"([:,])$"), r" \1 "),
    (re.compile(r"\.{2,}"), r" \g<0> "),
    (re.compile(r"[;@#$%&]"), r" \g<0> "),
    (re.compile(r"[?!]"), r" \g<0> "),
    (re.compile(r"([^'])' "), r"\1 ' "),
    (re.compile(r"[*]"), r" \g<0> "),
    (re.compile(r"[\]\[(){}<>]"), r" \g<0> "),  # brackets
    (re.compile(r"--"), r" -- "),
    (re.compile(r"([»”’])"), r" \1 "),  # ending quotes
    (re.compile(r'"'), " '' "),
    (re.compile(r"(\S)('')"), r"\1 \2 "),
    (re.compile(r"([^' ])('[sS]|'[mM]|'[dD]|') "), r"\1 \2 "),
    (re.compile(r"([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) "), r"\1 \2 "),
    *(  # contractions: cannot -> can not, 'tis -> 't is, …
        (re.compile(p), r" \1 \2 ")
        for p in (
            r"(?i)\b(can)(not)\b",
            r"(?i)\b(d)('ye)\b",
            r"(?i)\b(gim)(me)\b",
            r"(?i)\b(gon)(na)\b",
            r"(?i)\b(got)(ta)\b",
            r"(?i)\b(lem)(me)\b",
            r"(?i)\b(more)('n)\b",
            r"(?i)\b(wan)(na)\s",
            r"(?i) ('t)(is)\b",
            r"(?i) ('t)(was)\b",
        )
    ),
]


def _course_tokenize(text: str) -> list[str]:
    text = text.translate(_COURSE_PUNCT)
    # Each sentence is padded with a space on each side, as the Treebank tokenizer pads it, and
    # sentences are joined by newlines, which no Treebank rule matches across; then the rules
    # run once over the whole text instead of once per sentence.
    pieces, start, lower_words = [" "], 0, None
    for match in _PERIOD_CONTEXT.finditer(text):
        nxt = match.group("next")
        if not _is_sentence_end(match.group(), nxt, text[match.end()], lower_words):
            if lower_words is None and nxt and nxt[0].isupper():
                # Only now needed (rare). "i" comes from "i'"; the pronoun is never lower-case.
                lower_words = set(_LOWER_WORD.findall(text)) - {"i"}
                if not _is_sentence_end(match.group(), nxt, text[match.end()], lower_words):
                    continue
            else:
                continue
        end = match.end()
        if end >= 2 and text[end - 2] != ".":  # Treebank: the sentence-final period stands alone
            pieces += [text[start : end - 1], " . \n "]
        else:
            pieces += [text[start:end], " \n "]
        start = match.start("next") if nxt else end
    pieces += [_FINAL_PERIOD.sub(r"\1 \2 \3 ", text[start:].rstrip()), " "]
    text = "".join(pieces)
    for pattern, replacement in _TREEBANK:
        text = pattern.sub(replacement, text)
    return [t.lower() for t in text.split() if t.isalpha() or t == "."]


def _is_sentence_end(word: str, nxt: str | None, after: str, lower_words: set | None) -> bool:
    """Punkt's decision for a candidate ``word.`` followed by ``nxt`` (or the character ``after``).

    ``lower_words`` (the words seen lower-case) stands in for Punkt's orthographic context; when
    it is None and it would be needed, the answer is False and the caller asks again with it.
    """
    core = word[:-1].lstrip('([{"`:;&#*@)}]-,')  # Punkt splits these off; not "'"
    if not core or core.endswith("."):
        return True  # a lone period, or an ellipsis: the break changes no token
    initial = len(core) == 1 and core.isalpha()
    abbreviation = core.lower() in ABBREVIATIONS
    if not (initial or abbreviation or _NUMBER.match(core)):
        return True
    # Punkt's orthographic heuristic on the next token: True (starts a sentence), False, None.
    if nxt is None:
        ortho = False if after in ";:,.!?" else None
    elif nxt[0] in ";:,.!?" or nxt[0].islower():
        ortho = False
    elif nxt[0].isupper():
        if lower_words is None:
            return False
        head = re.match(r"[A-Za-z]+", nxt)
        ortho = True if head and head.group().lower() in lower_words else None
    else:
        ortho = None
    if abbreviation and not initial:
        # Punkt breaks here only for a frequent sentence starter of its training data or a word
        # never capitalised there mid-sentence; without those statistics, never.
        return False
    if ortho is False or (ortho is None and initial and nxt is not None and nxt[0].isupper()):
        return False
    return not abbreviation


# ---------------------------------------------------------------------------------------------
# The other tokenizers.

_SIMPLE = re.compile(r"(?:(?!\d)\w)+")


def _simple_tokenize(text: str) -> list[str]:
    # gensim.utils.simple_preprocess(text): \w runs without digits, 2..15 long, no leading "_".
    return [t for t in _SIMPLE.findall(text.lower()) if 2 <= len(t) <= 15 and t[0] != "_"]


def _whitespace_tokenize(text: str) -> list[str]:
    return text.split()


_BUILTIN = {
    "course": _course_tokenize,
    "simple": _simple_tokenize,
    "whitespace": _whitespace_tokenize,
}


def get_tokenizer(tokenizer: str | Callable[[str], list[str]]) -> Callable[[str], list[str]]:
    """The tokenizer named ``tokenizer``: a built-in name, a dotted import path, or a callable."""
    if callable(tokenizer):
        return tokenizer
    if not isinstance(tokenizer, str):
        raise ValueError(f"tokenizer must be a name or a callable, got {tokenizer!r}")
    if tokenizer in _BUILTIN:
        return _BUILTIN[tokenizer]
    module_name, _, attr = tokenizer.rpartition(".")
    if not module_name:
        raise ValueError(
            f"unknown tokenizer {tokenizer!r}: use one of {TOKENIZERS} "
            "or the dotted name of a function, e.g. 'my_pkg.my_mod.my_tokenizer'"
        )
    try:
        func = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as err:
        raise ValueError(
            f"tokenizer {tokenizer!r} cannot be imported ({err}); "
            f"use one of {TOKENIZERS} or the dotted name of an importable function"
        ) from None
    if not callable(func):
        raise ValueError(f"tokenizer {tokenizer!r} is not callable: it must be str -> list[str]")
    return func


def tokenize(text: str, tokenizer: str | Callable[[str], list[str]] = "course") -> list[str]:
    """``text`` as a list of tokens (see the module docstring for the tokenizers)."""
    return list(get_tokenizer(tokenizer)(text))


# ---------------------------------------------------------------------------------------------
# Vocabulary.


class Vocabulary:
    """Words and their ids: ``index_to_key[i]`` is word i, ``key_to_index[w]`` its id.

    Args:
        words: the words, in id order; unique, non-empty, without tabs or newlines.
        counts: corpus counts aligned with ``words`` (default: all zero).
    """

    def __init__(self, words: Sequence[str], counts: Sequence[int] | None = None) -> None:
        words = [str(w) for w in words]
        counts = [0] * len(words) if counts is None else [int(c) for c in counts]
        if len(counts) != len(words):
            raise ValueError(f"counts has {len(counts)} entries for {len(words)} words")
        for word in words:
            if not word or any(c in word for c in "\t\n\r"):
                raise ValueError(f"vocabulary word {word!r} is empty or holds a tab or newline")
        if any(c < 0 for c in counts):
            raise ValueError("vocabulary counts must be >= 0")
        self.index_to_key: list[str] = words
        self.key_to_index: dict[str, int] = {w: i for i, w in enumerate(words)}
        if len(self.key_to_index) != len(words):
            dup = next(w for w, n in Counter(words).items() if n > 1)
            raise ValueError(f"vocabulary word {dup!r} occurs twice")
        self.counts: list[int] = counts

    @classmethod
    def from_counts(
        cls,
        counts: Mapping[str, int],
        order: str = "alphabetical",
        min_count: int = 1,
        max_size: int | None = None,
        unk: bool = False,
    ) -> Vocabulary:
        """Keep words seen ``min_count`` times or more, the ``max_size`` most frequent of them.

        ``order="alphabetical"`` sorts by code point, as the course's ``get_dict`` does;
        ``"frequency"`` is gensim's order, most frequent first, ties alphabetical. With
        ``unk=True`` the dropped words become one word ``"<unk>"`` whose count is theirs.
        """
        if order not in ORDERS:
            raise ValueError(f"order must be one of {ORDERS}, got {order!r}")
        if min_count < 1:
            raise ValueError(f"min_count must be >= 1, got {min_count}")
        if max_size is not None and max_size < 1:
            raise ValueError(f"max_size must be >= 1 or None, got {max_size}")
        kept = sorted(
            # A literal "<unk>" in the text is an ordinary word unless unk=True pools into it.
            ((w, int(c)) for w, c in counts.items() if c >= min_count and not (unk and w == UNK)),
            key=lambda wc: (-wc[1], wc[0]),
        )
        if max_size is not None:
            kept = kept[: max_size - 1 if unk else max_size]
        if unk:
            dropped = sum(int(c) for c in counts.values()) - sum(c for _, c in kept)
            kept.append((UNK, dropped))
            kept.sort(key=lambda wc: (-wc[1], wc[0]))
        if order == "alphabetical":
            kept.sort()
        return cls([w for w, _ in kept], [c for _, c in kept])

    @classmethod
    def from_tokens(
        cls,
        tokens: Iterable[str],
        order: str = "alphabetical",
        min_count: int = 1,
        max_size: int | None = None,
        unk: bool = False,
    ) -> Vocabulary:
        """The vocabulary of a token stream; see ``from_counts``."""
        return cls.from_counts(Counter(tokens), order, min_count, max_size, unk)

    def __len__(self) -> int:
        return len(self.index_to_key)

    def __contains__(self, word: object) -> bool:
        return word in self.key_to_index

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Vocabulary):
            return NotImplemented
        return self.index_to_key == other.index_to_key and self.counts == other.counts

    def __repr__(self) -> str:
        head = ", ".join(self.index_to_key[:5])
        return f"Vocabulary({len(self)} words: {head}{', …' if len(self) > 5 else ''})"

    def encode(self, tokens: Iterable[str], oov: str = "drop") -> np.ndarray:
        """Token ids, int64 [n]. Words not in the vocabulary are dropped (``oov="drop"``, as
        word2vec does) or become ``"<unk>"`` (``oov="unk"``; the vocabulary must hold it)."""
        if oov == "drop":
            get = self.key_to_index.get
            ids = np.fromiter((get(t, -1) for t in tokens), dtype=np.int64)
            return ids[ids >= 0]
        if oov == "unk":
            if UNK not in self.key_to_index:
                raise ValueError(
                    f"oov='unk' needs {UNK!r} in the vocabulary: build it with unk=True"
                )
            unk_id = self.key_to_index[UNK]
            get = self.key_to_index.get
            return np.fromiter((get(t, unk_id) for t in tokens), dtype=np.int64)
        raise ValueError(f"oov must be 'drop' or 'unk', got {oov!r}")

    def decode(self, ids: Iterable[int]) -> list[str]:
        """The words with these ids."""
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        if ids.size and (ids.min() < 0 or ids.max() >= len(self)):
            bad = int(ids[(ids < 0) | (ids >= len(self))][0])
            raise ValueError(f"id {bad} is outside the vocabulary [0, {len(self)})")
        return [self.index_to_key[i] for i in ids.tolist()]

    def to_dict(self) -> dict[str, list]:
        """``{"words": [...], "counts": [...]}``, plain lists (what checkpoints store)."""
        return {"words": list(self.index_to_key), "counts": list(self.counts)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Sequence]) -> Vocabulary:
        if "words" not in d:
            raise ValueError("a vocabulary dict needs a 'words' list (and optionally 'counts')")
        return cls(d["words"], d.get("counts"))

    def save(self, path: str | os.PathLike) -> None:
        """Write ``word<TAB>count`` lines, UTF-8, in id order; atomically (temp file, rename)."""
        lines = (f"{w}\t{c}\n" for w, c in zip(self.index_to_key, self.counts, strict=True))
        atomic_write(path, lambda f: f.write("".join(lines).encode("utf-8")))

    @classmethod
    def load(cls, path: str | os.PathLike) -> Vocabulary:
        """Read a file written by ``save`` (a line may also hold just the word)."""
        words, counts = [], []
        try:
            with open(path, encoding="utf-8") as f:
                for lineno, line in enumerate(f, 1):
                    word, _, count = line.rstrip("\n").partition("\t")
                    if not word or (count and not count.isdigit()):
                        raise ValueError(
                            f"{path}:{lineno}: expected 'word<TAB>count', got {line.rstrip()!r}"
                        )
                    words.append(word)
                    counts.append(int(count or 0))
        except (OSError, UnicodeDecodeError) as err:
            raise ValueError(f"cannot read vocabulary file {path}: {err}") from None
        try:
            return cls(words, counts)
        except ValueError as err:
            raise ValueError(f"{path}: {err}") from None
