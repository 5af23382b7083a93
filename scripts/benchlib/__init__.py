"""What the benchmark scripts share.

- ``runs``: training runs: config names, the settings a script changes (the one place that
  spells the package's config keys), ``cbow-torch fit`` here or in another process.
- ``clock``: the timing callback; ``rss``: the memory figure; ``corpus``: the corpora.
- ``rivals``: gensim and fastText; ``fresh``: what must run in a fresh process; ``parts``:
  whole processes, part by part.
- ``docs``: tables written into docs/*.md; ``common``: shapes, batches, option parsers.
- The sections of scripts/bench.py (``speed``, ``memory``, ``lightning``, ``parallel``) and of
  scripts/bench_gensim.py (``word2vec``, ``kernel``, ``subword``).
"""


class BenchError(Exception):
    """A bad option or a failed run: one line that names it and says what to do."""
