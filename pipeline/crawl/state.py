"""What a crawl remembers of each URL (kept by a sink; no HTTP here, so `gongkai ingest` need not import it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class State:
    etag: str | None
    last_modified: str | None
    sha256: str | None
    entry: str | None  # the listing entry it was found under (link text and date)
    checked_at: dt.datetime | None  # UTC
