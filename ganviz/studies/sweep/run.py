"""The sweep driver: runs a plan's units on an executor, then merges and tabulates them.

Units checkpoint through a :class:`DirectoryStore` (``OUT/units/<key>/checkpoint.pt``) on the
driver's side; results come back as bytes (:class:`~ganviz.studies.sweep.units.UnitResult`), so the
driver never reads a unit's files except through the store. The finished units of one
group merge into one trainer state with the group's full config (runs in
:func:`~ganviz.core.runs.expand_runs` order), and the usual outputs are written from it.
"""

from __future__ import annotations

import csv
import io
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from ganviz.core.atomic import write_atomic, write_text_atomic
from ganviz.core.config import from_dict
from ganviz.core.markdown import markdown_table
from ganviz.core.runs import expand_runs
from ganviz.engine.checkpoint import CheckpointError, checkpoint_config, parse_checkpoint
from ganviz.engine.device import training_thread_count
from ganviz.engine.equation1 import compute_sigma_curves
from ganviz.engine.outputs import write_run_outputs
from ganviz.engine.threads import AutoThreads
from ganviz.engine.trainer import Trainer
from ganviz.studies import compare
from ganviz.studies.sweep.plan import SAFE_KEY, Plan, SweepError
from ganviz.studies.sweep.units import CHECKPOINT_STATE, CheckpointStore, Unit, UnitResult, run_unit

UNITS_DIR = "units"
UNIT_FREE = ("steps", "compile", "threads")  # train settings a resumed unit may change: its
# length (compare --resume --steps), and two that change no number of the eager step
LOG_NAME = "sweep.log"
Figures = Callable[[Trainer, Path], list[Path]]


class DirectoryStore:
    """Unit checkpoints in ``OUT/units/<key>/checkpoint.pt``, written atomically."""

    def __init__(self, out: Path) -> None:
        self.root = Path(out) / UNITS_DIR

    def path(self, key: str) -> Path:
        """Where unit ``key``'s checkpoint lives (a key that is not a plain folder name is
        refused: nothing outside ``OUT/units`` is ever read or written)."""
        if not isinstance(key, str) or not SAFE_KEY.fullmatch(key):
            raise SweepError(f"unit {key!r}: not a plain folder name")
        return self.root / key / "checkpoint.pt"

    def get(self, key: str) -> bytes | None:
        """The newest checkpoint of unit ``key``, or None."""
        p = self.path(key)
        return p.read_bytes() if p.is_file() else None

    def put(self, key: str, data: bytes) -> None:
        """Keep ``data`` as the newest checkpoint of unit ``key`` (atomically)."""
        p = self.path(key)
        p.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(p, lambda fh: fh.write(data))


def checkpoint_step(data: bytes, key: str) -> int:
    """The step a unit's checkpoint bytes were saved at."""
    return int(parse_checkpoint(data, f"checkpoint of unit {key}")["step"])


def unit_checkpoint_step(unit: Unit, data: bytes) -> int:
    """The step of ``unit``'s stored checkpoint, after checking that it is this unit's: the
    same config (its steps may be fewer: ``compare --resume --steps`` trains on), so the
    runs and seeds of another sweep's unit of the same name are never resumed.
    :class:`CheckpointError` names the unit and the first field that differs."""
    label = f"checkpoint of unit {unit.key}"
    state = parse_checkpoint(data, label)
    step = int(state["step"])
    stored = checkpoint_config(state).to_dict()
    wanted = from_dict(unit.config).to_dict()
    for section, values in wanted.items():
        for key, value in values.items():
            if section == "train" and key in UNIT_FREE:
                continue
            if stored.get(section, {}).get(key) != value:
                raise CheckpointError(f"{label}: {section}.{key} is "
                                      f"{stored.get(section, {}).get(key)!r}, the unit's is "
                                      f"{value!r}; it belongs to another sweep (use another "
                                      "--out, or remove that unit's folder)")
    if step > wanted["train"]["steps"]:
        raise CheckpointError(f"{label}: at step {step}, past the unit's "
                              f"{wanted['train']['steps']} steps")
    return step


def unit_steps(unit: Unit) -> int:
    """The steps a unit trains to."""
    return int(unit.config["train"]["steps"])


class InProcess:
    """Runs units one after another in this process (torch threads as ``train.threads``
    says). ``should_stop`` (e.g. :class:`ganviz.studies.train.StopRequests`) ends the unit under way
    after its current step, with its checkpoint stored, and runs no further units."""

    workers = 1

    def __init__(self, should_stop: Callable[[], bool] | None = None,
                 device: str = "cpu") -> None:
        self.should_stop = should_stop or (lambda: False)
        self.device = device

    def run(self, units: Sequence[Unit], store: CheckpointStore,
            report: Callable[[str, str], None]) -> Iterator[UnitResult]:
        """Run every unit in ``units``, yielding each result as it finishes."""
        auto: AutoThreads | None = None  # one for every auto unit: it keeps what it saw
        for unit in units:
            if self.should_stop():
                return
            requested = from_dict(unit.config).train.threads
            if requested > 0:
                threads = training_thread_count(requested, leave_for_gui=False)
            else:
                auto = threads = auto or training_thread_count(0, leave_for_gui=False)
            threads.start()

            def stop_or_adapt(threads: AutoThreads = threads) -> bool:
                threads.tick()  # checked before every step
                return self.should_stop()

            saved = store.get(unit.key)
            start = 0 if saved is None else checkpoint_step(saved, unit.key)
            report(unit.key, "started" if saved is None else f"resumed at step {start}")
            result = run_unit(unit, store, stop_or_adapt, self.device)
            if start + result.steps < unit_steps(unit):
                report(unit.key, f"stopped at step {start + result.steps}")
                return
            report(unit.key, f"done in {result.seconds:.1f} s")
            yield result


class Progress:
    """One tqdm bar over every unit's steps (moved by checkpoints and results, so its ETA
    counts training), and the units' state changes in ``OUT/sweep.log`` and on stderr."""

    def __init__(self, units: Sequence[Unit], store: CheckpointStore, out: Path,
                 enabled: bool) -> None:
        self.enabled = enabled
        self.log_path = out / LOG_NAME
        self.done: dict[str, int] = {}
        for u in units:
            data = store.get(u.key)
            self.done[u.key] = 0 if data is None else unit_checkpoint_step(u, data)
        self.lock = threading.Lock()
        self.bar = tqdm(total=sum(unit_steps(u) for u in units), initial=sum(self.done.values()),
                        unit="step", disable=not enabled, file=sys.stderr, dynamic_ncols=True,
                        desc=f"{len(units)} units", leave=True)

    def advance(self, key: str, step: int) -> None:
        """Unit ``key`` is at ``step`` now."""
        with self.lock:
            gain = step - self.done.get(key, 0)
            if gain > 0:
                self.done[key] = step
                self.bar.update(gain)

    def report(self, key: str, state: str) -> None:
        """A unit's state changed: a log line, and a line above the bar unless it is only a
        checkpoint (the bar shows those; a long sweep stores thousands)."""
        line = f"unit {key} {state}"
        with self.lock:
            with self.log_path.open("a", encoding="utf-8") as fh:
                fh.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {line}\n")
            if self.enabled and not state.startswith(CHECKPOINT_STATE):
                self.bar.write(line, file=sys.stderr)

    def close(self) -> None:
        """Close the bar."""
        self.bar.close()


class _TrackedStore:
    """The driver's store, telling the progress bar each checkpoint's step."""

    def __init__(self, inner: CheckpointStore, progress: Progress) -> None:
        self.inner, self.progress = inner, progress

    def get(self, key: str) -> bytes | None:
        return self.inner.get(key)

    def put(self, key: str, data: bytes) -> None:
        self.inner.put(key, data)
        self.progress.advance(key, checkpoint_step(data, key))


# ------------------------------------------------------------------------------- merging

PER_RUN = ("diverged", "run_steps", "loss_d", "loss_g")
KNOWN_FIELDS = {"format", "version", "config", "device_type", "step", "G", "D", "opt_g",
                "opt_d", "noise", "active", "history", *PER_RUN}


def _run_key(spec) -> tuple[str, float, bool, int]:
    return spec.estimator, float(spec.sigma), bool(spec.learned_sigma), int(spec.seed)


def merge_states(config: dict[str, Any], states: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One trainer state with ``config`` (a group's full config) from its units' final
    states, each run taken from the unit that trained it (by estimator, sigma, seed)."""
    where: dict[tuple[str, float, bool, int], tuple[int, int]] = {}
    for s, st in enumerate(states):
        unknown = set(st) - KNOWN_FIELDS
        if unknown:
            raise SweepError(f"merging units: unknown checkpoint fields {sorted(unknown)}")
        for spec in expand_runs(checkpoint_config(st)):
            where[_run_key(spec)] = (s, spec.index)
    picks = []
    for spec in expand_runs(from_dict(config)):
        if _run_key(spec) not in where:
            raise SweepError(f"merging units: no unit trained run {spec.label}")
        picks.append(where[_run_key(spec)])
    steps = {int(st["step"]) for st in states}
    hist_steps = [st["history"]["step"] for st in states]
    if len(steps) != 1 or any(not torch.equal(h, hist_steps[0]) for h in hist_steps):
        raise SweepError(f"merging units: they stopped at different steps {sorted(steps)}")

    def take(get: Callable[[dict[str, Any]], torch.Tensor], dim: int = 0) -> torch.Tensor:
        return torch.stack([get(states[s]).select(dim, i) for s, i in picks], dim)

    def optimizer(name: str) -> dict[str, Any]:
        first = states[0][name]
        return {"kind": first["kind"], "lr": first["lr"],
                "steps": take(lambda st: st[name]["steps"]),
                **{mv: [take(lambda st, j=j, mv=mv: st[name][mv][j])
                        for j in range(len(first[mv]))] for mv in ("m", "v")}}

    first = states[0]
    return {
        "format": first["format"], "version": first["version"], "config": config,
        "device_type": first["device_type"], "step": first["step"],
        **{net: {k: take(lambda st, k=k, net=net: st[net][k]) for k in first[net]}
           for net in ("G", "D")},
        "opt_g": optimizer("opt_g"), "opt_d": optimizer("opt_d"),
        "noise": [states[s]["noise"][i] for s, i in picks],
        "active": [states[s]["active"][i] for s, i in picks],
        **{k: take(lambda st, k=k: st[k]) for k in PER_RUN},
        "history": {k: (v if k == "step" else take(lambda st, k=k: st["history"][k], 1))
                    for k, v in first["history"].items()},
    }


def merged_trainer(config: dict[str, Any], results: Sequence[bytes],
                   device: str = "cpu") -> Trainer:
    """The trainer of one group, restored from its units' final states (bytes)."""
    states = [parse_checkpoint(data, "unit result") for data in results]
    return Trainer.from_state(merge_states(config, states), device)


# ------------------------------------------------------------------------------- outputs


def write_group(trainer: Trainer, folder: Path, command: str,
                figures: Figures | None) -> tuple[list[Path], list[dict[str, Any]]]:
    """A group's outputs into ``folder`` (as ``compare`` writes them): checkpoint.pt,
    config.toml, metrics.csv, summary.json, results.md/csv, per_run.csv and the figures;
    the paths and the table rows."""
    folder.mkdir(parents=True, exist_ok=True)
    trainer.save_checkpoint(folder / "checkpoint.pt")
    trainer.cfg.save(folder / "config.toml")
    paths = write_run_outputs(trainer, folder, compute_sigma_curves(trainer))
    extras = compare.run_extras(trainer)
    groups = compare.result_groups(trainer, extras)
    paths += compare.write_results(trainer, folder, command, extras)
    if figures is not None:
        paths += figures(trainer, folder)
    return paths, groups


COMBINED_COLUMNS = ("modes", "modes_late", "hq_fraction", "reverse_kl", "grad_rel_var",
                    "eq1_bias", "eq1_pathwise_std", "eq1_score_std")


def combined_csv(rows: dict[str, list[dict[str, Any]]],
                 values: dict[str, dict[str, Any]] | None = None) -> str:
    """Every group's results table in one CSV, with a ``protocol`` (group) column first and
    then one column per swept field (``values``: group -> {"data.std": 0.05, ...})."""
    first = next(iter(rows.values()))
    fields = list(next(iter(values.values()))) if values else []
    cols = ["protocol", *fields,
            *next(csv.reader([compare.results_csv(first).splitlines()[0]]))]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for name, groups in rows.items():
        for g in groups:
            writer.writerow({"protocol": name, **(values or {}).get(name, {}), **g})
    return buf.getvalue()


def vary_values(p: Plan) -> dict[str, dict[str, Any]]:
    """Each group's values of the sweep's ``vary`` fields, read from its config."""
    fields = list(p.sweep.get("vary") or {})
    out = {}
    for name, config in p.groups.items():
        out[name] = {f: config[f.split(".", 1)[0]][f.split(".", 1)[1]] for f in fields}
    return out


def combined_markdown(rows: dict[str, list[dict[str, Any]]], command: str) -> str:
    """One markdown table across the groups (mean ± standard error over seeds)."""
    header = ["group", "estimator", "sigma", "modes", "modes, last 20%",
              "high-quality fraction", "reverse KL", "gradient rel. variance",
              "eq-1 bias", "pathwise std", "score std", "diverged"]
    lines = [f"Sweep: {len(rows)} groups; mean ± standard error over seeds; each "
             "group's folder has its full tables and figures.", "",
             f"Command: `{command}`", ""]
    table_rows = []
    for name, groups in rows.items():
        for g in groups:
            cells = [name, g["estimator"], g["sigma"],
                     *(compare._fmt(g[m], g[f"{m}_se"], 2 if m.startswith("modes") else 3)
                       for m in COMBINED_COLUMNS[:4]),
                     *(compare._fmt_g(g[m], g[f"{m}_se"]) for m in COMBINED_COLUMNS[4:]),
                     f"{g['diverged']}/{g['seeds']}"]
            table_rows.append(cells)
    return "\n".join(lines + markdown_table(header, table_rows)) + "\n"


# -------------------------------------------------------------------------------- driver


def run_sweep(p: Plan, out: Path, executor: Any, *, command: str, progress: bool = True,
              single: bool = False, figures: Figures | None = None,
              device: str = "cpu") -> tuple[int, list[Path]]:
    """Run every unit of ``p`` on ``executor``, then write each group's outputs (into
    ``OUT/<group>/``, or into OUT itself when ``single``: ``compare``) and, for several
    groups, the combined table. Returns (exit code, paths written): 130 when the executor
    stopped before every unit finished (the checkpoints stay for ``--resume``)."""
    store = DirectoryStore(out)
    bar = Progress(p.units, store, out, progress)
    results: dict[str, bytes] = {}
    try:
        for result in executor.run(p.units, _TrackedStore(store, bar), bar.report):
            results[result.key] = result.state
            unit = next(u for u in p.units if u.key == result.key)
            bar.advance(result.key, unit_steps(unit))
    finally:
        bar.close()
    missing = [u.key for u in p.units if u.key not in results]
    if missing:
        print(f"interrupted: {len(missing)} of {len(p.units)} units unfinished; continue "
              f"with --resume --out {out}", file=sys.stderr)
        return 130, []
    paths: list[Path] = []
    rows: dict[str, list[dict[str, Any]]] = {}
    for name, config in p.groups.items():
        trainer = merged_trainer(config, [results[u.key] for u in p.units_of(name)], device)
        folder = out if single else out / name
        written, rows[name] = write_group(trainer, folder, command, figures)
        paths += written
    if not single:
        md, csv_path = out / "results.md", out / "results.csv"
        write_text_atomic(md, combined_markdown(rows, command))
        write_text_atomic(csv_path, combined_csv(rows, vary_values(p)))
        paths += [md, csv_path]
    return 0, paths
