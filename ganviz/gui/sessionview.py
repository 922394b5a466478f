"""What a session file stores of the window's view, and how an opened session's view is
applied: the layers, the hidden estimators, the selected run, the seed each panel shows and
whether the curves draw every seed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ganviz.gui.host import WindowHost


def _names(value: object) -> set[str]:
    """The text items of a stored list (anything else: none)."""
    if not isinstance(value, list | tuple | set):
        return set()
    return {x for x in value if isinstance(x, str)}


def view_state(window: WindowHost) -> dict[str, Any]:
    """What ``window`` shows, stored in a session file."""
    state = window.state
    return {"layers": sorted(state.layers), "hidden_estimators":
            sorted(state.hidden_estimators), "selected_run": state.selected_run,
            "per_seed": state.per_seed,
            "shown_runs": sorted(p.run for p in window.panels.panels)}


def restore_view(window: WindowHost, view: object) -> None:
    """Apply a session's stored view to ``window``.

    Never raises: names this window does not know are ignored, and a selected run that
    is not a run of the current session selects the first one.
    """
    view = view if isinstance(view, dict) else {}
    toolbar = window.toolbar
    layers = _names(view.get("layers")) & set(toolbar.layer_actions)
    if layers:
        for name, action in toolbar.layer_actions.items():
            action.setChecked(name in layers)
    hidden = _names(view.get("hidden_estimators"))
    for est, button in toolbar.estimator_buttons.items():
        button.setChecked(est not in hidden)
    run = view.get("selected_run", 0)
    snap = window.snapshot
    n_runs = len(snap.runs) if snap is not None else 0
    if not isinstance(run, int) or isinstance(run, bool) or not 0 <= run < n_runs:
        run = 0
    window.state.select_run(run)
    window.curves.set_selected_run(window.state.selected_run)
    window.state.set_per_seed(view.get("per_seed") is True)
    shown = view.get("shown_runs")
    for r in shown if isinstance(shown, list) else []:
        if isinstance(r, int) and not isinstance(r, bool) and 0 <= r < n_runs:
            window.panels.show_run(r)
