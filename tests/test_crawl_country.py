"""The crawler on a simulated country: many loopback hosts with latency, some slow, busy (503 with
Retry-After), dead or hung. Politeness is checked from the servers' own logs."""

from __future__ import annotations

import duckdb
import pytest

from pipeline.batch.ingest import WarehouseSink
from pipeline.crawl import discover
from pipeline.crawl.crawler import crawl
from pipeline.crawl.registry import load_registry
from pipeline.load import warehouse
from pipeline.synth.country import Plan, Servers, politeness_breaches

DELAY = 0.3
PLAN = Plan(hosts=12, bodies_per_host=5, years=(2023, 2024, 2025), latency=(0.02, 0.08), slow_latency=(0.2, 0.4),
            busy_share=0.2, retry_after=1, kinds={"slow": 1, "busy": 1, "limited": 1, "dead": 1, "hung": 1},
            portal_share=0.25,
            seed=3)
SETTINGS = {"delay_seconds": DELAY, "connect_timeout_seconds": 0.5, "timeout_seconds": 1, "retries": 2,
            "backoff_seconds": 0.1, "max_in_flight": 8}


@pytest.fixture(scope="module")
def country(tmp_path_factory):
    # the hosts in a process of their own, as real hosts are machines of their own: served from the
    # crawler's process, a server thread waiting on the crawler's threads stamped an arrival late, and
    # two requests 0.3 s apart looked 0.29 s apart (CI)
    with Servers(PLAN, processes=2) as servers:
        c = servers.country
        c.path = tmp_path_factory.mktemp("country")
        c.registry_path = c.registry(c.path / "sources.yaml", **SETTINGS)
        c.root = c.path / "data"
        c.first = _crawl(c)
        c.first_log = servers.log()
        c.second = _crawl(c)
        c.log = servers.log()
        yield c


def _crawl(country):
    con = warehouse.connect_build(country.root)
    try:
        return crawl(load_registry(country.registry_path), WarehouseSink(con, country.root))
    finally:
        con.close()


def _live(country) -> list:
    return [h for h in country.hosts if h.kind not in ("dead", "hung")]


def test_no_host_ever_sees_two_requests_at_once_or_closer_than_its_delay(country):
    assert politeness_breaches(country.first_log, DELAY) == []
    assert politeness_breaches(country.log, DELAY) == []
    assert country.first.most_in_flight_per_host == 1
    assert country.first.most_in_flight > 1  # and many hosts at once


def test_every_report_of_every_live_host_is_fetched_refused_ones_after_their_retry_after(country):
    with duckdb.connect(str(country.root / warehouse.BUILD_FILE), read_only=True) as con:
        fetched = {u for (u,) in con.execute("SELECT url FROM raw_documents WHERE sha256 IS NOT NULL").fetchall()}
    live = {h.base for h in _live(country)}
    wanted = {base + path for base, path in country.report_paths() if base in live}
    assert wanted <= fetched
    log = country.first_log
    refused = [h for h in log if h.status in (503, 429)]
    assert {h.status for h in refused} == {503, 429}, "the busy and limited hosts refused some requests"
    for hit in refused:
        # a 503's request is asked again no sooner than its Retry-After; after a 429 the whole host waits
        again = [h.arrived for h in log if h.host == hit.host and h.arrived > hit.arrived
                 and (h.path == hit.path or hit.status == 429)]
        assert again and min(again) - hit.ended >= PLAN.retry_after - 0.01, hit


def test_dead_and_hung_hosts_are_set_aside_with_their_reason_and_hold_no_one_up(country):
    down = {h.base.removeprefix("http://") for h in country.hosts if h.kind in ("dead", "hung")}
    assert set(country.first.hosts_set_aside) == down
    assert all("set aside for the night" in why for why in country.first.hosts_set_aside.values())
    with duckdb.connect(str(country.root / warehouse.BUILD_FILE), read_only=True) as con:
        errors = [e for (e,) in con.execute("SELECT error FROM raw_documents WHERE sha256 IS NULL").fetchall()]
    assert any("set aside for the night" in e for e in errors)
    assert any("connection" in e for e in errors)


def test_a_quiet_night_asks_listings_only(country):
    reports = {path for _, path in country.report_paths()}
    asked = [h.path for h in country.log]
    assert not set(asked) & reports
    assert country.second.documents_new == 0 and country.second.not_due > 0
    listings = sum(1 for h in _live(country) for _ in h.bodies)
    assert sum(p.endswith("/nb/index.html") for p in asked) == listings


def test_the_report_column_is_found_from_a_portal_and_recorded(country):
    portal_only = [(h, b) for h in _live(country) for b in h.bodies if b.portal_only]
    assert portal_only, "the plan gives some bodies only their portal"
    with duckdb.connect(str(country.root / warehouse.BUILD_FILE), read_only=True) as con:
        found = dict(con.execute("SELECT source_id, discovered_listing FROM sources").fetchall())
    for host, body in portal_only:
        assert found[body.source_id] == f"{host.base}{body.path}/nb/index.html"
    # the second night used the recorded column: no portal page was read again
    assert not [h.path for h in country.log if "/zwgk/" in h.path]


@pytest.mark.parametrize(("text", "score"), [
    ("政府信息公开年报", 2), ("政府信息公开工作年度报告", 2), ("信息公开年报", 2), ("年度报告", 2), ("年报", 2),
    ("政务公开", 1), ("政府信息公开", 1), ("法定主动公开内容", 1),
    ("政务公开工作要点", 0), ("统计公报", 0), ("统计年报", 0), ("新闻动态", 0),
    ("平潭综合实验区2021年度政府信息公开工作年度报告", 0),  # a report, not a column
])
def test_column_names_and_look_alikes(text, score):
    assert discover.column_score(text) == score
