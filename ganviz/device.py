"""Device selection: ``auto`` means CUDA when present, else CPU."""

from __future__ import annotations

import os
from collections.abc import Callable

import torch

from ganviz.config import ConfigError


def resolve_device(name: str, cuda_available: Callable[[], bool] = torch.cuda.is_available
                   ) -> torch.device:
    """The torch device for a ``train.device`` value (auto, cpu, cuda, cuda:N)."""
    if name == "auto":
        return torch.device("cuda" if cuda_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name == "cuda" or name.startswith("cuda:"):
        if not cuda_available():
            raise ConfigError("--device", "cuda requested but no CUDA device is available; "
                                          "allowed here: auto, cpu")
        return torch.device(name)
    raise ConfigError("--device", f"unknown device {name!r}; allowed: auto, cpu, cuda")


def training_threads(requested: int, leave_for_gui: bool, cores: int | None = None) -> int:
    """Torch threads for training: ``requested``, else every core (all but one beside a GUI)."""
    if requested > 0:
        return requested
    n = cores if cores is not None else (os.cpu_count() or 1)
    return max(1, n - 1) if leave_for_gui else n
