"""Text to batches, in the order the data flows:

- ``text.py``: tokenizers (the course's one is ``course_tokenizer.py``) and the ``Vocabulary``;
- ``corpus.py``: corpus files (refused when they are not text), encoded to token ids in one
  pass: ``reading.py`` cuts and decodes their text, ``counting.py`` tokenises and counts it on
  one process or several, ``memory.py`` refuses a corpus too large for the memory;
- ``errors.py``: ``CBOWDataError``, the one error of the package;
- ``options.py``: ``PrepareOptions``, the options that change the ids, defined once;
- ``prepare.py``: ``cbow-torch prepare``, the dataset directory (ids, documents, vocab, meta);
- ``suggest.py``: the config that fits a corpus, from ``softmax_epoch_seconds``;
- ``windows.py``: ids as windows (subsampled or not), their sampler and loader;
- ``datamodule.py``: ``CBOWDataModule``, the memory-mapped ids as training and validation
  batches.
"""

from .errors import CBOWDataError
from .options import PrepareOptions
from .suggest import softmax_epoch_seconds
from .text import Vocabulary

__all__ = [
    "CBOWDataError",
    "CBOWDataModule",
    "PrepareOptions",
    "Vocabulary",
    "softmax_epoch_seconds",
]


def __getattr__(name: str):
    # datamodule.py imports Lightning, which ``cbow-torch prepare`` does without (a second faster).
    if name == "CBOWDataModule":
        from .datamodule import CBOWDataModule

        return CBOWDataModule
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
