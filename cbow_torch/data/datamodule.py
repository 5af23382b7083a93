"""From prepared ids to CBOW batches: the datamodule.

prepare.py turns the corpus into token ids once; here they are memory-mapped and become windows
(context [2C], center) and batches (context [m, 2C], center [m]) through windows.py, split into
training and held-out validation.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytorch_lightning as pl
from pytorch_lightning.utilities import rank_zero_warn

from ..sampling import keep_probabilities
from .chunks import ChunkDataset
from .corpus import BUNDLED, CBOWDataError, resolve_corpus
from .options import PrepareOptions
from .prepare import PreparedDataset, cache_key, write_dataset
from .text import VocabOrder, Vocabulary
from .windows import (
    CBOWWindowDataset,
    ResumableLoader,
    SubsampledWindows,
    WindowSampler,
    collate_batch,
)


class CBOWDataModule(pl.LightningDataModule):
    """Prepared ids -> (context [m, 2C], center [m]) batches.

    The ids are ``dataset``, a directory written by ``cbow-torch prepare``, or else ``corpus``,
    which ``prepare_data`` prepares into ``cache_dir`` once (Lightning runs it on one process per
    machine while the others wait). ``setup`` memory-maps them on every process and reads the
    vocabulary: ``vocab`` (with its counts) and ``vocab_size`` are known from then on.

    With ``shuffle=False`` batch i of the training loader holds the ``batch_size`` consecutive
    windows whose centres are C + batch_size·i …, the course's batches. The held-out slice for
    validation is the last ``val_fraction`` of the ids; windows do not cross into it.

    Args:
        corpus: file, directory, glob or list of them; None or "lee": the bundled Lee corpus.
        dataset: a directory written by ``cbow-torch prepare``; when given, ``corpus`` and the
            preparation options (tokenizer ... unk) are not used: its meta.json holds them.
        tokenizer: "simple", "course", "whitespace", or the dotted name of a function.
        line_per_document: each line is a document and windows stay inside it; otherwise the
            text is one stream (the course), broken only between files.
        window: C, the words on each side of the centre.
        min_count: words seen fewer times are dropped from the stream.
        max_vocab_size: keep at most this many of the most frequent words.
        vocab_order: "frequency" (gensim's) or "alphabetical" (the course's ids).
        unk: map dropped words to "<unk>" instead of removing them.
        encoding: the corpus files' text encoding, e.g. "latin-1" or "cp1252"; bytes that are
            not valid in it become U+FFFD, with a warning.
        sample: word2vec's subsampling of frequent words (0: off, the course's; word2vec:
            1e-3): word w's occurrences are kept with chance (sqrt(f_w/sample) + 1)·sample/f_w,
            drawn anew every epoch, for the training windows (validation sees every word).
        batch_size: m.
        shuffle: shuffle the training windows each epoch (seeded by ``seed``); the fused
            engine's chunks of documents, whose windows stay in order as word2vec reads them.
        seed: seeds the shuffle, on one process and under DDP.
        val_fraction: the share of the corpus held out for validation, in [0, 1).
        num_workers: DataLoader worker processes.
        chunk_words: the fused engine's training step: a chunk of documents of about this many
            tokens (100,000 is ~0.1 s on 2 cores, so Lightning's ~0.3 ms a step is noise;
            a corpus of fewer than 10 chunks gets smaller ones, 10 an epoch).
        cache_dir: where prepared corpora are kept (default ``~/.cache/cbow_torch``).
    """

    def __init__(
        self,
        corpus: str | list[str] | None = None,
        dataset: str | None = None,
        tokenizer: str = PrepareOptions.tokenizer,
        line_per_document: bool = PrepareOptions.line_per_document,
        window: int = 2,
        min_count: int = PrepareOptions.min_count,
        max_vocab_size: int | None = PrepareOptions.max_vocab_size,
        vocab_order: VocabOrder = PrepareOptions.vocab_order,
        unk: bool = PrepareOptions.unk,
        encoding: str = PrepareOptions.encoding,
        sample: float = 0.0,
        batch_size: int = 128,
        shuffle: bool = True,
        seed: int = 282,
        val_fraction: float = 0.05,
        num_workers: int = 0,
        chunk_words: int = 100_000,
        cache_dir: str | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        for ok, message in [
            (window >= 1, f"data.window must be >= 1 (C, words each side), got {window}"),
            (sample >= 0, f"data.sample must be >= 0 (0 turns subsampling off), got {sample}"),
            (batch_size >= 1, f"data.batch_size must be >= 1, got {batch_size}"),
            (0 <= val_fraction < 1, f"data.val_fraction must be in [0, 1), got {val_fraction}"),
            (num_workers >= 0, f"data.num_workers must be >= 0, got {num_workers}"),
            (chunk_words >= 1, f"data.chunk_words must be >= 1, got {chunk_words}"),
        ]:
            if not ok:
                raise CBOWDataError(message)
        self.window, self.batch_size, self.shuffle, self.seed = window, batch_size, shuffle, seed
        self.sample = sample
        self.val_fraction, self.num_workers = val_fraction, num_workers
        # The flat data.tokenizer … data.unk keys are the LightningCLI schema; one object here.
        self.options = PrepareOptions.pick(self.hparams)
        if dataset is None:
            self.options.check("data.")
            self._files = resolve_corpus(corpus, encoding)  # a bad path or file fails here
            cache_dir = cache_dir or os.path.join(
                os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "cbow_torch"
            )
            self.path = Path(cache_dir).expanduser() / cache_key(self._files, self.options)
        else:
            self.path = Path(dataset).expanduser()
            self._warn_unused(PreparedDataset.read_meta(self.path))
        self.prepared: PreparedDataset | None = None
        self._vocab: Vocabulary | None = None
        self.train_dataset: CBOWWindowDataset | None = None
        self.val_dataset: CBOWWindowDataset | None = None
        self._train_loader: ResumableLoader | None = None
        self._resume_batches = 0
        self._prepare_error: CBOWDataError | None = None

    def _warn_unused(self, meta: dict) -> None:
        """With data.dataset, the preparation options given that the dataset does not have."""
        unused = [f"data.corpus={self.hparams.corpus}"] if self.hparams.corpus else []
        unused += self.options.unused(meta.get("options", {}))
        if unused:
            rank_zero_warn(
                f"data.dataset {self.path} is used as its meta.json says; these options are not "
                f"used: {', '.join(unused)}. To change them, prepare it again"
            )

    @property
    def vocab(self) -> Vocabulary:
        """The training vocabulary (words, counts): where the model's V comes from. The first
        read prepares the corpus if the cache lacks it and sets the data up, so that a bad
        corpus fails here, before any run directory exists."""
        if self._vocab is None:
            self.prepare_data()
            self.setup()
        return self._vocab

    @property
    def vocab_size(self) -> int:
        """V: the size of ``vocab``."""
        return len(self.vocab)

    def prepare_data(self) -> None:
        """Prepares ``corpus`` into the cache, unless it is there or ``dataset`` was given."""
        if self.hparams.dataset is not None or (self.path / "meta.json").is_file():
            return
        if self.path.exists():  # not ours: a directory left without its meta.json
            shutil.rmtree(self.path)
        try:
            write_dataset(self._files, self.path, self.options)
        except CBOWDataError as err:
            if self.trainer is None or self.trainer.world_size == 1:
                raise
            # Raised by setup instead, after Lightning's barrier, where every rank fails on its
            # own: raised here, it would leave the other ranks waiting for a process that is gone.
            self._prepare_error = err

    def setup(self, stage: str | None = None) -> None:
        if self.train_dataset is not None:
            return
        if self._prepare_error is not None:
            raise self._prepare_error
        if self.hparams.dataset is None and not (self.path / "meta.json").is_file():
            raise CBOWDataError(
                f"the corpus is not prepared in {self.path}: its preparation failed on another "
                "process, which says why, or prepare_data() was not called before setup()"
            )
        self.prepared = PreparedDataset.open(self.path)
        self._vocab = self.prepared.vocab
        ids, docs = self.prepared.ids, self.prepared.docs
        C, n = self.window, len(ids)
        name = self.hparams.dataset or self.hparams.corpus or BUNDLED[0]
        if len(CBOWWindowDataset(ids, C, docs)) == 0:
            raise CBOWDataError(
                f"corpus {name} has {n} tokens in vocabulary, no document with 2C+1 = "
                f"{2 * C + 1}: use a longer corpus or a smaller data.window"
            )
        cut = n - int(round(n * self.val_fraction))
        train_docs, val_docs = docs[docs < cut], docs[docs >= cut] - cut
        if cut < n and (len(val_docs) == 0 or val_docs[0] != 0):
            val_docs = np.r_[0, val_docs]  # the held-out slice starts a document
        self.train_dataset = CBOWWindowDataset(ids[:cut], C, train_docs)
        self._train_stream = ids[:cut], train_docs  # the fused engine's chunks read it whole
        if self.sample > 0 and len(self.train_dataset) > 0:
            keep = keep_probabilities(self._vocab.counts, self.sample)  # [V]
            self.train_dataset = SubsampledWindows(ids[:cut], C, train_docs, keep, self.seed)
            if len(self.train_dataset) == 0:
                raise CBOWDataError(
                    f"data.sample={self.sample} leaves no training window of 2C+1 = "
                    f"{2 * C + 1} words in {name}: raise data.sample or set it to 0"
                )
        self.val_dataset = CBOWWindowDataset(ids[cut:], C, val_docs) if cut < n else None
        if len(self.train_dataset) == 0:
            raise CBOWDataError(
                f"data.val_fraction={self.val_fraction} leaves no training window in "
                f"{name}: lower data.val_fraction"
            )
        if self.val_dataset is not None and len(self.val_dataset) == 0:
            raise CBOWDataError(
                f"data.val_fraction={self.val_fraction} holds out {n - cut} tokens of {name}, "
                f"fewer than one window of {2 * C + 1}: raise it or set it to 0"
            )

    def _chunks(self) -> ChunkDataset:
        ids, docs = self._train_stream  # their range was checked once, by PreparedDataset.open
        keep = keep_probabilities(self._vocab.counts, self.sample)  # [V] all 1 when sample = 0
        return ChunkDataset(ids, docs, self.window, keep, self.hparams.chunk_words)

    def _loader(self, dataset, shuffle: bool, batch_size: int | None = None) -> ResumableLoader:
        trainer = self.trainer
        world, rank = (trainer.world_size, trainer.global_rank) if trainer else (1, 0)
        # Built here rather than by Lightning so that data.seed seeds the shuffle on one process
        # and under DDP alike.
        sampler = WindowSampler(dataset, world, rank, shuffle=shuffle, seed=self.seed)
        return ResumableLoader(
            dataset,
            batch_size=batch_size or self.batch_size,
            sampler=sampler,
            collate_fn=collate_batch,
            num_workers=self.num_workers,
            # A kept worker holds its own copy of the dataset, which a new epoch's subsampling
            # draw (set_epoch, in this process) would not reach.
            persistent_workers=self.num_workers > 0 and not hasattr(dataset, "set_epoch"),
        )

    def train_dataloader(self) -> ResumableLoader:
        module = self.trainer.lightning_module if self.trainer else None
        if getattr(module, "trains_on_chunks", False):  # the fused engine: document chunks
            # A seeded order of the chunks each epoch (data.shuffle), as windows are shuffled.
            self._train_loader = self._loader(self._chunks(), self.shuffle, batch_size=1)
        else:
            self._train_loader = self._loader(self.train_dataset, self.shuffle)
        self._train_loader.skip, self._resume_batches = self._resume_batches, 0
        return self._train_loader

    def val_dataloader(self) -> ResumableLoader | list:
        return [] if self.val_dataset is None else self._loader(self.val_dataset, False)

    # A checkpoint taken mid-epoch records the training batches of the epoch done so far, and a
    # run resumed from it starts after them: through these public datamodule hooks rather than
    # the loader's own state_dict, which Lightning 2.6 never restores once configure_optimizers
    # has asked for estimated_stepping_batches (the linear schedule; Lightning issue #20550).

    def state_dict(self) -> dict[str, int]:
        loader = self._train_loader
        if loader is None:
            return {}
        total = self.trainer.num_training_batches if self.trainer else len(loader)
        return {"train_batches_done": loader.done if loader.done < total else 0}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self._resume_batches = state.get("train_batches_done", 0)
        if self._train_loader is not None:  # restored after the loader was built
            self._train_loader.skip, self._resume_batches = self._resume_batches, 0
