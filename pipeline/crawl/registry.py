"""The source registry: which bodies publish where.

```yaml
settings:              # optional; defaults shown
  delay_seconds: 1.0   # per host, between the starts of two requests (one in flight per host)
  max_in_flight: 32    # requests in flight across all hosts
  connect_timeout_seconds: 10
  timeout_seconds: 20  # between two reads
  retries: 3           # on 5xx, 429 and connection errors only; Retry-After honoured
  host_failures: 3     # failed attempts in a row (no answer, or 5xx) that set a host aside for the night
  recheck_days: 7      # a report whose listing entry is unchanged is asked again after this long
  max_bytes: 52428800
sources:
  - id: fujian-pingtan
    name: 平潭综合实验区
    region: [福建省, 平潭综合实验区]   # province first
    level: county                      # province | city | county | township | department
    parent: fujian                     # optional: another source's id
    listing_urls: [https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/]
  - id: some-county
    ...
    portal_url: https://www.example.gov.cn/  # instead of listing_urls: the report column is found from here
```
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

import yaml

from pipeline.crawl.hosts import is_loopback

LEVELS = ("province", "city", "county", "township", "department")
_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


class RegistryError(ValueError):
    """A registry that cannot be used; the message names the file, the source and the field."""


@dataclass(frozen=True)
class Settings:
    delay_seconds: float = 1.0
    max_in_flight: int = 32
    connect_timeout_seconds: float = 10.0
    timeout_seconds: float = 20.0  # between two reads
    max_seconds: float = 120.0  # for a whole response: a server that drips a byte at a time stops here
    retries: int = 3
    backoff_seconds: float = 1.0
    max_retry_after_seconds: float = 300.0  # a host asking for longer is given up for the night
    host_failures: int = 3
    recheck_days: float = 7.0
    discovery_pages: int = 40  # pages read on a portal to find its report column
    max_bytes: int = 50 * 1024 * 1024
    max_redirects: int = 5
    max_listing_pages: int = 50
    user_agent: str = "gongkai/0.1 (+annual report research crawler; polite, 1 request/s per host)"


@dataclass(frozen=True)
class Source:
    id: str
    name: str
    region: tuple[str, ...]
    level: str
    listing_urls: tuple[str, ...]  # empty when the source gives only its portal
    parent: str | None = None
    portal_url: str | None = None

    @property
    def start_urls(self) -> tuple[str, ...]:
        return self.listing_urls or ((self.portal_url,) if self.portal_url else ())

    @property
    def province(self) -> str | None:
        return self.region[0] if self.region else None

    @property
    def is_local(self) -> bool:
        """Its own listing is on this machine (a file:// mirror or a test server): private hosts allowed."""
        return all(urlparse(u).scheme == "file" or is_loopback(urlparse(u).hostname) for u in self.start_urls)


@dataclass(frozen=True)
class Registry:
    path: Path
    sources: tuple[Source, ...]
    settings: Settings = field(default_factory=Settings)


def load_registry(path: str | Path) -> Registry:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RegistryError(f"{path}: cannot read the registry: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise RegistryError(f"{path}: not a text file in UTF-8 (a registry is YAML)") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise RegistryError(f"{path}: not valid YAML ({where}{problem})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("sources"), list) or not data["sources"]:
        raise RegistryError(f"{path}: needs a top-level `sources:` list with at least one source")
    settings = _settings(path, data.get("settings") or {})
    sources = [_source(path, i, raw, base=path.parent) for i, raw in enumerate(data["sources"])]
    ids = [s.id for s in sources]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise RegistryError(f"{path}: duplicate source id(s): {', '.join(dupes)}")
    for s in sources:
        if s.parent is not None and s.parent not in ids:
            raise RegistryError(f"{path}: source {s.id}: parent {s.parent!r} is not a source id in this registry")
    return Registry(path, tuple(sources), settings)


def _settings(path: Path, raw: object) -> Settings:
    if not isinstance(raw, dict):
        raise RegistryError(f"{path}: `settings` must be a mapping")
    known = Settings.__dataclass_fields__
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise RegistryError(f"{path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(known)}")
    try:
        return Settings(**{k: type(getattr(Settings(), k))(v) for k, v in raw.items()})
    except (TypeError, ValueError) as exc:
        raise RegistryError(f"{path}: bad setting value: {exc}") from exc


def _source(path: Path, index: int, raw: object, base: Path) -> Source:
    where = f"{path}: sources[{index}]"
    if not isinstance(raw, dict):
        raise RegistryError(f"{where}: each source must be a mapping")
    where = f"{path}: source {raw.get('id', f'#{index}')!s}"
    missing = [k for k in ("id", "name", "region", "level") if not raw.get(k)]
    if not raw.get("listing_urls") and not raw.get("portal_url"):
        missing.append("listing_urls (or portal_url)")
    if missing:
        raise RegistryError(f"{where}: missing {', '.join(missing)}")
    if not isinstance(raw["id"], str) or not _ID.match(raw["id"]):
        raise RegistryError(f"{where}: id must be lower-case letters, digits, '-', '_' or '.'")
    region = raw["region"]
    if isinstance(region, str):
        region = [region]
    if not isinstance(region, list) or not all(isinstance(r, str) and r for r in region):
        raise RegistryError(f"{where}: region must be a list of names, province first, e.g. [福建省, 平潭综合实验区]")
    if raw["level"] not in LEVELS:
        raise RegistryError(f"{where}: level must be one of {', '.join(LEVELS)}, not {raw['level']!r}")
    urls = raw.get("listing_urls") or []
    if isinstance(urls, str):
        urls = [urls]
    resolved = []
    for url in [*urls, *([raw["portal_url"]] if raw.get("portal_url") else [])]:
        scheme = urlparse(str(url)).scheme
        if scheme not in ("http", "https", "file"):
            raise RegistryError(f"{where}: listing URL {url!r} must be http(s):// or file://")
        if scheme == "file":  # file:///abs/index.html, or file:mirror/index.html relative to the registry
            parsed = urlparse(str(url))
            local = Path(unquote(parsed.netloc + parsed.path if parsed.netloc not in ("", "localhost") else parsed.path))
            url = (local if local.is_absolute() else (base / local).resolve()).as_uri()
        resolved.append(str(url))
    listings, portal = (resolved[:-1], resolved[-1]) if raw.get("portal_url") else (resolved, None)
    return Source(raw["id"], str(raw["name"]), tuple(region), raw["level"], tuple(listings), raw.get("parent"), portal)
