"""Starts crawl processes by forking one that has Scrapy, Twisted, SQLAlchemy and the crawler
imported already, instead of starting a new interpreter for every crawl.

A new ``python -m scrapy crawl`` spends about 1.1 s of CPU importing before it asks for its first
page; ``serve`` starts four crawls at once every cycle, and the test suite more than a hundred.
The launcher imports once; each crawl is then a fork that runs ``scrapy crawl`` as
``python -m scrapy`` would: in a session (process group) of its own, with the environment and
working directory the runner gives it, stdin and stdout on /dev/null, stderr into the runner's
pipe. Only ``crawler.settings``, which reads the environment when it is imported, is left for
the crawl to import.

Why a process of its own and not a fork of the runner: the runner lives in ``serve`` beside the
bot's threads and the scheduler's, and a fork of a threaded process can inherit a lock that no
thread will ever release. The launcher has one thread and forks nothing but crawls.

The runner (``crawler.runner``) talks to it over a Unix socket, one JSON message per packet: a
request with the crawl's stderr pipe attached as a file descriptor; the answer, once the crawl is
in its own session, with its pid; later the exit of each crawl it started, with its exit code and
peak memory (the launcher is their parent: only it can wait for them). If the launcher cannot be
started, the runner starts each crawl as a new interpreter, as before, and logs why;
``TENDERWATCH_CRAWL_LAUNCHER=0`` asks for that.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import IO
from typing import Any
from typing import Protocol

log = logging.getLogger(__name__)

LAUNCHER_ENV = "TENDERWATCH_CRAWL_LAUNCHER"
"""``0`` starts every crawl as a new interpreter (what the launcher saves, and a way to rule it out)."""

PRELOAD = (
    "scrapy.cmdline",
    "scrapy.crawler",
    "scrapy.core.engine",
    "scrapy.core.scheduler",
    "crawler.spiders",
    "crawler.database",
    "crawler.pipelines",
    "crawler.extensions",
    "crawler.middlewares",
)
"""What every crawl imports and nothing in it reads the environment or installs a reactor."""

_PACKET = 1 << 20
"""Largest message: a request carries the crawl's whole environment."""
LOST = 255
"""Exit code of a crawl whose launcher died before it could say how the crawl ended."""


class CrawlProcess(Protocol):
    """What the runner needs of a started crawl, however it was started."""

    pid: int
    stderr: IO[bytes]

    def reap(self) -> tuple[int, int | None] | None:
        """(exit code, peak memory in KiB) once the crawl has ended; None while it runs."""


class SpawnedCrawl:
    """A crawl started as a new interpreter: the runner is its parent and waits for it itself."""

    def __init__(self, command: list[str], env: Mapping[str, str]) -> None:
        self._proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=dict(env),
            start_new_session=True,  # its own process group: a timeout kills the whole crawl
        )
        self.pid = self._proc.pid
        assert self._proc.stderr is not None
        self.stderr: IO[bytes] = self._proc.stderr

    def reap(self) -> tuple[int, int | None] | None:
        pid, status, rusage = os.wait4(self.pid, os.WNOHANG)
        if not pid:
            return None
        self._proc.returncode = os.waitstatus_to_exitcode(status)
        return self._proc.returncode, rusage.ru_maxrss


class LaunchedCrawl:
    """A crawl forked by the launcher, which reports its end."""

    def __init__(self, pid: int, stderr: IO[bytes]) -> None:
        self.pid = pid
        self.stderr = stderr
        self.ended: tuple[int, int | None] | None = None

    def reap(self) -> tuple[int, int | None] | None:
        return self.ended


class Launcher:
    """The runner's end of the socket: starts crawls in the launcher and hears how they end."""

    def __init__(self, env: Mapping[str, str]) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        with theirs:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "crawler.launcher", str(theirs.fileno())],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                env=dict(env),  # a crawl's environment: nothing the crawls may not see either
                pass_fds=[theirs.fileno()],
                start_new_session=True,  # a Ctrl-C meant for the runner is not the launcher's
            )
        self._socket = ours
        self._lock = threading.Lock()
        self._answers: dict[int, dict[str, Any]] = {}
        self._answered = threading.Condition(self._lock)
        self._crawls: dict[int, LaunchedCrawl] = {}
        self._exits: dict[int, tuple[int, int | None]] = {}  # crawls that ended before they were known
        self._next_id = 0
        self.alive = True
        threading.Thread(target=self._listen, name="crawl-launcher", daemon=True).start()

    def start(self, command: list[str], env: Mapping[str, str]) -> LaunchedCrawl:
        """Fork ``command`` (``python -m scrapy crawl ...``) in the launcher; OSError if it cannot."""
        read_end, write_end = os.pipe()
        try:
            with self._lock:
                pid = self._fork(command, env, write_end)
        except BaseException:
            os.close(read_end)
            raise
        finally:
            os.close(write_end)
        crawl = LaunchedCrawl(pid, os.fdopen(read_end, "rb"))
        with self._lock:
            crawl.ended = self._exits.pop(pid, None)  # it may have ended before we knew its pid
            if crawl.ended is None:
                self._crawls[pid] = crawl
        return crawl

    def _fork(self, command: list[str], env: Mapping[str, str], stderr: int) -> int:
        if not self.alive:
            raise OSError("the crawl launcher has exited")
        self._next_id += 1
        request = self._next_id
        message = {"id": request, "argv": ["scrapy", *command[3:]], "env": dict(env), "cwd": os.getcwd()}
        socket.send_fds(self._socket, [json.dumps(message).encode()], [stderr])
        while request not in self._answers and self.alive:
            self._answered.wait()
        answer = self._answers.pop(request, {"error": "the crawl launcher has exited"})
        if "error" in answer:
            raise OSError(answer["error"])
        return int(answer["pid"])

    def close(self) -> None:
        """Let the launcher go (it exits when the socket closes); crawls it started go on."""
        with self._lock:
            self.alive = False
        self._socket.shutdown(socket.SHUT_RDWR)

    def _listen(self) -> None:
        while True:
            try:
                packet = self._socket.recv(_PACKET)
            except OSError:
                packet = b""
            with self._lock:
                if not packet:
                    self._lost()
                    return
                message = json.loads(packet)
                if "exit" in message:
                    ended = (message["code"], message["maxrss"])
                    crawl = self._crawls.pop(message["exit"], None)
                    if crawl is None:
                        self._exits[message["exit"]] = ended
                    else:
                        crawl.ended = ended
                else:
                    self._answers[message["id"]] = message
                    self._answered.notify_all()

    def _lost(self) -> None:
        """The launcher is gone: its crawls live on (their own sessions) but nobody can wait for
        them any more; each is taken as ended once its pid is gone."""
        if self.alive:
            log.warning("the crawl launcher exited; crawls start as new interpreters from now on")
        self.alive = False
        self._answered.notify_all()
        for pid, crawl in list(self._crawls.items()):
            threading.Thread(target=_watch_orphan, args=(crawl,), daemon=True).start()
            del self._crawls[pid]


def _watch_orphan(crawl: LaunchedCrawl) -> None:
    while not _gone(crawl.pid):
        time.sleep(0.2)
    crawl.ended = (LOST, None)


def _gone(pid: int) -> bool:
    """No such process, or a zombie: an orphan's new parent may be a PID 1 that never reaps."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    except OSError:  # no /proc here: ask the kernel, zombies included
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


_launcher: Launcher | None = None
_launcher_lock = threading.Lock()


def start_crawl(command: list[str], env: Mapping[str, str]) -> CrawlProcess:
    """Start a crawl: forked by this process's launcher, or as a new interpreter when the launcher
    is switched off, cannot start or has died. OSError when neither can start it."""
    launcher = _get_launcher(env)
    if launcher is not None:
        try:
            return launcher.start(command, env)
        except OSError as exc:
            log.warning("the crawl launcher could not start the crawl (%s): starting a new interpreter", exc)
    return SpawnedCrawl(command, env)


def _get_launcher(env: Mapping[str, str]) -> Launcher | None:
    global _launcher
    if env.get(LAUNCHER_ENV, "1") == "0":
        return None
    with _launcher_lock:
        if _launcher is None:
            try:
                _launcher = Launcher(env)
            except OSError as exc:
                log.warning("the crawl launcher could not start (%s): crawls start as new interpreters", exc)
                return None
        return _launcher if _launcher.alive else None  # one that died is not restarted once per crawl


# --- the launcher process ------------------------------------------------------------------------


def main(fd: int) -> None:
    for module in PRELOAD:
        __import__(module)
    if "twisted.internet.reactor" in sys.modules or "crawler.settings" in sys.modules:
        raise SystemExit("crawler.launcher: a preloaded module installed a reactor or read the settings")
    channel = socket.socket(fileno=fd)
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        ready, _, _ = select.select([channel, wake_read], [], [])
        if wake_read in ready:
            os.read(wake_read, 4096)
        _report_exits(channel)
        if channel in ready:
            try:
                packet, fds, _, _ = socket.recv_fds(channel, _PACKET, 1)
            except OSError:
                return
            if not packet:
                return  # the runner is gone: its crawls go on in their own sessions
            _launch(channel, json.loads(packet), fds[0], (wake_read, wake_write))


def _report_exits(channel: socket.socket) -> None:
    while True:
        try:
            pid, status, rusage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if not pid:
            return
        code = os.waitstatus_to_exitcode(status)
        _send(channel, {"exit": pid, "code": code, "maxrss": rusage.ru_maxrss})


def _launch(channel: socket.socket, request: dict[str, Any], stderr: int, wake: tuple[int, int]) -> None:
    ready_read, ready_write = os.pipe()
    try:
        pid = os.fork()
    except OSError as exc:
        os.close(stderr)
        _send(channel, {"id": request["id"], "error": f"fork failed: {exc}"})
        return
    if pid == 0:
        os.close(ready_read)
        _crawl(request, stderr, ready_write, channel, wake)
    os.close(ready_write)
    os.close(stderr)
    os.read(ready_read, 1)  # the child is in its own session: its process group can be signalled
    os.close(ready_read)
    _send(channel, {"id": request["id"], "pid": pid})


def _crawl(
    request: dict[str, Any], stderr: int, ready: int, channel: socket.socket, wake: tuple[int, int]
) -> None:
    """The forked child: becomes ``python -m scrapy crawl ...`` and never returns."""
    code = 1
    try:
        os.setsid()
        os.write(ready, b"1")
        os.close(ready)
        channel.close()
        signal.set_wakeup_fd(-1)
        for fd in wake:
            os.close(fd)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 0)
        os.dup2(devnull, 1)
        os.dup2(stderr, 2)
        os.close(devnull)
        os.close(stderr)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = list(request["argv"])
        from scrapy.cmdline import execute

        execute(sys.argv)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        traceback.print_exc()
    finally:
        logging.shutdown()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # a closed stream has nothing left to lose
                stream.flush()
        os._exit(code)


def _send(channel: socket.socket, message: dict[str, Any]) -> None:
    try:
        channel.send(json.dumps(message).encode())
    except OSError:
        pass  # the runner is gone; the exit goes unheard, as it would with a dead parent


if __name__ == "__main__":
    main(int(sys.argv[1]))
