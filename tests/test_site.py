"""The explorer (`gongkai site`), built from the README's sample and used in a real browser: Playwright
driving the system's Chromium against a static server on 127.0.0.1. Every figure the pages show is
checked against the warehouse, and no request may leave 127.0.0.1."""

from __future__ import annotations

import contextlib
import csv
import functools
import hashlib
import http.server
import io
import os
import shutil
import threading
from pathlib import Path

import duckdb
import pytest

from gongkai.cli import main
from pipeline.publish.views import CHARTS

playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine: apt-get install chromium")
# GONGKAI_SCREENSHOTS=docs/explorer keeps the pages' screenshots there (docs/explorer/*.png are these)
SHOTS = os.environ.get("GONGKAI_SCREENSHOTS")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    base = tmp_path_factory.mktemp("site")
    root, out = base / "data", base / "site"
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["run", "--data-dir", str(root)]) == 0
        assert main(["site", str(out), "--data-dir", str(root)]) == 0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(out)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield {"root": root, "out": out, "base": f"http://127.0.0.1:{server.server_port}/"}
    server.shutdown()


@pytest.fixture(scope="module")
def browser(site):
    """Started after the site is built: Playwright's sync API runs an event loop in this thread, and the
    crawl of `gongkai run` needs one of its own."""
    from pipeline.synth.formats import with_cjk_fonts

    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, env=with_cjk_fonts())  # Chinese in the screenshots
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, site, tmp_path):
    """A page that records every request it makes, and refuses any that is not to the site's server."""
    context = browser.new_context(viewport={"width": 1200, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.requests = []
    page.errors = []

    def guard(route) -> None:
        page.requests.append(route.request.url)
        if route.request.url.startswith(site["base"]) or route.request.url.startswith(("blob:", "data:")):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", guard)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    yield page
    context.close()
    outside = [u for u in page.requests if not u.startswith((site["base"], "blob:", "data:"))]
    assert outside == [], f"requests left 127.0.0.1: {outside}"
    assert page.errors == []


def _open(page, site, query: str, view: str) -> None:
    page.goto(site["base"] + "index.html" + query)
    _ready(page, view)


def _ready(page, view: str) -> None:
    page.wait_for_function(f"document.documentElement.dataset.ready === '{view}'")


def _shot(page, name: str, tmp_path: Path) -> None:
    page.screenshot(path=str(tmp_path / name), full_page=True)
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / name), full_page=True)


def _sql(site, query: str, *params) -> list[tuple]:
    with duckdb.connect(str(site["root"] / "warehouse" / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(query, list(params)).fetchall()


def _agency(site, province: str, name: str) -> str:
    return _sql(site, "SELECT agency_id FROM agencies WHERE province = ? AND name = ?", province, name)[0][0]


def test_search_by_pinyin_finds_both_baoshan_districts_and_opens_the_one_in_shanghai(page, site, tmp_path):
    _open(page, site, "", "search")
    page.fill("#q", "baoshan")
    found = page.locator("#results li")
    assert found.count() == 2  # 上海市 and 黑龙江省 each have a 宝山区, and each says where it is
    assert {page.locator("#results li a").nth(k).inner_text() for k in range(2)} == {"宝山区人民政府"}
    assert any("黑龙江省/双鸭山市/宝山区" in t for t in found.all_inner_texts())
    assert {"黑龙江省/双鸭山市/宝山区", "上海市/宝山区"} <= set(page.locator("#regions a").all_inner_texts())  # regions too
    _shot(page, "search.png", tmp_path)
    page.fill("#q", "江苏 县级")  # a region and a level
    assert page.locator("#results li a").all_inner_texts() == ["洪泽区人民政府"]
    page.fill("#q", "shanghai bsq")  # region and initials together
    assert page.locator("#results li").count() == 1
    page.locator("#results li a").click()
    _ready(page, "body")
    wanted = _agency(site, "上海市", "宝山区人民政府")
    assert page.url.endswith(f"index.html?agency={wanted}")
    assert page.locator("h1").inner_text() == "宝山区人民政府"
    assert "上海市" in page.locator(".facts").inner_text()


def test_a_body_page_shows_its_name_chart_and_metrics_as_in_yoy_metrics(page, site, tmp_path):
    agency = _agency(site, "江苏省", "洪泽区人民政府")
    _open(page, site, f"?agency={agency}", "body")
    assert page.locator("h1").inner_text() == "洪泽区人民政府"
    warehouse = {(m, y): v for m, y, v in _sql(site, "SELECT metric, year, value FROM yoy_metrics WHERE agency_id = ?", agency)}
    # the chart: every point drawn is the warehouse's value, and every warehouse value of a charted metric is drawn
    points = page.eval_on_selector_all("svg circle", "cs => cs.map(c => [c.dataset.series, +c.dataset.year, +c.dataset.value])")
    charted = {m for c in CHARTS for m in c["metrics"]}
    assert {(m, y): v for m, y, v in points} == pytest.approx({k: v for k, v in warehouse.items() if k[0] in charted and v is not None})
    assert len(points) >= 40
    # the table: every metric by year
    cells = page.eval_on_selector_all("#metrics td[data-value]", "ts => ts.map(t => [t.parentElement.dataset.metric, "
                                      "+t.dataset.year, +t.dataset.value])")
    assert {(m, y): v for m, y, v in cells} == pytest.approx({k: v for k, v in warehouse.items() if v is not None})
    # 2020's report was a broken-off upload: no figures, a dash
    assert page.locator("#metrics tr[data-metric=requests_received] td[data-year='2020']").inner_text() == "—"
    # the template changes from 2019 to 2021: the charts mark it
    assert page.locator("svg .boundary[data-year='2021']").count() == len(page.locator("svg[data-chart]").all())
    _shot(page, "body.png", tmp_path)


def test_a_body_page_links_each_report_to_its_source_and_its_archived_copy(page, site, tmp_path):
    agency = _agency(site, "黑龙江省", "宝山区人民政府")
    _open(page, site, f"?agency={agency}", "body")
    reports = _sql(site, "SELECT report_id, source_uri FROM reports WHERE agency_id = ?", agency)
    assert page.locator("#reports tbody tr").count() == len(reports)
    archived = page.eval_on_selector_all("#reports a", "as => as.map(a => a.getAttribute('href'))")
    for report_id, source_uri in reports:
        assert page.locator("#reports", has_text=source_uri).count() == 1
        copy = next(h for h in archived if h.startswith(f"archive/{report_id}"))
        answer = page.request.get(site["base"] + copy)
        assert hashlib.sha256(answer.body()).hexdigest() == report_id  # the bytes the figures were read from


def test_every_body_opens_by_its_id(page, site, tmp_path):
    for agency, name in _sql(site, "SELECT agency_id, name FROM agencies"):
        _open(page, site, f"?agency={agency}", "body")
        assert page.locator("h1").inner_text() == name
    _open(page, site, "?agency=ag_nobody", "error")
    assert "ag_nobody" in page.locator(".error").inner_text()


def test_compare_two_bodies_side_by_side(page, site, tmp_path):
    hongze, baoshan = _agency(site, "江苏省", "洪泽区人民政府"), _agency(site, "上海市", "宝山区人民政府")
    _open(page, site, f"?compare={hongze}", "compare")
    page.evaluate("document.documentElement.dataset.ready = ''")
    page.fill("#add", baoshan)  # what choosing it from the list of matches enters
    _ready(page, "compare")
    assert page.url.endswith(f"compare={hongze}%2C{baoshan}&metric=requests_received")
    for metric in ("requests_received", "granted_share"):
        if metric != "requests_received":
            page.evaluate("document.documentElement.dataset.ready = ''")
            page.select_option("#metric", metric)
            _ready(page, "compare")
        shown = page.eval_on_selector_all("#compare td[data-value]", "ts => ts.map(t => [t.dataset.agency, "
                                          "+t.parentElement.dataset.year, +t.dataset.value])")
        wanted = _sql(site, "SELECT agency_id, year, value FROM yoy_metrics WHERE metric = ? AND agency_id IN (?, ?) "
                      "AND value IS NOT NULL", metric, hongze, baoshan)
        assert {(a, y): v for a, y, v in shown} == pytest.approx({(a, y): v for a, y, v in wanted})
        assert len(page.locator("svg[data-chart=compare] polyline").all()) >= 2
    _shot(page, "compare.png", tmp_path)


def test_a_downloaded_csv_equals_gongkai_sql(page, site, tmp_path, capsys):
    agency = _agency(site, "上海市", "宝山区人民政府")
    _open(page, site, f"?agency={agency}", "body")
    with page.expect_download() as download:
        page.click("#csv-metrics")
    got = list(csv.reader(Path(download.value.path()).read_text(encoding="utf-8").splitlines()))
    capsys.readouterr()
    assert main(["sql", f"SELECT * FROM yoy_metrics WHERE agency_id = '{agency}' ORDER BY metric, year",
                 "--format", "csv", "--data-dir", str(site["root"])]) == 0
    wanted = list(csv.reader(capsys.readouterr().out.splitlines()))
    assert got[0] == wanted[0]
    assert len(got) == len(wanted) > 100

    def same(a: str, b: str) -> bool:
        return a == b or (a != "" and b != "" and _number(a) == _number(b))

    assert all(same(a, b) for g, w in zip(got[1:], wanted[1:], strict=True) for a, b in zip(g, w, strict=True))


def _number(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def test_a_region_ranks_its_bodies_by_the_metric_chosen_and_shows_who_published_nothing(page, site, tmp_path):
    agency = _agency(site, "江苏省", "洪泽区人民政府")
    _open(page, site, f"?agency={agency}", "body")
    page.locator(".facts a", has_text="江苏省").click()
    _ready(page, "region")
    assert page.locator("h1").inner_text() == "江苏省"
    page.evaluate("document.documentElement.dataset.ready = ''")
    page.select_option("#metric", "review_total")
    _ready(page, "region")
    year = int(page.locator("#year").input_value())
    ranked = page.eval_on_selector_all("#ranking tr[data-value]", "rs => rs.map(r => [r.dataset.agency, +r.dataset.value])")
    wanted = _sql(site, "SELECT y.agency_id, y.value FROM yoy_metrics y JOIN agencies a USING (agency_id) WHERE "
                  "a.province = '江苏省' AND y.metric = 'review_total' AND y.year = ? AND y.value IS NOT NULL", year)
    assert dict(ranked) == pytest.approx(dict(wanted))
    assert [v for _, v in ranked] == sorted((v for _, v in ranked), reverse=True)
    # coverage: the registry's 洪泽区 has no current report for 2020 (the broken-off upload)
    assert "洪泽区人民政府" in page.locator("#coverage tr", has_text="2020").inner_text()
    _shot(page, "region.png", tmp_path)


def test_the_site_refuses_a_folder_that_is_not_a_site(site, tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["site", str(tmp_path), "--data-dir", str(site["root"])]) == 2
    assert "not a gongkai site" in capsys.readouterr().err
    assert (tmp_path / "notes.txt").read_text() == "mine"
