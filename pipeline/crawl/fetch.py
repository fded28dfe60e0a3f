"""Polite fetching of many hosts at once: robots.txt, one request in flight per host with a delay
(`hosts.Politeness`), retries with backoff on 5xx, 429 and connection errors (honouring Retry-After:
for a 429 or no answer the whole host waits, for a 503 the request),
connect and read timeouts, a size cap, a redirect cap, conditional GET, the source's own hosts only.

The schedule is asyncio; each HTTP exchange runs in a thread of a pool as large as the bound on
requests in flight (requests' blocking I/O, measured fast enough: bench/crawl.py)."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import socket
import threading
import urllib.robotparser
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from pipeline.crawl.hosts import Politeness, host_key
from pipeline.crawl.registry import Settings


@dataclass
class Response:
    url: str  # after redirects
    status: int  # HTTP status; 0 when no answer came
    body: bytes = b""
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None  # why there is no usable body
    location: str | None = None  # a redirect's target
    retry_after: float | None = None  # seconds the server asked us to wait (429, 503)

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.error is None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True)
class Scope:
    """Whose URLs these are: the source's own hosts, and whether private addresses are allowed (a
    source served from this machine)."""

    hosts: frozenset[str]
    allow_private: bool


def host_allowed(url: str, scope: Scope) -> str | None:
    """None when the URL may be fetched, else why not. Resolves the host name (blocking)."""
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return None if scope.allow_private else "file:// URLs only for local sources"
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        return f"not an http(s) URL: {url}"
    host = parsed.hostname.lower()
    if not any(host in (h, h.removeprefix("www.")) or host.endswith("." + h.removeprefix("www."))
               for h in scope.hosts):  # the site's own host, its bare domain and its subdomains
        return f"off the source's own hosts ({host})"
    if not scope.allow_private:
        try:
            addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
        except socket.gaierror as exc:
            return f"cannot resolve {host}: {exc}"
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%")[0])
            if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast:
                return f"{host} resolves to a private address ({ip}); allowed only for local sources"
    return None


def retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds from a Retry-After header: a number of seconds, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


def _retryable(answer: Response) -> bool:
    return answer.status >= 500 or answer.status == 429 or (
        answer.status == 0 and bool(answer.error) and answer.error.startswith("connection"))


_SENDING = threading.local()  # the politeness clock of the request this thread is about to send


class _Stamped:
    """Calls the thread's politeness hook at the moment the request's first bytes go out, connected:
    stamped any earlier, a pause of this process (a collection, another thread) between the stamp and
    the send would let the server see two requests closer than the delay."""

    def send(self, data) -> None:  # http.client's send, for the request line and headers
        fresh = self.sock is None
        if fresh:
            self.connect()
        hook = getattr(_SENDING, "hook", None)
        if hook is not None:
            _SENDING.hook = None
            hook(fresh)
        super().send(data)


class _StampedHTTP(_Stamped, HTTPConnection):
    pass


class _StampedHTTPS(_Stamped, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _StampedHTTP


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _StampedHTTPS


class Transport:
    """One HTTP exchange at a time per call, from any thread: no redirects followed, no waiting."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.session = requests.Session()
        self.session.headers["User-Agent"] = settings.user_agent
        # a pool per host kept for many hosts: keep-alive survives a crawl of thousands of hosts
        adapter = HTTPAdapter(pool_connections=4096, pool_maxsize=2, max_retries=0)
        adapter.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def read_file(self, url: str) -> Response:
        path = Path(unquote(urlparse(url).path))
        if not path.is_file():
            return Response(url, 404, error=f"no such file: {path}")
        size = path.stat().st_size
        if size > self.settings.max_bytes:
            return Response(url, 413, error=f"too large: {size} bytes > {self.settings.max_bytes}")
        return Response(url, 200, path.read_bytes(), content_type=None)

    def exchange(self, url: str, headers: dict[str, str], scope: Scope, sending=None) -> Response:
        """One request. A redirect comes back as its status with `location` set; `sending()` is called
        just before the request leaves (the politeness clock)."""
        refused = host_allowed(url, scope)
        if refused:
            return Response(url, 0, error=f"refused: {refused}")
        s = self.settings
        _SENDING.hook = sending
        try:
            r = self.session.get(url, headers=headers, timeout=(s.connect_timeout_seconds, s.timeout_seconds),
                                 allow_redirects=False, stream=True)
        except requests.Timeout as exc:
            _SENDING.hook = None
            return Response(url, 0, error=f"connection timeout (connect {s.connect_timeout_seconds:g}s, "
                                          f"read {s.timeout_seconds:g}s): {exc}")
        except requests.RequestException as exc:
            _SENDING.hook = None
            return Response(url, 0, error=f"connection error: {exc}")
        with r:
            base = Response(url, r.status_code, content_type=r.headers.get("Content-Type"),
                            etag=r.headers.get("ETag"), last_modified=r.headers.get("Last-Modified"),
                            retry_after=retry_after(r.headers.get("Retry-After")))
            if r.is_redirect and r.headers.get("Location"):
                base.location = urljoin(url, r.headers["Location"])
                return base
            if r.status_code == 304:
                return base
            if r.status_code != 200:
                base.error = f"HTTP {r.status_code}"
                return base
            declared = int(r.headers.get("Content-Length") or 0)
            if declared > s.max_bytes:
                base.error = f"too large: {declared} bytes > {s.max_bytes}"
                return base
            body = bytearray()
            watchdog = _Watchdog(r, s.max_seconds)
            try:
                # decoded as it comes: a gzip bomb is stopped at max_bytes of what it unpacks to
                for chunk in r.iter_content(65536):
                    body += chunk
                    if len(body) > s.max_bytes:
                        base.error = f"too large: more than {s.max_bytes} bytes"
                        return base
            except (requests.RequestException, OSError, ValueError) as exc:
                base.status, base.error = 0, (f"too slow: the body took longer than {s.max_seconds:.0f}s"
                                              if watchdog.fired else f"connection error while reading: {exc}")
                return base
            finally:
                watchdog.cancel()
            base.body = bytes(body)
            return base


class Fetcher:
    """A crawl's fetching: every source's requests share its hosts' turns and the bound in flight."""

    def __init__(self, settings: Settings, politeness: Politeness | None = None) -> None:
        self.settings = settings
        self.politeness = politeness or Politeness(settings.delay_seconds, settings.max_in_flight,
                                                   settings.host_failures)
        self.transport = Transport(settings)
        self._pool = ThreadPoolExecutor(max(1, settings.max_in_flight), thread_name_prefix="fetch")
        self._robots: dict[str, asyncio.Future] = {}
        self.requests = 0

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.transport.session.close()

    async def _run(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    async def fetch(self, url: str, scope: Scope, etag: str | None = None,
                    last_modified: str | None = None) -> Response:
        if urlparse(url).scheme == "file":
            return await self._run(self.transport.read_file, url) if scope.allow_private else \
                Response(url, 0, error="refused: file:// URLs only for local sources")
        refused = await self._run(host_allowed, url, scope)
        if refused:
            return Response(url, 0, error=f"refused: {refused}")
        if not await self._robots_allow(url, scope):
            return Response(url, 0, error="refused: disallowed by robots.txt")
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return await self._get(url, headers, scope, self.settings.retries)

    async def _robots_allow(self, url: str, scope: Scope) -> bool:
        parsed = urlparse(url)
        base = f"{parsed.scheme}://{parsed.netloc}"
        if base not in self._robots:  # asked once per host and crawl, by whichever request comes first
            self._robots[base] = asyncio.get_running_loop().create_future()
            parser: urllib.robotparser.RobotFileParser | None = None
            answer = await self._get(base + "/robots.txt", {}, scope, retries=0)
            if answer.status == 200 and answer.body:
                parser = urllib.robotparser.RobotFileParser()
                parser.parse(answer.body.decode("utf-8", errors="replace").splitlines())
            self._robots[base].set_result(parser)  # no robots.txt (404 and the like): everything is allowed
        parser = await asyncio.shield(self._robots[base])
        return parser is None or parser.can_fetch(self.settings.user_agent, url)

    async def _get(self, url: str, headers: dict[str, str], scope: Scope, retries: int) -> Response:
        host = host_key(url)
        attempt = 0
        while True:
            answer = await self._follow(url, headers, scope)
            if not _retryable(answer):
                self.politeness.outcome(host_key(answer.url), None)
                return answer
            asked = answer.retry_after is not None  # a host that says when to come back is alive
            if not asked:  # every failed attempt counts: a dead host is set aside after a few, not a few URLs
                self.politeness.outcome(host, answer.error or f"HTTP {answer.status}")
            wait = answer.retry_after if asked else self.settings.backoff_seconds * 2 ** attempt
            if wait > self.settings.max_retry_after_seconds:
                answer.error = (f"{answer.error or f'HTTP {answer.status}'}; asked to retry after {wait:.0f}s, "
                                f"more than the {self.settings.max_retry_after_seconds:.0f}s we wait")
                self.politeness.outcome(host, answer.error)
                return answer
            if attempt >= retries:
                if asked:
                    self.politeness.outcome(host, answer.error or f"HTTP {answer.status}")
                return answer
            if answer.status == 429 or answer.status == 0:
                # too many requests (RFC 6585: before any new request), or no answer: the whole host waits
                self.politeness.pause(host_key(answer.url), wait)
            else:  # 503 and other 5xx: this request is retried after the wait (RFC 9110), the host goes on
                await asyncio.sleep(wait)
            attempt += 1

    async def _follow(self, url: str, headers: dict[str, str], scope: Scope) -> Response:
        seen = []
        for _ in range(self.settings.max_redirects + 1):
            host = host_key(url)
            async with self.politeness.turn(host) as aside:
                if aside:
                    return Response(url, 0, error=f"host {host} {aside}")
                self.requests += 1
                answer = await self._run(self.transport.exchange, url, headers, scope,
                                         lambda fresh, h=host: self.politeness.started(h, fresh))
            if answer.location is None:
                return answer
            seen.append(url)
            url = answer.location
            if urlparse(url).scheme not in ("http", "https"):  # never into file:// or another scheme
                return Response(url, answer.status, error=f"refused: a redirect to a URL that is not "
                                                          f"http(s): not an http(s) URL: {url}")
            if url in seen:
                return Response(url, answer.status, error=f"redirect loop: {' -> '.join([*seen, url])}")
        return Response(url, 0, error=f"more than {self.settings.max_redirects} redirects")


def fetch_now(settings: Settings, url: str, scope: Scope, etag: str | None = None,
              last_modified: str | None = None) -> Response:
    """One fetch outside a crawl (tools and tests), with the same rules."""
    async def one() -> Response:
        fetcher = Fetcher(settings)
        try:
            return await fetcher.fetch(url, scope, etag, last_modified)
        finally:
            fetcher.close()
    return asyncio.run(one())


class _Watchdog:
    """Cuts a response's connection once `seconds` have passed: the read timeout restarts with every
    byte, so a server that drips one byte at a time would otherwise hold the crawl for ever."""

    def __init__(self, response: requests.Response, seconds: float) -> None:
        self.fired = False
        self._response = response
        self._timer = threading.Timer(seconds, self._cut)
        self._timer.daemon = True
        self._timer.start()

    def _cut(self) -> None:
        self.fired = True
        try:
            self._response.raw._fp.fp.raw._sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked read at once
        except (AttributeError, OSError):
            self._response.close()

    def cancel(self) -> None:
        self._timer.cancel()
