"""Tokenizers (the course's NLTK 3.5 pipeline by hand) and the Vocabulary."""

import os
import random

import numpy as np
import pytest

from cbow_torch.data.text import UNK, Vocabulary, get_tokenizer, tokenize


def differing_positions(ours, theirs, reach=12, anchor=6):
    """Align two nearly equal token lists: (ours_only, theirs_only, edits)."""
    i = j = ours_only = theirs_only = 0
    edits = []
    while i < len(ours) and j < len(theirs):
        if ours[i] == theirs[j]:
            i, j = i + 1, j + 1
            continue
        steps = [(di, dj) for di in range(reach) for dj in range(reach)]
        match = [s for s in steps if ours[i + s[0] :][:anchor] == theirs[j + s[1] :][:anchor]]
        if not match:
            raise AssertionError(f"diverged at {i}: {ours[i : i + 9]} vs {theirs[j : j + 9]}")
        di, dj = min(match, key=sum)
        edits.append((ours[i : i + di], theirs[j : j + dj]))
        ours_only, theirs_only, i, j = ours_only + di, theirs_only + dj, i + di, j + dj
    return ours_only + len(ours) - i, theirs_only + len(theirs) - j, edits


@pytest.mark.parametrize(
    "text, tokens",
    [
        (
            "O for a Muse of fire, that would",
            ["o", "for", "a", "muse", "of", "fire", ".", "that", "would"],
        ),
        ("Leash'd in like hounds", ["leash", "in", "like", "hounds"]),  # clitic split, dropped
        ("I don't know; I cannot.", ["i", "do", "know", ".", "i", "can", "not", "."]),
        ("the KING'S palace", ["the", "king", "palace"]),
        ("'Tis true, my lord.", ["is", "true", ".", "my", "lord", "."]),  # 't is
        ("stol'n goods", ["stol", "n", "goods"]),  # NLTK 3.5; 3.6+ keeps stol'n whole
        ('sworn to make the "not" eternal', ["sworn", "to", "make", "the", "not", "eternal"]),
        ("an hour-glass: for", ["an", "for"]),  # hour.glass is not alphabetic
        ("O, pardon! since", ["pardon", ".", "since"]),  # Punkt: "O." before lower case
        ("SCENE I. London. An", ["scene", "london", ".", "an"]),  # ... and before a name
        (
            "a scene. ACT I. SCENE two.",  # a word the text also writes in lower case
            ["a", "scene", ".", "act", "i", ".", "scene", "two", "."],
        ),
        ("faring ill, presume not", ["faring", "presume", "not"]),  # an abbreviation
        ("Wait -- there, now", ["wait", "there", ".", "now"]),  # .. is dropped
    ],
)
def test_course_tokenizer_cases(text, tokens):
    assert tokenize(text, "course") == tokens


def test_course_tokenizer_on_shakespeare(shakespeare, shakespeare_tokens):
    tokens = tokenize(shakespeare.read_text(encoding="utf-8"), "course")
    # NLTK 3.5 gives 60,996 tokens / 5,778 types, NLTK 3.6+ 60,976 / 5,775.
    assert (len(tokens), len(set(tokens))) == (60990, 5778)
    assert set(tokens) == set(shakespeare_tokens)
    ours_only, theirs_only, edits = differing_positions(tokens, shakespeare_tokens)
    # Punkt's model trained on the WSJ decides a few sentence ends differently.
    assert (ours_only, theirs_only) == (2, 8), edits
    assert sorted(map(tuple, (e[0] or e[1] for e in edits))) == [
        ("etc", "."),
        ("i", "."),
        ("ill", "."),
        ("ill", "."),
        ("ill", "."),
    ]


def test_simple_tokenizer_is_gensims_simple_preprocess():
    from gensim.test.utils import datapath
    from gensim.utils import simple_preprocess

    with open(datapath("lee_background.cor"), encoding="utf-8") as f:
        lines = f.read().splitlines()[:100]
    for line in lines + ["Héllo wörld_x _under x2y a I ok 1234 " + "z" * 16]:
        assert tokenize(line, "simple") == simple_preprocess(line)


def test_whitespace_dotted_and_callable_tokenizers():
    assert tokenize("a  b\tc\nd", "whitespace") == ["a", "b", "c", "d"]
    assert tokenize("one 'two three'", "shlex.split") == ["one", "two three"]
    assert tokenize("A b", lambda s: s.lower().split()) == ["a", "b"]


@pytest.mark.parametrize(
    "name, message",
    [
        ("nltk_style", "unknown tokenizer 'nltk_style'"),
        ("no_such_pkg.tok", "cannot be imported"),
        ("shlex.no_such_function", "cannot be imported"),
        ("string.ascii_letters", "is not callable"),
    ],
)
def test_bad_tokenizer_names(name, message):
    with pytest.raises(ValueError, match=message):
        get_tokenizer(name)


TOKENS = list("bacabadee.b")  # a:3 b:3 e:2 c:1 d:1 .:1


def test_vocabulary_orders():
    alpha = Vocabulary.from_tokens(TOKENS, order="alphabetical")
    assert alpha.index_to_key == [".", "a", "b", "c", "d", "e"]
    assert alpha.counts == [1, 3, 3, 1, 1, 2]
    freq = Vocabulary.from_tokens(TOKENS, order="frequency")
    assert freq.index_to_key == ["a", "b", "e", ".", "c", "d"]  # ties alphabetical
    assert freq.counts == [3, 3, 2, 1, 1, 1]
    assert freq.key_to_index == {w: i for i, w in enumerate(freq.index_to_key)}
    assert len(freq) == 6 and "e" in freq and "z" not in freq


def test_vocabulary_min_count_and_max_size():
    assert Vocabulary.from_tokens(TOKENS, "frequency", min_count=2).index_to_key == ["a", "b", "e"]
    assert Vocabulary.from_tokens(TOKENS, "alphabetical", max_size=3).index_to_key == [
        "a",
        "b",
        "e",
    ]
    assert Vocabulary.from_tokens(TOKENS, "frequency", max_size=4).index_to_key == [
        "a",
        "b",
        "e",
        ".",
    ]
    with pytest.raises(ValueError, match="min_count"):
        Vocabulary.from_tokens(TOKENS, min_count=0)
    with pytest.raises(ValueError, match="order"):
        Vocabulary.from_tokens(TOKENS, order="random")


def plain_vocabulary(counts, order, min_count, max_size, unk):
    """The definition, written the plain way: sort (word, count) pairs."""
    kept = [(w, c) for w, c in counts.items() if c >= min_count and not (unk and w == UNK)]
    kept.sort(key=lambda wc: (-wc[1], wc[0]))
    kept = kept if max_size is None else kept[: max_size - 1 if unk else max_size]
    if unk:
        kept.append((UNK, sum(counts.values()) - sum(c for _, c in kept)))
        kept.sort(key=lambda wc: (-wc[1], wc[0]))
    if order == "alphabetical":
        kept.sort()
    return [w for w, _ in kept], [c for _, c in kept]


def test_from_counts_is_the_plain_definition():
    """Ties, <unk> among them, a literal "<unk>", words on either side of it in code point
    order, min_count, max_size: on random small vocabularies."""
    rng = random.Random(1)
    pieces = ["a", "b", "<", "<unk>", "<u", "<unl", "=", ";", "é", "Z", "zz", "<unj", ""]
    for _ in range(3000):
        words = {rng.choice(pieces[:-1]) + rng.choice(pieces) for _ in range(rng.randint(1, 12))}
        counts = {w: rng.randint(1, 4) for w in words}
        order = rng.choice(["frequency", "alphabetical"])
        settings = (order, rng.randint(1, 3), rng.choice([None, 1, 2, 3, 5]), rng.random() < 0.5)
        vocab = Vocabulary.from_counts(counts, *settings)
        assert (vocab.index_to_key, vocab.counts) == plain_vocabulary(counts, *settings)


def test_simple_tokenizer_is_simple_preprocess_on_any_text():
    """ASCII text (str.translate and str.split) and the rest (one regex), against gensim."""
    from gensim.utils import simple_preprocess

    rng = random.Random(0)
    for alphabet in ["aB_1 \n\t.-'xyzQ", "ab_1 \n.-'éİß日本ΩЖ٣²ǅ\u0301\u00a0\x1cx"]:
        for _ in range(3000):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
            assert tokenize(text, "simple") == simple_preprocess(text), text


def test_encode_drops_or_maps_unknown_words():
    vocab = Vocabulary.from_tokens(TOKENS, "frequency", min_count=2)
    ids = vocab.encode(["a", "zzz", "e", "c", "b"])
    assert ids.dtype == np.int64 and ids.tolist() == [0, 2, 1]
    assert vocab.decode(ids) == ["a", "e", "b"]
    with pytest.raises(ValueError, match="<unk>"):
        vocab.encode(["zzz"], oov="unk")
    with_unk = Vocabulary.from_tokens(TOKENS, "frequency", min_count=2, unk=True)
    # <unk> counts c, d and ".": 3, a tie with a and b, and "<" sorts first.
    assert with_unk.index_to_key == [UNK, "a", "b", "e"]
    assert with_unk.counts == [3, 3, 3, 2]
    assert with_unk.encode(["a", "zzz", "e"], oov="unk").tolist() == [1, 0, 3]
    with pytest.raises(ValueError, match="outside the vocabulary"):
        vocab.decode([3])


def test_vocabulary_save_load_round_trip(tmp_path):
    vocab = Vocabulary.from_tokens(["naïve", "café", "café", "."], "frequency")
    path = tmp_path / "sub" / "vocab.tsv"
    vocab.save(path)
    assert path.read_text(encoding="utf-8") == "café\t2\n.\t1\nnaïve\t1\n"
    assert Vocabulary.load(path) == vocab
    assert os.listdir(path.parent) == ["vocab.tsv"]  # no temporary file left behind
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # an ordinary file, not mkstemp's 0600
    assert Vocabulary.from_dict(vocab.to_dict()) == vocab
    assert vocab.to_dict() == {
        "words": ["café", ".", "naïve"],
        "counts": [2, 1, 1],
        "tokenizer": None,
    }


def test_the_vocabulary_knows_its_tokenizer(tmp_path):
    vocab = Vocabulary.from_counts({"b": 2, "a": 1}, "frequency", tokenizer="simple")
    assert vocab.tokenizer == "simple" and Vocabulary(["a"]).tokenizer is None
    again = Vocabulary.from_dict(vocab.to_dict())
    assert again.tokenizer == "simple" and again == vocab
    assert Vocabulary.from_dict({"words": ["a"]}).tokenizer is None  # an older checkpoint's
    with pytest.raises(ValueError, match="'tokenizer' must be a name, got 3"):
        Vocabulary.from_dict({"words": ["a"], "tokenizer": 3})
    vocab.save(tmp_path / "vocab.tsv")
    assert (tmp_path / "vocab.tsv").read_text() == "b\t2\na\t1\n"  # word<TAB>count, as ever


def test_save_is_atomic(tmp_path):
    path = tmp_path / "vocab.tsv"
    Vocabulary(["a", "b"], [2, 1]).save(path)

    class Boom(Exception):
        pass

    class Exploding(Vocabulary):
        @property
        def counts(self):
            raise Boom

        @counts.setter
        def counts(self, value):
            pass

    with pytest.raises(Boom):
        Exploding(["x", "y"]).save(path)
    assert Vocabulary.load(path) == Vocabulary(["a", "b"], [2, 1])
    assert os.listdir(tmp_path) == ["vocab.tsv"]


@pytest.mark.parametrize(
    "content, message",
    [("a\t1\nb\tmany\n", r"vocab.tsv:2: expected 'word<TAB>count'"), ("a\t1\na\t2\n", "twice")],
)
def test_load_rejects_bad_files(tmp_path, content, message):
    path = tmp_path / "vocab.tsv"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        Vocabulary.load(path)
    with pytest.raises(ValueError, match="cannot read vocabulary file"):
        Vocabulary.load(tmp_path / "missing.tsv")


def test_vocabulary_rejects_bad_words():
    with pytest.raises(ValueError, match="tab or newline"):
        Vocabulary(["a\tb"])
    with pytest.raises(ValueError, match="2 entries for 1 words"):
        Vocabulary(["a"], [1, 2])


def test_course_vocabulary_indices(shakespeare_tokens):
    vocab = Vocabulary.from_tokens(shakespeare_tokens, order="alphabetical")
    assert len(vocab) == 5778
    assert vocab.key_to_index["king"] == 2745 and vocab.index_to_key[2743] == "kindness"
    top = Vocabulary.from_tokens(shakespeare_tokens, order="frequency")
    assert list(zip(top.index_to_key[:5], top.counts[:5], strict=True)) == [
        (".", 9630),
        ("the", 1521),
        ("and", 1394),
        ("i", 1257),
        ("to", 1159),
    ]


def test_a_literal_unk_token_is_a_word_unless_unk_pools_into_it():
    tokens = ["<unk>", "a", "<unk>", "b"]
    assert "<unk>" in Vocabulary.from_tokens(tokens, "frequency")
    pooled = Vocabulary.from_tokens(tokens, "frequency", min_count=2, unk=True)
    assert pooled.index_to_key.count("<unk>") == 1
