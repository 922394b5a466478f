"""Device selection: ``auto`` means CUDA when present, else CPU.

Importing this module does not import torch (the window's process checks a device with
:func:`check_device_elsewhere` and never loads torch itself).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from ganviz.core.settings import ConfigError
from ganviz.engine.threads import AutoThreads, usable_cores

if TYPE_CHECKING:
    import torch

CUDA_PROBE = "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 3)"


def resolve_device(name: str, cuda_available: Callable[[], bool] | None = None
                   ) -> torch.device:
    """The torch device for a ``train.device`` value (auto, cpu, cuda, cuda:N)."""
    import torch

    if cuda_available is None:
        cuda_available = torch.cuda.is_available
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


def check_device_elsewhere(name: str) -> None:
    """Refuse ``name`` like :func:`resolve_device` does, asking a fresh interpreter whether
    CUDA is available (only for an explicit ``cuda``), so that this process never loads
    torch."""
    if name in ("auto", "cpu"):
        return
    if name != "cuda" and not name.startswith("cuda:"):
        raise ConfigError("--device", f"unknown device {name!r}; allowed: auto, cpu, cuda")
    probe = subprocess.run([sys.executable, "-c", CUDA_PROBE], capture_output=True,
                           timeout=120)
    if probe.returncode != 0:
        raise ConfigError("--device", "cuda requested but no CUDA device is available; "
                                      "allowed here: auto, cpu")


def training_threads(requested: int, leave_for_gui: bool, cores: int | None = None) -> int:
    """Torch threads for a measurement that holds one count (``bench``): ``requested``, else
    every usable core (all but one beside a GUI). Trainings use :func:`training_thread_count`."""
    if requested > 0:
        return requested
    return usable_cores(leave_for_gui, cores)


def training_thread_count(requested: int, leave_for_gui: bool) -> AutoThreads:
    """The thread count of a training (``train.threads``): exactly ``requested`` when > 0,
    else the cores other processes leave free, re-checked while it trains
    (:mod:`ganviz.engine.threads`); call ``start()`` before training and ``tick()`` between
    steps."""
    import torch

    return AutoThreads(requested, leave_for_gui, torch.set_num_threads)
