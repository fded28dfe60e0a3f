"""Polite fetching: robots.txt, one request at a time per host with a delay, retries with backoff on
5xx and connection errors only, timeouts, a size cap, a redirect cap, conditional GET, own hosts only."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
import urllib.robotparser
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import requests

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

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.error is None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class Fetcher:
    """One per crawl. Sequential by design: concurrency 1, so a host never sees two requests at once."""

    def __init__(self, settings: Settings, allowed_hosts: set[str], allow_private: bool,
                 sleep=time.sleep, clock=time.monotonic) -> None:
        self.settings = settings
        self.allowed_hosts = allowed_hosts
        self.allow_private = allow_private
        self.session = requests.Session()
        self.session.headers["User-Agent"] = settings.user_agent
        self._last: dict[str, float] = {}
        self._robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}
        self._sleep, self._clock = sleep, clock
        self.requests = 0

    # --- rules ---------------------------------------------------------------------------------
    def host_allowed(self, url: str) -> str | None:
        """None when the URL may be fetched, else why not."""
        parsed = urlparse(url)
        if parsed.scheme == "file":
            return None if self.allow_private else "file:// URLs only for local sources"
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            return f"not an http(s) URL: {url}"
        host = parsed.hostname.lower()
        if not any(host in (h, h.removeprefix("www.")) or host.endswith("." + h.removeprefix("www."))
                   for h in self.allowed_hosts):  # the site's own host, its bare domain and its subdomains
            return f"off the source's own hosts ({host})"
        if not self.allow_private:
            try:
                addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
            except socket.gaierror as exc:
                return f"cannot resolve {host}: {exc}"
            for address in addresses:
                ip = ipaddress.ip_address(address.split("%")[0])
                if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast:
                    return f"{host} resolves to a private address ({ip}); allowed only for local sources"
        return None

    def robots_allow(self, url: str) -> bool:
        parsed = urlparse(url)
        if parsed.scheme == "file":
            return True
        base = f"{parsed.scheme}://{parsed.netloc}"
        if base not in self._robots:
            parser: urllib.robotparser.RobotFileParser | None = None
            answer = self._get(base + "/robots.txt", {}, retries=0)
            if answer.status == 200 and answer.body:
                parser = urllib.robotparser.RobotFileParser()
                parser.parse(answer.body.decode("utf-8", errors="replace").splitlines())
            self._robots[base] = parser  # no robots.txt (404 and the like): everything is allowed
        parser = self._robots[base]
        return parser is None or parser.can_fetch(self.settings.user_agent, url)

    # --- fetching ------------------------------------------------------------------------------
    def fetch(self, url: str, etag: str | None = None, last_modified: str | None = None) -> Response:
        if urlparse(url).scheme == "file":
            return self._file(url)
        refused = self.host_allowed(url)
        if refused:
            return Response(url, 0, error=f"refused: {refused}")
        if not self.robots_allow(url):
            return Response(url, 0, error="refused: disallowed by robots.txt")
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return self._get(url, headers, retries=self.settings.retries)

    def _file(self, url: str) -> Response:
        path = Path(unquote(urlparse(url).path))
        if not path.is_file():
            return Response(url, 404, error=f"no such file: {path}")
        size = path.stat().st_size
        if size > self.settings.max_bytes:
            return Response(url, 413, error=f"too large: {size} bytes > {self.settings.max_bytes}")
        return Response(url, 200, path.read_bytes(), content_type=None)

    def _wait_turn(self, host: str) -> None:
        last = self._last.get(host)
        if last is not None:
            wait = self.settings.delay_seconds - (self._clock() - last)
            if wait > 0:
                self._sleep(wait)
        self._last[host] = self._clock()

    def _get(self, url: str, headers: dict[str, str], retries: int) -> Response:
        attempt = 0
        while True:
            answer = self._follow(url, headers)
            retryable = answer.status >= 500 or answer.status == 0 and answer.error and answer.error.startswith("connection")
            if not retryable or attempt >= retries:
                return answer
            self._sleep(self.settings.backoff_seconds * 2**attempt)
            attempt += 1

    def _follow(self, url: str, headers: dict[str, str]) -> Response:
        seen = []
        for _ in range(self.settings.max_redirects + 1):
            refused = self.host_allowed(url)
            if refused:
                return Response(url, 0, error=f"refused: {refused}")
            self._wait_turn(urlparse(url).hostname or "")
            self.requests += 1
            try:
                r = self.session.get(url, headers=headers, timeout=self.settings.timeout_seconds,
                                     allow_redirects=False, stream=True)
            except requests.Timeout as exc:
                return Response(url, 0, error=f"connection timeout after {self.settings.timeout_seconds}s: {exc}")
            except requests.RequestException as exc:
                return Response(url, 0, error=f"connection error: {exc}")
            with r:
                if r.is_redirect and r.headers.get("Location"):
                    seen.append(url)
                    url = urljoin(url, r.headers["Location"])
                    if urlparse(url).scheme not in ("http", "https"):  # never into file:// or another scheme
                        return Response(url, r.status_code, error=f"refused: a redirect to a URL that is not "
                                                                  f"http(s): not an http(s) URL: {url}")
                    if url in seen:
                        return Response(url, r.status_code, error=f"redirect loop: {' -> '.join([*seen, url])}")
                    continue
                base = Response(url, r.status_code, content_type=r.headers.get("Content-Type"),
                                etag=r.headers.get("ETag"), last_modified=r.headers.get("Last-Modified"))
                if r.status_code == 304:
                    return base
                if r.status_code != 200:
                    base.error = f"HTTP {r.status_code}"
                    return base
                declared = int(r.headers.get("Content-Length") or 0)
                if declared > self.settings.max_bytes:
                    base.error = f"too large: {declared} bytes > {self.settings.max_bytes}"
                    return base
                body = bytearray()
                watchdog = _Watchdog(r, self.settings.max_seconds)
                try:
                    # decoded as it comes: a gzip bomb is stopped at max_bytes of what it unpacks to
                    for chunk in r.iter_content(65536):
                        body += chunk
                        if len(body) > self.settings.max_bytes:
                            base.error = f"too large: more than {self.settings.max_bytes} bytes"
                            return base
                except (requests.RequestException, OSError, ValueError) as exc:
                    base.status, base.error = 0, (f"too slow: the body took longer than {self.settings.max_seconds:.0f}s"
                                                  if watchdog.fired else f"connection error while reading: {exc}")
                    return base
                finally:
                    watchdog.cancel()
                base.body = bytes(body)
                return base
        return Response(url, 0, error=f"more than {self.settings.max_redirects} redirects")


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
