"""The TensorBoard projector: the most frequent words' vectors, labelled one row each.

The files are those of torch's ``SummaryWriter.add_embedding`` (``STEP/TAG/tensors.tsv`` and
``metadata.tsv`` under the log directory, listed in its ``projector_config.pbtxt``), written
here with ``float_text`` in a fraction of the time (torch formats each value in Python: about
a second for 5,000 words of 100 dimensions) and each atomically. The config is TensorBoard's own
``ProjectorConfig``: an embedding already listed under the same name is replaced, any other
kept, so that the projectors of a resumed run stay listed beside the new ones.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import atomic_write
from .float_text import float32_text

CONFIG = "projector_config.pbtxt"


def write_projector(
    words: list[str],
    vectors: np.ndarray,
    log_dir_or_writer: str | os.PathLike | Any,
    tag: str,
    global_step: int | None = None,
) -> list[str]:
    """The TensorBoard projector of ``words`` and their ``vectors`` [k, N], in a log directory
    or that of a ``torch.utils.tensorboard.SummaryWriter`` (another object with only an
    ``add_embedding`` method is handed the embedding). The labels are the words with tabs and
    newlines escaped, one metadata row per vector row. Returns them."""
    labels = [projector_label(word) for word in words]
    vectors = np.asarray(vectors, dtype=np.float32)  # [k, N]
    if vectors.ndim != 2 or vectors.shape[0] != len(labels):
        raise ValueError(f"write_projector: {len(labels)} words for vectors of {vectors.shape}")
    target = log_dir_or_writer
    if not hasattr(target, "get_logdir") and hasattr(target, "add_embedding"):
        import torch

        mat = torch.from_numpy(vectors)  # [k, N]
        target.add_embedding(mat, metadata=labels, tag=tag, global_step=global_step)
        return labels
    log_dir = Path(target.get_logdir() if hasattr(target, "get_logdir") else target)
    step = f"{global_step or 0:05d}"
    folder = f"{step}/{_encode(tag)}"
    (log_dir / folder).mkdir(parents=True, exist_ok=True)
    metadata = ("\n".join(labels) + "\n").encode("utf-8")
    tensors = float32_text(vectors)[0].tobytes().replace(b" ", b"\t")  # digits hold no space
    atomic_write(log_dir / folder / "metadata.tsv", lambda f: f.write(metadata))
    atomic_write(log_dir / folder / "tensors.tsv", lambda f: f.write(tensors))
    _list_embedding(log_dir, f"{tag}:{step}", folder)
    return labels


def _list_embedding(log_dir: Path, name: str, folder: str) -> None:
    """Add the embedding NAME in FOLDER to the log directory's projector config."""
    from google.protobuf import text_format
    from tensorboard.plugins.projector import ProjectorConfig

    config = ProjectorConfig()
    path = log_dir / CONFIG
    if path.is_file():
        try:
            text_format.Parse(path.read_text(encoding="utf-8"), config)
        except text_format.ParseError:
            config = ProjectorConfig()  # unreadable: TensorBoard could not show it either
    kept = [e for e in config.embeddings if e.tensor_name != name]
    del config.embeddings[:]
    config.embeddings.extend(kept)
    info = config.embeddings.add()
    info.tensor_name = name
    info.tensor_path = f"{folder}/tensors.tsv"
    info.metadata_path = f"{folder}/metadata.tsv"
    text = text_format.MessageToString(config).encode("utf-8")
    atomic_write(path, lambda f: f.write(text))


def _encode(tag: str) -> str:
    """A tag as one folder name, as torch's ``add_embedding`` escapes it."""
    return tag.replace("%", "%25").replace("/", "%2f").replace("\\", "%5c")


def projector_label(word: str) -> str:
    """A word as one metadata.tsv cell: backslash, tab, CR and newline escaped."""
    return word.replace("\\", "\\\\").replace("\t", "\\t").replace("\r", "\\r").replace("\n", "\\n")
