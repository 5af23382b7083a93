"""The course's tokenizer: ``re.sub(r"[,!?;-]", ".", text)``, NLTK 3.5's ``word_tokenize``
(Punkt sentences, then the Treebank word rules), lower-case, keep alphabetic tokens and ``"."``.

Written by hand: no NLTK, no model download. Clitics (``'s``, ``'d``, ``n't``, ``'ll`` …) are
split off and then dropped because they are not alphabetic. The one thing that cannot be copied
is Punkt's model trained on the Wall Street Journal; it decides whether a period after a single
letter (``"O."``, ``"I."``) or a known abbreviation ends a sentence. Here that decision uses
Punkt's own rules with the text being tokenised standing in for the training data (is the next
word ever written lower-case in it?), and a short list of Punkt's abbreviations. On the course's
Shakespeare file this gives 60,990 tokens (NLTK 3.5: 60,996) and NLTK 3.5's 5,778 types; the
token lists differ in 10 positions.
"""

from __future__ import annotations

import re

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
# while splitting sentences. Sentences arrive padded with one space on each side. Each rule comes
# with the strings of which it needs one to match: a rule whose strings are all absent from the
# text at its turn cannot change it and is skipped (most lines need few of the rules).
_TREEBANK = [
    (re.compile(r"([«“‘„]|[`]+)"), r" \1 ", "«“‘„`"),  # starting quotes
    (re.compile(r'^"'), r"``", '"'),
    (re.compile(r"(``)"), r" \1 ", "`"),
    (re.compile(r"""([ (\[{<])("|'{2})"""), r"\1 `` ", "\"'"),
    (re.compile(r"(?i)(')(?!re|ve|ll|m|t|s|d)(\w)\b"), r"\1 \2", "'"),  # 3.6+ adds n: stol'n
    (re.compile(r"([:,])([^\d])"), r" \1 \2", ":,"),  # punctuation
    (re.compile(r"([:,])$"), r" \1 ", ":,"),
    (re.compile(r"\.{2,}"), r" \g<0> ", ("..",)),
    (re.compile(r"[;@#$%&]"), r" \g<0> ", ";@#$%&"),
    (re.compile(r"[?!]"), r" \g<0> ", "?!"),
    (re.compile(r"([^'])' "), r"\1 ' ", ("' ",)),
    (re.compile(r"[*]"), r" \g<0> ", "*"),
    (re.compile(r"[\]\[(){}<>]"), r" \g<0> ", "][(){}<>"),  # brackets
    (re.compile(r"--"), r" -- ", ("--",)),
    (re.compile(r"([»”’])"), r" \1 ", "»”’"),  # ending quotes
    (re.compile(r'"'), " '' ", '"'),
    (re.compile(r"(\S)('')"), r"\1 \2 ", ("''",)),
    (re.compile(r"([^' ])('[sS]|'[mM]|'[dD]|') "), r"\1 \2 ", "'"),
    (re.compile(r"([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) "), r"\1 \2 ", "'"),
]
# Contractions: cannot -> can not, 'tis -> 't is, …; run only when one of them is in the text.
_CONTRACTIONS = (
    r"\b(can)(not)\b",
    r"\b(d)('ye)\b",
    r"\b(gim)(me)\b",
    r"\b(gon)(na)\b",
    r"\b(got)(ta)\b",
    r"\b(lem)(me)\b",
    r"\b(more)('n)\b",
    r"\b(wan)(na)\s",
    r" ('t)(is)\b",
    r" ('t)(was)\b",
)
_ANY_CONTRACTION = re.compile("|".join(_CONTRACTIONS), re.I)
_TREEBANK_CONTRACTIONS = [(re.compile(p, re.I), r" \1 \2 ") for p in _CONTRACTIONS]


def course_tokenize(text: str) -> list[str]:
    """``text`` as the course tokenises it (see the module docstring)."""
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
    for pattern, replacement, needs in _TREEBANK:
        if any(need in text for need in needs):
            text = pattern.sub(replacement, text)
    if _ANY_CONTRACTION.search(text):
        for pattern, replacement in _TREEBANK_CONTRACTIONS:
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
