"""One writer per run: a lease with a heartbeat, kept in the store beside the run.

A process that runs a run's steps first claims the next lease generation
(``runs/<run_id>/lease/<n>.json``) with a conditional write, which succeeds for exactly one
claimant on a local folder and on S3 alike. While it works it rewrites its own lease's
``heartbeat_at``. Another process that finds a fresh heartbeat is refused, naming the holder. A
lease whose heartbeat is older than its ``stale_after`` (its holder was killed) is taken over by
claiming the next generation; the old holder, should it still be alive, finds the newer
generation at its next beat and stops before writing anything more.

Time comes from an injected ``Clock``, so tests move it forward instead of sleeping.
"""

from __future__ import annotations

import getpass
import logging
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import datetime

from backend.clock import Clock, utcnow
from backend.errors import AlreadyExistsError, RunStateError
from backend.store import ArtifactStore
from backend.store.layout import lease_generation, lease_key, lease_prefix

logger = logging.getLogger(__name__)

STALE_SECONDS = 120.0  # no heartbeat for this long: the holder is taken to be gone
BEAT_SECONDS = 15.0  # how often a holder proves it is alive (well inside STALE_SECONDS)


class LeaseHeldError(RunStateError):
    """Another live process runs this run."""


class LeaseLostError(RunStateError):
    """This process's lease was taken over (it looked dead): it must stop writing."""


@dataclass(frozen=True)
class Lease:
    run_id: str
    generation: int
    holder: str
    acquired_at: str
    heartbeat_at: str
    stale_after: float
    released: bool = False

    def seconds_since_beat(self, at: datetime) -> float:
        return (at - datetime.fromisoformat(self.heartbeat_at)).total_seconds()

    def is_live(self, at: datetime) -> bool:
        return not self.released and self.seconds_since_beat(at) < self.stale_after


def current_lease(store: ArtifactStore, run_id: str) -> Lease | None:
    """The run's newest lease, if any process ever claimed one."""
    generations = [g for k in store.list(lease_prefix(run_id)) if (g := lease_generation(k)) is not None]
    if not generations:
        return None
    return Lease(**store.read_json(lease_key(run_id, max(generations))))


def default_holder() -> str:
    """Who holds a lease, as people read it: user@host and process id."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        user = "unknown"
    return f"{user}@{socket.gethostname()} (pid {os.getpid()})"


class RunLease:
    """The right to run one run's steps; ``acquire`` it, ``beat`` while working, ``release`` at the end."""

    def __init__(self, store: ArtifactStore, run_id: str, holder: str | None = None, clock: Clock = utcnow,
                 stale_after: float = STALE_SECONDS) -> None:
        self.store, self.run_id, self.clock = store, run_id, clock
        self.holder = holder or default_holder()
        self.stale_after = stale_after
        self.lease: Lease | None = None
        self._lock = threading.Lock()

    def acquire(self) -> Lease:
        """Claim the run, or raise LeaseHeldError naming the live holder. A stale lease is taken over (logged)."""
        at = self.clock()
        previous = current_lease(self.store, self.run_id)
        if previous is not None and previous.is_live(at):
            raise self._held_by(previous, at)
        generation = previous.generation + 1 if previous else 1
        stamp = at.isoformat()
        lease = Lease(self.run_id, generation, self.holder, stamp, stamp, self.stale_after)
        try:
            self.store.write_json(lease_key(self.run_id, generation), asdict(lease), if_absent=True)
        except AlreadyExistsError:  # another process claimed the same generation first
            raise self._held_by(current_lease(self.store, self.run_id) or lease, at) from None
        if previous is not None and not previous.released:
            logger.warning("Run %s: taking over from %s, whose last heartbeat was %.0f s ago (more than %.0f s); "
                           "resuming at the first unfinished step.", self.run_id, previous.holder,
                           previous.seconds_since_beat(at), previous.stale_after)
        self.lease = lease
        return lease

    def beat(self) -> None:
        """Prove this holder is alive; raise LeaseLostError if another process took the run over."""
        with self._lock:
            lease = self._held()
            newest = current_lease(self.store, self.run_id)
            if newest is None or newest.generation != lease.generation:
                who = newest.holder if newest else "someone"
                raise LeaseLostError(
                    f"Run {self.run_id} was taken over by {who}: this process's heartbeat had stopped "
                    f"for more than {lease.stale_after:.0f} s.",
                    f"Nothing more is written from here; follow the run with topic-curator status {self.run_id}.")
            self.lease = replace(lease, heartbeat_at=self.clock().isoformat())
            self.store.write_json(lease_key(self.run_id, lease.generation), asdict(self.lease))

    def release(self) -> None:
        """Give the run up (it finished, waits for people, or failed): the next process needs no takeover."""
        with self._lock:
            lease = self._held()
            newest = current_lease(self.store, self.run_id)
            if newest is not None and newest.generation == lease.generation:
                self.store.write_json(lease_key(self.run_id, lease.generation),
                                      asdict(replace(lease, heartbeat_at=self.clock().isoformat(), released=True)))
            self.lease = None

    def _held(self) -> Lease:
        if self.lease is None:
            raise RunStateError(f"This process does not hold run {self.run_id}'s lease.")
        return self.lease

    def _held_by(self, lease: Lease, at: datetime) -> LeaseHeldError:
        return LeaseHeldError(
            f"Run {self.run_id} is being run by {lease.holder} (since {lease.acquired_at}; last heartbeat "
            f"{max(lease.seconds_since_beat(at), 0):.0f} s ago).",
            f"Wait for it (topic-curator status {self.run_id}). If that process is gone, run the same command "
            f"again once its heartbeat is {lease.stale_after:.0f} s old: the run is then taken over.")


@contextmanager
def holding(lease: RunLease, beat_seconds: float = BEAT_SECONDS) -> Iterator[RunLease]:
    """Hold ``lease`` while the block runs: a daemon thread beats every ``beat_seconds`` (long steps
    such as a UMAP fit report no progress for minutes); released however the block ends."""
    lease.acquire()
    stop = threading.Event()

    def keep_beating() -> None:
        while not stop.wait(beat_seconds):
            try:
                lease.beat()
            except LeaseLostError:  # the main thread finds out at its next beat, and stops
                return
            except Exception as exc:  # noqa: BLE001 (a store hiccup: try again at the next beat)
                logger.warning("Run %s: heartbeat failed, trying again: %s", lease.run_id, exc)

    thread = threading.Thread(target=keep_beating, name=f"lease-{lease.run_id}", daemon=True)
    thread.start()
    try:
        yield lease
    finally:
        stop.set()
        thread.join()
        try:
            lease.release()
        except RunStateError:  # taken over meanwhile: the new holder owns the record
            pass


def derived_status(store: ArtifactStore, record_status: str, run_id: str, runs_on: str, updated_at: str,
                   clock: Clock = utcnow) -> str:
    """What a reader should call a run: a local run stored as "running" whose lease is released or
    stale (its process was killed) is "interrupted"; anything else is its stored status."""
    if record_status != "running" or runs_on != "local":
        return record_status
    at = clock()
    lease = current_lease(store, run_id)
    if lease is None or _saved_since_released(lease, updated_at):
        # Not picked up yet: an approval has just set the run going and its process is about to claim
        # the lease (or the run is from before leases). Interrupted once nothing changed for a while.
        quiet = (at - datetime.fromisoformat(updated_at)).total_seconds()
        return "interrupted" if quiet >= STALE_SECONDS else record_status
    return record_status if lease.is_live(at) else "interrupted"


def _saved_since_released(lease: Lease, updated_at: str) -> bool:
    """Whether the run record was saved after its last holder let the run go (``updated_at`` is in
    whole seconds, so the same second counts as after)."""
    released = datetime.fromisoformat(lease.heartbeat_at).replace(microsecond=0)
    return lease.released and datetime.fromisoformat(updated_at) >= released


def resume_hint(store_uri: str, run_id: str) -> str:
    return f"resume with topic-curator run --run-id {run_id} --store {store_uri}"
