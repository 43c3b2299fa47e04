"""Child processes that die with the process that started them.

A build forks renderers, and they and the check fork pools of workers. Each child holds
copies of the pipes its parent held; if the parent is killed, a child that lived on would
keep those pipes open, and whoever waits on them would wait for ever. So every child asks
the kernel to kill it when its parent dies (Linux's PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Be killed (SIGKILL) when the parent process dies; exit now if it already has."""
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before the request was made
        os._exit(1)
