"""A crawl: every source's listing pages -> report links -> article pages and attachments -> a sink.

All sources at once, each host politely (`hosts.Politeness`: one request in flight per host, whichever
source it serves, with its delay; a global bound on requests in flight). The crawler only fetches: what
it finds, and every failure with its reason, goes to the source's `Sink` (the batch runner's keeps them
in the raw archive and a shard's `raw_documents`). Sink calls run in one thread of their own, in order,
so a sink's database connection is only ever used by one thread and parsing a title never stalls the
requests of other hosts.

Incremental: listings are read every night; a report whose listing entry (its link text and date) is
unchanged since it was last checked is not asked again until `recheck_days` have passed, and then
with a conditional GET. New and changed entries are fetched at once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlparse

from pipeline.crawl import discover
from pipeline.crawl.fetch import Fetcher, Response, Scope
from pipeline.crawl.registry import Registry, Source
from pipeline.crawl.state import State

Progress = Callable[[str], None]


class Sink(Protocol):
    """Where a crawl's findings go. The crawler never reads or writes storage itself."""

    def sources(self, rows: list[dict]) -> None:
        """The registry's sources (and a portal's discovered listing), upserted."""

    def states(self) -> dict[str, State]:
        """Every URL's state, read once at the start of a crawl."""

    def known_listing(self, source_id: str) -> str | None:
        """The report column a past crawl discovered on the source's portal."""

    def archived(self, sha256: str) -> bytes | None:
        """The archived bytes of a body seen before (a 304 still needs its links), or None if lost."""

    def keep(self, url: str, body: bytes, *, year_hint: int, kind: str, etag: str | None,
             last_modified: str | None, entry: str | None = None, **meta: object) -> bool:
        """Archive a fetched body; True when it is new for this URL."""

    def touch(self, url: str, entry: str | None) -> None:
        """The URL was checked and is unchanged."""

    def failed(self, url: str, reason: str, **meta: object) -> None:
        """A URL that could not be fetched, and why."""

    def flush(self) -> None:
        """Write what is buffered; called at the end of a crawl, stopped or not."""


@dataclass
class CrawlSummary:
    listing_pages: int = 0
    reports_found: int = 0  # report links on the listings (in the years asked for)
    documents_new: int = 0  # raw_documents rows added for report bodies
    unchanged: int = 0  # 304 or the same bytes again
    not_due: int = 0  # report links whose entry is unchanged and was checked within recheck_days: not asked
    failures: list[tuple[str, str]] = field(default_factory=list)  # (url, reason)
    requests: int = 0
    hosts_set_aside: dict[str, str] = field(default_factory=dict)  # host -> why
    discovered: dict[str, str] = field(default_factory=dict)  # source_id -> the report column found on its portal
    most_in_flight: int = 0  # across all hosts
    most_in_flight_per_host: int = 0  # 1 when politeness held


def _entry(link: discover.Link) -> str:
    return f"{link.text}|{link.date or ''}"


class Crawl:
    def __init__(self, registry: Registry, sink: Sink | Callable[[Source], Sink], years: set[int] | None = None,
                 progress: Progress | None = None, now: dt.datetime | None = None) -> None:
        self.registry, self.years = registry, years
        self.sink_of: Callable[[Source], Sink] = sink if callable(sink) and not hasattr(sink, "keep") else \
            (lambda _s: sink)  # type: ignore[assignment,return-value]
        self.say = progress or (lambda _m: None)
        self.summary = CrawlSummary()
        self.now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)  # fetch_state keeps UTC
        self.recheck = dt.timedelta(days=registry.settings.recheck_days)

    def run(self) -> CrawlSummary:
        return asyncio.run(self._stoppable())

    async def _stoppable(self) -> CrawlSummary:
        """The crawl, stopped by a stop signal wherever it lands. A signal handler raises in whatever runs;
        asyncio logs an exception raised in a callback and goes on, unless it is KeyboardInterrupt or
        SystemExit: so a stop (a BaseException, not an Exception) met there cancels the crawl, whose
        `finally` keeps what was found, and is raised again here."""
        crawl = asyncio.ensure_future(self._run())
        stops: list[BaseException] = []

        def on_error(loop: asyncio.AbstractEventLoop, context: dict) -> None:
            error = context.get("exception")
            if error is not None and not isinstance(error, Exception):
                stops.append(error)
                crawl.cancel()
            else:
                loop.default_exception_handler(context)

        asyncio.get_running_loop().set_exception_handler(on_error)
        try:
            summary = await crawl
        except asyncio.CancelledError:
            if stops:
                raise stops[0] from None
            raise
        if stops:
            raise stops[0]
        return summary

    async def _run(self) -> CrawlSummary:
        self._db = ThreadPoolExecutor(1, thread_name_prefix="sink")
        self._writes: list[asyncio.Future] = []
        self.fetcher = Fetcher(self.registry.settings)
        sinks: dict[int, tuple[Sink, list[Source]]] = {}
        for source in self.registry.sources:
            sink = self.sink_of(source)
            sinks.setdefault(id(sink), (sink, []))[1].append(source)
        try:
            self._states: dict[int, dict[str, State]] = {}
            for key, (sink, sources) in sinks.items():
                await self._sink(sink.sources, [_source_row(s) for s in sources])
                self._states[key] = await self._sink(sink.states)
            await asyncio.gather(*(self._guarded(s) for s in self.registry.sources))
            await asyncio.gather(*self._writes)
        finally:
            self.fetcher.close()
            for sink, _ in sinks.values():  # stopped or not: what was found is kept
                self._db.submit(sink.flush).result()
            self._db.shutdown(wait=True)
        p = self.fetcher.politeness
        self.summary.requests = self.fetcher.requests
        self.summary.hosts_set_aside = p.set_aside()
        self.summary.most_in_flight, self.summary.most_in_flight_per_host = p.most_in_flight, p.most_at_once()
        return self.summary

    async def _sink(self, fn, *args, **kwargs):
        return await asyncio.get_running_loop().run_in_executor(self._db, lambda: fn(*args, **kwargs))

    def _write(self, fn, *args, then: Callable[[object], None] | None = None, **kwargs) -> None:
        """A sink write the crawl need not wait for (kept in order with every other sink call)."""
        future = asyncio.get_running_loop().run_in_executor(self._db, lambda: fn(*args, **kwargs))
        if then is not None:
            future.add_done_callback(lambda f: f.exception() is None and then(f.result()))
        self._writes.append(future)

    # --- one source --------------------------------------------------------------------------
    async def _guarded(self, source: Source) -> None:
        """A bug for one source must not lose the others; a stop (not an Exception) is no failure of the
        source: it ends the whole crawl."""
        try:
            await self._source(source)
        except Exception as exc:  # noqa: BLE001
            self._failed(self.sink_of(source), source.start_urls[0], None,
                         reason=f"crawler error: {type(exc).__name__}: {exc}", source_id=source.id)

    async def _source(self, source: Source) -> None:
        sink = self.sink_of(source)
        hosts = {urlparse(u).hostname.lower() for u in source.start_urls if urlparse(u).hostname}
        scope = Scope(frozenset(hosts), source.is_local)
        context = {"source_id": source.id, "source_name": source.name, "source_region": "/".join(source.region),
                   "source_level": source.level}
        if source.listing_urls:
            await self._listings(sink, list(source.listing_urls), scope, context)
            return
        known = await self._sink(sink.known_listing, source.id)
        if known and await self._listings(sink, [known], scope, context):
            return  # the column found on an earlier night still lists reports
        found = await self._discover(source, sink, scope, context)
        if found is not None and found != known:
            await self._listings(sink, [found], scope, context)

    async def _listings(self, sink: Sink, listings: list[str], scope: Scope, context: dict) -> int:
        """Every report on these listings (and their further pages); returns how many report links they had."""
        seen_reports: set[str] = set()
        links_found = 0
        for listing in listings:
            async for page_url, root in self._listing_pages(sink, listing, scope, context):
                tasks = []
                for link in discover.links(root, page_url):
                    year, entry = link.report_year, _entry(link)
                    links_found += year is not None
                    if year is None and link.maybe_report:
                        if link.url not in seen_reports and self._fresh(self._state(sink, link.url), entry):
                            seen_reports.add(link.url)  # a report whose title was read before: not due
                            self.summary.reports_found += 1
                            self.summary.not_due += 1
                            links_found += 1
                            continue
                        link, year = await self._full_title(link, scope)
                        links_found += year is not None
                    if year is None or link.url in seen_reports or (self.years and year not in self.years):
                        continue
                    seen_reports.add(link.url)
                    self.summary.reports_found += 1
                    tasks.append(self._report_link(sink, link, year, page_url, scope, context, entry))
                await asyncio.gather(*tasks)
        return links_found

    async def _discover(self, source: Source, sink: Sink, scope: Scope, context: dict) -> str | None:
        """The report column of a source that gives only its portal, found from the portal and recorded."""
        async def read(url: str):
            answer = await self.fetcher.fetch(url, scope)
            return (answer.url, discover.parse_html(answer.body, answer.content_type)) if answer.ok else (url, None)

        found, pages = await discover.find_report_column(source.portal_url or "", read,
                                                         self.registry.settings.discovery_pages)
        if found is None:
            self._failed(sink, source.portal_url or "", None, kind="listing",
                         reason=f"no annual-report column found on the portal within {discover.COLUMN_HOPS} clicks "
                                f"({pages} pages read)", **context)
            return None
        self.summary.discovered[source.id] = found
        self.say(f"{source.id}: found the report column {found} on its portal ({pages} pages read)")
        self._write(sink.sources, [{**_source_row(source), "discovered_listing": found}])
        return found

    async def _full_title(self, link: discover.Link, scope: Scope) -> tuple[discover.Link, int | None]:
        """Read the page of a link whose text was cut short: it is a report if its own title says so."""
        if link.is_attachment:
            return link, None
        answer = await self.fetcher.fetch(link.url, scope)
        root = discover.parse_html(answer.body, answer.content_type) if answer.ok else None
        title = discover.article(root, link.url).title if root is not None else None
        if not title or discover.Link(link.url, title).report_year is None:
            return link, None
        return discover.Link(link.url, title, link.date), discover.Link(link.url, title).report_year

    async def _listing_pages(self, sink: Sink, first: str, scope: Scope, context: dict) -> AsyncIterator:
        queue, done = [first], set()
        while queue and len(done) < self.registry.settings.max_listing_pages:
            url = queue.pop(0)
            if url in done:
                continue
            done.add(url)
            answer = await self.fetcher.fetch(url, scope)  # listings change: always asked for in full
            if not answer.ok:
                self._failed(sink, url, answer, kind="listing", **context)
                continue
            root = discover.parse_html(answer.body, answer.content_type)
            if root is None:
                self._failed(sink, url, Response(url, answer.status, error="listing page has no HTML"),
                             kind="listing", **context)
                continue
            self.summary.listing_pages += 1
            self.say(f"{context['source_id']}: listing {url}")
            yield answer.url, root
            queue += [u for u in discover.next_pages(root, answer.url) if u not in done]

    # --- one report ----------------------------------------------------------------------------
    def _fresh(self, state: State | None, entry: str) -> bool:
        """Checked recently under the same listing entry: not asked again tonight."""
        return (state is not None and state.sha256 is not None and state.entry == entry
                and state.checked_at is not None and self.now - state.checked_at < self.recheck)

    def _state(self, sink: Sink, url: str) -> State | None:
        return self._states[id(sink)].get(url)

    async def _report_link(self, sink: Sink, link: discover.Link, year: int, listing: str, scope: Scope,
                           context: dict, entry: str) -> None:
        meta = {**context, "referer": listing, "link_title": link.text, "published_at": link.date,
                "published_at_source": "listing" if link.date else None}
        if self._fresh(self._state(sink, link.url), entry):
            self.summary.not_due += 1
            return
        if link.is_attachment:
            await self._document(sink, link.url, year, meta, scope, entry)
            return
        # a page's entry is recorded only once its attachments are kept: a crawl stopped or failing
        # in between leaves the page due, so the next night fetches what it links to
        body, answer = await self._get(sink, link.url, scope, None)
        if body is None:
            self._failed(sink, link.url, answer, **meta)
            return
        root = discover.parse_html(body, answer.content_type if answer else None)
        page = discover.article(root, link.url) if root is not None else None
        if page is not None and page.published_at:  # the page's labelled date before the listing's
            if link.date and abs(dt.date.fromisoformat(page.published_at) - dt.date.fromisoformat(link.date)).days > 7:
                meta["dates_disagree"] = f"listing {link.date}, page {page.published_at} ({page.published_at_source})"
            meta["published_at"], meta["published_at_source"] = page.published_at, page.published_at_source
        kind = "report" if page is None or page.has_tables or not page.attachments else "page"
        self._keep(sink, link.url, body, answer, year, meta, kind, None)
        fetched = await asyncio.gather(*(
            self._document(sink, attachment.url, year, {**meta, "referer": link.url, "link_title": attachment.text},
                           scope, _entry(attachment))
            for attachment in (page.attachments if page is not None else ())))
        if all(fetched):
            self._write(sink.touch, link.url, entry)

    async def _document(self, sink: Sink, url: str, year: int, meta: dict, scope: Scope, entry: str) -> bool:
        body, answer = await self._get(sink, url, scope, entry)
        if body is None:
            self._failed(sink, url, answer, **meta)
            return False
        self._keep(sink, url, body, answer, year, meta, "report", entry)
        return True

    async def _get(self, sink: Sink, url: str, scope: Scope, entry: str) -> tuple[bytes | None, Response | None]:
        """The body, fetched conditionally; on 304 the archived copy (so its links can be followed again)."""
        state = self._state(sink, url)
        answer = await self.fetcher.fetch(url, scope, state and state.etag, state and state.last_modified)
        if answer.not_modified and state and state.sha256:
            body = await self._sink(sink.archived, state.sha256)
            if body is not None:
                self.summary.unchanged += 1
                self._write(sink.touch, url, entry)
                return body, None
            answer = await self.fetcher.fetch(url, scope)  # the archive lost it: fetch in full
        if not answer.ok:
            return None, answer
        return answer.body, answer

    def _keep(self, sink: Sink, url: str, body: bytes, answer: Response | None, year: int, meta: dict,
              kind: str, entry: str) -> None:
        if answer is None:
            return  # unchanged since the last crawl: already archived and listed

        def counted(new: object) -> None:
            if new and kind == "report":
                self.summary.documents_new += 1
                self.say(f"{meta['source_id']}: {year} {meta.get('link_title') or url} ({len(body)} bytes)")
            elif not new:
                self.summary.unchanged += 1

        self._write(sink.keep, url, body, year_hint=year, kind=kind, etag=answer.etag,
                    last_modified=answer.last_modified, entry=entry, http_status=answer.status,
                    content_type=answer.content_type, then=counted, **meta)

    def _failed(self, sink: Sink, url: str, answer: Response | None, reason: str | None = None,
                **meta: object) -> None:
        reason = reason or (answer.error if answer else None) or f"HTTP {answer.status if answer else '?'}"
        self.summary.failures.append((url, reason))
        self.say(f"{meta.get('source_id')}: FAILED {url}: {reason}")
        self._write(sink.failed, url, reason, http_status=answer.status if answer else None,
                    **{k: v for k, v in meta.items() if k != "http_status"})


def _source_row(s: Source) -> dict:
    return {"source_id": s.id, "name": s.name, "region": "/".join(s.region), "level": s.level, "parent": s.parent,
            "listing_urls": " ".join(s.listing_urls or ([s.portal_url] if s.portal_url else []))}


def crawl(registry: Registry, sink: Sink | Callable[[Source], Sink], years: set[int] | None = None,
          progress: Progress | None = None) -> CrawlSummary:
    return Crawl(registry, sink, years, progress).run()
