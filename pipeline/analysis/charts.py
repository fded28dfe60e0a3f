"""Charts of one body's series: a PNG (matplotlib, with a CJK font) or an HTML page of inline SVG."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from pipeline.analysis.compare import CHART_COUNTS, CHART_SHARES
from pipeline.load.metrics import METRIC_BY_CODE


def write_chart(series: pd.DataFrame, title: str, path: Path, boundaries: list[int] | None = None) -> Path:
    """`boundaries`: the first years of a new template, drawn as a dashed line before them."""
    if path.suffix.lower() == ".html":
        path.write_text(_svg_page(series, title, boundaries or []), encoding="utf-8")
    elif path.suffix.lower() == ".png":
        _png(series, title, path, boundaries or [])
    else:
        raise ValueError(f"a chart is written as .png or .html, not {path.suffix or 'no suffix'}")
    return path


def _cjk_font():
    """A font with Chinese glyphs: the system's if fontconfig knows one, else the one mplfonts ships."""
    from matplotlib import font_manager

    for font in font_manager.fontManager.ttflist:
        if any(k in font.name for k in ("Noto Sans CJK", "Noto Sans SC", "Source Han Sans", "WenQuanYi", "SimHei")):
            return font_manager.FontProperties(fname=font.fname)
    import mplfonts

    fname = Path(mplfonts.__file__).parent / "fonts" / "NotoSansCJKsc-Regular.otf"
    return font_manager.FontProperties(fname=str(fname))


def _png(series: pd.DataFrame, title: str, path: Path, boundaries: list[int]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    font = _cjk_font()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10.5, 7), sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    for axis, metrics, scale in ((top, CHART_COUNTS, 1), (bottom, CHART_SHARES, 100)):
        for metric in metrics:
            points = series[series["metric"] == metric]
            if points["value"].notna().any():
                axis.plot(points["year"], points["value"] * scale, marker="o", label=METRIC_BY_CODE[metric].label_zh)
        axis.grid(alpha=0.3)
        for year in boundaries:
            axis.axvline(year - 0.5, color="#888", linestyle="--", linewidth=1)
        axis.legend(prop=font, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    for year in boundaries:
        top.annotate("模板变更", (year - 0.5, 1), xycoords=("data", "axes fraction"), fontproperties=font,
                     fontsize=8, color="#666", ha="left", va="top")
    top.set_ylabel("件", fontproperties=font)
    bottom.set_ylabel("占办理总数 %", fontproperties=font)
    bottom.set_xlabel("报告年度", fontproperties=font)
    years = sorted(series["year"].unique())
    bottom.set_xticks(years, [str(y) for y in years])
    fig.suptitle(title, fontproperties=font, fontsize=14)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _svg_page(series: pd.DataFrame, title: str, boundaries: list[int]) -> str:
    """A self-contained page: two inline SVG line charts, no script, no network."""
    years = sorted(int(y) for y in series["year"].unique()) or [0]
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
             f"<body style='font-family:\"Noto Sans CJK SC\",\"PingFang SC\",\"Microsoft YaHei\",sans-serif'><h2>{html.escape(title)}</h2>"]
    for metrics, scale, unit in ((CHART_COUNTS, 1, "件"), (CHART_SHARES, 100, "占办理总数 %")):
        parts.append(_svg_chart(series, metrics, scale, unit, years, boundaries))
    return "".join(parts) + "</body></html>"


SVG = {"width": 720, "height": 260, "pad": 50, "legend": 170}
SVG_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd")


def _svg_chart(series: pd.DataFrame, metrics: tuple[str, ...], scale: float, unit: str, years: list[int],
               boundaries: list[int]) -> str:
    w, h, pad = SVG["width"], SVG["height"], SVG["pad"]
    values = series[series["metric"].isin(metrics)]["value"].dropna() * scale
    top = max(float(values.max()) if len(values) else 1.0, 1.0)
    span = max(years[-1] - years[0], 1)

    def point(year: float, value: float) -> tuple[float, float]:
        return (pad + (w - 2 * pad) * (year - years[0]) / span, h - pad + 10 - (h - pad - 20) * value / top)

    svg = [f"<svg width='{w + SVG['legend']}' height='{h + 30}' xmlns='http://www.w3.org/2000/svg'>",
           f"<line x1='{pad}' y1='{h - pad + 10}' x2='{w - pad}' y2='{h - pad + 10}' stroke='#999'/>",
           f"<text x='5' y='11' font-size='12'>{html.escape(unit)} (最高 {top:,.0f})</text>"]
    svg += [f"<text x='{point(yr, 0)[0] - 14:.0f}' y='{h - pad + 28}' font-size='12'>{yr}</text>" for yr in years]
    for share in (0.25, 0.5, 0.75, 1.0):  # horizontal grid lines with their values
        gy = point(years[0], top * share)[1]
        svg.append(f"<line x1='{pad}' y1='{gy:.1f}' x2='{w - pad}' y2='{gy:.1f}' stroke='#eee'/>"
                   f"<text x='{pad - 6}' y='{gy + 4:.1f}' font-size='11' text-anchor='end'>{top * share:,.0f}</text>")
    for year in boundaries:  # the template changes: the series' meaning may too
        bx = point(year - 0.5, 0)[0]
        svg.append(f"<line class='boundary' data-year='{year}' x1='{bx:.1f}' y1='20' x2='{bx:.1f}' y2='{h - pad + 10}' "
                   f"stroke='#888' stroke-dasharray='4 3'/><text x='{bx + 3:.1f}' y='30' font-size='10' "
                   f"fill='#666'>模板变更 template</text>")
    for i, metric in enumerate(metrics):
        pts = series[(series["metric"] == metric) & series["value"].notna()]
        if pts.empty:
            continue
        xy = [point(int(r.year), r.value * scale) for r in pts.itertuples()]
        color = SVG_COLORS[i % len(SVG_COLORS)]
        svg.append(f"<polyline fill='none' stroke='{color}' stroke-width='2' "
                   f"points='{' '.join(f'{x:.1f},{y:.1f}' for x, y in xy)}'/>")
        svg += [f"<circle cx='{x:.1f}' cy='{y:.1f}' r='3' fill='{color}'><title>{r.year}: {r.value * scale:,.1f}"
                f"</title></circle>" for (x, y), r in zip(xy, pts.itertuples(), strict=True)]
        svg.append(f"<text x='{w - pad + 10}' y='{30 + 16 * i}' font-size='12' fill='{color}'>"
                   f"{html.escape(METRIC_BY_CODE[metric].label_zh)}</text>")
    return "".join(svg) + "</svg>"
