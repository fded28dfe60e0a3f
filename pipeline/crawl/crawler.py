"""A crawl: every source's listing pages -> report links -> article pages and attachments -> a sink.

The crawler only fetches: what it finds, and every failure with its reason, goes to the `Sink` it is
given (the batch runner's keeps them in the raw archive and `raw_documents`). Incremental: the sink
remembers every URL's ETag, Last-Modified and body hash, so a night with nothing new costs a few
listing pages and 304s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlparse

from pipeline.crawl import discover
from pipeline.crawl.fetch import Fetcher, Response
from pipeline.crawl.registry import Registry, Source

Progress = Callable[[str], None]


class Sink(Protocol):
    """Where a crawl's findings go. The crawler never reads or writes storage itself."""

    def sources(self, rows: list[dict]) -> None:
        """The registry's sources, once per crawl."""

    def state(self, url: str) -> tuple[str | None, str | None, str | None] | None:
        """(etag, last_modified, sha256) of the URL's last fetch, if any."""

    def archived(self, sha256: str) -> bytes | None:
        """The archived bytes of a body seen before (a 304 still needs its links), or None if lost."""

    def keep(self, url: str, body: bytes, *, year_hint: int, kind: str, etag: str | None,
             last_modified: str | None, **meta: object) -> bool:
        """Archive a fetched body; True when it is new for this URL."""

    def failed(self, url: str, reason: str, **meta: object) -> None:
        """A URL that could not be fetched, and why."""


@dataclass
class CrawlSummary:
    listing_pages: int = 0
    reports_found: int = 0  # report links on the listings (in the years asked for)
    documents_new: int = 0  # raw_documents rows added for report bodies
    unchanged: int = 0  # 304 or the same bytes again
    failures: list[tuple[str, str]] = field(default_factory=list)  # (url, reason)
    requests: int = 0


class Crawl:
    def __init__(self, registry: Registry, sink: Sink, years: set[int] | None = None,
                 progress: Progress | None = None) -> None:
        self.registry, self.sink, self.years = registry, sink, years
        self.say = progress or (lambda _m: None)
        self.summary = CrawlSummary()

    def run(self) -> CrawlSummary:
        self.sink.sources([{"source_id": s.id, "name": s.name, "region": "/".join(s.region), "level": s.level,
                                   "parent": s.parent, "listing_urls": " ".join(s.listing_urls)}
                                  for s in self.registry.sources])
        for source in self.registry.sources:
            self._source(source)
        return self.summary

    # --- one source --------------------------------------------------------------------------
    def _source(self, source: Source) -> None:
        hosts = {urlparse(u).hostname.lower() for u in source.listing_urls if urlparse(u).hostname}
        fetcher = Fetcher(self.registry.settings, hosts, allow_private=source.is_local)
        context = {"source_id": source.id, "source_name": source.name, "source_region": "/".join(source.region),
                   "source_level": source.level}
        seen_reports: set[str] = set()
        for listing in source.listing_urls:
            for page_url, root in self._listing_pages(fetcher, listing, context):
                for link in discover.links(root, page_url):
                    year = link.report_year
                    if year is None and link.maybe_report:
                        link, year = self._full_title(fetcher, link)
                    if year is None or link.url in seen_reports or (self.years and year not in self.years):
                        continue
                    seen_reports.add(link.url)
                    self.summary.reports_found += 1
                    self._report_link(fetcher, link, year, page_url, context)
        self.summary.requests += fetcher.requests

    def _full_title(self, fetcher: Fetcher, link: discover.Link) -> tuple[discover.Link, int | None]:
        """Read the page of a link whose text was cut short: it is a report if its own title says so."""
        if link.is_attachment:
            return link, None
        answer = fetcher.fetch(link.url)
        root = discover.parse_html(answer.body, answer.content_type) if answer.ok else None
        title = discover.article(root, link.url).title if root is not None else None
        if not title or discover.Link(link.url, title).report_year is None:
            return link, None
        return discover.Link(link.url, title, link.date), discover.Link(link.url, title).report_year

    def _listing_pages(self, fetcher: Fetcher, first: str, context: dict):
        queue, done = [first], set()
        while queue and len(done) < self.registry.settings.max_listing_pages:
            url = queue.pop(0)
            if url in done:
                continue
            done.add(url)
            answer = fetcher.fetch(url)  # listings change: always asked for in full
            if not answer.ok:
                self._failed(url, answer, kind="listing", **context)
                continue
            root = discover.parse_html(answer.body, answer.content_type)
            if root is None:
                self._failed(url, Response(url, answer.status, error="listing page has no HTML"), kind="listing",
                             **context)
                continue
            self.summary.listing_pages += 1
            self.say(f"{context['source_id']}: listing {url}")
            yield answer.url, root
            queue += [u for u in discover.next_pages(root, answer.url) if u not in done]

    # --- one report ----------------------------------------------------------------------------
    def _report_link(self, fetcher: Fetcher, link: discover.Link, year: int, listing: str, context: dict) -> None:
        meta = {**context, "referer": listing, "link_title": link.text, "published_at": link.date}
        if link.is_attachment:
            self._document(fetcher, link.url, year, meta)
            return
        body, answer = self._get(fetcher, link.url)
        if body is None:
            self._failed(link.url, answer, **meta)
            return
        root = discover.parse_html(body, answer.content_type if answer else None)
        page = discover.article(root, link.url) if root is not None else None
        if page is not None and page.published_at:
            meta["published_at"] = page.published_at
        kind = "report" if page is None or page.has_tables or not page.attachments else "page"
        self._keep(link.url, body, answer, year, meta, kind)
        for attachment in page.attachments if page is not None else ():
            self._document(fetcher, attachment.url, year, {**meta, "referer": link.url, "link_title": attachment.text})

    def _document(self, fetcher: Fetcher, url: str, year: int, meta: dict) -> None:
        body, answer = self._get(fetcher, url)
        if body is None:
            self._failed(url, answer, **meta)
            return
        self._keep(url, body, answer, year, meta, "report")

    def _get(self, fetcher: Fetcher, url: str) -> tuple[bytes | None, Response | None]:
        """The body, fetched conditionally; on 304 the archived copy (so its links can be followed again)."""
        etag, modified, sha = self.sink.state(url) or (None, None, None)
        answer = fetcher.fetch(url, etag, modified)
        if answer.not_modified and sha:
            self.summary.unchanged += 1
            body = self.sink.archived(sha)
            if body is not None:
                return body, None
            answer = fetcher.fetch(url)  # the archive lost it: fetch in full
        if not answer.ok:
            return None, answer
        return answer.body, answer

    def _keep(self, url: str, body: bytes, answer: Response | None, year: int, meta: dict, kind: str) -> None:
        if answer is None:
            return  # unchanged since the last crawl: already archived and listed
        new = self.sink.keep(url, body, year_hint=year, kind=kind, etag=answer.etag,
                             last_modified=answer.last_modified, http_status=answer.status,
                             content_type=answer.content_type, **meta)
        if new and kind == "report":
            self.summary.documents_new += 1
            self.say(f"{meta['source_id']}: {year} {meta.get('link_title') or url} ({len(body)} bytes)")
        elif not new:
            self.summary.unchanged += 1

    def _failed(self, url: str, answer: Response | None, **meta: object) -> None:
        reason = (answer.error if answer else None) or f"HTTP {answer.status if answer else '?'}"
        self.summary.failures.append((url, reason))
        self.say(f"{meta.get('source_id')}: FAILED {url}: {reason}")
        self.sink.failed(url, reason, http_status=answer.status if answer else None,
                         **{k: v for k, v in meta.items() if k != "http_status"})


def crawl(registry: Registry, sink: Sink, years: set[int] | None = None,
          progress: Progress | None = None) -> CrawlSummary:
    return Crawl(registry, sink, years, progress).run()
