"""Legacy DOC/WPS/XLS (OLE2) and other office files: converted by LibreOffice when it is installed.

Each conversion has its own LibreOffice profile (two at once on one profile make the second fail) and
runs as its worker's own child (`external.run_program`): killed whole on its time limit, and with the
worker that started it.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from pipeline.extract.external import run_program
from pipeline.extract.model import Document, ExtractionError

CONVERT_TIMEOUT_S = 120
RESTART = 81  # soffice.bin's exit code after it set up a new profile: run it again (oosplash would)


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def _binary(script: str) -> str:
    """soffice.bin beside the `soffice` launcher: run directly, it is the one process to watch and kill
    (through the launcher it is a grandchild, which the parent-death signal does not reach)."""
    real = Path(script).resolve().with_name("soffice.bin")
    return str(real) if real.is_file() else script


def extract_via_libreoffice(data: bytes, fmt: str) -> Document:
    script = soffice()
    if script is None:
        raise ExtractionError(
            "needs_libreoffice",
            f"{fmt.upper()} (legacy Word/WPS/Excel) needs LibreOffice to convert it: "
            "apt-get install libreoffice-writer libreoffice-calc",
        )
    with tempfile.TemporaryDirectory(prefix="gongkai-lo-") as tmp:
        src = Path(tmp) / f"report.{'doc' if fmt == 'doc' else fmt}"
        src.write_bytes(data)
        cmd = [_binary(script), "--headless", "--norestore", "--nologo", "--nodefault", "--nolockcheck",
               f"-env:UserInstallation={(Path(tmp) / 'profile').as_uri()}",
               "--convert-to", "html", "--outdir", tmp, str(src)]
        try:
            done = run_program(cmd, timeout=CONVERT_TIMEOUT_S, cwd=tmp)
            if done.returncode == RESTART:
                done = run_program(cmd, timeout=CONVERT_TIMEOUT_S, cwd=tmp)
        except subprocess.TimeoutExpired as exc:
            raise ExtractionError("conversion_failed", f"LibreOffice took longer than {CONVERT_TIMEOUT_S} s to "
                                  f"convert the {fmt.upper()}") from exc
        out = Path(tmp) / "report.html"
        if done.returncode != 0 or not out.exists():
            said = (done.stderr or done.stdout).decode(errors="replace").strip().splitlines()
            raise ExtractionError("conversion_failed", f"LibreOffice could not convert the {fmt.upper()} "
                                  f"(exit {done.returncode}{': ' + said[-1] if said else ''})")
        from pipeline.extract.html import extract_html

        return extract_html(out.read_bytes())
