"""Files -> raw archive + warehouse. A bad report is recorded and the batch goes on."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline import warehouse
from pipeline.detect import Region, detect_format
from pipeline.process import ReportResult, process_report, report_id_of
from pipeline.rules import Violation

DEFAULT_DATA_DIR = "data"
# Files in a folder that describe it rather than report anything.
_NOT_REPORTS = ("readme", "sources", "license", "changelog", "crawler_readme", "repo_readme")
_SKIP_SUFFIXES = {".tsv", ".json", ".csv", ".py", ".yaml", ".yml", ".css", ".js", ".png", ".jpg", ".gif"}


def data_dir(given: str | None) -> Path:
    return Path(given or os.environ.get("GONGKAI_DATA_DIR") or DEFAULT_DATA_DIR)


@dataclass
class Outcome:
    path: str
    result: ReportResult | None  # None: this exact version was already in the warehouse
    report_id: str
    skipped: bool = False


def iter_files(paths: Iterable[str]) -> Iterator[Path]:
    """Files as given; folders recursively, without hidden files and the folder's own notes."""
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if not child.is_file() or any(part.startswith(".") for part in child.relative_to(path).parts):
                    continue
                if child.stem.lower() in _NOT_REPORTS or child.suffix.lower() in _SKIP_SUFFIXES:
                    continue
                yield child
        elif path.is_file():
            yield path
        else:
            raise FileNotFoundError(f"no such file or folder: {given}")


def store_raw(root: Path, data: bytes) -> Path:
    """Content-addressed and never overwritten: the same bytes always live at the same path."""
    rid = report_id_of(data)
    ext = {"pdf": ".pdf", "html": ".html", "docx": ".docx", "doc": ".doc", "txt": ".txt"}.get(detect_format(data), ".bin")
    target = root / "raw" / rid[:2] / (rid + ext)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(target.suffix + ".part")
        tmp.write_bytes(data)
        tmp.replace(target)
    return target


def ingest_bytes(con, root: Path, data: bytes, source_uri: str, region: Region | None = None) -> Outcome:
    raw = store_raw(root, data)
    rid = report_id_of(data)
    if warehouse.has_report(con, rid) not in (None, "failed"):
        return Outcome(source_uri, None, rid, skipped=True)  # the same bytes again: nothing to add
    try:
        result = process_report(data, source_uri, region)
    except Exception as exc:  # a parser bug must not stop the batch; the bytes are kept for a re-run
        result = ReportResult(rid, source_uri, detect_format(data), None, None, "failed",
                              issues=[Violation("extraction_error", f"{type(exc).__name__}: {exc}")])
    warehouse.load_report(con, result, str(raw))
    return Outcome(source_uri, result, rid)


def ingest_paths(paths: Iterable[str], root: Path) -> Iterator[Outcome]:
    con = warehouse.connect(root / warehouse.WAREHOUSE_FILE)
    try:
        for path in iter_files(paths):
            yield ingest_bytes(con, root, path.read_bytes(), str(path))
    finally:
        con.close()
