"""Text to batches, in the order the data flows:

- ``text.py``: tokenizers (the course's one is ``course_tokenizer.py``) and the ``Vocabulary``;
- ``corpus.py``: corpus files read in chunks and encoded to token ids in one pass;
- ``prepare.py``: ``cbow-torch prepare``, the dataset directory (ids, documents, vocab, meta);
- ``windows.py``: ids as windows (subsampled or not), their sampler and loader;
- ``datamodule.py``: ``CBOWDataModule``, the memory-mapped ids as training and validation
  batches.
"""

from .corpus import CBOWDataError
from .text import Vocabulary

__all__ = ["CBOWDataError", "CBOWDataModule", "Vocabulary"]


def __getattr__(name: str):
    # datamodule.py imports Lightning, which ``cbow-torch prepare`` does without (a second faster).
    if name == "CBOWDataModule":
        from .datamodule import CBOWDataModule

        return CBOWDataModule
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
