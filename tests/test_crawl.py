"""The crawler against a real HTTP server on 127.0.0.1: Pingtan's listing and a site of injected faults."""

from __future__ import annotations

import datetime as dt
import json
import re
import signal
import threading

import duckdb
import pytest
from conftest import CORPUS, expected_facts, fact_key
from killing import start
from site_server import SNAPSHOT_LISTING, Site, build_faults, build_pingtan, registry

from gongkai.cli import main
from pipeline.batch.ingest import WarehouseSink
from pipeline.crawl import discover
from pipeline.crawl.crawler import Crawl, crawl
from pipeline.crawl.fetch import Scope, host_allowed
from pipeline.crawl.registry import RegistryError, Source, load_registry
from pipeline.load import warehouse

MAX_BYTES = 2_000_000


@pytest.fixture()
def site(tmp_path):
    root = tmp_path / "site"
    served = build_pingtan(root, CORPUS)
    paths = build_faults(root, MAX_BYTES)
    with Site(root) as s:
        s.served, s.paths = served, paths
        s.faults.slow[paths["slow"]] = 3.0
        s.faults.loops.add(paths["loop"])
        s.faults.gbk.add(paths["gbk"])
        s.faults.flaky[paths["flaky"]] = 1
        s.registry = registry(tmp_path / "sources.yaml", s.base, max_bytes=MAX_BYTES)
        yield s


def _crawl(site, root, years=range(2019, 2026)):
    con = warehouse.connect_build(root)
    try:
        return crawl(load_registry(site.registry), WarehouseSink(con, root), set(years))
    finally:
        con.close()


def _docs(root) -> list[tuple]:
    with duckdb.connect(str(root / warehouse.BUILD_FILE), read_only=True) as con:
        return con.execute("SELECT url, sha256, http_status, error, report_year, kind, published_at, referer, "
                           "link_title FROM raw_documents ORDER BY url, fetched_at").fetchall()


def test_crawl_finds_every_pingtan_report_and_records_every_fault(site, tmp_path):
    root = tmp_path / "data"
    summary = _crawl(site, root)
    docs = _docs(root)
    by_url = {}
    for url, sha, status, error, year, kind, published, referer, title in docs:
        by_url.setdefault(url.removeprefix(site.base), []).append((sha, status, error, year, kind, published, title,
                                                                 referer))
    pingtan = {f"/{SNAPSHOT_LISTING}/{href}" for href in site.served}
    for path in pingtan:  # the 2019-2025 reports: fetched, archived, dated from the article page
        ((sha, status, error, year, kind, published, title, referer),) = by_url[path]
        assert referer.endswith(f"/{SNAPSHOT_LISTING}/index.html")
        assert sha and status == 200 and error is None and kind == "report"
        assert title.startswith("平潭综合实验区") and str(year) in title
        assert published and published.year == year + 1
    years = sorted(y for path in pingtan for (_, _, _, y, *_ ) in by_url[path])
    assert years == list(range(2019, 2026))
    # faults: each recorded with its reason, and the rest went on
    reason = {p: by_url[site.paths[p]][-1][2] for p in ("slow", "loop", "missing", "big", "private")}
    assert "timeout" in reason["slow"]
    assert "redirect loop" in reason["loop"]
    assert reason["missing"] == "HTTP 404"
    assert "too large" in reason["big"]
    assert "robots.txt" in reason["private"]
    assert site.statuses(site.paths["flaky"]) == [500, 200]  # retried after the 500, then loaded
    assert site.statuses(site.paths["missing"]) == [404]  # a 404 is an answer: not retried
    assert by_url[site.paths["flaky"]][-1][0] is not None
    assert by_url[site.paths["gbk"]][-1][0] is not None
    assert by_url[site.paths["pdf"]][-1][4] == "report" and by_url[site.paths["article_pdf"]][-1][4] == "page"
    assert by_url[site.paths["pdf"]][-1][7] == site.base + site.paths["article_pdf"]  # traced to its article
    assert by_url[site.paths["trunc"]][-1][0] is not None  # fetched; the parser will say it is truncated
    assert "/faults/notice.html" not in by_url  # not an annual report: not fetched
    assert summary.reports_found == 7 + 9 and len(summary.failures) == 5


def test_a_quiet_night_asks_each_listing_once_and_rechecks_reports_weekly(site, tmp_path):
    root = tmp_path / "data"
    _crawl(site, root)
    before = _docs(root)
    report_paths = {f"/{SNAPSHOT_LISTING}/{href}" for href in site.served} | {site.paths["pdf"]}
    # the next night: listings are read, no report body is asked for, failures are tried again
    mark = len(site.log)
    summary = _crawl(site, root)
    asked = [p for p, _ in site.log[mark:]]
    assert not set(asked) & report_paths and summary.not_due >= len(report_paths) - 1  # the PDF is on a page
    assert asked.count(f"/{SNAPSHOT_LISTING}/index.html") == 1 and site.paths["missing"] in asked
    assert summary.documents_new == 0
    after = _docs(root)
    assert [d for d in after if d[1]] == [d for d in before if d[1]]  # no document row added
    assert {d[0] for d in after if not d[1]} == {d[0] for d in before if not d[1]}  # the same faults, again
    # a week later every report is checked again, conditionally: 304s, nothing new
    mark = len(site.log)
    con = warehouse.connect_build(root)
    try:
        later = Crawl(load_registry(site.registry), WarehouseSink(con, root), set(range(2019, 2026)),
                      now=dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=8)).run()
    finally:
        con.close()
    bodies = [(p, s) for p, s in site.log[mark:] if p in report_paths]
    assert len(bodies) == len(report_paths) and all(status == 304 for _, status in bodies), bodies
    assert later.not_due == 0 and later.documents_new == 0
    # a changed listing entry (a corrected report re-dated on the listing) is asked again the next night
    listing = site.root / SNAPSHOT_LISTING / "index.html"
    first = sorted(site.served)[0]
    text = listing.read_text(encoding="utf-8")
    listing.write_text(re.sub(r"(<a[^>]+href=['\"](?:\./)?" + re.escape(first) + r"['\"][^>]*>)", r"\1（更正）", text, count=1),
                       encoding="utf-8")
    mark = len(site.log)
    _crawl(site, root)
    assert [p for p, _ in site.log[mark:] if p in report_paths] == [f"/{SNAPSHOT_LISTING}/{first}"]


def test_rerun_after_faults_clear_fetches_what_was_missing(site, tmp_path):
    root = tmp_path / "data"
    _crawl(site, root)
    site.faults.slow.clear()
    site.faults.loops.clear()
    (site.root / "faults" / "loop.html").write_bytes((site.root / "faults" / "gbk.html").read_bytes().replace(
        "罗源县".encode("gbk"), "连江县".encode("gbk")).replace(b"2021", b"2020"))
    (site.root / "faults" / "missing.pdf").write_bytes((site.root / "faults" / "r2022.pdf").read_bytes())
    (site.root / "faults" / "big.pdf").write_bytes((site.root / "faults" / "r2022.pdf").read_bytes())
    summary = _crawl(site, root)
    assert [url for url, _ in summary.failures] == [site.base + site.paths["private"]]  # robots still say no
    fetched = {url.removeprefix(site.base) for url, sha, *_ in _docs(root) if sha}
    assert {site.paths["slow"], site.paths["loop"], site.paths["missing"], site.paths["big"]} <= fetched


def test_gongkai_run_on_the_site_loads_pingtan_2019_to_2025(site, tmp_path):
    root = tmp_path / "data"
    assert main(["run", "--sources", str(site.registry), "--years", "2019:2025", "--data-dir", str(root)]) == 0
    with duckdb.connect(str(root / warehouse.WAREHOUSE_FILE), read_only=True) as con:
        rows = con.execute("SELECT report_id, year, status, province, county FROM reports "
                           "WHERE agency_name = '平潭综合实验区' ORDER BY year").fetchall()
        assert [r[1] for r in rows] == list(range(2019, 2026))
        assert {(r[3], r[4]) for r in rows} == {("福建省", "平潭综合实验区")}  # the registry's region
        for report_id, year, status, *_ in rows:
            got = {}
            for table in ("applications", "outcomes", "regulations", "permits", "penalties", "fees", "procurement",
                          "appeals"):
                frame = con.execute(f"SELECT * EXCLUDE (report_id, agency_id, year) FROM {table} WHERE report_id = ?",
                                    [report_id]).fetchdf()
                for rec in frame.to_dict("records"):
                    got[fact_key({"table": table, **{k: v for k, v in rec.items() if v is not None}})] = rec["value"]
            assert got == expected_facts(f"fujian_pingtan_{year}.txt"), year
            assert status == ("inconsistent" if year == 2020 else "ok")
        trunc = con.execute("SELECT r.status, r.agency_name, i.rule FROM reports r JOIN report_issues i "
                            "USING (report_id) WHERE r.source_uri LIKE '%trunc.pdf' ORDER BY i.rule").fetchall()
        # unreadable, and still the body of the page that links it (永定区人民政府), said so in a note
        assert trunc == [("failed", "永定区人民政府", "agency_from_source"), ("failed", "永定区人民政府", "unreadable_pdf")]
        ids = con.execute("SELECT count(DISTINCT agency_id) FROM reports WHERE agency_name = '平潭综合实验区'").fetchone()
        assert ids == (1,)


def test_legacy_years_are_404_and_recorded(site, tmp_path):
    root = tmp_path / "data"
    summary = _crawl(site, root, years=range(2011, 2019))
    failed = {url.rsplit("/", 1)[-1] for url, reason in summary.failures if reason == "HTTP 404"}
    assert len(failed) == 12  # the 13 entries of 2011-2018 (three bodies), less the 2014 函, no report


def test_refuses_private_addresses_and_other_hosts_unless_local():
    public = Scope(frozenset({"www.pingtan.gov.cn"}), allow_private=False)
    assert "off the source's own hosts" in host_allowed("http://evil.example.com/x", public)
    same_site = Scope(frozenset({"www.pingtan.gov.cn"}), allow_private=True)  # no DNS look-up in tests
    assert host_allowed("https://pingtan.gov.cn/a.pdf", same_site) is None
    assert host_allowed("https://files.pingtan.gov.cn/a.pdf", same_site) is None
    assert "off the source's own hosts" in host_allowed("https://pingtan.gov.cn.evil.com/a.pdf", same_site)
    loopback = Scope(frozenset({"127.0.0.1"}), allow_private=False)
    assert "private address" in host_allowed("http://127.0.0.1:9/x", loopback)
    assert "file://" in host_allowed("file:///etc/passwd", loopback)
    assert host_allowed("http://127.0.0.1:9/x", Scope(frozenset({"127.0.0.1"}), allow_private=True)) is None


@pytest.mark.parametrize(("url", "local"), [
    ("http://127.0.0.1:8000/nb/", True), ("http://127.0.0.77/nb/", True), ("http://127.255.3.4:81/", True),
    ("http://[::1]:8000/nb/", True), ("http://localhost/nb/", True), ("file:///srv/mirror/index.html", True),
    ("http://10.0.0.5/nb/", False), ("http://192.168.1.2/nb/", False), ("http://128.0.0.1/nb/", False),
    ("https://www.pingtan.gov.cn/nb/", False),
])
def test_every_loopback_address_is_local_and_other_private_ones_are_not(url, local):
    source = Source("s", "n", ("福建省",), "county", (url,))
    assert source.is_local is local


def test_registry_errors_are_clear(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources:\n  - id: X Y\n    name: n\n    region: [福建省]\n    level: county\n"
                   "    listing_urls: [http://a.gov.cn/]\n", encoding="utf-8")
    with pytest.raises(RegistryError, match="id must be lower-case"):
        load_registry(bad)
    bad.write_text("sources:\n  - id: a\n    name: n\n    region: [福建省]\n    level: village\n"
                   "    listing_urls: [ftp://a.gov.cn/]\n", encoding="utf-8")
    with pytest.raises(RegistryError, match="level must be one of"):
        load_registry(bad)
    bad.write_text("nothing: here\n", encoding="utf-8")
    with pytest.raises(RegistryError, match="top-level `sources:` list"):
        load_registry(bad)
    assert main(["crawl", "--sources", str(bad), "--data-dir", str(tmp_path / "d")]) == 2


@pytest.mark.parametrize(("html", "expected"), [
    # a TRS-style script pager
    ("<script>createPageHTML(3, 0, 'index', 'shtml');</script>", ["index_1.shtml", "index_2.shtml"]),
    ("<a href='list_2.htm'>2</a><a href='javascript:next()'>下一页</a>", ["list_2.htm"]),
    ("<script>createPageHTML('page_div', 3, 1, 'index', 'shtml', 28);</script>", ["index_1.shtml", "index_2.shtml"]),
    ("<div><a href='?page=2'>下一页</a></div>", ["index.html?page=2"]),
    ("<div><a href='page_2.jhtml'>下一页 &gt;</a></div>", ["page_2.jhtml"]),
])
def test_pagination_layouts(html, expected):
    root = discover.parse_html(f"<html><body>{html}</body></html>".encode())
    found = discover.next_pages(root, "http://x.gov.cn/col/index.html")
    assert [u.rsplit("/", 1)[-1] for u in found] == expected


@pytest.mark.parametrize(("title", "year"), [
    ("平潭综合实验区2021年度政府信息公开工作年度报告", 2021),
    ("二〇二二年政府信息公开工作年度报告", 2022),
    ("市教育局 2023 年政务公开工作年度报告", 2023),
    ("关于2014年政府信息公开工作要点落实情况的函", None),
    ("2024年政府信息公开工作要点", None),
])
def test_report_titles(title, year):
    assert discover.Link("http://x/a.htm", title).report_year == year


def test_a_crawl_stopped_while_a_page_s_attachment_is_in_flight_fetches_it_the_next_night(site, tmp_path):
    """The page was kept, its attachment not: the page stays due, so the next night follows it again."""
    asked, answer = threading.Event(), threading.Event()
    site.faults.held[site.paths["pdf"]] = (asked, answer)
    root = tmp_path / "d"
    args = ["crawl", "--sources", str(site.registry), "--years", "2022", "--data-dir", str(root)]
    proc = start(args, tmp_path / "stopped")
    try:
        assert asked.wait(60), (tmp_path / "stopped.err").read_text()[-2000:]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 143
    finally:
        answer.set()
        proc.kill()
    assert site.paths["article_pdf"] in [p for p, _ in site.log]
    mark = len(site.log)
    assert main(args) == 0
    assert (site.paths["pdf"], 200) in site.log[mark:]
    with duckdb.connect(str(root / warehouse.WAREHOUSE_FILE), read_only=True) as con:
        kept = {u for (u,) in con.execute("SELECT url FROM raw_documents WHERE sha256 IS NOT NULL").fetchall()}
    assert site.base + site.paths["pdf"] in kept


class _Interrupt(BaseException):  # what a stop signal's handler raises: not an Exception
    pass


def _stopped_crawl(site, root, stop_when, query: str) -> list[tuple]:
    """Crawl the site, raising a stop where `stop_when(progress message)` says; then `query`'s rows."""
    def progress(message: str) -> None:
        if stop_when(message):
            raise _Interrupt()

    con = warehouse.connect_build(root)
    try:
        with pytest.raises(_Interrupt):
            Crawl(load_registry(site.registry), WarehouseSink(con, root), set(range(2019, 2026)), progress).run()
        return con.execute(query).fetchall()
    finally:
        con.close()


def test_a_stop_landing_in_a_callback_stops_the_crawl_and_keeps_what_was_found(site, tmp_path):
    """A signal handler raises wherever the main thread is; asyncio would log an exception raised in a
    callback (here: the one that reports a kept document) and go on crawling."""
    ((kept,),) = _stopped_crawl(site, tmp_path / "data", lambda m: m.endswith("bytes)"),  # a kept document's callback
                                "SELECT count(*) FROM raw_documents WHERE sha256 IS NOT NULL")
    assert 1 <= kept < len(site.served)  # stopped early, and what was found before the stop is kept


def test_a_stop_landing_in_a_sources_coroutine_ends_the_crawl_and_is_no_failure_of_the_source(site, tmp_path):
    """A stop raised while one source's coroutine runs ends the whole crawl at once, and is not recorded
    as that source's failure (a rerun would keep the row for ever)."""
    errors = _stopped_crawl(site, tmp_path / "data", lambda m: "listing" in m and "faults" in m,
                            "SELECT error FROM raw_documents WHERE error LIKE 'crawler error%'")
    assert errors == []


def test_crawl_cli_prints_a_summary(site, tmp_path, capsys):
    assert main(["crawl", "--sources", str(site.registry), "--years", "2022", "--data-dir", str(tmp_path / "d")]) == 0
    out = capsys.readouterr().out
    assert "crawl: 2 sources" in out and "new documents" in out
    assert json.dumps(out)


def test_link_text_cut_short_is_decided_by_the_page_title(tmp_path):
    site = tmp_path / "s"
    (site / "2022").mkdir(parents=True)
    import random

    from pipeline.synth.generate import SAMPLE_BODIES, make_report, render_html

    report = make_report(SAMPLE_BODIES[2], 2022, random.Random(1))
    (site / "2022" / "a.html").write_bytes(render_html(report))
    (site / "2022" / "b.html").write_text("<html><head><title>洪泽区2022年政府信息公开工作要点</title></head></html>",
                                          encoding="utf-8")
    (site / "index.html").write_text("<html><body><a href='2022/a.html'>洪泽区人民政府2022年政府信息公开工...</a>"
                                     "<a href='2022/b.html'>洪泽区2022年政府信息公开工...</a></body></html>",
                                     encoding="utf-8")
    reg = tmp_path / "r.yaml"
    reg.write_text("settings: {delay_seconds: 0}\nsources:\n  - id: hz\n    name: 洪泽区人民政府\n"
                   "    region: [江苏省, 淮安市, 洪泽区]\n    level: county\n    listing_urls: [file:s/index.html]\n",
                   encoding="utf-8")
    con = warehouse.connect_build(tmp_path / "d")
    try:
        summary = crawl(load_registry(reg), WarehouseSink(con, tmp_path / "d"), {2022})
        kept = con.execute("SELECT url FROM raw_documents WHERE sha256 IS NOT NULL").fetchall()
    finally:
        con.close()
    assert summary.reports_found == 1 and [u.rsplit("/", 1)[-1] for (u,) in kept] == ["a.html"]


@pytest.mark.parametrize(("href", "attachment"), [
    ("/x/P020220120.pdf", True), ("/module/download/downfile.jsp?classid=0&filename=2021年报.docx", True),
    ("/x/t20220120_1.html", False), ("/x/show.jsp?id=3", False),
])
def test_attachments_by_path_or_download_script(href, attachment):
    assert discover.Link("http://x.gov.cn" + href, "附件").is_attachment == attachment
