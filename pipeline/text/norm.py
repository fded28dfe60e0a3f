"""Text normalisation shared by every extractor and by the template labels."""

from __future__ import annotations

import re
import unicodedata
from functools import cached_property, lru_cache

# NFKC folds full-width digits and brackets and the Kangxi radicals (⽂ -> 文); these it leaves alone.
_EXTRA = str.maketrans({"\u2212": "-", "\u2013": "-", "\ufe63": "-", "\u00a0": " ", "\u3000": " ", "\u2014": "—"})
_INVISIBLE = re.compile("[\u200b-\u200f\u2060\ufeff\u00ad]")
_WS = re.compile(r"\s+")
BLANK_MARK = "\u2205"  # written by the grid extractors for a real, empty cell (not a merged one)
# written by OCR for a number its two readings differ on, with what each read: ?21~27 (parse.cells)
UNSURE, CHOICE = "?", "~"


_SHORT = 64  # cells and labels repeat across rows and reports: short strings are normalised once per process


def normalise(text: str) -> str:
    return _normalise_short(text) if len(text) <= _SHORT else _normalise(text)


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return _INVISIBLE.sub("", text.translate(_EXTRA))


_normalise_short = lru_cache(maxsize=1 << 16)(_normalise)


def compact(text: str) -> str:
    """Normalised text without white space or empty-cell marks: the form in which labels are compared."""
    return _compact_short(text) if len(text) <= _SHORT else _compact(text)


def _compact(text: str) -> str:
    return _WS.sub("", normalise(text)).replace(BLANK_MARK, "")


_compact_short = lru_cache(maxsize=1 << 16)(_compact)


_KEPT = re.compile(f"[^\\s{BLANK_MARK}]")
_DROPPED = re.compile(f"[\\s{BLANK_MARK}]+")


class CompactIndex:
    """A view of a text without white space or empty-cell marks, mapping positions back to the original."""

    def __init__(self, text: str) -> None:
        self.text = text
        # empty cells are layout, not part of a label; one regex pass keeps this off the profile
        self._pos = [m.start() for m in _KEPT.finditer(text)]
        self.compact = _DROPPED.sub("", text)
        self.memo: dict = {}  # callers' answers about this text, kept with it (rows.py: where labels stand)

    @cached_property
    def folded(self) -> str:
        """`compact` with traditional characters as simplified ones, position for position: where a label
        printed in traditional forms (行政許可, 屬於國家秘密) stands in a report otherwise simplified."""
        return fold_traditional(self.compact)

    def to_original(self, compact_pos: int) -> int:
        if compact_pos >= len(self._pos):
            return len(self.text)
        return self._pos[compact_pos]

    def after(self, compact_pos: int) -> int:
        """The original position just after the compact character before `compact_pos`: where a span that
        ends at `compact_pos` ends in the original (before any white space or empty-cell marks after it)."""
        return 0 if compact_pos <= 0 else self.to_original(compact_pos - 1) + 1

    def find(self, needle: str, start: int = 0, end: int | None = None, folded: bool = False) -> int:
        """Position of `needle` in the compact view (`folded`: in its folded form), or -1."""
        text = self.folded if folded else self.compact
        return text.find(needle, start, len(text) if end is None else end)


_CN_DIGITS = {"〇": 0, "零": 0, "○": 0, "O": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}


def parse_year(token: str) -> int | None:
    """'2021', '２０２１' or '二〇二一' -> 2021."""
    token = normalise(token).strip()
    if token.isdigit() and len(token) == 4:
        return int(token)
    if len(token) == 4 and all(ch in _CN_DIGITS for ch in token):
        return int("".join(str(_CN_DIGITS[ch]) for ch in token))
    return None


# Characters that only traditional writing uses, frequent in these reports (政府資訊公開, 條例, 報告, 處理 ...).
_TRADITIONAL = frozenset("條資開報處關這與個們對發機則際區縣務專統規範數據辦廳號項請總結轉權審訴議檔為於來")


def looks_traditional(text: str, sample: int = 20000) -> bool:
    head = text[:sample]
    hits = sum(1 for ch in head if ch in _TRADITIONAL)
    return hits >= 20 and hits > 0.01 * sum(1 for ch in head if "\u4e00" <= ch <= "\u9fff")


def fold_traditional(text: str) -> str:
    """Traditional forms of the templates' label characters as the simplified ones, one for one (the
    length and positions kept)."""
    return text.translate(_LABEL_FORMS)


# Every traditional form (zhconv's zh-cn table) of a character in the templates' labels and anchors, and
# its simplified form; tests/test_runon.py holds this to zhconv and the templates.
TRADITIONAL_LABEL_FORMS = (
    "㕥㠯㳒傢働內動務咊問噹國埰執報寀對屬強後復捲採擧於朞査條業機檔權沒況灋無獲現當確祕秊穩穫範納結總繳繼續罰罸舉處補製複規計訪許訴詢認請議護費購踰轉辦進過開閤關項題類齣𪠽𫔭",
    "以以法家动内动务和问当国采执报采对属强后复卷采举于期查条业机档权没况法无获现当确秘年稳获范纳结总缴继续罚罚举处补制复规计访许诉询认请议护费购逾转办进过开合关项题类出当开",
)
_LABEL_FORMS = str.maketrans(*TRADITIONAL_LABEL_FORMS)


def to_simplified(text: str) -> str:
    import zhconv  # only for the rare traditional-character report (wiki mirrors, HK/TW reposts)

    return zhconv.convert(text, "zh-cn")
