"""Who owns a claim or a crawl run, and whether that owner is certainly gone.

Rows that a process holds while it works (outbox claims, a running crawl run) name their owner
as ``host:pid:start``: the host name, the process id and the process's start time in clock
ticks since boot (``/proc/<pid>/stat``, field 22). The start time makes the identity unique:
after a reboot or a pid wrap-around, a new process with the same pid has another start time.

A restart on the same host can then tell at once that the owner of a claim is dead and take
its work back, instead of waiting for a lease to run out. Owners on other hosts cannot be
checked from here: for them callers keep their time-based leases.
"""

from __future__ import annotations

import os
import socket
from functools import lru_cache

MAX_IDENTITY = 160


def _start_ticks(pid: int) -> str | None:
    """The process's start time in clock ticks since boot, or None when it does not run (gone,
    or a zombie).

    Without /proc (not Linux) the start time is unknown ("?"): identity then rests on the pid.
    """
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        if fields[0] in (b"Z", b"X"):  # a zombie: dead, waiting for a parent that may never reap it
            return None
        return fields[19].decode()  # field 22 of the line; the list starts at field 3 (state)
    except FileNotFoundError:
        return None if os.path.isdir("/proc/self") else _pid_start_without_proc(pid)
    except (OSError, IndexError):
        return "?"


def _pid_start_without_proc(pid: int) -> str | None:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return "?"


def _host() -> str:
    return socket.gethostname()[:100] or "localhost"


@lru_cache(maxsize=1)
def _this_process(pid: int) -> str:
    return f"{_host()}:{pid}:{_start_ticks(pid) or '?'}"


def this_process() -> str:
    """This process's identity (``host:pid:start``); cached per pid, so a fork gets its own."""
    return _this_process(os.getpid())


def identity_of(pid: int) -> str:
    """The identity of another process on this host (the crawl subprocess a runner started)."""
    return f"{_host()}:{pid}:{_start_ticks(pid) or '?'}"


def is_gone(identity: str | None) -> bool:
    """True only when ``identity`` is a process of this host that no longer runs.

    False when it still runs, when it is on another host (nothing can be checked from here), or
    when the identity is missing or unreadable: callers fall back to their leases then.
    """
    parts = (identity or "").rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit() or parts[0] != _host():
        return False
    _, pid, started = parts
    running_since = _start_ticks(int(pid))
    if running_since is None:
        return True
    # The pid runs: the owner is gone only if that is provably another process (another start).
    return "?" not in (started, running_since) and started != running_since
