"""Parsed reports kept by what they were parsed from: the bytes, the registered source and the parser.

A night with nothing new parses nothing: every document's result comes from here. The parser version
is a hash of the code that turns bytes into a result, so any change to it parses everything again.
"""

from __future__ import annotations

import hashlib
import pickle
from functools import lru_cache
from pathlib import Path

import pipeline
from pipeline.load.facts import ReportResult

# Failures that come from this machine or this run, not from the bytes (a worker killed, a time limit,
# a converter missing or failing): never kept, so the next run tries again.
TRANSIENT_RULES = frozenset({"worker_crashed", "parse_time_limit", "parse_memory_limit", "conversion_failed",
                             "needs_ocr", "needs_libreoffice"})

# The packages whose code decides a report's result (the warehouse and the crawler do not).
PARSER_PACKAGES = ("text", "extract", "parse")
PARSER_MODULES = ("load/facts.py", "load/identity.py", "load/divisions.py", "load/departments.py", "batch/report.py")


@lru_cache(maxsize=1)
def parser_version() -> str:
    root = Path(pipeline.__file__).parent
    files = sorted(f for pkg in PARSER_PACKAGES for f in (root / pkg).rglob("*.py"))
    files += [root / m for m in PARSER_MODULES]
    digest = hashlib.sha256()
    for f in files:
        digest.update(str(f.relative_to(root)).encode())
        digest.update(f.read_bytes())
    return digest.hexdigest()[:16]


class ParseCache:
    """Results on disk under DATA_DIR/cache/parsed/<parser version>/ (written once, read many times)."""

    def __init__(self, root: Path) -> None:
        self.dir = root / "cache" / "parsed" / parser_version()

    @staticmethod
    def key(sha256: str, source_uri: str, registered: object) -> str:
        return hashlib.sha256(repr((sha256, source_uri, registered)).encode("utf-8")).hexdigest()

    def _path(self, key: str) -> Path:
        return self.dir / key[:2] / f"{key}.pickle"

    def get(self, key: str) -> ReportResult | None:
        path = self._path(key)
        try:
            with path.open("rb") as f:
                return pickle.load(f)  # our own files, written by `put` under DATA_DIR
        except (FileNotFoundError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
            return None

    def put(self, key: str, result: ReportResult) -> None:
        if result.status == "failed" and any(issue.rule in TRANSIENT_RULES for issue in result.issues):
            return
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
        tmp.replace(path)
