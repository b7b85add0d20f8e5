"""Drills in child processes: a disk that fills up, and SIGKILL at random points under load.

Each child is a plain Python process writing to a journaled store and its presence index and
printing every id only after its writes returned (were acknowledged); the parent then opens
the same directory the way a restarted server does and looks for every acknowledged id.
"""

from __future__ import annotations

import itertools
import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import graphmatch as gm
from graphmatch.stores.journal import JournaledStore

FULL_DISK_CHILD = r"""
import json, os, resource, signal, sys
import graphmatch as gm
from graphmatch.presence import CheckIn
from graphmatch.stores.journal import JournaledStore

# Past the limit a write fails with EFBIG instead of killing the process: a full disk.
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
d = sys.argv[1]
_, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
store = JournaledStore(gm.MemoryStore(index="off"), d, compact_bytes=1 << 40)
index = store.presence_index()
out = {"acked": [], "checked_in": []}
for pid in ("a", "b"):
    store.add_person(pid)
    out["acked"].append(pid)
index.put(CheckIn("a", 1.0, 2.0, None, True, 0.0, 4e9), now=0.0)
out["checked_in"].append("a")

# Presence first: its file may grow by 10 bytes, less than one line.
resource.setrlimit(resource.RLIMIT_FSIZE, (os.path.getsize(index.path) + 10, hard))
try:
    index.put(CheckIn("b", 1.0, 2.0, None, True, 0.0, 4e9), now=0.0)
except gm.StoreUnavailable as exc:
    out["presence_refused"] = str(exc)
out["presence_applied"] = index.get("b", now=1.0) is not None
out["presence_size_kept"] = os.path.getsize(index.path) == resource.getrlimit(
    resource.RLIMIT_FSIZE)[0] - 10

# Then the journal: room for a few records, then full.
journal = os.path.join(d, "journal.jsonl")
resource.setrlimit(resource.RLIMIT_FSIZE, (os.path.getsize(journal) + 300, hard))
i = 0
while True:
    pid = f"p{i}"
    i += 1
    try:
        store.add_person(pid, {"pad": "x" * 40}, exist_ok=False)
    except gm.StoreUnavailable as exc:
        out["refused"] = pid
        out["error"] = str(exc)
        break
    out["acked"].append(pid)
out["refused_applied"] = store.exists(pid)
try:
    store.add_friendship("a", "b")
except gm.StoreUnavailable:
    out["second_refused"] = True
out["friends_while_full"] = store.friends("a")

resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))  # space is back; no restart
out["retry_created"] = store.add_person(pid, exist_ok=False)
out["acked"].append(pid)
out["friendship_created"] = store.add_friendship("a", "b")
index.put(CheckIn("b", 1.0, 2.0, None, True, 0.0, 4e9), now=0.0)
out["checked_in"].append("b")
store.close()
print(json.dumps(out))
"""


def test_a_full_disk_refuses_writes_without_applying_them_and_recovers_by_itself(
    tmp_path: Path,
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", FULL_DISK_CHILD, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert "File too large" in out["presence_refused"]
    assert out["presence_applied"] is False and out["presence_size_kept"] is True
    assert "File too large" in out["error"] and len(out["acked"]) > 2
    assert out["refused_applied"] is False and out["second_refused"] is True
    assert out["friends_while_full"] == []
    # The retry is answered as a first write (not a 409), and nothing needed a restart.
    assert out["retry_created"] is True and out["friendship_created"] is True
    store = JournaledStore(gm.MemoryStore(index="off"), tmp_path)
    try:
        assert store.counts() == (len(out["acked"]), 1)
        index = store.presence_index()
        assert all(index.get(p, now=time.time()) is not None for p in out["checked_in"])
    finally:
        store.close()


LOAD_CHILD = r"""
import sys
import graphmatch as gm
from graphmatch.presence import CheckIn
from graphmatch.stores.journal import JournaledStore

d, first = sys.argv[1], int(sys.argv[2])
store = JournaledStore(gm.MemoryStore(index="off"), d, compact_bytes=8000)
index = store.presence_index()
previous = None
for i in range(first, first + 1_000_000):
    pid = f"p{i}"
    store.add_person(pid, {"i": i})
    if previous is not None:
        store.add_friendship(previous, pid)
    index.put(CheckIn(pid, 52.5, 13.4, "conf", True, 0.0, 4e9), now=0.0)
    print(pid, flush=True)  # only now is every write for pid acknowledged
    previous = pid
"""

CYCLES = 20


def test_sigkill_at_random_points_under_load_loses_no_acknowledged_write(tmp_path: Path) -> None:
    rng = random.Random(14)
    acked: list[list[str]] = []  # per cycle, in order
    for cycle in range(CYCLES):
        proc = subprocess.Popen(
            [sys.executable, "-c", LOAD_CHILD, str(tmp_path), str(cycle * 1_000_000)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        seen: list[str] = []
        if cycle % 4 == 3:
            # Some kills land while the child opens the directory (replay, compaction).
            time.sleep(rng.uniform(0.0, 0.4))
        else:
            for _ in range(rng.randint(1, 40)):
                line = proc.stdout.readline()
                if not line:
                    break
                seen.append(line.strip())
        proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL, err
        # Everything it printed was acknowledged before it printed it; read what is left too.
        seen += [line for line in out.splitlines() if line]
        acked.append(seen)

        store = JournaledStore(gm.MemoryStore(index="off"), tmp_path)  # never refuses
        try:
            index = store.presence_index()
            now = time.time()
            for ids in acked:
                for a, b in itertools.pairwise(ids):
                    assert b in store.friends(a), (cycle, a, b)
                for pid in ids:
                    assert store.person(pid)["i"] == int(pid[1:]), (cycle, pid)
                    assert index.get(pid, now) is not None, (cycle, pid)
        finally:
            store.close()
    total = sum(map(len, acked))
    assert total > CYCLES  # the kills did land under load
