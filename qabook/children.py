"""Child processes that die with the process that started them, and jobs held to limits.

A build forks renderers, and they and the check fork pools of workers. Each child holds
copies of the pipes its parent held; if the parent is killed, a child that lived on would
keep those pipes open, and whoever waits on them would wait for ever, or write artifacts
after the build was stopped. So every child asks the kernel to kill it when its parent dies
(Linux's PR_SET_PDEATHSIG).

The engines (WeasyPrint, ziamath) run on what the book asks of them, and a book can ask for
too much: 10,000 footnotes in one question, a 200×200 matrix. Each job runs with a budget of
CPU time (process time, so a busy machine does not make a correct book fail), and each
worker with a cap on its address space; a job over either raises `OverLimit`, which the
caller reports against the question or formula that asked for it.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import resource
import signal
import sys
import threading

PR_SET_PDEATHSIG = 1
GIB = 1 << 30
LIFETIME = 1800  #: CPU seconds a worker may use over all its jobs (the book's take 60 in all)


class OverLimit(Exception):
    """A job used more than its budget; the message says of what ("60 s of CPU time")."""


def die_with_parent(parent: int) -> None:
    """Be killed (SIGKILL) when the parent process (its id, taken before the fork) dies;
    exit now if it already has."""
    if not sys.platform.startswith("linux"):
        return
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before the request was made
        os._exit(1)


def worker(parent: int, memory: int) -> None:
    """A pool worker's start: die with the parent; let it grow by `memory` bytes of address
    space beyond what it inherited (the forking process's, which may be large), after which
    allocations fail (Python raises MemoryError, which `limited` turns into OverLimit).

    What it inherited lives as long as it does: it is kept out of the cyclic GC, whose
    collections would otherwise walk it again and again, and write to every page of it
    the parent shares (the layout workers spent an eighth of their time collecting)."""
    gc.freeze()
    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C is for the build to handle
    try:
        with open("/proc/self/statm") as statm:
            inherited = int(statm.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return  # not Linux: no cap
    cap = inherited + memory
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard == resource.RLIM_INFINITY or cap < hard:
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    soft, hard = resource.getrlimit(resource.RLIMIT_CPU)  # a backstop for `limited`: the
    if hard == resource.RLIM_INFINITY or LIFETIME < hard:  # kernel ends the worker itself
        resource.setrlimit(resource.RLIMIT_CPU, (LIFETIME, hard))


@contextlib.contextmanager
def limited(seconds: float):
    """Run the block with `seconds` of this process's CPU time; past that, OverLimit is
    raised inside it (SIGPROF; the main thread only). A MemoryError becomes OverLimit too."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread can take a signal; this job is not held to time
        return

    def expire(signum, frame):
        raise OverLimit(f"{seconds:g} s of CPU time")

    previous = signal.signal(signal.SIGPROF, expire)
    # and again every second after: an engine that swallows one exception (WeasyPrint
    # catches everything around drawing an image) is interrupted again
    signal.setitimer(signal.ITIMER_PROF, seconds, 1.0)
    try:
        yield
    except MemoryError:
        raise OverLimit("the memory it may use") from None
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)
