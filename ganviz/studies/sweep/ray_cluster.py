"""Running a sweep's units on Ray: a local Ray on all cores, or a cluster joined by address.

Each unit is one **Ray task** (``num_cpus=cpus_per_unit``) that calls
:func:`~ganviz.studies.sweep.units.run_unit`. Tasks, not Ray Tune trials: a unit is not a
hyperparameter trial to be searched, stopped early or ranked; it is a fixed piece of a fixed
experiment whose numbers must not change. Tune would add its own trial checkpoints, result
logging and experiment folders beside ours, on the workers' disks, while all we need is
"run this function somewhere, again if its worker dies" -- which is exactly a task with
``max_retries``.

Checkpoints never touch a worker's disk. A unit's store is a small adapter that forwards
``get``/``put`` to one **relay actor** pinned to the driver's node; the driver drains the
relay every fraction of a second into its own
:class:`~ganviz.studies.sweep.units.CheckpointStore`, so checkpoints land on the driver's
disk without a shared filesystem, and only the driver ever touches its store (any store
works, also one holding a lock or living in memory). The relay keeps each unit's newest
checkpoint, so a task retried after its worker died resumes from it; it also records events
(a unit started or resumed on which node and process, a checkpoint stored at step N) that
the driver turns into ``report`` lines.

A unit trains on the eager step (see :mod:`ganviz.studies.sweep.units`), so its final state
is the same, bit for bit, wherever it runs and with any thread count; each task sets torch's
threads to its ``cpus_per_unit`` (speed only).

Ray is imported on first use, so importing this module costs nothing.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ganviz.core.errors import UserError
from ganviz.studies.sweep.relay import Relay, UnitEvent
from ganviz.studies.sweep.units import CHECKPOINT_STATE, CheckpointStore, Unit, UnitResult, run_unit

CONNECT_TIMEOUT = 10.0  # seconds to reach a cluster's address before giving up
_WAIT_VAR = "RAY_gcs_server_port_wait_time_s"  # how many times Ray tries a head's GCS
TOKEN_FILE = Path.home() / ".ray" / "auth_token"  # where `ray start --head` keeps its token


class RayConnectError(UserError):
    """The Ray cluster named by ``--ray`` cannot be used (one line)."""


class UnitFailed(RuntimeError):
    """A unit's task failed for a reason other than its worker dying (or ran out of
    retries); the other units still finished and their checkpoints are kept."""


def checkpoint_step(data: bytes) -> int | None:
    """The step a checkpoint's bytes were taken at, or None if they are not a checkpoint."""
    from ganviz.engine.checkpoint import parse_checkpoint

    try:
        return int(parse_checkpoint(data)["step"])
    except Exception:  # reported by run_unit itself, with the unit's name, when it loads it
        return None


def parse_address(address: str) -> tuple[str, int]:
    """``HOST:PORT`` of a Ray head (as printed by ``ray start --head``); else one line."""
    host, sep, port = address.strip().rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise RayConnectError(f"--ray: {address!r} is not a Ray head's address; "
                              f"allowed: HOST:PORT (e.g. 10.0.0.5:6379), or --ray alone "
                              f"for a local Ray on all cores")
    return host.strip("[]"), int(port)


# An HTTP/2 client's connection preface and an empty SETTINGS frame: a Ray head's GCS is a
# gRPC (HTTP/2) server and answers with a SETTINGS frame of its own (type 4).
_H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])


def _send_token_if_any() -> None:
    """Turn on token authentication for this process (``RAY_AUTH_MODE=token``) when this
    machine has a Ray token (``RAY_AUTH_TOKEN``, ``RAY_AUTH_TOKEN_PATH`` or
    :data:`TOKEN_FILE`) and the mode is not set: ``ray start --head`` turns token
    authentication on (Ray 2.59 and later), and a cluster without it accepts the token
    too (measured). Ray reads the mode when it is imported, so this comes first."""
    has_token = (os.environ.get("RAY_AUTH_TOKEN") or os.environ.get("RAY_AUTH_TOKEN_PATH")
                 or TOKEN_FILE.is_file())
    if has_token and "RAY_AUTH_MODE" not in os.environ and "ray" not in sys.modules:
        os.environ["RAY_AUTH_MODE"] = "token"


def check_reachable(host: str, port: int, timeout: float = CONNECT_TIMEOUT) -> None:
    """One line within about ``timeout`` seconds unless a gRPC server (a Ray head's GCS)
    listens at ``host:port``; Ray's own connect would retry for minutes."""
    where = f"--ray: cannot reach a Ray cluster at {host}:{port}"
    hint = "start one with `ray start --head` and give the address it prints"
    try:
        with socket.create_connection((host, port), timeout=timeout) as conn:
            conn.settimeout(timeout)
            conn.sendall(_H2_PREFACE)
            answer = b""
            while len(answer) < 9:
                chunk = conn.recv(9 - len(answer))
                if not chunk:
                    break
                answer += chunk
    except OSError as exc:
        reason = "timed out" if isinstance(exc, TimeoutError) else (exc.strerror or str(exc))
        raise RayConnectError(f"{where} ({reason}); {hint}") from None
    if len(answer) < 9 or answer[3] != 4:
        raise RayConnectError(f"{where} (something listens there, but not a Ray head); {hint}")


class _RelayStore:
    """The :class:`~ganviz.studies.sweep.units.CheckpointStore` a task sees: forwards to the
    relay."""

    def __init__(self, relay: Any, key: str) -> None:
        import ray

        self.relay, self.key = relay, key
        self.pid, self.node = os.getpid(), ray.util.get_node_ip_address()
        self.attempt, self.first = ray.get(relay.begin.remote(key, self.pid, self.node))

    def get(self, key: str) -> bytes | None:
        return self.first

    def put(self, key: str, data: bytes) -> None:
        import ray

        step = checkpoint_step(data)
        ray.get(self.relay.put.remote(key, self.attempt, -1 if step is None else step, data,
                                      self.pid, self.node))


def _run_task(unit: Unit, relay: Any, threads: int) -> UnitResult:
    """The body of a unit's Ray task."""
    import torch

    torch.set_num_threads(threads)
    return run_unit(unit, _RelayStore(relay, unit.key))


def describe(event: UnitEvent) -> str:
    """A unit's state, as the log shows it."""
    where = f"on {event.node} pid {event.pid}"
    if event.kind == "checkpoint":
        return f"{CHECKPOINT_STATE} {event.step}"
    if event.step > 0:
        return f"resumed at step {event.step} (attempt {event.attempt}) {where}"
    if event.attempt > 1:
        return f"restarted from step 0 (attempt {event.attempt}) {where}"
    return f"started {where}"


class RayExecutor:
    """Runs units as Ray tasks (see the module's docstring); an
    :class:`~ganviz.studies.sweep.units.Executor`.

    ``address=None`` starts a local Ray on all cores (``num_cpus`` of them if given) when
    first needed and stops it in :meth:`close`; ``"HOST:PORT"`` joins that cluster (and
    :meth:`close` only disconnects). Connecting happens in :meth:`start`, called by
    :attr:`workers` and :meth:`run` if the caller has not; use the executor as a context
    manager, or call :meth:`close`. If Ray is already initialised in this process (by the
    caller), it is used as it is and left running.

    ``max_retries``: how often a unit's task is started again after its worker died.
    ``poll_seconds``: how often the driver collects checkpoints and events.
    ``on_event``: called on the driver with each :class:`UnitEvent` (tests, tools).
    """

    def __init__(self, address: str | None = None, cpus_per_unit: int = 1, *,
                 num_cpus: int | None = None, max_retries: int = 3,
                 poll_seconds: float = 0.5,
                 on_event: Callable[[UnitEvent], None] | None = None) -> None:
        if isinstance(cpus_per_unit, bool) or not isinstance(cpus_per_unit, int) \
                or cpus_per_unit < 1:
            raise UserError(f"cpus per unit: {cpus_per_unit!r} is not allowed; "
                            f"allowed: a whole number >= 1")
        if address is not None:
            parse_address(address)
        self.address, self.cpus_per_unit = address, cpus_per_unit
        self.num_cpus, self.max_retries = num_cpus, max_retries
        self.poll_seconds, self.on_event = poll_seconds, on_event
        self._owned = False  # this executor connected (and, without address, started) Ray
        self._started = False

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Connect to (or start) Ray; idempotent. One :class:`RayConnectError` line if the
        address cannot be reached (within :data:`CONNECT_TIMEOUT` seconds)."""
        if self._started:
            return
        if self.address is not None:
            _send_token_if_any()
        import ray

        if self.address is not None:
            check_reachable(*parse_address(self.address))
        if not ray.is_initialized():
            os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
            options: dict[str, Any] = {
                "include_dashboard": False, "log_to_driver": False,
                # a local Ray's notices (token authentication, ...) are not the user's
                "logging_level": "error" if self.address is None else "warning",
                "runtime_env": {"py_modules": [str(Path(__file__).resolve().parents[2])],
                                "excludes": ["__pycache__"]},
            }
            if self.address is None:
                ray.init(num_cpus=self.num_cpus or os.cpu_count() or 1, **options)
            else:
                # Ray retries a silent head for minutes; one try is enough here
                saved = os.environ.get(_WAIT_VAR)
                os.environ[_WAIT_VAR] = "1"
                try:
                    ray.init(address=self.address, **options)
                except Exception as exc:  # reachable, but not a Ray head (or refused us)
                    raise RayConnectError(
                        f"--ray: {self.address} did not accept a Ray connection "
                        f"({' '.join(str(exc).split())[:200]}); if the cluster uses token "
                        f"authentication (ray start --head does, since Ray 2.59), give this "
                        f"machine its token: RAY_AUTH_TOKEN, or the file {TOKEN_FILE} "
                        f"(`ray get-auth-token` on the head)") from None
                finally:
                    if saved is None:
                        os.environ.pop(_WAIT_VAR, None)
                    else:
                        os.environ[_WAIT_VAR] = saved
            self._owned = True
        self._started = True
        if self.workers < 1:
            cpus = self._cluster_cpus()
            self.close()
            raise RayConnectError(f"--ray: the cluster has {cpus} CPUs, fewer than the "
                                  f"{self.cpus_per_unit} each unit needs")

    def _cluster_cpus(self) -> int:
        import ray

        return int(ray.cluster_resources().get("CPU", 0))

    @property
    def workers(self) -> int:
        """How many units run at once: the cluster's CPUs // ``cpus_per_unit`` (connects)."""
        self.start()
        return self._cluster_cpus() // self.cpus_per_unit

    def close(self) -> None:
        """Disconnect from Ray, and stop the local Ray this executor started; idempotent."""
        if self._owned:
            import ray

            ray.shutdown()
        self._owned = self._started = False

    def __enter__(self) -> RayExecutor:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------------ run
    def run(self, units: Sequence[Unit], store: CheckpointStore,
            report: Callable[[str, str], None]) -> Iterator[UnitResult]:
        """Run ``units`` as Ray tasks, yielding each result as it finishes.

        Interrupted (Ctrl+C, SIGTERM, or the caller stops iterating), it cancels the tasks
        still running, keeps every checkpoint collected so far in ``store`` (``--resume``
        continues from them) and, if it started a local Ray, stops it.
        """
        import ray
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        self.start()
        relay = ray.remote(num_cpus=0)(Relay).options(
            scheduling_strategy=NodeAffinitySchedulingStrategy(
                ray.get_runtime_context().get_node_id(), soft=False)).remote()
        seeds = []
        for unit in units:
            data = store.get(unit.key)
            if data is not None:
                seeds.append(relay.seed.remote(unit.key, checkpoint_step(data) or 0, data))
        ray.get(seeds)
        task = ray.remote(_run_task).options(num_cpus=self.cpus_per_unit,
                                             max_retries=self.max_retries,
                                             retry_exceptions=False)
        # at most one task per worker in flight: a task blocked in ray.get (on the relay)
        # lends its CPU to Ray, which would start one more and oversubscribe the cores
        waiting = list(units)
        pending: dict[Any, str] = {}

        def submit() -> None:
            while waiting and len(pending) < max(1, self.workers):
                unit = waiting.pop(0)
                pending[task.remote(unit, relay, self.cpus_per_unit)] = unit.key

        submit()
        finished = False
        failures: list[str] = []
        with _sigterm_as_interrupt():
            try:
                while pending:
                    ready, _ = ray.wait(list(pending), num_returns=1,
                                        timeout=self.poll_seconds)
                    if ready:
                        ready, _ = ray.wait(list(pending), num_returns=len(pending),
                                            timeout=0)
                    self._drain(relay, store, report)
                    for ref in ready:
                        key = pending.pop(ref)
                        relay.forget.remote(key)
                        try:
                            result = ray.get(ref)
                        except Exception as exc:
                            failures.append(f"{key}: {' '.join(str(exc).split())[:300]}")
                            report(key, "failed")
                            continue
                        report(key, f"done ({result.steps} steps in {result.seconds:.1f} s)")
                        yield result
                    submit()
                finished = True
            finally:
                if not finished:
                    for ref in pending:
                        ray.cancel(ref, force=True)
                    with contextlib.suppress(Exception):
                        self._drain(relay, store, report)
                with contextlib.suppress(Exception):
                    ray.kill(relay)
                if not finished:
                    self.close()
        if failures:
            raise UnitFailed(f"{len(failures)} unit(s) failed: " + "; ".join(failures))

    def _drain(self, relay: Any, store: CheckpointStore,
               report: Callable[[str, str], None]) -> None:
        """Move the relay's new checkpoints into ``store`` and its events to ``report``."""
        import ray

        events, ready = ray.get(relay.drain.remote())
        for key, data in ready.items():
            store.put(key, data)
        for event in events:
            if self.on_event is not None:
                self.on_event(event)
            report(event.key, describe(event))


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises KeyboardInterrupt (main thread only), so that the
    driver cleans up as on Ctrl+C."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
