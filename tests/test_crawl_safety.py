"""The crawler against hostile servers on 127.0.0.1: every response bounded in bytes and in time, no
scheme but HTTP(S), no other host, no way for a name it is given to write outside DATA_DIR."""

from __future__ import annotations

import gzip
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest

from pipeline.batch.ingest import WarehouseSink
from pipeline.crawl.crawler import crawl
from pipeline.crawl.fetch import Response, Scope, fetch_now
from pipeline.crawl.registry import Settings, load_registry
from pipeline.load import warehouse
from pipeline.synth.generate import SAMPLE_BODIES, make_report, render_pdf

BOMB = gzip.compress(b"\0" * (64 << 20))  # 64 MB of zeros in about 64 KB


class _Hostile(BaseHTTPRequestHandler):
    report = b""

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/drip":
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            try:
                for _ in range(1000):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.2)
            except OSError:
                pass
            return
        if self.path == "/bomb":
            self._reply(200, BOMB, {"Content-Encoding": "gzip", "Content-Type": "text/html"})
        elif self.path.startswith("/go/"):
            self._reply(302, b"", {"Location": self.path[len("/go/"):].replace("~", "://", 1)})
        elif self.path == "/robots.txt":
            self._reply(404, b"")
        elif self.path == "/index.html":
            title = "宝山区人民政府2022年政府信息公开工作年度报告"
            self._reply(200, f"<html><body><a href='/files/r.pdf'>{title}</a></body></html>".encode(),
                        {"Content-Type": "text/html; charset=utf-8"})
        elif self.path == "/files/r.pdf":
            self._reply(200, self.report, {"Content-Type": "application/pdf", "Content-Disposition":
                                           'attachment; filename="../../../../escaped.pdf"; filename*=UTF-8\'\'..%2F..%2Fx.pdf'})
        else:
            self._reply(404, b"")

    def _reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def server():
    import random

    _Hostile.report = render_pdf(make_report(SAMPLE_BODIES[0], 2022, random.Random(2)))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Hostile)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


LOCAL = Scope(frozenset({"127.0.0.1"}), allow_private=True)


def _fetch(url: str, scope: Scope = LOCAL, **settings: float) -> Response:
    return fetch_now(Settings(delay_seconds=0, retries=0, **settings), url, scope)


def test_a_server_that_drips_a_byte_at_a_time_is_cut_off(server):
    start = time.monotonic()
    answer = _fetch(f"{server}/drip", timeout_seconds=5, max_seconds=1.5)
    assert time.monotonic() - start < 5
    assert not answer.ok and answer.error and answer.error.startswith("too slow")


def test_a_gzip_bomb_stops_at_the_size_cap(server):
    answer = _fetch(f"{server}/bomb", max_bytes=1 << 20)
    assert not answer.ok and answer.error and answer.error.startswith("too large")


@pytest.mark.parametrize("target, reason", [
    ("file~/etc/passwd", "not an http(s) URL"),
    ("ftp~example.org/x", "not an http(s) URL"),
    ("http~127.0.0.2/x", "off the source's own hosts"),
    ("http~example.org/x", "off the source's own hosts"),
])
def test_redirects_never_leave_the_source(server, target, reason):
    answer = _fetch(f"{server}/go/{target}")
    assert not answer.ok and reason in (answer.error or "")


def test_a_private_address_is_refused_unless_the_source_is_local(server):
    answer = _fetch(f"{server}/index.html", Scope(frozenset({"127.0.0.1"}), allow_private=False))
    assert not answer.ok and "private address" in (answer.error or "")


def test_a_name_from_the_server_never_chooses_where_bytes_are_written(server, tmp_path):
    registry = tmp_path / "sources.yaml"
    registry.write_text(f"""settings: {{delay_seconds: 0, retries: 0}}
sources:
  - id: hostile
    name: 宝山区人民政府
    region: [黑龙江省, 双鸭山市, 宝山区]
    level: county
    listing_urls: [{server}/index.html]
""", encoding="utf-8")
    root = tmp_path / "deep" / "data"
    with warehouse.build_session(root) as con:
        crawl(load_registry(str(registry)), WarehouseSink(con, root), {2022})
    with duckdb.connect(str(root / warehouse.BUILD_FILE), read_only=True) as con:
        paths = [Path(p) for (p,) in con.execute("SELECT raw_path FROM raw_documents WHERE raw_path IS NOT NULL")
                 .fetchall()]
    assert paths and all(p.resolve().is_relative_to(root.resolve()) and p.is_file() for p in paths)
    assert not list(tmp_path.rglob("escaped.pdf")) and not list(tmp_path.rglob("x.pdf"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deep", "sources.yaml"]
