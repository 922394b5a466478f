"""D's value f and its input gradient at many points, chunked: what the probes evaluate.

The probes (the views of :mod:`ganviz.engine.probes`, the equation-1 curves of
:mod:`ganviz.engine.equation1`) evaluate D on many points with no parameter gradients, so
they run their own forward over ``trainer.D.weights`` / ``biases`` (the same maths as
BatchedMLP.forward): the output layer (width 1) as a multiply + sum (a bmm with one output
column runs at a few % of matmul peak), tanh as the training step computes it
(:func:`ganviz.engine.step.tanh`), and the input gradient by a hand-written backward (no
autograd graph). Where the own forward does not apply (batchnorm, or maxout for the
gradient) they call ``trainer.D`` and autograd. Nothing here touches training: parameters
get no ``.grad``.

Chunking: points are evaluated in chunks so that one hidden activation stays within
:data:`ELEMENT_BUDGET` floats (small chunks stay in the CPU cache, docs/performance.md; a GPU
wants big ones). Chunks are sized for :data:`CHUNK_RUNS` runs whatever the run count, so a
run's numbers never depend on how many runs share the batch (a chunk's boundaries can change
the rounding).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ganviz.engine.step import generator_loss
from ganviz.engine.step import tanh as step_tanh
from ganviz.engine.trainer import Trainer

ELEMENT_BUDGET = {"cpu": 1 << 18, "cuda": 1 << 24}  # max floats in one hidden activation
CHUNK_RUNS = 4  # the run count chunks are sized for, whatever the actual count
BLOCK_POINTS = 1 << 16  # shifted points materialised at once (all runs) for smoothed gradients


def element_budget(device: torch.device) -> int:
    """Max floats in one intermediate of a chunked computation on ``device``."""
    return ELEMENT_BUDGET.get(device.type, ELEMENT_BUDGET["cpu"])


def _chunk(trainer: Trainer, n: int) -> int:
    """Points per chunk so that one hidden activation of D stays within the element budget."""
    m = trainer.cfg.model
    width = max(max(m.d_hidden) * m.d_maxout, 1)
    return max(64, min(n, element_budget(trainer.device) // (CHUNK_RUNS * width)))



def _act_(h: torch.Tensor, name: str, slope: float) -> torch.Tensor:
    """D's hidden activation, in place on a fresh layer output."""
    if name == "relu":
        return h.relu_()
    if name == "leaky_relu":
        return F.leaky_relu_(h, slope)
    if name == "tanh":
        return step_tanh(h, in_place=True)
    raise ValueError(f"model activation: unknown {name!r}; allowed: relu, leaky_relu, tanh")


def _act_back_(g: torch.Tensor, h: torch.Tensor, name: str, slope: float) -> torch.Tensor:
    """g times the activation's derivative, in place on g, from the activation's output h
    (for leaky_relu, slope >= 0, as the config enforces)."""
    if name == "tanh":
        return g.sub_(g * h * h)
    if name == "leaky_relu" and slope != 0:
        return g.mul_(torch.where(h > 0, 1.0, slope))
    return g.masked_fill_(h <= 0, 0.0)


def _own_forward(trainer: Trainer, grad: bool = False) -> bool:
    """Whether the probes' own forward applies to D (else they call trainer.D and autograd)."""
    m, d = trainer.cfg.model, trainer.D
    if getattr(d, "batchnorm", True) or d.weights[-1].shape[-1] != 1:
        return False
    return not grad or m.d_maxout == 1


def _hidden(trainer: Trainer, h: torch.Tensor, first: int = 0,
            saved: list[torch.Tensor] | None = None) -> torch.Tensor:
    """D's hidden layers from ``first`` on (layer ``first``'s pre-activation already in h)."""
    m, d = trainer.cfg.model, trainer.D
    n_hidden = len(d.weights) - 1
    for i in range(first, n_hidden):
        if i > first:
            h = torch.baddbmm(d.biases[i], h, d.weights[i])
        if m.d_maxout > 1:
            h = h.unflatten(-1, (-1, m.d_maxout)).amax(-1)
        h = _act_(h, m.d_activation, m.leaky_slope)
        if saved is not None:
            saved.append(h)
    return h


def _head(trainer: Trainer, h: torch.Tensor) -> torch.Tensor:
    """D's output layer (width 1) as a multiply + sum: h [R, N, C] -> logits [R, N]."""
    w, b = trainer.D.weights[-1], trainer.D.biases[-1]  # [R, C, 1], [R, 1, 1]
    return torch.linalg.vecdot(h, w.transpose(1, 2)) + b[..., 0]


def _d_logits(trainer: Trainer, x: torch.Tensor,
              saved: list[torch.Tensor] | None = None) -> torch.Tensor:
    """D's logits at x [R, N, 2] -> [R, N] by the probes' own forward (no gradients)."""
    d = trainer.D
    h = torch.baddbmm(d.biases[0], x, d.weights[0])
    return _head(trainer, _hidden(trainer, h, 0, saved))


def _logits(trainer: Trainer, x: torch.Tensor) -> torch.Tensor:
    """D's logits at x [R, N, 2] -> [R, N], chunked over N (no gradients)."""
    step = _chunk(trainer, x.shape[1])
    own = _own_forward(trainer)
    with torch.no_grad():
        return torch.cat([_d_logits(trainer, x[:, a:a + step]) if own
                          else trainer.D(x[:, a:a + step])[..., 0]
                          for a in range(0, x.shape[1], step)], dim=1)


def grid_logits(trainer: Trainer, xs: torch.Tensor, ys: torch.Tensor) -> torch.Tensor:
    """D's logits on the grid [R, H, W] (``a[r, i, j]`` at x = xs[j], y = ys[i]), no gradients.

    D's first layer separates over the axes: its pre-activation at (xs[j], ys[i]) is
    a[j] + c[i], with a = xs w_x + b and c = ys w_y computed once; blocks of rows follow.
    """
    r, h_n, w_n = trainer.n_runs, ys.numel(), xs.numel()
    if not _own_forward(trainer):
        grid = grid_points(xs, ys).expand(r, -1, -1)
        return _logits(trainer, grid).reshape(r, h_n, w_n)
    d = trainer.D
    rows = max(1, _chunk(trainer, h_n * w_n) // w_n)
    out = torch.empty(r, h_n, w_n, device=xs.device)
    with torch.no_grad():
        w0, b0 = d.weights[0], d.biases[0]  # [R, 2, C], [R, 1, C]
        a = torch.baddbmm(b0, xs.view(1, -1, 1).expand(r, -1, -1), w0[:, 0:1])  # [R, W, C]
        c = ys.view(1, -1, 1) * w0[:, 1:2]  # [R, H, C]
        for i in range(0, h_n, rows):
            ci = c[:, i:i + rows, None, :]
            pre = (a[:, None] + ci).flatten(1, 2)  # [R, rows * W, C]
            logits = _head(trainer, _hidden(trainer, pre))
            out[:, i:i + rows] = logits.view(r, ci.shape[1], w_n)
    return out


def _dloss(trainer: Trainer, logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """f = the generator loss of the logits [R, N], and df / dlogit (autograd on [R, N] only)."""
    with torch.enable_grad():
        lg = logits.detach().requires_grad_(True)
        f = generator_loss(lg, trainer.cfg.train.loss)
        (df,) = torch.autograd.grad(f.sum(), lg)
    return f.detach(), df


def _own_f_and_grad(trainer: Trainer, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """f(x) [R, N] and grad_x f [R, N, 2] by the own forward and a hand-written backward."""
    m, d = trainer.cfg.model, trainer.D
    saved: list[torch.Tensor] = []
    with torch.no_grad():
        f, df = _dloss(trainer, _d_logits(trainer, x, saved))
        g = df[..., None] * d.weights[-1].transpose(1, 2)  # [R, N, C]
        for i in range(len(saved) - 1, -1, -1):
            g = _act_back_(g, saved[i], m.d_activation, m.leaky_slope)
            w = d.weights[i]  # [R, in, C]
            g = torch.bmm(g, w.transpose(1, 2))
    return f, g


def f_and_grad(trainer: Trainer, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """f(x) [R, N] and grad_x f(x) [R, N, 2] for x [R, N, 2], chunked; parameters get no .grad."""
    step = _chunk(trainer, x.shape[1])
    own = _own_forward(trainer, grad=True)
    fs, gs = [], []
    for a in range(0, x.shape[1], step):
        if own:
            fx, g = _own_f_and_grad(trainer, x[:, a:a + step])
        else:
            with torch.enable_grad():
                xc = x[:, a:a + step].detach().requires_grad_(True)
                fx = trainer.f(xc)
                (g,) = torch.autograd.grad(fx.sum(), xc)
        fs.append(fx.detach())
        gs.append(g)
    return torch.cat(fs, dim=1), torch.cat(gs, dim=1)


def shifted_grads(trainer: Trainer, centres: torch.Tensor, offsets: torch.Tensor,
                   keep_f: bool = False) -> tuple[torch.Tensor | None, torch.Tensor, torch.Tensor]:
    """Gradients of f at centres [R, P, 2] + offsets [R or 1, K, 2], reduced over K.

    Returns f at every shifted point [R, P, K] (only if ``keep_f``), the mean gradient
    [R, P, 2] and the per-point variance (trace) of the gradient over K [R, P]. Points are
    processed in blocks, so memory stays bounded for any P and K.
    """
    r, p = centres.shape[:2]
    k = offsets.shape[1]
    block = max(1, BLOCK_POINTS // (CHUNK_RUNS * k))
    fs, means, variances = [], [], []
    for a in range(0, p, block):
        x = centres[:, a:a + block, None, :] + offsets[:, None, :, :]  # [R, b, K, 2]
        b = x.shape[1]
        f, g = f_and_grad(trainer, x.reshape(r, b * k, 2))
        g = g.reshape(r, b, k, 2)
        mean = g.mean(2)
        variances.append(((g - mean[:, :, None]) ** 2).sum(-1).mean(2))  # two-pass: no cancel
        means.append(mean)
        if keep_f:
            fs.append(f.reshape(r, b, k))
    f_all = torch.cat(fs, dim=1) if keep_f else None
    return f_all, torch.cat(means, dim=1), torch.cat(variances, dim=1)


def grid_points(xs: torch.Tensor, ys: torch.Tensor) -> torch.Tensor:
    """Row-major points [len(ys) * len(xs), 2]: index i * W + j is (xs[j], ys[i])."""
    yy, xx = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack([xx, yy], dim=-1).reshape(-1, 2)


