from __future__ import annotations

import json
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def fact_key(fact: dict) -> tuple:
    return (fact["table"], *sorted((k, v) for k, v in fact.items() if k not in ("table", "value")))


def expected_facts(name: str) -> dict[tuple, float]:
    data = json.loads((CORPUS / "expected" / f"{name}.json").read_text(encoding="utf-8"))
    return {fact_key(f): f["value"] for f in data["facts"]}


def result_facts(result) -> dict[tuple, float]:
    out = {}
    for table, frame in result.facts.items():
        for rec in frame.to_dict("records"):
            fact = {k: v for k, v in rec.items() if k not in ("report_id", "agency_id", "year")}
            out[fact_key({"table": table, **fact})] = rec["value"]
    return out


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.exists():
        pytest.fail(f"the shared corpus is missing at {CORPUS}")
    return CORPUS
