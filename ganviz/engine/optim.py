"""Adam and SGD over stacked per-run parameters, with a per-run update mask.

A run whose mask is off keeps its parameters and optimiser state untouched. An
update that would make any of a run's parameters non-finite is not applied;
``step`` reports that run as non-finite so the trainer can freeze it.

For speed the optimiser keeps all its per-run state in one flat buffer ``[R, k, P]``
(P = parameters per run) and computes each update with a handful of whole-buffer
operations into preallocated scratch memory; ``m`` and ``v`` are per-parameter views
into that buffer. The arithmetic is the same, operation by operation, as the plain
per-parameter form, so the results are identical.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch


def _run_mask(mask: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return mask.view(-1, *([1] * (like.dim() - 1)))


def _finite_rows(flat: torch.Tensor) -> torch.Tensor:
    """Per row of ``flat`` [R, n]: all finite (amin and amax propagate NaN and show inf)."""
    return torch.isfinite(flat.amin(1)) & torch.isfinite(flat.amax(1))


def _laid_out_like(grad: torch.Tensor | None, param: torch.Tensor) -> torch.Tensor:
    """``grad`` (zeros for None) with its parameter's strides, without a copy when it is
    contiguous, so a compiled update, which checks strides, always sees the same layout."""
    if grad is None:
        return torch.zeros_like(param)
    if grad.stride() == param.stride():
        return grad
    if grad.is_contiguous() and param.is_contiguous():
        return grad.as_strided(param.shape, param.stride())
    return torch.empty_like(param).copy_(grad)


def _per_run(x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return x.view(-1, *([1] * (like.dim() - 1)))


def _keep_finite(olds: Sequence[Sequence[torch.Tensor]],
                 news: Sequence[Sequence[torch.Tensor]], mask: torch.Tensor,
                 steps: torch.Tensor) -> torch.Tensor:
    """Copy each new tensor over its old one (in place) for the runs in ``mask`` whose new
    values are all finite, count their steps; return which runs stayed finite."""
    finite = torch.ones_like(mask)
    for group in news:
        for x in group:
            finite = finite & torch.isfinite(x).flatten(1).all(1)
    ok = mask & finite
    for old_group, new_group in zip(olds, news, strict=True):
        for old, x in zip(old_group, new_group, strict=True):
            old.copy_(torch.where(_per_run(ok, old), x, old))
    steps.add_(ok.to(steps.dtype))
    return finite


@torch.no_grad()
def adam_update(params: Sequence[torch.Tensor], grads: Sequence[torch.Tensor],
                m: Sequence[torch.Tensor], v: Sequence[torch.Tensor], steps: torch.Tensor,
                mask: torch.Tensor, hyper: torch.Tensor) -> torch.Tensor:
    """:meth:`BatchedOptimizer.step` for Adam as one pure function (compiled by the fast step).

    Updates ``params``, ``m``, ``v`` and ``steps`` in place for the runs in ``mask`` whose
    new values are all finite; returns which runs stayed finite. ``hyper`` holds
    (lr, beta1, beta2, eps, momentum) as float64, so changing them needs no recompilation.
    Same formula as the eager step, element by element (a compiler may fuse and reorder
    it, so results agree to rounding, not bit for bit).
    """
    dtype = params[0].dtype
    lr, b1, b2, eps = (hyper[i].to(dtype) for i in range(4))
    t = steps + 1
    c1 = (1 - hyper[1] ** t).to(dtype)
    c2 = (1 - hyper[2] ** t).to(dtype)
    news = []
    for p, g, m0, v0 in zip(params, grads, m, v, strict=True):
        m1 = torch.lerp(m0, g, 1 - b1)
        v1 = torch.lerp(v0, g * g, 1 - b2)
        denom = (v1 / _per_run(c2, p)).sqrt() + eps
        news.append((p - lr * (m1 / _per_run(c1, p)) / denom, m1, v1))
    return _keep_finite(list(zip(params, m, v, strict=True)), news, mask, steps)


@torch.no_grad()
def sgd_update(params: Sequence[torch.Tensor], grads: Sequence[torch.Tensor],
               m: Sequence[torch.Tensor], v: Sequence[torch.Tensor], steps: torch.Tensor,
               mask: torch.Tensor, hyper: torch.Tensor) -> torch.Tensor:
    """:meth:`BatchedOptimizer.step` for SGD (momentum from ``hyper[4]``) as one pure
    function; same contract as :func:`adam_update` (``v`` is unused)."""
    dtype = params[0].dtype
    lr, momentum = hyper[0].to(dtype), hyper[4].to(dtype)
    news = []
    for p, g, m0 in zip(params, grads, m, strict=True):
        m1 = momentum * m0 + g
        news.append((p - lr * m1, m1))
    return _keep_finite(list(zip(params, m, strict=True)), news, mask, steps)


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
        first = self.params[0]
        n_runs, device, dtype = first.shape[0], first.device, first.dtype
        if any(p.shape[0] != n_runs or p.device != device or p.dtype != dtype
               for p in self.params):
            raise ValueError("BatchedOptimizer: parameters need the same runs, device, dtype")
        sizes = [p[0].numel() for p in self.params]
        starts = [sum(sizes[:i]) for i in range(len(sizes))]
        self._spans = list(zip(starts, sizes, strict=True))
        total = sum(sizes)
        self.steps = torch.zeros(n_runs, dtype=torch.float64, device=device)
        n_state = 2 if kind == "adam" else 1
        # state (m[, v]) and scratch (m1[, v1], new p) laid out as [R, k, P]
        self._state = torch.zeros(n_runs, n_state, total, dtype=dtype, device=device)
        self._new = torch.empty(n_runs, n_state + 1, total, dtype=dtype, device=device)
        self._grad = torch.empty(n_runs, total, dtype=dtype, device=device)
        self._tmp = torch.empty(n_runs, total, dtype=dtype, device=device)
        self.m = self._views(self._state[:, 0])
        self.v = self._views(self._state[:, 1]) if kind == "adam" else []
        self._new_p = self._views(self._new[:, n_state])

    def hyper(self) -> torch.Tensor:
        """(lr, beta1, beta2, eps, momentum) as a float64 tensor on the device (cached)."""
        values = (self.lr, *self.betas, self.eps, self.momentum)
        if getattr(self, "_hyper_values", None) != values:
            self._hyper_values = values
            self._hyper = torch.tensor(values, dtype=torch.float64, device=self.steps.device)
        return self._hyper

    def pure_update(self):
        """This optimiser's update as a pure function (:func:`adam_update` or
        :func:`sgd_update`), to be called with :meth:`pure_state` and :meth:`hyper`."""
        return adam_update if self.kind == "adam" else sgd_update

    def pure_state(self) -> tuple[list[torch.Tensor], list[torch.Tensor], torch.Tensor]:
        """(m, v, steps) as :meth:`pure_update` takes them (SGD: v is m, unused)."""
        return self.m, self.v if self.v else self.m, self.steps

    def _full(self, grads: Sequence[torch.Tensor | None]) -> list[torch.Tensor]:
        """One gradient per parameter, laid out like it (None: zeros)."""
        return [_laid_out_like(g, p) for p, g in zip(self.params, grads, strict=True)]

    def _views(self, flat: torch.Tensor) -> list[torch.Tensor]:
        """Per-parameter views [R, *shape] of a flat [R, P] buffer."""
        return [flat[:, a:a + n].view(p.shape)
                for p, (a, n) in zip(self.params, self._spans, strict=True)]

    @torch.no_grad()
    def step(self, grads: Sequence[torch.Tensor | None], mask: torch.Tensor) -> torch.Tensor:
        """Apply one update to the runs in ``mask`` [R] (bool); return which runs stayed finite."""
        grads = self._full(grads)
        torch.cat([g.reshape(g.shape[0], -1) for g in grads], dim=1, out=self._grad)
        if self.kind == "adam":
            self._adam()
        else:
            self._sgd()
        n_state = self._state.shape[1]
        upd = self._new[:, n_state]
        for p, new_p, (start, size) in zip(self.params, self._new_p, self._spans, strict=True):
            torch.sub(p, upd[:, start:start + size].view(p.shape), out=new_p)
        finite = _finite_rows(self._new.view(self._new.shape[0], -1))
        ok = mask & finite
        torch.where(ok.view(-1, 1, 1), self._new[:, :n_state], self._state, out=self._state)
        for p, new_p in zip(self.params, self._new_p, strict=True):
            torch.where(_run_mask(ok, p), new_p, p, out=p)
        self.steps += ok.to(self.steps.dtype)
        return finite

    def _adam(self) -> None:
        """m1, v1 into the scratch buffer and the update lr * (m1/c1) / denom in its p slot.

        Per element exactly: m1 = lerp(m, g, 1-b1); v1 = lerp(v, g*g, 1-b2);
        denom = sqrt(v1/c2) + eps; update = lr * (m1/c1) / denom; new p = p - update.
        """
        b1, b2 = self.betas
        t = self.steps + 1
        dtype = self._state.dtype
        c1 = (1 - b1**t).to(dtype).view(-1, 1)
        c2 = (1 - b2**t).to(dtype).view(-1, 1)
        g = self._grad
        m, v = self._state[:, 0], self._state[:, 1]
        m1, v1, upd = self._new[:, 0], self._new[:, 1], self._new[:, 2]
        denom = self._tmp
        torch.lerp(m, g, 1 - b1, out=m1)
        torch.mul(g, g, out=v1)
        torch.lerp(v, v1, 1 - b2, out=v1)
        torch.div(v1, c2, out=denom)
        denom.sqrt_().add_(self.eps)
        torch.div(m1, c1, out=upd)
        upd.mul_(self.lr).div_(denom)

    def _sgd(self) -> None:
        """m1 = momentum * m + g (or g) into the scratch buffer, update lr * m1 in its p slot."""
        g, m = self._grad, self._state[:, 0]
        m1, upd = self._new[:, 0], self._new[:, 1]
        if self.momentum > 0:
            torch.mul(m, self.momentum, out=m1)
            m1.add_(g)
        else:
            m1.copy_(g)
        torch.mul(m1, self.lr, out=upd)

    def state_dict(self) -> dict:
        """Optimiser state (tensors on the CPU) for checkpoints."""
        def cpu(t: torch.Tensor) -> torch.Tensor:
            return t.detach().to("cpu").clone(memory_format=torch.contiguous_format)

        return {"kind": self.kind, "lr": self.lr, "steps": self.steps.cpu(),
                "m": [cpu(t) for t in self.m], "v": [cpu(t) for t in self.v]}

    def load_state_dict(self, state: dict) -> None:
        """Restore :meth:`state_dict` output onto this optimiser's device."""
        if state["kind"] != self.kind or len(state["m"]) != len(self.m):
            raise ValueError("checkpoint optimiser does not match this configuration")
        self.lr = float(state["lr"])
        self.steps.copy_(state["steps"])
        for dst, src in zip([*self.m, *self.v], [*state["m"], *state["v"]], strict=True):
            dst.copy_(src)
