"""Fingerprints of seeded runs: a SHA-256 of every parameter, optimiser state and metric
after a few steps of several configurations, eager and on the trainer's own step.

A restructuring must keep seeded runs bit for bit: run this before and after, on the same
machine, and compare the two outputs (they must be identical). Floating-point results
depend on the CPU's instructions, so fingerprints are compared on one machine, never
committed as golden values.

    python scripts/fingerprint.py > before.txt   # ... restructure ...
    python scripts/fingerprint.py > after.txt && diff before.txt after.txt
"""

from __future__ import annotations

import hashlib

import torch

from ganviz.core.config import load_preset
from ganviz.core.settings import ConfigError
from ganviz.engine.trainer import Trainer

SMALL = {"model": {"g_hidden": [32, 32], "d_hidden": [32, 32]},
         "train": {"batch_size": 64, "steps": 12, "compile": False, "device": "cpu"},
         "eval": {"every": 4, "samples": 300, "grad_var_batches": 2},
         "runs": {"seeds": [0, 7]}}
CASES = {
    "default": {},
    "full-covariance, score learns sigma": {"runs": {"covariance": "full",
                                                     "score_learned_sigma": True}},
    "tanh, minimax, real noise, sgd": {"model": {"g_activation": "tanh",
                                                 "d_activation": "tanh"},
                                       "train": {"loss": "minimax", "real_noise": True,
                                                 "optimizer": "sgd", "momentum": 0.5}},
    "batchnorm, maxout, uniform latent": {"model": {"g_batchnorm": True, "d_maxout": 2,
                                                    "latent": "uniform"}},
    "study options": {"train": {"update": "simultaneous"},
                      "model": {"init": "orthogonal", "init_gain": 1.4},
                      "runs": {"score_baseline": "at_mean", "sigma_entropy": 0.1}},
}


def fingerprint(overrides: dict) -> str:
    """The SHA-256 of a 12-step run's whole state and history."""
    cfg = load_preset("default").with_overrides(SMALL)
    for section, values in overrides.items():
        cfg = cfg.with_overrides({section: {**cfg.to_dict()[section], **values}})
    trainer = Trainer(cfg, "cpu")
    trainer.train(cfg.train.steps)
    state = trainer.state_dict()
    digest = hashlib.sha256()
    for key in sorted(state):
        if key != "config":  # the config gains new settings over time; the numbers may not
            digest.update(key.encode())
            digest.update(_tensors_bytes(state[key]))
    return digest.hexdigest()


def _tensors_bytes(value) -> bytes:
    """The raw bytes of every tensor and number in a nested value, in a fixed order."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().contiguous().numpy().tobytes()
    if isinstance(value, dict):
        return b"".join(k.encode() + _tensors_bytes(value[k]) for k in sorted(value))
    if isinstance(value, list | tuple):
        return b"".join(_tensors_bytes(v) for v in value)
    return repr(value).encode()


def main() -> None:
    torch.set_num_threads(1)
    for name, overrides in CASES.items():
        try:
            print(f"{fingerprint(overrides)}  {name}")
        except ConfigError as exc:  # an older checkout without these settings
            print(f"{'-' * 64}  {name} ({exc})")


if __name__ == "__main__":
    main()
