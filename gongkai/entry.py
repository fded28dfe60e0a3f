"""The `gongkai` command's first lines: a stop signal is honoured from the first instant. The command line
imports the pipeline for a second or more before `guard.stop_handlers` can stop it cleanly; a SIGTERM or
Ctrl-C in that time ends it at once, with its exit code and a line saying nothing was done."""

from __future__ import annotations

import signal
import sys


class _EarlyStop(BaseException):
    pass


def _stop(signum: int, frame: object) -> None:
    raise _EarlyStop(signum)


def main() -> int:
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _stop)
    try:
        from gongkai.cli import main as command  # imports pandas, duckdb, pdfplumber, dagster's parts

        return command()  # its own handlers take over until it ends
    except _EarlyStop as exc:
        signum = exc.args[0]
        print(f"gongkai: stopped by {signal.Signals(signum).name} while starting: nothing was read or written",
              file=sys.stderr)
        return 128 + signum


if __name__ == "__main__":
    sys.exit(main())
