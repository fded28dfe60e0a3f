"""Legacy DOC/WPS/XLS (OLE2) and other office files: converted by LibreOffice when it is installed.

Each conversion has its own LibreOffice profile (two at once on one profile make the second fail) and
runs as its worker's own child (`external.run_program`): killed whole on its time limit, and with the
worker that started it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from pipeline.extract.external import run_program
from pipeline.extract.model import Document, ExtractionError

CONVERT_TIMEOUT_S = 120
WORK_PREFIX = "gongkai-lo-"  # + the converting process's pid: a killed worker's folder is known as such
RESTART = 81  # soffice.bin's exit code after it set up a new profile: run it again (oosplash would)


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def _binary(script: str) -> str:
    """soffice.bin beside the `soffice` launcher: run directly, it is the one process to watch and kill
    (through the launcher it is a grandchild, which the parent-death signal does not reach)."""
    real = Path(script).resolve().with_name("soffice.bin")
    return str(real) if real.is_file() else script


def _sweep_orphans() -> None:
    """Remove the work folders (profile, copy, output) of conversions whose process was killed before it
    could: their pid, in the name, is gone."""
    for folder in Path(tempfile.gettempdir()).glob(f"{WORK_PREFIX}*-*"):
        pid = folder.name[len(WORK_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's: alive
        return True
    return True


def extract_via_libreoffice(data: bytes, fmt: str) -> Document:
    from pipeline.extract.html import extract_html

    return extract_html(convert({"report": data}, "doc" if fmt == "doc" else fmt, "html")["report"])


def convert(files: dict[str, bytes], ext: str, target: str, infilter: str | None = None,
            timeout: float = CONVERT_TIMEOUT_S, env: dict[str, str] | None = None) -> dict[str, bytes]:
    """Each file (name -> bytes, all of extension `ext`) converted by one LibreOffice process to `target`
    (`html`, `docx:MS Word 2007 XML`, …): name -> the converted bytes. `infilter` names the import filter
    where the extension alone does not (HTML into Writer rather than Writer/Web); `env`, the process's
    environment (fonts to render with)."""
    script = soffice()
    kind = ext.upper()
    if script is None:
        raise ExtractionError(
            "needs_libreoffice",
            f"{kind} (legacy Word/WPS/Excel) needs LibreOffice to convert it: "
            "apt-get install libreoffice-writer libreoffice-calc",
        )
    _sweep_orphans()
    with tempfile.TemporaryDirectory(prefix=f"{WORK_PREFIX}{os.getpid()}-") as tmp:
        sources = []
        for name, data in files.items():
            sources.append(Path(tmp) / f"{name}.{ext}")
            sources[-1].write_bytes(data)
        out_dir = Path(tmp) / "out"
        cmd = [_binary(script), "--headless", "--norestore", "--nologo", "--nodefault", "--nolockcheck",
               f"-env:UserInstallation={(Path(tmp) / 'profile').as_uri()}",
               *([f"--infilter={infilter}"] if infilter else []),
               "--convert-to", target, "--outdir", str(out_dir), *map(str, sources)]
        try:
            done = run_program(cmd, timeout=timeout, cwd=tmp, env=env)
            if done.returncode == RESTART:
                done = run_program(cmd, timeout=timeout, cwd=tmp, env=env)
        except subprocess.TimeoutExpired as exc:
            raise ExtractionError("conversion_failed", f"LibreOffice took longer than {timeout:.0f} s to "
                                  f"convert the {kind}") from exc
        out_ext = target.split(":", 1)[0]
        outputs = {name: out_dir / f"{name}.{out_ext}" for name in files}
        if done.returncode != 0 or not all(path.exists() for path in outputs.values()):
            said = (done.stderr or done.stdout).decode(errors="replace").strip().splitlines()
            raise ExtractionError("conversion_failed", f"LibreOffice could not convert the {kind} "
                                  f"(exit {done.returncode}{': ' + said[-1] if said else ''})")
        return {name: path.read_bytes() for name, path in outputs.items()}
