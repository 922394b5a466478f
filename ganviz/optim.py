"""Adam and SGD over stacked per-run parameters, with a per-run update mask.

A run whose mask is off keeps its parameters and optimiser state untouched. An
update that would make any of a run's parameters non-finite is not applied;
``step`` reports that run as non-finite so the trainer can freeze it.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch


def _run_mask(mask: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return mask.view(-1, *([1] * (like.dim() - 1)))


def _all_finite(tensors: Sequence[torch.Tensor]) -> torch.Tensor:
    ok = None
    for t in tensors:
        f = torch.isfinite(t).flatten(1).all(1)
        ok = f if ok is None else ok & f
    assert ok is not None
    return ok


class BatchedOptimizer:
    """Adam (``momentum`` unused) or SGD with momentum over parameters shaped [R, ...]."""

    def __init__(self, params: Sequence[torch.Tensor], kind: str, lr: float,
                 betas: tuple[float, float] = (0.9, 0.999), momentum: float = 0.0,
                 eps: float = 1e-8) -> None:
        if kind not in ("adam", "sgd"):
            raise ValueError(f"train.optimizer: unknown {kind!r}; allowed: adam, sgd")
        self.params = list(params)
        self.kind = kind
        self.lr = lr
        self.betas = betas
        self.momentum = momentum
        self.eps = eps
        n_runs = self.params[0].shape[0]
        device = self.params[0].device
        self.steps = torch.zeros(n_runs, dtype=torch.float64, device=device)
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params] if kind == "adam" else []

    @torch.no_grad()
    def step(self, grads: Sequence[torch.Tensor | None], mask: torch.Tensor) -> torch.Tensor:
        """Apply one update to the runs in ``mask`` [R] (bool); return which runs stayed finite."""
        grads = [torch.zeros_like(p) if g is None else g for p, g in zip(self.params, grads,
                                                                         strict=True)]
        if self.kind == "adam":
            new_p, new_m, new_v = self._adam(grads)
        else:
            new_p, new_m = self._sgd(grads)
            new_v = []
        finite = _all_finite([*new_p, *new_m, *new_v])
        ok = mask & finite
        for old, new in zip([*self.params, *self.m, *self.v], [*new_p, *new_m, *new_v],
                            strict=True):
            old.copy_(torch.where(_run_mask(ok, old), new, old))
        self.steps += ok.to(self.steps.dtype)
        return finite

    def _adam(self, grads: Sequence[torch.Tensor]):
        b1, b2 = self.betas
        t = self.steps + 1
        corr1 = (1 - b1**t).to(self.params[0].dtype)
        corr2 = (1 - b2**t).to(self.params[0].dtype)
        new_p, new_m, new_v = [], [], []
        for p, g, m, v in zip(self.params, grads, self.m, self.v, strict=True):
            m1 = torch.lerp(m, g, 1 - b1)
            v1 = torch.lerp(v, g * g, 1 - b2)
            c1, c2 = _run_mask(corr1, p), _run_mask(corr2, p)
            denom = (v1 / c2).sqrt_().add_(self.eps)
            new_p.append(p - self.lr * (m1 / c1) / denom)
            new_m.append(m1)
            new_v.append(v1)
        return new_p, new_m, new_v

    def _sgd(self, grads: Sequence[torch.Tensor]):
        new_p, new_m = [], []
        for p, g, m in zip(self.params, grads, self.m, strict=True):
            m1 = self.momentum * m + g if self.momentum > 0 else g
            new_p.append(p - self.lr * m1)
            new_m.append(m1)
        return new_p, new_m

    def state_dict(self) -> dict:
        """Optimiser state (tensors on the CPU) for checkpoints."""
        return {"kind": self.kind, "lr": self.lr, "steps": self.steps.cpu(),
                "m": [t.cpu() for t in self.m], "v": [t.cpu() for t in self.v]}

    def load_state_dict(self, state: dict) -> None:
        """Restore :meth:`state_dict` output onto this optimiser's device."""
        if state["kind"] != self.kind or len(state["m"]) != len(self.m):
            raise ValueError("checkpoint optimiser does not match this configuration")
        self.lr = float(state["lr"])
        self.steps.copy_(state["steps"])
        for dst, src in zip([*self.m, *self.v], [*state["m"], *state["v"]], strict=True):
            dst.copy_(src)
