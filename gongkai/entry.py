"""The `gongkai` command's first lines: a stop signal is honoured from the first instant. The command line
imports the pipeline for a second or more before `guard.stop_handlers` can stop it cleanly; a SIGTERM or
Ctrl-C in that time ends it at once, with its exit code and a line saying nothing was done. After that,
the handler acts as the command's own (a library that put back the handler it found at import puts back
this one)."""

from __future__ import annotations

import signal
import sys

from gongkai.guard import Stopped

_started = False


class _EarlyStop(BaseException):
    pass


def _stop(signum: int, frame: object) -> None:
    if not _started:
        raise _EarlyStop(signum)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: a second signal must not cut the clean-up short
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise Stopped(signum)


def main() -> int:
    global _started
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _stop)
    try:
        from gongkai.cli import main as command  # imports pandas, duckdb, pdfplumber, dagster's parts

        _started = True
        return command()  # its own handlers take over while it runs
    except _EarlyStop as exc:
        signum = exc.args[0]
        print(f"gongkai: stopped by {signal.Signals(signum).name} while starting: nothing was read or written",
              file=sys.stderr)
        return 128 + signum
    except Stopped as exc:  # after the command's own handlers were put back
        print(f"gongkai: stopped by {exc}", file=sys.stderr)
        return 128 + exc.signum


if __name__ == "__main__":
    sys.exit(main())
