"""Programs a parse starts (LibreOffice, tesseract): never outliving the process that started them.

Each runs in its own process group, so a time limit kills it whole, and asks the kernel to kill it when
its parent dies (`PR_SET_PDEATHSIG`): a worker killed with its run takes its programs with it, and a
killed program takes nothing of the run's with it. A program that forks (LibreOffice's `soffice` script
starts `oosplash`, which starts `soffice.bin`) is run by its last binary where there is one, since only
the direct child gets the parent-death signal.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from collections.abc import Sequence

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def die_with_parent(parent_pid: int | None = None, sig: int = signal.SIGKILL) -> None:
    """Have the kernel send `sig` to this process when its parent dies (Linux; elsewhere nothing).

    `parent_pid`: the parent it was started by; when it has died already (before this call), exit now.
    """
    if _libc is not None:
        _libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(1)


def kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run_program(cmd: Sequence[str], *, timeout: float, input: bytes | None = None, cwd: str | None = None,
                env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run `cmd` to its end and return its output; raise `subprocess.TimeoutExpired` past `timeout`.

    Whatever stops the wait (the time limit, the worker's own alarm, Ctrl-C) kills the program's whole
    process group before it is passed on; so does its normal end, for any helper it left behind.
    """
    proc = subprocess.Popen(list(cmd), stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, env=env,
                            process_group=0, preexec_fn=die_with_parent)  # between fork and exec
    try:
        out, err = proc.communicate(input, timeout=timeout)
    except BaseException:
        kill_group(proc.pid)
        proc.communicate()
        raise
    kill_group(proc.pid)  # the group outlives its leader while a helper lives: none may stay behind
    return subprocess.CompletedProcess(list(cmd), proc.returncode, out, err)
