"""Bytes -> format, from the bytes only (never the file name: government sites mislabel files)."""

from __future__ import annotations

import re
import zipfile
from io import BytesIO

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HTML_SNIFF = re.compile(rb"<\s*(!doctype\s+html|html|head|body|table|meta|div|p|tr|td|span)[\s>/]", re.I)


def detect_format(data: bytes) -> str:
    """'pdf', 'docx', 'doc' (OLE2: DOC, WPS, XLS), 'zip', 'html', 'txt', 'binary' or 'empty' — from the bytes only."""
    head = data[:4096].lstrip()
    if not data.strip():
        return "empty"
    if data.startswith(b"%PDF") or b"%PDF-" in data[:1024]:
        return "pdf"
    if data.startswith(OLE2_MAGIC):
        return "doc"
    if data.startswith(b"PK\x03\x04"):
        try:
            names = zipfile.ZipFile(BytesIO(data)).namelist()
        except zipfile.BadZipFile:
            return "zip"
        return "docx" if "word/document.xml" in names else "zip"
    if head.startswith(b"{\\rtf"):
        return "rtf"
    if _HTML_SNIFF.search(data[:65536]) and b"<" in head[:2048]:
        return "html"
    if _binary(data[:8192]):
        return "binary"
    return "txt"


def _binary(sample: bytes) -> bool:
    """NUL bytes, or a share of control bytes no text in any of the reports' charsets has."""
    if b"\x00" in sample:
        return True
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return controls > 0.05 * len(sample)


_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27))  # not tab, line breaks or ESC
