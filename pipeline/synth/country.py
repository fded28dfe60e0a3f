"""A simulated country on loopback, for the crawler's tests and `bench/crawl.py`.

Each host is a county portal on its own 127.x address, serving the annual-report columns of many bodies
(a government and its departments), with injected latency. Some hosts are slow, some busy (503 with
Retry-After on a share of requests), some rate-limited (429 with Retry-After), some dead (nothing
listens, or a socket that never answers). Some
bodies give only their site's home page, with the report column three clicks deep beside look-alike
columns. Every request is logged with its host, arrival and end, so politeness can be checked from the
servers' side.
"""

from __future__ import annotations

import hashlib
import multiprocessing as mp
import random
import re
import resource
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from pipeline.synth.generate import SAMPLE_BODIES, make_report, render_html, render_pdf, title

DEPARTMENTS = ("人民政府", "人民政府办公室", "发展和改革局", "教育局", "科学技术局", "公安局", "民政局", "司法局", "财政局",
               "人力资源和社会保障局", "自然资源局", "生态环境局", "住房和城乡建设局", "交通运输局", "水利局", "农业农村局",
               "商务局", "文化和旅游局", "卫生健康委员会", "应急管理局", "审计局", "市场监督管理局", "统计局", "医疗保障局",
               "林业局", "城市管理局", "信访局", "退役军人事务局", "行政审批局", "数据资源局")


@dataclass(frozen=True)
class Plan:
    """The country's shape; `kinds` gives how many hosts of each kind are not plain `ok`."""

    hosts: int = 100
    bodies_per_host: int = 20
    years: tuple[int, ...] = tuple(range(2019, 2026))
    latency: tuple[float, float] = (0.05, 0.3)  # seconds before an answer, uniform
    slow_latency: tuple[float, float] = (0.6, 1.2)
    busy_share: float = 0.1  # of a busy (limited) host's paths answered 503 (429) when first asked, then served
    retry_after: int = 2
    kinds: dict[str, int] = field(default_factory=lambda: {"slow": 5, "busy": 5, "dead": 2, "hung": 2})
    portal_share: float = 0.1  # bodies that give only their site's home page (the same share on every host)
    seed: int = 0


@dataclass
class Body:
    source_id: str
    name: str
    region: tuple[str, ...]
    path: str  # the body's folder on its host, e.g. /b07
    portal_only: bool


@dataclass
class Host:
    index: int
    address: str
    kind: str
    bodies: list[Body]
    port: int = 0
    server: ThreadingHTTPServer | None = None
    sock: socket.socket | None = None  # a dead or hung host's socket

    @property
    def base(self) -> str:
        return f"http://{self.address}:{self.port}"


@dataclass(frozen=True)
class Hit:
    host: str
    path: str
    status: int
    arrived: float  # time.monotonic() when the request line was read
    ended: float  # when the answer was written


class Country:
    def __init__(self, plan: Plan, serve: range | None = None) -> None:
        """`serve`: the indices of the hosts this process serves (all by default; a benchmark spreads
        them over processes, as real hosts are machines of their own)."""
        self.plan = plan
        self.serve = serve if serve is not None else range(plan.hosts)
        self.log: list[Hit] = []
        self._asked: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        rng = random.Random(plan.seed)
        kinds = [k for k, n in plan.kinds.items() for _ in range(n)]
        kinds += ["ok"] * (plan.hosts - len(kinds))
        rng.shuffle(kinds)
        self.hosts: list[Host] = []
        for i, kind in enumerate(kinds):
            county = f"第{i + 1}县"
            bodies = [Body(f"h{i:03d}-b{j:02d}", f"{county}{DEPARTMENTS[j % len(DEPARTMENTS)]}"
                           + (f"{j // len(DEPARTMENTS) + 1}" if j >= len(DEPARTMENTS) else ""),
                           ("模拟省", f"第{i // 10 + 1}市", county), f"/b{j:02d}",
                           (j + i) % max(1, round(1 / plan.portal_share)) == 0 if plan.portal_share else False)
                      for j in range(plan.bodies_per_host)]
            self.hosts.append(Host(i, f"127.0.{1 + i // 250}.{1 + i % 250}", kind, bodies))
        self._documents = _Documents(plan.years)

    # --- serving -------------------------------------------------------------------------------
    def __enter__(self) -> Country:
        for host in self.hosts:
            if host.index not in self.serve:
                continue
            if host.kind in ("dead", "hung"):
                sock = socket.socket()
                sock.bind((host.address, 0))
                host.port = sock.getsockname()[1]
                if host.kind == "hung":
                    sock.listen(0)  # connections wait in the backlog, never answered
                    host.sock = sock
                else:
                    sock.close()  # nothing listens: connections are refused
                continue
            handler = type("Handler", (_Handler,), {"country": self, "host": host})
            host.server = _Server((host.address, 0), handler)
            host.server.daemon_threads = True
            host.port = host.server.server_address[1]
            threading.Thread(target=host.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        for host in self.hosts:
            if host.server is not None:
                host.server.shutdown()
                host.server.server_close()
            if host.sock is not None:
                host.sock.close()

    def first_ask(self, host: Host, path: str) -> bool:
        with self._lock:
            new = (host.base, path) not in self._asked
            self._asked.add((host.base, path))
            return new

    def record(self, hit: Hit) -> None:
        with self._lock:
            self.log.append(hit)

    # --- the registry --------------------------------------------------------------------------
    def registry(self, path: Path, **settings: float) -> Path:
        lines = ["settings:", *(f"  {k}: {v}" for k, v in settings.items()), "sources:"]
        for host in self.hosts:
            for body in host.bodies:
                where = (f"    portal_url: {host.base}{body.path}/" if body.portal_only
                         else f"    listing_urls: [{host.base}{body.path}/nb/index.html]")
                lines += [f"  - id: {body.source_id}", f"    name: {body.name}", f"    region: [{', '.join(body.region)}]",
                          "    level: department" if "人民政府" not in body.name else "    level: county", where]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    def report_paths(self) -> set[tuple[str, str]]:
        """(host, path) of every report document the country lists."""
        out = set()
        for host in self.hosts:
            for body in host.bodies:
                for y in self.plan.years:
                    out.add((host.base, f"{body.path}/nb/{y + 1}/{'a' if y % 3 == 0 else 't'}{y}.html"))
                    if y % 3 == 0:
                        out.add((host.base, f"{body.path}/nb/{y + 1}/report{y}.pdf"))
        return out

    # --- pages -----------------------------------------------------------------------------------
    def page(self, host: Host, path: str) -> tuple[int, bytes, str]:
        """(status, body, content type) of a path on a host."""
        if path == "/robots.txt":
            return 200, b"User-agent: *\nDisallow: /private/\n", "text/plain"
        m = re.fullmatch(r"/b(\d\d)(/.*)", path)
        if not m or int(m.group(1)) >= len(host.bodies):
            return 404, b"not found", "text/plain"
        body, rest = host.bodies[int(m.group(1))], m.group(2)
        html = "text/html; charset=utf-8"
        portal = _portal(body, rest)
        if portal is not None:
            return 200, portal.encode("utf-8"), html
        if rest == "/nb/index.html":
            return 200, self._listing(body).encode("utf-8"), html
        m = re.fullmatch(r"/nb/(\d{4})/(a|t|report)(\d{4})\.(html|pdf)", rest)
        if m:
            year = int(m.group(3))
            if m.group(2) == "t":
                return 200, self._documents.html(year, body.name), html
            if m.group(2) == "a":
                heading = self._documents.title(year, body.name)
                return 200, (f"<html><head><meta charset='utf-8'><title>{heading}</title></head><body><h1>{heading}"
                             f"</h1><p>发布日期：{year + 1}-01-20</p><p>附件：<a href='report{year}.pdf'>{heading}.pdf"
                             f"</a></p></body></html>").encode(), html
            return 200, self._documents.pdf(year), "application/pdf"
        return 404, b"not found", "text/plain"

    def _listing(self, body: Body) -> str:
        items = []
        for y in sorted(self.plan.years, reverse=True):
            href = f"{y + 1}/{'a' if y % 3 == 0 else 't'}{y}.html"
            items.append(f"<li><a href='{href}'>{self._documents.title(y, body.name)}</a><span>{y + 1}-01-20</span></li>")
        items.insert(1, f"<li><a href='notice.html'>关于做好{self.plan.years[-1]}年政务公开工作的通知</a>"
                        f"<span>{self.plan.years[-1]}-03-01</span></li>")
        return (f"<html><head><meta charset='utf-8'><title>政府信息公开年报</title></head><body><h2>{body.name}</h2>"
                f"<ul>{''.join(items)}</ul></body></html>")


def _portal(body: Body, rest: str) -> str | None:
    """A body's site: home -> 政务公开 -> 法定主动公开内容 -> 政府信息公开年报 (three clicks), beside
    look-alike columns (工作要点, 统计公报) that list dated titles too."""
    def page(heading: str, links: list[tuple[str, str]]) -> str:
        items = "".join(f"<li><a href='{href}'>{text}</a></li>" for text, href in links)
        return (f"<html><head><meta charset='utf-8'><title>{heading}</title></head><body><h1>{body.name}</h1>"
                f"<h2>{heading}</h2><ul>{items}</ul></body></html>")
    pages = {
        "/": page("首页", [("首页", "./"), ("机构概况", "jggk/"), ("新闻动态", "xwdt/"), ("政务公开", "zwgk/"),
                           ("互动交流", "hdjl/")]),
        "/xwdt/": page("新闻动态", [("我局召开年度工作会议", "../xwdt/1.html")]),
        "/zwgk/": page("政务公开", [("政府信息公开指南", "zn.html"), ("政府信息公开制度", "zd.html"),
                                    ("法定主动公开内容", "fdzdgknr/"), ("政务公开工作要点", "gzyd/"),
                                    ("统计公报", "tjgb/")]),
        "/zwgk/fdzdgknr/": page("法定主动公开内容", [("机构职能", "jgzn.html"), ("政策文件", "zcwj/"),
                                                     ("政府信息公开年报", "../../nb/index.html")]),
        "/zwgk/gzyd/": page("政务公开工作要点", [(f"{y}年政务公开工作要点", f"{y}.html") for y in (2024, 2023)]),
        "/zwgk/tjgb/": page("统计公报", [(f"{body.name}{y}年统计公报", f"{y}.html") for y in (2024, 2023)]),
    }
    return pages.get(rest)


class _Documents:
    """One rendered report per year, its body's name put in: 2,000 bodies cost seven renderings."""

    PLACEHOLDER = SAMPLE_BODIES[2].name

    def __init__(self, years: tuple[int, ...]) -> None:
        self._html: dict[int, bytes] = {}
        self._title: dict[int, str] = {}
        self._pdf: dict[int, bytes] = {}
        self._lock = threading.Lock()
        self.years = years

    def _render(self, year: int) -> None:
        with self._lock:
            if year not in self._html:
                report = make_report(SAMPLE_BODIES[2], year, random.Random(year))
                self._title[year], self._pdf[year] = title(report), render_pdf(report)
                self._html[year] = render_html(report)

    def title(self, year: int, name: str) -> str:
        self._render(year)
        return self._title[year].replace(self.PLACEHOLDER, name)

    def html(self, year: int, name: str) -> bytes:
        self._render(year)
        return self._html[year].replace(self.PLACEHOLDER.encode(), name.encode())

    def pdf(self, year: int) -> bytes:
        self._render(year)
        return self._pdf[year]


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that closes its kept-alive connection is not news


class _Handler(BaseHTTPRequestHandler):
    country: Country
    host: Host
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 - the http.server name
        arrived = time.monotonic()
        plan, host = self.country.plan, self.host
        rng = random.Random(hash((self.path, arrived)))
        low, high = plan.slow_latency if host.kind == "slow" else plan.latency
        time.sleep(rng.uniform(low, high))
        if host.kind in ("busy", "limited") and self.country.first_ask(host, self.path) and \
                int(hashlib.md5(self.path.encode()).hexdigest(), 16) % 1000 < plan.busy_share * 1000:
            status, body, ctype = (503 if host.kind == "busy" else 429), b"try later", "text/plain"
            extra = {"Retry-After": str(plan.retry_after)}
        else:
            status, body, ctype = self.country.page(host, self.path.split("?")[0])
            extra = {}
        etag = '"' + hashlib.md5(body).hexdigest() + '"'
        if status == 200 and self.headers.get("If-None-Match") == etag:
            status, body = 304, b""
        self.send_response(status)
        for key, value in {"Content-Type": ctype, "Content-Length": str(len(body)), "ETag": etag, **extra}.items():
            self.send_header(key, value)
        self.end_headers()
        try:
            self.wfile.write(body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.country.record(Hit(host.base, self.path, status, arrived, time.monotonic()))


def politeness_breaches(log: list[Hit], delay: float) -> list[str]:
    """Every pair of one host's requests that overlapped or started closer than `delay`, from the log."""
    out = []
    by_host: dict[str, list[Hit]] = {}
    for hit in log:
        by_host.setdefault(hit.host, []).append(hit)
    for host, hits in by_host.items():
        hits.sort(key=lambda h: h.arrived)
        for a, b in zip(hits, hits[1:], strict=False):
            if b.arrived < a.ended:
                out.append(f"{host}: {b.path} arrived while {a.path} was being answered")
            elif b.arrived - a.arrived < delay:
                out.append(f"{host}: {a.path} and {b.path} started {b.arrived - a.arrived:.3f}s apart (< {delay}s)")
    return out


# --- serving from processes of their own ---------------------------------------------------------
def serve(plan: Plan, hosts: range, conn) -> None:
    """Some of the country's hosts, in a process of their own: the crawler's CPU is not the servers',
    and each server process stamps arrivals for few hosts (one process for 100 hosts stamped some
    arrivals 100 ms late)."""
    with Country(plan, serve=hosts) as country:
        conn.send([(h.index, h.port) for h in country.hosts if h.index in hosts])
        while conn.recv() == "log":  # the log so far and the servers' CPU, then cleared; anything else stops
            conn.send((list(country.log), cpu_seconds()))
            del country.log[:]


class Servers:
    """The country's hosts over `processes` server processes, asked as one: the crawler's CPU is not the
    servers', so a server stamps an arrival when it comes, not when the crawler's threads let it."""

    def __init__(self, plan: Plan, processes: int) -> None:
        self.country = Country(plan, serve=range(0))
        step = -(-plan.hosts // processes)
        self.pipes = []
        for start in range(0, plan.hosts, step):
            parent, child = mp.Pipe()
            mp.get_context("fork").Process(target=serve, args=(plan, range(start, start + step), child),
                                           daemon=True).start()
            self.pipes.append(parent)
        ports = dict(port for pipe in self.pipes for port in pipe.recv())
        for host in self.country.hosts:
            host.port = ports[host.index]

    def send(self, message: str) -> None:
        for pipe in self.pipes:
            pipe.send(message)

    def recv(self) -> tuple[list, float]:
        answers = [pipe.recv() for pipe in self.pipes]
        return [hit for log, _ in answers for hit in log], sum(cpu for _, cpu in answers)

    def log(self) -> list:
        """Every request the hosts saw since the last call (then forgotten)."""
        self.send("log")
        return self.recv()[0]

    def __enter__(self) -> Servers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.send("stop")


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
