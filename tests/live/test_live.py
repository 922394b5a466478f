"""The live session behind the window, driven without Qt (as Orange tests its runners)."""

import threading
import time

import numpy as np
import pytest

from ganviz.core.config import needs_reset
from ganviz.core.contract import (
    Apply,
    Exported,
    LatestSlot,
    Opened,
    Pause,
    PauseEstimators,
    Play,
    Reset,
    Saved,
    SetActive,
    Step,
)
from ganviz.core.history import APPEND_COLUMNS, MetricHistory
from ganviz.engine.trainer import Trainer
from ganviz.live.loop import TrainingLoop
from tests.conftest import small_config


def wait_for(slot: LatestSlot, pred, timeout: float = 20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        snap = slot.take()
        if snap is not None and pred(snap):
            return snap
        time.sleep(0.01)
    raise AssertionError("condition not reached")


@pytest.fixture
def live():
    slot = LatestSlot()
    session = TrainingLoop(small_config(), slot, frame_interval=0.02)
    stop = threading.Event()
    thread = threading.Thread(target=session.run, args=(stop,), daemon=True)
    thread.start()
    yield session, slot
    stop.set()
    thread.join(5)
    assert not thread.is_alive()


def test_latest_slot_keeps_only_the_newest():
    slot = LatestSlot()
    for i in range(100):
        slot.put(i)
    assert slot.take() == 99
    assert slot.take() is None
    assert slot.dropped == 99


def test_history_buffer_grows_without_touching_sent_rows():
    buf = MetricHistory(["plugin", "score"], [0, 0])
    for step in range(100):
        buf.append(step, {c: [float(step + r) for r in range(2)] for c in APPEND_COLUMNS})
        if step == 10:
            early = buf.arrays()["loss_d"]
    late = buf.arrays()["loss_d"]
    assert early.shape == (11, 2) and late.shape == (100, 2)
    assert np.array_equal(early, late[:11])
    assert not late.flags.writeable


def test_play_pause_step(live):
    session, slot = live
    first = wait_for(slot, lambda s: s.views is not None)
    assert first.step == 0 and not first.running
    session.send(Step(3))
    wait_for(slot, lambda s: s.step == 3)
    session.send(Play())
    snap = wait_for(slot, lambda s: s.step >= 20 and s.running)
    session.send(Pause())
    paused = wait_for(slot, lambda s: not s.running)
    time.sleep(0.2)
    later = slot.take()  # idle and paused: nothing new is published
    assert later is None or later.step == paused.step
    assert session.trainer.step_count == paused.step
    assert snap.views is not None and snap.views.density.shape[0] == 4
    assert snap.history["modes"].shape[1] == 4


def test_the_live_history_is_the_headless_one(live):
    """Evaluations run in pieces between the window's steps: the rows are those of a
    headless trainer at the same steps."""
    session, slot = live
    wait_for(slot, lambda s: s.views is not None)
    session.send(Step(35))
    snap = wait_for(slot, lambda s: s.step == 35 and s.history["step"][-1, 0] == 30)
    headless = Trainer(small_config())
    headless.train(35)
    for name, column in headless.history.arrays().items():
        assert np.array_equal(snap.history[name], column, equal_nan=True), name


def test_the_loop_spreads_an_evaluation_over_the_next_steps():
    """The step that reaches eval.every only begins the evaluation; the steps after it
    compute its pieces, and the row arrives under its own step."""
    loop = TrainingLoop(small_config(), LatestSlot())
    loop._reset(loop.cfg)
    every = loop.cfg.eval.every
    for _ in range(every):
        loop._one_step(loop.trainer)
    assert loop._evaluation is not None and loop.trainer.history.last_step == 0
    steps = 0
    while loop._evaluation is not None:
        loop._one_step(loop.trainer)
        steps += 1
    assert steps >= 2 * loop.trainer.n_runs and loop.trainer.history.last_step == every
    twin = Trainer(small_config())
    twin.train(every)
    assert loop.trainer.history.last() == twin.history.last()


def test_paused_run_freezes_while_others_advance(live):
    session, slot = live
    wait_for(slot, lambda s: True)
    session.send(SetActive(1, False))
    session.send(Step(5))
    snap = wait_for(slot, lambda s: s.step == 5)
    assert [r.run_step for r in snap.runs] == [5, 0, 5, 5]
    assert [r.active for r in snap.runs] == [True, False, True, True]


def test_reset_and_live_apply(live):
    session, slot = live
    wait_for(slot, lambda s: True)
    session.send(Step(4))
    wait_for(slot, lambda s: s.step == 4)
    cfg = session.cfg.with_overrides({"train": {"lr_g": 5e-4}, "data": {"radius": 1.5}})
    session.send(Apply(cfg))
    snap = wait_for(slot, lambda s: s.config.train.lr_g == 5e-4)
    assert snap.step == 4
    assert np.allclose(np.hypot(*snap.real.modes.T), 1.5)
    wider = cfg.with_overrides({"model": {"g_hidden": [16]}})
    session.send(Apply(wider))  # needs a reset: refused with a message, nothing changes
    err = wait_for(slot, lambda s: bool(s.error))
    assert "model.g_hidden" in err.error and "reset" in err.error
    session.send(Reset(wider))
    snap = wait_for(slot, lambda s: s.config.model.g_hidden == [16])
    assert snap.step == 0


def test_stop_is_quick_while_training():
    slot = LatestSlot()
    session = TrainingLoop(small_config(), slot)
    stop = threading.Event()
    thread = threading.Thread(target=session.run, args=(stop,), daemon=True)
    thread.start()
    session.send(Play())
    wait_for(slot, lambda s: s.step > 5)
    t0 = time.perf_counter()
    stop.set()
    thread.join(5)
    assert not thread.is_alive()
    assert time.perf_counter() - t0 < 1.0


def test_needs_reset_lists_only_structural_changes():
    cfg = small_config()
    assert needs_reset(cfg, cfg.with_overrides({"train": {"lr_d": 0.01, "k_d": 3}})) == []
    changed = needs_reset(cfg, cfg.with_overrides({"model": {"latent_dim": 3},
                                                   "runs": {"seeds": [4]}}))
    assert changed == ["model.latent_dim", "runs.seeds"]


def test_reset_to_an_impossible_device_keeps_the_session(live, monkeypatch):
    session, slot = live
    wait_for(slot, lambda s: True)
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    session.send(Reset(session.cfg.with_overrides({"train": {"device": "cuda"}})))
    snap = wait_for(slot, lambda s: bool(s.error))
    assert "no CUDA device" in snap.error
    assert snap.config.train.device == "cpu" and snap.step == 0


# ---------------------------------------------------------------- part versions (issue 9.11)
def test_every_new_part_gets_a_new_version_and_an_idle_publish_none():
    from ganviz.engine.trainer import Trainer
    from ganviz.live.loop import snapshot_of

    cfg = small_config()
    session = TrainingLoop(cfg, LatestSlot())
    session._install(Trainer(cfg, "cpu"))
    first = session.snapshot()
    again = session.snapshot()
    assert again.versions == first.versions  # nothing rebuilt: nothing is new
    session._reset(cfg)
    after = session.snapshot()
    for name in ("views", "fakes", "curves", "real"):
        assert getattr(after.versions, name) > getattr(first.versions, name), name
        assert getattr(after, name) is not getattr(first, name)
    numbers = [getattr(after.versions, n) for n in ("views", "fakes", "curves", "real")]
    assert len(set(numbers)) == 4, "versions are unique within a session"
    assert snapshot_of(session.trainer).versions.views > 0


def test_encoder_decides_by_version_not_by_identity():
    from dataclasses import replace

    from ganviz.core.contract import PartVersions
    from ganviz.engine.trainer import Trainer
    from ganviz.live.loop import snapshot_of
    from ganviz.live.process import _Decoder, _Encoder

    snap = snapshot_of(Trainer(small_config(), "cpu"))
    encoder, decoder = _Encoder(), _Decoder()
    first = encoder.encode(snap)
    assert {"views", "fakes", "curves", "real"} <= first.keys()
    decoder.decode(first)
    # a different object under an unchanged version is not resent ...
    other = replace(snap.views, step=snap.views.step + 1)
    assert other is not snap.views
    msg = encoder.encode(replace(snap, views=other))
    assert "views" not in msg and "real" not in msg
    # ... and the very same object (same id, as a reused id would look) under a new
    # version is: what counts is the version the session gave it
    bumped = replace(snap.versions, views=snap.versions.views + 100)
    msg = encoder.encode(replace(snap, versions=bumped))
    assert msg["views"] is snap.views and "fakes" not in msg
    rebuilt = decoder.decode(msg)
    assert rebuilt.views is snap.views and rebuilt.versions == bumped
    assert PartVersions() == PartVersions(0, 0, 0, 0)


def test_encoder_resends_a_part_built_where_a_freed_one_was(monkeypatch):
    """The id() reuse of issue 9.11, made deterministic: id() says 'same', versions do not."""
    from dataclasses import replace

    from ganviz.engine.trainer import Trainer
    from ganviz.live.loop import snapshot_of
    from ganviz.live.process import _Encoder

    snap = snapshot_of(Trainer(small_config(), "cpu"))
    encoder = _Encoder()
    encoder.encode(snap)
    new_views = replace(snap.views, step=99)  # the new run set's views ...
    monkeypatch.setattr("builtins.id", lambda obj: 12345)  # ... at the freed object's id
    new_versions = replace(snap.versions, views=snap.versions.views + 1)
    msg = encoder.encode(replace(snap, views=new_views, versions=new_versions))
    assert msg["views"] is new_views


# ------------------------------------------------ paused estimators survive resets (9.10)
def test_paused_estimator_stays_paused_through_a_reset_with_other_sigmas(live):
    session, slot = live
    wait_for(slot, lambda s: True)
    session.send(PauseEstimators(frozenset({"score"})))
    session.send(Reset(session.cfg.with_overrides({"runs": {"sigmas": [0.2]}})))
    session.send(Step(3))
    snap = wait_for(slot, lambda s: s.step == 3 and s.config.runs.sigmas == [0.2])
    states = {r.spec.estimator: r for r in snap.runs}
    assert states["score"].spec.sigma == 0.2
    assert not states["score"].active and states["score"].run_step == 0
    assert all(r.active and r.run_step == 3 for r in snap.runs if r.spec.estimator != "score")
    session.send(PauseEstimators(frozenset({})))
    session.send(Step(2))
    snap = wait_for(slot, lambda s: s.step == 5)
    assert all(r.active for r in snap.runs)
    assert [r.run_step for r in snap.runs] == [5, 5, 5, 2]


# -------------------------------------------------------------- the training process (15)
def test_process_stops_by_itself_though_nobody_read_its_snapshots():
    """A child blocked sending to a parent that stopped reading still leaves on stop:
    the parent drains the pipe while it waits (exit code 0, not terminated)."""
    from ganviz.live.process import TrainingProcess

    cfg = small_config().with_overrides({"probe": {"grid": 96}})  # ~1 MB snapshots
    proc = TrainingProcess(cfg, LatestSlot(), frame_interval=0.005)
    proc.start()
    proc.send(Play())
    proc._recv.poll(60)  # the child runs; from now on nobody reads the pipe
    time.sleep(1.5)  # long enough to fill the pipe and block in send
    assert proc.process.is_alive()
    assert proc.stop(timeout=30)
    assert proc.process.exitcode == 0


def test_latest_slot_keeps_the_messages_of_dropped_snapshots():
    from dataclasses import replace

    from ganviz.engine.trainer import Trainer
    from ganviz.live.loop import snapshot_of

    snap = snapshot_of(Trainer(small_config(), "cpu"))
    slot = LatestSlot()
    slot.put(replace(snap, seq=1, notice=Opened("a.ganviz")))
    slot.put(replace(snap, seq=2, error="train.lr_d: needs a reset"))
    slot.put(replace(snap, seq=3))
    newest = slot.take()
    assert newest.seq == 3 and newest.notice == Opened("a.ganviz")
    assert newest.error == "train.lr_d: needs a reset"
    slot.put(replace(snap, seq=4, notice=Saved("x")))
    slot.put(replace(snap, seq=5, notice=Exported("y")))
    assert slot.take().notice == Exported("y")  # the newer message wins


def test_rate_after_a_reset_is_never_negative():
    """A reset counts steps from 0 again: the rate the status bar shows starts afresh
    instead of dividing a fall of thousands of steps by the last two seconds."""
    loop = TrainingLoop(small_config(), LatestSlot())
    loop._reset(loop.cfg)
    loop.running = True
    for _ in range(6):
        loop._one_step(loop.trainer)
    assert loop.steps_per_sec() > 0
    loop._reset(loop.cfg)
    assert loop.steps_per_sec() == 0.0
    for _ in range(3):
        loop._one_step(loop.trainer)
    assert loop.steps_per_sec() > 0
    loop.trainer.step_count = 0  # a count that goes back without a new trainer, too
    loop._one_step(loop.trainer)
    assert loop.steps_per_sec() == 0.0  # one point since the fall: no rate yet, not < 0


def test_views_leave_out_hidden_layers_and_make_a_shown_one_at_once():
    """ShowLayers: later views lack the hidden layers' parts; showing one again rebuilds
    the views before the next snapshot, even while paused (no new step)."""
    from ganviz.core.contract import ShowLayers
    from ganviz.engine.trainer import Trainer

    session = TrainingLoop(small_config(), LatestSlot())
    session._install(Trainer(session.cfg, "cpu"))
    assert session.snapshot().views.disc is not None  # no word from a window: all layers
    session._handle(ShowLayers(frozenset({"density", "fakes"})))
    session.trainer.step()
    session._refresh_probes(force=True)
    views = session.snapshot().views
    assert views.disc is None and views.smooth_field is None and views.manifold is None
    version = session.versions.views
    session._handle(ShowLayers(frozenset({"density", "disc"})))
    assert session.versions.views > version
    views = session.snapshot().views
    assert views.disc is not None and views.smooth_field is None
    assert views.step == session.trainer.step_count
    version = session.versions.views
    session._handle(ShowLayers(frozenset({"density"})))  # hiding one: nothing to compute
    assert session.versions.views == version
