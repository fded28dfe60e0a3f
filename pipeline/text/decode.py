"""Bytes -> text: a BOM, the page's declared charset, or detection (GBK pages are GB18030 in practice)."""

from __future__ import annotations

import re

from charset_normalizer import from_bytes

_DECLARED = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_XML_DECL = re.compile(rb"""<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_\-]+)""", re.I)
# GBK and GB2312 pages routinely use characters only GB18030 (their superset) defines.
_CHARSET_ALIASES = {"gbk": "gb18030", "gb2312": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030", "utf8": "utf-8"}


def declared_charset(data: bytes) -> str | None:
    m = _DECLARED.search(data[:8192]) or _XML_DECL.search(data[:512])
    return m.group(1).decode("ascii").lower() if m else None


def decode_text(data: bytes, declared: str | None = None) -> str:
    """Honour a BOM or the declared charset; otherwise UTF-8, then GB18030, then detection."""
    for bom, enc in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom):].decode(enc, errors="replace")
    tried = []
    if declared:
        enc = _CHARSET_ALIASES.get(declared, declared)
        try:
            return data.decode(enc)
        except (LookupError, UnicodeDecodeError):
            tried.append(enc)
    for enc in ("utf-8", "gb18030"):
        if enc in tried:
            continue
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            pass
    best = from_bytes(data).best()
    return str(best) if best is not None else data.decode("gb18030", errors="replace")
