"""The estimators' ids and their names for people: one place, imported by the config (which
validates ids) and the contract (which titles runs). No torch, no Qt."""

from __future__ import annotations

ESTIMATORS: tuple[str, ...] = ("plugin", "reparam_fixed", "reparam_learned", "score")
FULL_NAMES: dict[str, str] = {
    "plugin": "plug-in (gradient at the mean)",
    "reparam_fixed": "reparameterized, fixed sigma",
    "reparam_learned": "reparameterized, learned sigma(z)",
    "score": "score function (REINFORCE)",
}
SHORT_NAMES: dict[str, str] = {
    "plugin": "plug-in",
    "reparam_fixed": "reparam, fixed σ",
    "reparam_learned": "reparam, learned σ(z)",
    "score": "score function",
}
TERSE_NAMES: dict[str, str] = {  # a narrow panel's title, where the short name does not fit
    "plugin": "plug-in",
    "reparam_fixed": "fixed σ",
    "reparam_learned": "learned σ(z)",
    "score": "score function",
}
NAME_TIERS: tuple[dict[str, str], ...] = (FULL_NAMES, SHORT_NAMES, TERSE_NAMES)  # longest first
