"""A report's prose (outside the standard tables): a signature of its wording, to find text repeated from
the body's previous report or a peer's, and the number of applications it states in words, to hold
against table 三."""

from __future__ import annotations

import hashlib
import re

import numpy as np

from pipeline.parse.templates import TABLE2_ANCHORS, TABLE4
from pipeline.text.norm import compact, normalise

SIGNATURE_SIZE = 32  # MinHash values: a similarity is the share of equal values (±0.09 at 32)
SHINGLE = 5  # characters: long enough to ignore common words, short enough for short reports
_PRIME = 4_294_967_311  # just above 2**32
_RNG = np.random.default_rng(20261207)  # fixed: signatures are comparable across runs and machines
_A = _RNG.integers(1, 2**32, SIGNATURE_SIZE, dtype=np.uint64)
_B = _RNG.integers(0, 2**32, SIGNATURE_SIZE, dtype=np.uint64)

# 全年共收到政府信息公开申请75件 / 本年度新收政府信息公开申请3件 / 共受理依申请公开12件
_STATED_REQUESTS = re.compile(r"(?:收到|新收|受理)[^。；]{0,16}?申请[^。；\d]{0,6}?(\d+)件")


def narrative(text: str) -> str:
    """The prose: what comes before table 二 and after table 四 (the template's tables left out)."""
    flat = compact(normalise(text))
    starts = [i for a in TABLE2_ANCHORS if (i := flat.find(compact(a))) > 0]
    head = flat[:min(starts)] if starts else flat
    tail = ""
    for anchor in TABLE4.end_anchors[:2]:
        if (i := flat.rfind(compact(anchor))) > 0:
            tail = flat[i:]
            break
    return head + tail


def signature(prose: str) -> list[int] | None:
    """A MinHash of the prose's character shingles, with digits as one symbol: a report copied with every
    year moved on by one has the signature of the one it was copied from."""
    flat = re.sub(r"\d+", "#", prose)
    if len(flat) < SHINGLE * 4:
        return None
    shingles = {flat[i:i + SHINGLE] for i in range(len(flat) - SHINGLE + 1)}
    hashes = np.array([int.from_bytes(hashlib.blake2b(s.encode("utf-8"), digest_size=4).digest(), "little")
                       for s in shingles], dtype=np.uint64)
    values = (hashes[None, :] * _A[:, None] + _B[:, None]) % _PRIME
    return [int(v) for v in values.min(axis=1)]


def similarity(a: list[int] | None, b: list[int] | None) -> float | None:
    if not a or not b:
        return None
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)


def stated_requests(prose: str) -> int | None:
    """The number of applications the prose says the body received, where it says one."""
    m = _STATED_REQUESTS.search(prose)
    return int(m.group(1)) if m else None
