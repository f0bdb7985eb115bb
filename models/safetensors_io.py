"""Reading and writing the project's safetensors files.

safetensors' own ``save_file`` creates files with mode 0600 whatever the umask, so a
checkpoint written by one user (an image build, a training job) is unreadable by the
service running as another; and ``safe_open`` reports a file it may not read as "No such
file or directory". Every safetensors file the project writes or reads goes through here.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save


def write_safetensors(
    path: Path, tensors: dict[str, torch.Tensor], metadata: dict[str, str]
) -> None:
    """Write atomically (a crash never leaves half a file under ``path``), durably, and with
    the mode the umask gives any new file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    # A partial file left by a crash keeps its mode when reopened: start from a new one.
    partial.unlink(missing_ok=True)
    data = save(tensors, metadata=metadata)
    with partial.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    partial.replace(path)


@contextmanager
def open_safetensors(path: Path, device: str = "cpu") -> Iterator[Any]:
    """``safe_open`` after an ordinary open, so a file that cannot be read raises the
    OSError that says why (permission denied, a directory, missing)."""
    with path.open("rb"):
        pass
    with safe_open(str(path), framework="pt", device=device) as handle:
        yield handle
