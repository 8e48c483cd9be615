"""CPU and memory of process trees from /proc (no psutil: four numbers from two files)."""

from __future__ import annotations

import os
import threading
from collections import defaultdict
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def children(pid):
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError):
                continue
            if ppid == pid:
                out.append(int(entry.name))
    return out


def tree(pid):
    """pid and all its descendants; a negative pid means that process alone."""
    if pid < 0:
        return [-pid]
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        todo.extend(children(p))
    return pids


def cpu_ticks(pid):
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError):
        return None


def runqueue_wait_ns(pid):
    """Nanoseconds this process's threads spent runnable but waiting for a core
    (/proc/PID/task/*/schedstat, second field): time lost to the machine's other load."""
    total = 0
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return None
    for task in tasks:
        try:
            total += int((task / "schedstat").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return total


def rss_mb(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None


def pss_uss_mb(pid):
    """(PSS, USS) in MB from /proc/PID/smaps_rollup: PSS divides shared pages among the
    processes that map them, USS counts only this process's private pages."""
    try:
        fields = {}
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
            key, value = line.split()[:2]
            fields[key.rstrip(":")] = int(value)
    except (OSError, ValueError):
        return None
    uss = fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
    return round(fields.get("Pss", 0) / 1024, 1), round(uss / 1024, 1)


class Meter:
    """CPU seconds per process group between start and stop, sampled every second so
    processes that exit (the killed worker) still count up to their last sample."""

    def __init__(self, groups):
        self.groups = groups  # name -> callable returning root pids
        self.first, self.last = {}, {}
        self.first_wait, self.last_wait = {}, {}
        self.peak_rss = defaultdict(float)
        self.stop_flag = threading.Event()

    def sample(self):
        for name, roots in self.groups.items():
            for root in roots():
                for pid in tree(root):
                    ticks = cpu_ticks(pid)
                    if ticks is None:
                        continue
                    self.first.setdefault((name, pid), ticks)
                    self.last[(name, pid)] = ticks
                    wait = runqueue_wait_ns(pid)
                    if wait is not None:
                        self.first_wait.setdefault((name, pid), wait)
                        self.last_wait[(name, pid)] = wait
                    self.peak_rss[name] = max(self.peak_rss[name], rss_mb(pid) or 0)

    def run(self):
        while not self.stop_flag.wait(1.0):
            self.sample()

    def cpu_seconds(self):
        out = defaultdict(float)
        for key, ticks in self.last.items():
            out[key[0]] += (ticks - self.first[key]) / TICK
        return dict(out)

    def runqueue_wait_seconds(self):
        """Seconds each group's threads were ready to run but waited for a core."""
        out = defaultdict(float)
        for key, wait in self.last_wait.items():
            out[key[0]] += (wait - self.first_wait[key]) / 1e9
        return dict(out)


def postmaster_pid(cluster):
    return int((cluster.datadir / "postmaster.pid").read_text().split()[0])
