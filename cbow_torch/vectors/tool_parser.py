"""The vector tools' command line: ``cbow-torch export|evaluate|neighbors|analogy|plot``, each a
jsonargparse subcommand with its ``--help`` (commands.py runs them). Nothing here imports
gensim or torch.
"""

from __future__ import annotations

from jsonargparse import ArgumentParser

from ..choices import Source, VectorFormat
from .evaluation import COURSE_WORDS

PROG = "cbow-torch"
VECTORS_HELP = (
    "a training checkpoint (.ckpt), a word2vec file (text or binary), or an .npz or .pt export"
)


def _tool(name: str, description: str) -> ArgumentParser:
    """A tool's parser, with the arguments every tool takes."""
    p = ArgumentParser(prog=f"{PROG} {name}", description=description, exit_on_error=False)
    p.add_argument("vectors", metavar="CKPT_OR_VECTORS", help=VECTORS_HELP)
    p.add_argument(
        "--source",
        type=Source,
        default=None,
        help="for a checkpoint: columns of W1, rows of W2, or their average (default: the "
        "run's export.source, what its embeddings.txt holds)",
    )
    p.add_argument(
        "--trust-pickle",
        action="store_true",
        help="load a torch file that needs full unpickling, which can run any code the file "
        "names: only for files you trust (by default only tensors and plain values load)",
    )
    return p


def build_parser() -> ArgumentParser:
    """``cbow-torch`` with the vector tools as jsonargparse subcommands."""
    parser = ArgumentParser(
        prog=PROG,
        description="Export, query, score and plot CBOW word vectors.",
        exit_on_error=False,  # main() makes a usage error one line
    )
    sub = parser.add_subcommands(dest="command", required=True)

    def command(name: str, help: str, p: ArgumentParser) -> None:
        sub.add_subcommand(name, p, help=help)
        p.prog = f"{PROG} {name}"  # no "[options]": the tools take none before the command

    p = _tool(
        "export",
        "Write the vectors as word2vec text or binary (gensim's load_word2vec_format reads "
        "both), an .npz (WordVectors.load), a .pt of {vectors, words}, or, from the checkpoint "
        "of a model with subwords, fastText's .bin (fasttext.load_model, gensim's "
        "load_facebook_vectors). The file appears whole or not at all.",
    )
    p.add_argument("--format", type=VectorFormat, default="word2vec", help="the file's format")
    p.add_argument("--out", metavar="FILE", help="the file to write (required)")
    command("export", "write the vectors as word2vec, .npz, .pt or fastText's .bin", p)

    p = _tool(
        "evaluate",
        "Spearman correlation on WordSim-353 and SimLex-999 and 3CosAdd accuracy on Google's "
        "analogies, through gensim, case-insensitive. Pairs or questions with a word outside "
        "the vocabulary are skipped; the OOV column gives their share. The files default to "
        "the copies shipped in gensim's test data.",
    )
    p.add_argument("--wordsim353", metavar="TSV", help="word1<TAB>word2<TAB>score lines")
    p.add_argument("--simlex999", metavar="TSV", help="word1<TAB>word2<TAB>score lines")
    p.add_argument("--analogies", metavar="TXT", help="Google's questions-words.txt format")
    p.add_argument(
        "--restrict-vocab",
        type=int,
        default=300_000,
        metavar="K",
        help="use only the first K words (gensim's default)",
    )
    p.add_argument("--out", metavar="JSON", help="also write the scores to this JSON file")
    command("evaluate", "score on WordSim-353, SimLex-999 and Google's analogies", p)

    p = _tool(
        "neighbors",
        "The nearest words to each WORD by cosine similarity (gensim's most_similar). A WORD is "
        "looked up as itself, else as the run's tokenizer normalises it (lower-cased by "
        "'simple'), else case-insensitively. Unknown words are named on stderr; the exit "
        "status is 0 when at least one WORD was answered, 2 when none was.",
    )
    p.add_argument("words", nargs="+", metavar="WORD", help="the words to look up")
    p.add_argument("--topn", type=int, default=10, help="how many neighbours")
    command("neighbors", "the nearest words by cosine similarity", p)

    p = _tool(
        "analogy",
        "A is to B as C is to ?, by 3CosAdd: most_similar(positive=[B, C], negative=[A]). "
        "Example: analogy RUN/embeddings.txt man king woman",
    )
    for name in "ABC":
        p.add_argument(name.lower(), metavar=name, help=f"the analogy's word {name}")
    p.add_argument("--topn", type=int, default=5, help="how many answers")
    command("analogy", "solve A : B :: C : ?", p)

    p = _tool(
        "plot",
        "PCA of the words' vectors to 2-D, labelled, written as a PNG. The default words are "
        f"the course's: {' '.join(COURSE_WORDS)}. Words not in the vocabulary are skipped "
        "with a note. --words and --top exclude each other.",
    )
    p.add_argument("--words", nargs="+", metavar="WORD", help="the words to plot")
    p.add_argument("--top", type=int, metavar="N", help="plot the N most frequent words")
    p.add_argument("--out", metavar="FILE.png", help="the PNG to write (required)")
    p.add_argument("--title", help="the figure's title")
    command("plot", "the course's PCA picture of chosen words, as a PNG", p)
    return parser
