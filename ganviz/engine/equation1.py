"""The equation-1 curves: :func:`compute_sigma_curves` -> :class:`SigmaCurves`.

Equation 1 of the GAN paper: lim_{sigma->0} grad_x E_eps f(x + sigma eps) = grad_x f(x). For
the current D and fakes, over a log grid of sigma (from :data:`SIGMA_LO` to
:data:`SIGMA_HI`), the curves are the relative bias of the smoothed gradient and the
single-sample std of the pathwise and of the score-function estimates of that gradient (with
a batch, a per-point and an at-mean baseline). Read-only with respect to training: D's value
and gradient come from :mod:`ganviz.engine.critic`, the draws from
:mod:`ganviz.engine.probe_draws`; every array is a fresh float32 numpy array.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from ganviz.core.contract import SigmaCurves
from ganviz.engine import critic
from ganviz.engine.host_arrays import to_numpy
from ganviz.engine.probe_draws import SALT_CURVES, draws
from ganviz.engine.trainer import Trainer

SIGMA_LO, SIGMA_HI = 1e-3, 1.0  # the default sigma grid's ends
CURVE_KEYS = ("bias", "path", "score", "point", "mean")  # compute_sigma_curves' accumulators


def compute_sigma_curves(trainer: Trainer, gens: Sequence[torch.Generator] | None = None,
                         sigmas: list[float] | None = None) -> SigmaCurves:
    """The equation-1 sigma curves for the current D and fakes; deterministic given ``gens``.

    ``gens`` (one per run, on ``trainer.device``) supply every random draw, run r's from
    ``gens[r]``; None means :func:`~ganviz.engine.probe_draws.default_generator` (fixed
    draws, so the curves change only with the networks). ``sigmas`` (positive) replaces the
    default log grid of ``probe.curve_points`` values from SIGMA_LO to SIGMA_HI.
    """
    p = trainer.cfg.probe
    dev = trainer.device
    d = trainer.cfg.model.latent_dim
    n, k, S = p.curve_fakes, p.curve_draws, p.curve_points
    if sigmas is None:
        sig = torch.logspace(math.log10(SIGMA_LO), math.log10(SIGMA_HI), S, device=dev)
    elif sigmas and min(sigmas) > 0:
        sig = torch.tensor(sigmas, dtype=torch.float32, device=dev)
    else:
        raise ValueError("sigmas must be a non-empty list of positive values")
    with torch.no_grad():
        noise, eps = draws(trainer, SALT_CURVES, n, k, gens)  # eps [R, k, 2]
        x0, _ = trainer.generate(trainer.latent(noise[..., :d]))  # [R, n, 2]
        f0, g0 = critic.f_and_grad(trainer, x0)  # [R, n], [R, n, 2]
        g0_norm = g0.norm(dim=-1)  # [R, n]
        scale = g0_norm.mean(1).clamp_min(1e-30)  # [R]
        e2 = (eps**2).sum(-1)[:, None, :]  # [R, 1, k]
        out: dict[str, list[torch.Tensor]] = {key: [] for key in CURVE_KEYS}

        def score_var(w: torch.Tensor, s: float) -> torch.Tensor:
            """Per-point variance (trace) over k of w_ik eps_k / s: w [R, n, k] -> [R, n]."""
            second = (w**2 * e2).mean(2)
            first = torch.bmm(w, eps) / k  # [R, n, 2]
            return (second - (first**2).sum(-1)).clamp_min(0) / s**2

        for s in sig.tolist():  # one sigma at a time keeps memory at R * n * k
            fk, gs, gvar = critic.shifted_grads(trainer, x0, s * eps, keep_f=True)
            assert fk is not None
            out["bias"].append((gs - g0).norm(dim=-1).sum(1) / g0_norm.sum(1).clamp_min(1e-30))
            out["path"].append(gvar.mean(1).sqrt() / scale)
            b_batch = (fk.sum(1, keepdim=True) - fk) / max(n - 1, 1)
            b_point = (fk.sum(2, keepdim=True) - fk) / max(k - 1, 1)
            out["score"].append(score_var(fk - b_batch, s).mean(1).sqrt() / scale)
            out["point"].append(score_var(fk - b_point, s).mean(1).sqrt() / scale)
            out["mean"].append(score_var(fk - f0[..., None], s).mean(1).sqrt() / scale)
        curves = {key: to_numpy(torch.stack(out[key], dim=1)) for key in CURVE_KEYS}

    return SigmaCurves(step=int(trainer.step_count), sigma=to_numpy(sig), bias=curves["bias"],
                       pathwise_std=curves["path"], score_std=curves["score"],
                       score_std_point=curves["point"], score_std_mean=curves["mean"])

