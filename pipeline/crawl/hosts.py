"""Politeness per host, for a crawl of many hosts at once (asyncio).

Each host gets one request in flight at a time, whichever source it serves, and its requests start at
least `delay_seconds` apart (plus a small margin: the server sees our request a little after we send
it). A host that asks us to wait (429/503 with Retry-After, or backoff after an error) waits without
holding a slot that other hosts could use, and a host that keeps failing is set aside for the night.
A global bound caps the requests in flight across all hosts.
"""

from __future__ import annotations

import asyncio
import ipaddress
import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import urlparse

# the server logs our request when it arrives, a moment after we sent it: starts are spaced by the
# delay plus this, so that no host ever sees two of our requests closer than its delay
ARRIVAL_MARGIN = 0.03
# a request on a new connection reaches the server's application later still (the server accepts and
# dispatches the connection first), so the request after it waits this much more; connections are
# kept alive, so this is rare
FRESH_CONNECTION_MARGIN = 0.1
_DEFAULT_PORTS = {"http": 80, "https": 443}


def host_key(url: str) -> str:
    """The server a URL reaches, for politeness: its host name, and its port unless the scheme's default
    (http:// and https:// of one name are one server; loopback servers on other ports are others)."""
    parsed = urlparse(url)
    host = (parsed.hostname or "").lower()
    try:
        port = parsed.port
    except ValueError:
        port = None
    return host if port in (None, _DEFAULT_PORTS.get(parsed.scheme)) else f"{host}:{port}"


def is_loopback(host: str | None) -> bool:
    """127.0.0.0/8, ::1 and localhost: this machine, where tests and benchmarks serve their hosts."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass
class _Host:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    next_start: float = 0.0
    failures: int = 0  # consecutive requests that failed after their retries
    aside: str | None = None  # why the host is set aside for the night
    in_flight: int = 0
    most_in_flight: int = 0


class Politeness:
    """Turns for hosts: `async with politeness.turn(host) as refused:` around each request."""

    def __init__(self, delay: float, max_in_flight: int, failures_to_set_aside: int,
                 clock=time.monotonic) -> None:
        self.delay, self.failures_to_set_aside, self._clock = delay, failures_to_set_aside, clock
        self._slots = asyncio.Semaphore(max(1, max_in_flight))
        self._hosts: dict[str, _Host] = {}
        self.in_flight = self.most_in_flight = 0

    def _host(self, host: str) -> _Host:
        h = self._hosts.get(host)
        if h is None:
            # each host's first turn at a random moment within the delay: hosts do not all ask at the
            # same instants (infrastructure they share, a CDN or a province's cloud, sees an even flow)
            h = self._hosts[host] = _Host(next_start=self._clock() + random.uniform(0, self.delay))
        return h

    @asynccontextmanager
    async def turn(self, host: str) -> AsyncIterator[str | None]:
        """Waits for the host's turn and a slot; yields None, or why the host is set aside (no request then)."""
        h = self._host(host)
        async with h.lock:
            if h.aside:
                yield h.aside
                return
            wait = h.next_start - self._clock()
            if wait > 0:
                await asyncio.sleep(wait)
            async with self._slots:
                self.in_flight += 1
                self.most_in_flight = max(self.most_in_flight, self.in_flight)
                h.in_flight += 1
                h.most_in_flight = max(h.most_in_flight, h.in_flight)
                self.started(host)
                try:
                    yield None
                finally:
                    self.in_flight -= 1
                    h.in_flight -= 1

    def started(self, host: str, fresh_connection: bool = False) -> None:
        """The request is being sent now: the host's next one starts no sooner than the delay from here.
        Called again from the sending thread, so the spacing runs from the moment bytes leave."""
        h = self._host(host)
        margin = ARRIVAL_MARGIN + (FRESH_CONNECTION_MARGIN if fresh_connection else 0.0)
        h.next_start = max(h.next_start, self._clock() + self.delay + margin)

    def pause(self, host: str, seconds: float) -> None:
        """The host asked us to wait (Retry-After), or we back off after its error."""
        h = self._host(host)
        h.next_start = max(h.next_start, self._clock() + seconds)

    def outcome(self, host: str, failure: str | None) -> None:
        """A request's success, or a failed attempt: a host that keeps failing is set aside for the night."""
        h = self._host(host)
        if failure is None:
            h.failures = 0
            return
        h.failures += 1
        if h.failures >= self.failures_to_set_aside and not h.aside:
            h.aside = f"set aside for the night after {h.failures} failed attempts in a row; the last: {failure}"

    def set_aside(self) -> dict[str, str]:
        return {host: h.aside for host, h in self._hosts.items() if h.aside}

    def most_at_once(self) -> int:
        """The most requests any one host had in flight at once (1 if politeness held)."""
        return max((h.most_in_flight for h in self._hosts.values()), default=0)
