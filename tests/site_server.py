"""A real HTTP server on 127.0.0.1 for the crawler's tests: Pingtan's listing (from the corpus snapshot,
paginated) and a site of injected faults. It answers conditional GETs and logs every request."""

from __future__ import annotations

import hashlib
import random
import re
import shutil
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from pipeline.synth.generate import RENDERERS, Body, make_report, render_html

SNAPSHOT_LISTING = "zwgk/zfxxgk/zfxxgknb"


@dataclass
class Faults:
    flaky: dict[str, int] = field(default_factory=dict)  # path -> how many 500s before it works
    slow: dict[str, float] = field(default_factory=dict)  # path -> seconds to wait before answering
    loops: set[str] = field(default_factory=set)  # path -> redirects to itself (via a second URL)
    gbk: set[str] = field(default_factory=set)  # path -> served as text/html; charset=gbk
    # path -> (set when it is asked, set by the test to let it be answered): a request caught in flight
    held: dict[str, tuple[threading.Event, threading.Event]] = field(default_factory=dict)


class Site:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.faults = Faults()
        self.log: list[tuple[str, int]] = []  # (path, status) of every request
        self._lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"site": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Site:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def record(self, path: str, status: int) -> None:
        with self._lock:
            self.log.append((path, status))

    def statuses(self, path: str) -> list[int]:
        return [status for p, status in self.log if p == path]


class _Handler(BaseHTTPRequestHandler):
    site: Site

    def log_message(self, *args: object) -> None:  # keep the test output clean: the site keeps its own log
        pass

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.site.record(self.path, status)
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    def do_GET(self) -> None:  # noqa: N802 - the http.server name
        faults = self.site.faults
        path = self.path.split("?")[0]
        if path in faults.slow:
            time.sleep(faults.slow[path])
        if path in faults.held:
            asked, answer = faults.held[path]
            asked.set()
            answer.wait(60)
        if faults.flaky.get(path, 0) > 0:
            faults.flaky[path] -= 1
            self._send(500, b"temporarily broken")
            return
        if path in faults.loops:
            self._send(302, headers={"Location": path + ".again" if not path.endswith(".again") else path[:-6]})
            return
        if path.endswith(".again") and path[:-6] in faults.loops:
            self._send(302, headers={"Location": path[:-6]})
            return
        if path == "/robots.txt":
            self._send(200, b"User-agent: *\nDisallow: /private/\n", {"Content-Type": "text/plain"})
            return
        file = (self.site.root / path.lstrip("/")).resolve()
        if not file.is_file() or self.site.root.resolve() not in file.parents:
            self._send(404, b"not found")
            return
        body = file.read_bytes()
        etag = '"' + hashlib.sha1(body).hexdigest() + '"'
        modified = formatdate(file.stat().st_mtime, usegmt=True)
        if self.headers.get("If-None-Match") == etag:
            self._send(304, headers={"ETag": etag})
            return
        kind = {".pdf": "application/pdf", ".docx": "application/octet-stream",
                ".txt": "text/plain; charset=utf-8"}.get(file.suffix, "text/html")
        if kind == "text/html":
            kind += "; charset=gbk" if path in faults.gbk else "; charset=utf-8"
        self._send(200, body, {"Content-Type": kind, "ETag": etag, "Last-Modified": modified})


def build_pingtan(root: Path, corpus: Path) -> list[str]:
    """The snapshot's listing as a two-page site: page 1 as published (10 entries, with a 下一页 link added),
    page 2 with the other 10; the 2019-2025 article pages at their original paths; 2011-2018 missing."""
    listing = root / SNAPSHOT_LISTING
    listing.mkdir(parents=True)
    snapshot = corpus / "pingtan_site"
    page1 = (snapshot / "_lists" / "index.html").read_text(encoding="utf-8")
    hrefs = re.findall(r'<a href="\./(\d{6}/t\d{8}_(\d+)\.htm)"', page1)
    served = []
    for href, doc_id in hrefs:
        pages = list(snapshot.glob(f"*/{doc_id}_*/page.html"))
        if pages:
            target = listing / href
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(pages[0], target)
            served.append(href)
    listed = {doc_id for _, doc_id in hrefs}
    rest = []
    for folder in sorted(snapshot.glob("[0-9]*/*_*"), reverse=True):
        doc_id, title = folder.name.split("_", 1)
        if doc_id not in listed:
            rest.append(f'<li><a href="./{folder.parent.name}/t{folder.parent.name}01_{doc_id}.htm" '
                        f'title="{title}">{title}</a><span>{folder.parent.name[:4]}-{folder.parent.name[4:]}-01</span></li>')
    page1 = page1.replace('<div class="rules_tabs_01 rules_tabs_no_bg" ms-visible="showStatic">',
                          '<div class="rules_tabs_01 rules_tabs_no_bg" ms-visible="showStatic">'
                          '<div class="page"><a href="./index_1.htm">下一页</a></div>', 1)
    (listing / "index.html").write_text(page1, encoding="utf-8")
    (listing / "index_1.htm").write_text("<html><head><meta charset='utf-8'></head><body><ul>" + "".join(rest)
                                         + "</ul></body></html>", encoding="utf-8")
    return served


FAULT_BODIES = {year: Body(f"{name}人民政府", "福建省", "福州市", name) for year, name in
                ((2019, "闽侯县"), (2020, "连江县"), (2021, "罗源县"), (2022, "闽清县"), (2023, "永泰县"),
                 (2024, "平潭县"), (2025, "长乐区"))}


def build_faults(root: Path, max_bytes: int) -> dict[str, str]:
    """A listing whose every report fails in its own way; returns each fault's path."""
    site = root / "faults"
    site.mkdir(parents=True)
    rng = random.Random(3)
    paths = {}

    def report(year: int, body: Body | None = None):
        return make_report(body or FAULT_BODIES[year], year, rng)

    def article(name: str, title: str, attachment: str) -> str:
        (site / name).write_text(f"<html><head><meta charset='utf-8'><title>{title}</title></head><body>"
                                 f"<h1>{title}</h1><p>发布日期：2024-01-25</p><a href='{attachment}'>附件：{title}</a>"
                                 "</body></html>", encoding="utf-8")
        return f"/faults/{name}"

    entries = []
    r = report(2019)  # answers too late
    (site / "slow.html").write_bytes(render_html(r))
    paths["slow"] = "/faults/slow.html"
    entries.append((r, paths["slow"]))
    r = report(2020)  # redirects in a circle
    paths["loop"] = "/faults/loop.html"
    entries.append((r, paths["loop"]))
    r = report(2021)  # a GBK page
    (site / "gbk.html").write_bytes(render_html(r, charset="gbk"))
    paths["gbk"] = "/faults/gbk.html"
    entries.append((r, paths["gbk"]))
    r = report(2022)  # an article with a good PDF attachment
    (site / "r2022.pdf").write_bytes(RENDERERS["pdf"](r))
    paths["article_pdf"] = article("a2022.html", f"{r.body.name}2022年政府信息公开工作年度报告", "r2022.pdf")
    paths["pdf"] = "/faults/r2022.pdf"
    entries.append((r, paths["article_pdf"]))
    r = report(2023)  # an article whose attachment is missing
    paths["article_404"] = article("a2023.html", f"{r.body.name}2023年政府信息公开工作年度报告", "missing.pdf")
    paths["missing"] = "/faults/missing.pdf"
    entries.append((r, paths["article_404"]))
    r = report(2024)  # fails once with a 500, then works
    (site / "flaky.html").write_bytes(render_html(r))
    paths["flaky"] = "/faults/flaky.html"
    entries.append((r, paths["flaky"]))
    r = report(2025)  # too large
    (site / "big.pdf").write_bytes(b"%PDF-1.4\n" + b"0" * (max_bytes + 1000))
    paths["big"] = "/faults/big.pdf"
    entries.append((r, paths["big"]))
    r = report(2023, Body("永定区人民政府", "福建省", "龙岩市", "永定区"))  # a truncated PDF
    (site / "trunc.pdf").write_bytes(RENDERERS["pdf"](r)[:2500])
    paths["article_trunc"] = article("a2023t.html", f"{r.body.name}2023年政府信息公开工作年度报告", "trunc.pdf")
    paths["trunc"] = "/faults/trunc.pdf"
    entries.append((r, paths["article_trunc"]))
    r = report(2022, Body("上杭县人民政府", "福建省", "龙岩市", "上杭县"))  # behind robots.txt
    paths["private"] = "/private/a.html"
    entries.append((r, paths["private"]))
    items = "".join(f"<tr><td><a href='{path}'>{r.body.name}{r.year}年政府信息公开工作年度报告</a></td>"
                    f"<td>{r.year + 1}-01-2{i}</td></tr>" for i, (r, path) in enumerate(entries))
    items += "<tr><td><a href='/faults/notice.html'>关于2024年政务公开工作要点的通知</a></td><td>2024-03-01</td></tr>"
    (site / "index.html").write_text(f"<html><head><meta charset='utf-8'></head><body><table>{items}</table>"
                                     "</body></html>", encoding="utf-8")
    return paths


def registry(path: Path, base: str, *, max_bytes: int, timeout: float = 1.0) -> Path:
    path.write_text(f"""settings:
  delay_seconds: 0
  timeout_seconds: {timeout}
  retries: 2
  backoff_seconds: 0.05
  max_bytes: {max_bytes}
sources:
  - id: fujian-pingtan
    name: 平潭综合实验区
    region: [福建省, 平潭综合实验区]
    level: county
    listing_urls: [{base}/{SNAPSHOT_LISTING}/index.html]
  - id: fujian-faults
    name: 福州市人民政府
    region: [福建省, 福州市]
    level: city
    listing_urls: [{base}/faults/index.html]
""", encoding="utf-8")
    return path
