"""Tensors handed across the contract: fresh float32 numpy copies on the host.

The probes (the views, the fakes, the equation-1 curves) return plain numpy arrays that the
window may keep while training goes on, so each is a copy, never a view of torch storage.
"""

from __future__ import annotations

import numpy as np
import torch


def to_numpy(t: torch.Tensor) -> np.ndarray:
    """A fresh float32 numpy copy of a tensor (never aliasing torch storage)."""
    return np.array(t.detach().to("cpu", torch.float32).numpy(), dtype=np.float32, copy=True)


def to_numpy_or_none(t: torch.Tensor | None) -> np.ndarray | None:
    """:func:`to_numpy` of a part that may have been left out."""
    return None if t is None else to_numpy(t)
