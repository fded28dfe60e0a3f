"""The raw archive: every document's bytes, content-addressed and never overwritten."""

from __future__ import annotations

import hashlib
from pathlib import Path

ARCHIVE_DIR = "raw"


def content_id(data: bytes) -> str:
    """A document's identity is its bytes: the same file from two URLs is one document."""
    return hashlib.sha256(data).hexdigest()


def store_raw(root: Path, data: bytes, suffix: str) -> Path:
    """The same bytes always live at the same path, written once (a partial write never takes its place)."""
    cid = content_id(data)
    target = root / ARCHIVE_DIR / cid[:2] / (cid + suffix)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(target.suffix + ".part")
        tmp.write_bytes(data)
        tmp.replace(target)
    return target
