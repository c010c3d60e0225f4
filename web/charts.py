"""Charts of one statistic as SVG drawn on the server by pygal: no script, no CDN, so a chart
works offline and in a page that runs no JavaScript."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pygal
from lxml import etree
from pygal.style import DefaultStyle

#: lines drawn at most; more publishers than this make a chart no one can read
MAX_SERIES = 12

_STYLE = DefaultStyle(font_family="'Noto Sans CJK SC', 'WenQuanYi Micro Hei', sans-serif")


def _svg(chart: pygal.graph.graph.Graph) -> bytes:
    # pygal puts an inline <script> (its tooltip config) in every chart; the page never runs
    # it, so it goes: the SVG is pure drawing
    tree = chart.render_tree()
    for script in tree.iter("{http://www.w3.org/2000/svg}script", "script"):
        script.getparent().remove(script)
    return etree.tostring(tree, xml_declaration=True, encoding="utf-8")


def across_years(rows: list[dict[str, Any]], title: str) -> bytes:
    """One line per report series (a publisher's reports over the years)."""
    years = sorted({r["year"] for r in rows})
    by_series: dict[str, dict[int, Any]] = defaultdict(dict)
    for r in rows:
        by_series[r["series"]].setdefault(r["year"], r["value"])
    chart = pygal.Line(js=[], style=_STYLE, width=900, height=420, show_minor_x_labels=True,
                       legend_at_bottom=True, truncate_legend=40, print_values=False,
                       no_data_text="无数据")
    chart.title = title
    chart.x_labels = [str(y) for y in years]
    ranked = sorted(by_series.items(), key=lambda item: -len(item[1]))[:MAX_SERIES]
    for name, values in ranked:
        chart.add(name, [values.get(y) for y in years])
    return _svg(chart)


def across_regions(rows: list[dict[str, Any]], title: str) -> bytes:
    """One bar per report of the year, named by its region (or series)."""
    chart = pygal.HorizontalBar(js=[], style=_STYLE, width=900,
                                height=max(240, 40 + 28 * min(len(rows), 60)),
                                show_legend=False, truncate_label=40, no_data_text="无数据")
    chart.title = title
    shown = rows[:60]
    chart.x_labels = [r["region"] or r["series"] for r in shown]
    chart.add(title, [r["value"] for r in shown])
    return _svg(chart)
