"""What the explorer shows, declared once: its charts, its tables' metrics and its labels.

The page (static/site.js) draws whatever this says; `site.meta.json` carries it to the browser."""

from __future__ import annotations

from pipeline.analysis.compare import COMPARE_METRICS
from pipeline.load.metrics import METRICS
from pipeline.load.scorecard import BANDS, WEIGHTS

# A body's page: one small chart per group of series that share a unit (the "main series").
CHARTS: tuple[dict[str, object], ...] = (
    {"id": "requests", "title": "申请 requests", "metrics": ["requests_received", "requests_handled"]},
    {"id": "granted", "title": "予以公开占比 granted share", "metrics": ["granted_share", "withheld_share"]},
    {"id": "appeals", "title": "复议与诉讼 review and litigation", "metrics": ["review_total", "litigation_total"]},
    {"id": "enforcement", "title": "许可与处罚 permits and penalties", "metrics": ["permits_decided", "penalties_decided"]},
    {"id": "fees", "title": "收费 fees (万元)", "metrics": ["fees_wan_yuan"]},
)
# The metric a region's ranking and a comparison open on.
DEFAULT_METRIC = "requests_received"

LEVEL_LABELS = {"province": "省级 province", "city": "市级 city", "county": "县级 county",
                "township": "乡镇 township", "department": "部门 department"}
TEMPLATE_LABELS = {"2021": "2021年模板 (国办公开办函〔2021〕30号)", "2019": "2019年模板 (〔2019〕60号)",
                   "legacy": "2019年前 free form", "unknown": "未识别 unknown"}
SCORE_LABELS = {"timeliness": "及时性 timeliness", "completeness": "完整性 completeness",
                "consistency": "一致性 consistency", "continuity": "连续性 continuity",
                "originality": "原创性 originality", "narrative": "叙述一致 narrative"}


def meta(years: list[int], buckets: int) -> dict[str, object]:
    """Everything the page needs before it reads a body: metric labels and units, the charts, the years."""
    return {
        "years": years, "buckets": buckets, "charts": list(CHARTS), "default_metric": DEFAULT_METRIC,
        "table_metrics": [m for m in COMPARE_METRICS] + [m.code for m in METRICS if m.code not in COMPARE_METRICS],
        "metrics": {m.code: {"zh": m.label_zh, "en": m.label_en, "unit": m.unit, "templates": list(m.templates)}
                    for m in METRICS},
        "levels": LEVEL_LABELS, "templates": TEMPLATE_LABELS,
        "score": {"weights": WEIGHTS, "labels": SCORE_LABELS, "bands": [list(b) for b in BANDS]},
    }
