"""Search keys: a body found by its pinyin as well as its characters (baoshan, bsq -> 宝山区)."""

from __future__ import annotations

from pypinyin import Style, lazy_pinyin


def search_keys(text: str) -> str:
    """Full pinyin without tones, then the initials, lower case: 'shanghaishibaoshanqu shsbsq'."""
    full = lazy_pinyin(text, errors="ignore")
    initials = lazy_pinyin(text, style=Style.FIRST_LETTER, errors="ignore")
    return f"{''.join(full)} {''.join(initials)}".lower()
