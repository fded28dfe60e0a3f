"""Legacy DOC/WPS/XLS (OLE2) and other office files: converted by LibreOffice when it is installed."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from pipeline.extract.model import Document, ExtractionError

CONVERT_TIMEOUT_S = 120


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def extract_via_libreoffice(data: bytes, fmt: str) -> Document:
    binary = soffice()
    if binary is None:
        raise ExtractionError(
            "needs_libreoffice",
            f"{fmt.upper()} (legacy Word/WPS/Excel) needs LibreOffice to convert it: "
            "apt-get install libreoffice-writer libreoffice-calc",
        )
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / f"report.{ 'doc' if fmt == 'doc' else fmt }"
        src.write_bytes(data)
        try:
            subprocess.run([binary, "--headless", "--convert-to", "html", "--outdir", tmp, str(src)],
                           check=True, capture_output=True, timeout=CONVERT_TIMEOUT_S)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            raise ExtractionError("conversion_failed", f"LibreOffice could not convert the {fmt.upper()}: {exc}") from exc
        out = Path(tmp) / "report.html"
        if not out.exists():
            raise ExtractionError("conversion_failed", f"LibreOffice produced no output for the {fmt.upper()}")
        from pipeline.extract.html import extract_html

        return extract_html(out.read_bytes())
