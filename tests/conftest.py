from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.batch import harness
from pipeline.batch.harness import fact_key, result_facts  # noqa: F401  (the tests' names for them)

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def expected_facts(name: str) -> dict[tuple, float]:
    return harness.expected_facts(CORPUS / "expected" / f"{name}.json")


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.exists():
        pytest.fail(f"the shared corpus is missing at {CORPUS}")
    return CORPUS
