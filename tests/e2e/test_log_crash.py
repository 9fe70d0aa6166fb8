"""The log's crash test (issue 2, "Done means").

A child process (tests/tools/log_crash_child) appends to a 2-partition stream
with durability fsync from 4 threads and prints `ack <partition> <offset> <id>`
for each event once the log has acknowledged it. The test kills it with
SIGKILL at random moments, EVENTLAKE_CRASH_KILLS times (100 by default; `make
crash-long` runs 1,000), and after every kill reopens the log (`dump`, which
runs recovery) to check that:

- every event ever acknowledged is present at its acknowledged place, intact;
- each partition's offsets run from 0 without a gap or a repeat;
- no event id is stored twice;
- records that were written but never acknowledged are allowed, but intact.

The child binary is $EVENTLAKE_BUILD/tests/tools/log_crash_child (default
<repo>/build). Timing only chooses when to kill; nothing asserts on speed.
"""

import os
import random
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("EVENTLAKE_BUILD", REPO / "build"))
CHILD = BUILD / "tests" / "tools" / "log_crash_child"
KILLS = int(os.environ.get("EVENTLAKE_CRASH_KILLS", "100"))
SEED = int(os.environ.get("EVENTLAKE_CRASH_SEED", str(time.time_ns() % 1_000_000)))


class Appender:
    """One `append` child whose stdout is read by a thread until it dies."""

    def __init__(self, log_dir: Path, run_id: str, stderr_path: Path):
        self.stderr_path = stderr_path
        with open(stderr_path, "wb") as stderr:
            self.proc = subprocess.Popen(
                [str(CHILD), "append", str(log_dir), run_id],
                stdout=subprocess.PIPE, stderr=stderr, bufsize=0)
        self.output = bytearray()
        self.first_ack = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        fd = self.proc.stdout.fileno()
        while chunk := os.read(fd, 65536):
            self.output += chunk
            self.first_ack.set()  # lines are written whole: any byte means an ack is coming
        self.first_ack.set()  # EOF: the child died; waiters must not hang

    def kill(self) -> list[str]:
        """SIGKILLs the child and returns the ack lines it printed in full."""
        alive = self.proc.poll() is None
        if alive:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.reader.join()
        self.proc.stdout.close()
        if not alive:
            pytest.fail(f"the appender exited by itself with {self.proc.returncode}: "
                        f"{self.stderr_path.read_text(errors='replace')[-2000:]}")
        lines = bytes(self.output).split(b"\n")[:-1]  # drop a partial last line
        return [line.decode() for line in lines]


def dump(log_dir: Path) -> list[tuple[int, int, str, str]]:
    """Reopens the log (running recovery) and lists its records."""
    result = subprocess.run([str(CHILD), "dump", str(log_dir)], capture_output=True,
                            timeout=120)
    assert result.returncode == 0, f"dump failed: {result.stderr.decode(errors='replace')}"
    lines = result.stdout.decode().split("\n")
    assert lines[-2:] == ["end", ""], f"dump output does not end with 'end': {lines[-3:]}"
    records = []
    for line in lines[:-2]:
        tag, partition, offset, event_id, state = line.split(" ")
        assert tag == "rec", line
        records.append((int(partition), int(offset), event_id, state))
    return records


class Audit:
    """Everything acknowledged so far, and the checks of one dump against it."""

    def __init__(self):
        self.acked = {}  # id -> (partition, offset)
        self.acked_at = {}  # (partition, offset) -> id

    def add_acks(self, lines: list[str], run: int):
        for line in lines:
            tag, partition, offset, event_id = line.split(" ")
            assert tag == "ack", f"run {run}: unexpected output {line!r}"
            place = (int(partition), int(offset))
            assert event_id not in self.acked, f"run {run}: {event_id} acknowledged twice"
            other = self.acked_at.get(place)
            assert other is None, f"run {run}: {place} acknowledged for {other} and {event_id}"
            self.acked[event_id] = place
            self.acked_at[place] = event_id

    def check(self, records, run: int) -> int:
        """Asserts the invariants; returns how many records were never acked."""
        stored = {}
        next_offset = {}
        for partition, offset, event_id, state in records:
            expected = next_offset.get(partition, 0)
            assert offset == expected, (
                f"after kill {run}: partition {partition} has offset {offset} "
                f"where {expected} was expected (gap, repeat or disorder)")
            next_offset[partition] = offset + 1
            assert state == "ok", f"after kill {run}: record {partition}/{offset} ({event_id}) is damaged"
            assert event_id not in stored, (
                f"after kill {run}: {event_id} stored twice, at {stored[event_id]} "
                f"and {(partition, offset)}")
            stored[event_id] = (partition, offset)
        missing = [(i, p) for i, p in self.acked.items() if stored.get(i) != p]
        assert not missing, (
            f"after kill {run}: {len(missing)} acknowledged events lost or moved, e.g. "
            + ", ".join(f"{i} acked at {p}, found at {stored.get(i)}" for i, p in missing[:10]))
        return len(stored) - len(self.acked)


def test_acknowledged_appends_survive_sigkill(tmp_path, capsys):
    if not CHILD.exists():
        pytest.fail(f"{CHILD} is missing: build the tree (cmake --build) or set EVENTLAKE_BUILD")
    rng = random.Random(SEED)
    log_dir = tmp_path / "data" / "log"
    audit = Audit()
    early_kills = 0
    records = []
    unacked = 0
    started = time.monotonic()
    for run in range(KILLS):
        child = Appender(log_dir, f"r{run}", tmp_path / "child.stderr")
        if rng.random() < 0.1:
            early_kills += 1  # kill during open, recovery or the first appends
            time.sleep(rng.uniform(0, 0.005))
        else:
            assert child.first_ack.wait(timeout=30), f"run {run}: no ack within 30 s"
            time.sleep(rng.uniform(0.005, 0.080))
        audit.add_acks(child.kill(), run)
        records = dump(log_dir)
        unacked = audit.check(records, run)
    elapsed = time.monotonic() - started

    eventlake = BUILD / "eventlake"
    if eventlake.exists():
        check = subprocess.run([str(eventlake), "log", "check", "--data-dir",
                                str(tmp_path / "data")], capture_output=True, timeout=120)
        assert check.returncode == 0, (
            f"eventlake log check failed: {check.stdout.decode()}{check.stderr.decode()}")
    with capsys.disabled():
        print(f"\ncrash test (seed {SEED}): {KILLS} kills ({early_kills} before any ack), "
              f"{len(audit.acked)} acks, {len(records)} records in the log "
              f"({unacked} written but never acked), {elapsed:.1f} s")
