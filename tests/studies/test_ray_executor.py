"""Units on a local Ray (2 CPUs, started once for this module): the same final states as
in-process, a worker killed mid-unit resumes from its last checkpoint, bad addresses fail
in one line."""

from __future__ import annotations

import io
import os
import signal
import socket
import threading
import time
from typing import Any

import pytest
import torch

from ganviz.core.config import load_preset
from ganviz.studies.sweep.ray_cluster import (
    RayConnectError,
    RayExecutor,
    UnitEvent,
    check_reachable,
)
from ganviz.studies.sweep.units import Unit, run_unit


class DictStore:
    """An in-memory CheckpointStore."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}
        self.puts = 0

    def get(self, key: str) -> bytes | None:
        return self.data.get(key)

    def put(self, key: str, data: bytes) -> None:
        self.data[key] = data
        self.puts += 1


def unit(key: str, seeds: list[int], steps: int, sigma: float = 0.05,
         eval_every: int = 10) -> Unit:
    cfg = load_preset("default").with_overrides({
        "train": {"steps": steps, "batch_size": 32},
        "eval": {"every": eval_every, "samples": 500},  # cheap evaluations: the test is Ray
        "runs": {"seeds": seeds, "sigmas": [sigma]}})
    return Unit(key, "default", cfg.to_dict(), checkpoint_every=10)


def state(data: bytes) -> dict[str, Any]:
    return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)


def assert_identical(a: Any, b: Any, where: str = "state") -> None:
    """Exactly equal: tensors element for element (and dtype), everything else by ==."""
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.dtype == b.dtype and a.shape == b.shape, where
        assert torch.equal(a, b) or (a.is_floating_point() and torch.equal(a.nan_to_num(),
                                                                          b.nan_to_num())), where
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), where
        for k in a:
            assert_identical(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list | tuple):
        assert type(a) is type(b) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_identical(x, y, f"{where}[{i}]")
    else:
        assert a == b or (a != a and b != b), where  # NaN == NaN here


def in_process(u: Unit) -> bytes:
    return run_unit(u, DictStore()).state


@pytest.fixture(scope="module")
def executor():
    ex = RayExecutor(cpus_per_unit=1, num_cpus=2, poll_seconds=0.1)
    ex.start()
    yield ex
    ex.close()


def test_units_on_ray_equal_in_process(executor):
    units = [unit("a", [0], 40), unit("b", [1, 2], 30), unit("c", [3], 40, sigma=0.2)]
    store, log = DictStore(), []
    assert executor.workers == 2
    results = {r.key: r for r in executor.run(units, store, lambda k, s: log.append((k, s)))}
    assert sorted(results) == ["a", "b", "c"]
    for u in units:
        ref = state(in_process(u))  # torch's default threads here, one thread on Ray
        got = state(results[u.key].state)
        assert got["step"] == u.config["train"]["steps"]
        assert_identical(got["G"], ref["G"], "G")
        assert_identical(got["D"], ref["D"], "D")
        assert_identical(got["history"], ref["history"], "history")
        assert_identical(got, ref)
        assert store.data[u.key] == results[u.key].state  # the final state reached the store
        states = [s for k, s in log if k == u.key]
        assert states[0].startswith("started on ") and states[-1].startswith("done (")
        assert "checkpoint at step 10" in states


def test_killed_worker_resumes_from_its_checkpoint(executor):
    u = unit("fault", [5], 300, eval_every=100)  # long enough to be killed mid-unit;
    # evaluating only at 100, 200 and 300 keeps it short
    store, log, killed = DictStore(), [], []

    def on_event(event: UnitEvent) -> None:
        if event.kind == "checkpoint" and event.attempt == 1 and not killed:
            os.kill(event.pid, signal.SIGKILL)
            killed.append(event.step)

    executor.on_event = on_event
    try:
        (result,) = executor.run([u], store, lambda k, s: log.append(s))
    finally:
        executor.on_event = None
    assert killed, log
    resumed = [s for s in log if s.startswith("resumed at step ")]
    assert len(resumed) == 1 and "(attempt 2)" in resumed[0], log
    step = int(resumed[0].split()[3])
    assert killed[0] <= step < 300 and step % 10 == 0, (killed, log)
    assert result.steps == 300 - step  # this attempt trained only the rest
    assert_identical(state(result.state), state(in_process(u)))
    assert store.data["fault"] == result.state


def test_resumed_sweep_starts_from_the_store(executor):
    u = unit("again", [7], 40)
    partial = DictStore()
    run_unit(unit("again", [7], 20), partial)  # a sweep stopped at step 20
    log: list[str] = []
    (result,) = executor.run([u], partial, lambda k, s: log.append(s))
    assert log[0].startswith("resumed at step 20 (attempt 1)"), log
    assert result.steps == 20
    assert_identical(state(result.state), state(in_process(u)))


@pytest.mark.parametrize("address", ["nonsense", "host:port", "host:0", "host:70000", ":6379"])
def test_malformed_address_is_one_line(address):
    with pytest.raises(RayConnectError, match=r"^--ray: .* HOST:PORT") as info:
        RayExecutor(address)
    assert "\n" not in str(info.value)


def _listener(reply: bytes) -> tuple[socket.socket, int]:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)

    def serve() -> None:
        with srv:
            while True:
                try:
                    conn, _ = srv.accept()
                except OSError:
                    return
                with conn:
                    conn.sendall(reply)

    threading.Thread(target=serve, daemon=True).start()
    return srv, srv.getsockname()[1]


def test_unreachable_address_is_one_line_quickly():
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()  # nothing listens there now
    t0 = time.perf_counter()
    with pytest.raises(RayConnectError, match=rf"^--ray: cannot reach a Ray cluster at "
                                              rf"127\.0\.0\.1:{port} \(") as info:
        RayExecutor(f"127.0.0.1:{port}").start()
    assert time.perf_counter() - t0 < 5 and "\n" not in str(info.value)


def test_address_of_something_else_is_one_line_quickly():
    srv, port = _listener(b"HTTP/1.1 400 Bad Request\r\n\r\n")
    try:
        t0 = time.perf_counter()
        with pytest.raises(RayConnectError, match="not a Ray head"):
            RayExecutor(f"127.0.0.1:{port}").start()
        assert time.perf_counter() - t0 < 5
    finally:
        srv.close()


def test_a_ray_head_passes_the_reachability_check(executor):
    import ray

    host, port = ray.get_runtime_context().gcs_address.rsplit(":", 1)
    check_reachable(host, int(port), timeout=5)  # does not raise


def test_cpus_per_unit_must_be_positive():
    for bad in (0, -1, 1.5, True):
        with pytest.raises(Exception, match="cpus per unit"):
            RayExecutor(cpus_per_unit=bad)
