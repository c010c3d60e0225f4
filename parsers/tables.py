"""Statistics tables as rows of cell strings, from HTML markup or from flattened text.

Metrics are read from these rows by label, so a table here only has to keep every cell's text
and the order of cells within a row. Merged cells are repeated into every slot they cover, so
a row keeps its label even when the label cell spans rows. A blank cell stays ``""``: a blank
is not a zero, and :mod:`gongkai.parsers.metrics` must be able to tell them apart.

Pages without table markup (PDF text, Word exports, crawls that flattened the page) carry
the same tables one cell per line; :func:`text_tables` rebuilds them from the shapes seen in
real reports (see ``tests/fixtures/stats``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import lxml.html

Table = list[list[str]]

#: Tables beyond this many cells are not statistics tables (and would cost time to resolve).
MAX_CELLS = 2000
#: A merged cell never covers more slots than this; bogus spans must not blow up the grid.
MAX_SPAN = 100

_SKIP_TAGS = frozenset({"script", "style", "noscript", "template"})
_WS = re.compile(r"\s+")
_WIDE = r"\u2e80-\u2fff\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef"
#: Word wraps its HTML source inside text; a line break between two Han characters is not a
#: space in the text (``本年新收\n政府信息`` is one word).
_CJK_GAP = re.compile(rf"(?<=[{_WIDE}]) (?=[{_WIDE}])")
#: A number as a table prints it, optionally with a unit glued on (``19024.59万元``).
NUMBER = re.compile(r"^[+-]?\d[\d,]*(?:\.\d+)?(?:万元|万|元|条|件|起|次|篇|个|人次|人|项|份)?$")
#: Cells that stand for "no value": never turned into 0.
BLANK = frozenset({"", "-", "--", "—", "——", "－", "/", "／", "\\", "无", "空", "×", "x"})
UNITS = frozenset({"条", "件", "次", "篇", "个", "人", "人次", "万元", "元", "项", "份", "起"})


def clean_text(text: str) -> str:
    """One line of cell text: whitespace runs become one space, none between Han characters."""
    return _CJK_GAP.sub("", _WS.sub(" ", text).strip())


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------


def html_tables(root: lxml.html.HtmlElement) -> list[Table]:
    """Every data table under ``root`` in document order, merged cells resolved.

    A table that contains tables is page layout: it is skipped and its inner tables are read.
    Tables with more than :data:`MAX_CELLS` cells, and tables left without a non-blank cell
    (a table holding only an image), are not returned.
    """
    return [grid for _, grid in table_grids(root)]


def table_grids(root: lxml.html.HtmlElement) -> list[tuple[lxml.html.HtmlElement, Table]]:
    """Like :func:`html_tables`, with the ``<table>`` element each grid came from."""
    out: list[tuple[lxml.html.HtmlElement, Table]] = []
    for table in root.iter("table"):
        if table.find(".//table") is not None:
            continue
        rows = _direct_rows(table)
        if sum(len(cells) for cells in rows) > MAX_CELLS:
            continue
        grid = _trim(_resolve(rows))
        if grid and not _is_layout(grid):
            out.append((table, grid))
    return out


#: a cell holding more text than this is a page region (a layout table), not a datum
MAX_DATA_CELL = 200


def _is_layout(grid: Table) -> bool:
    """Old sites lay whole pages out in tables; the cell that holds the report body is not
    a statistics cell."""
    return any(len(cell) > MAX_DATA_CELL for row in grid for cell in row)


_SPAN = re.compile(r"\s*(\d+)")


def _direct_rows(table: lxml.html.HtmlElement) -> list[list[lxml.html.HtmlElement]]:
    """The cells of the table's own rows (not those of nested tables)."""
    rows = table.xpath("./tr | ./thead/tr | ./tbody/tr | ./tfoot/tr")
    return [[c for c in tr if c.tag in ("td", "th")] for tr in rows]


def _span(cell: lxml.html.HtmlElement, name: str) -> int:
    stated = cell.get(name)
    if stated is None:
        return 1  # most cells: no pattern to run
    digits = _SPAN.match(stated)
    value = int(digits.group(1)) if digits else 1
    return min(max(value, 1), MAX_SPAN)


def _resolve(rows: list[list[lxml.html.HtmlElement]]) -> Table:
    """Lay the cells out on a grid, repeating a merged cell's text into every slot it covers."""
    slots: dict[tuple[int, int], str] = {}
    width = 0
    for r, cells in enumerate(rows):
        c = 0
        for cell in cells:
            while (r, c) in slots:
                c += 1
            text = cell_text(cell)
            rowspan = min(_span(cell, "rowspan"), len(rows) - r)
            colspan = _span(cell, "colspan")
            for dr in range(rowspan):
                for dc in range(colspan):
                    slots[(r + dr, c + dc)] = text
            c += colspan
            width = max(width, c)
    return [[slots.get((r, c), "") for c in range(width)] for r in range(len(rows))]


def cell_text(cell: lxml.html.HtmlElement) -> str:
    """The text of one cell: all its text nodes joined (Word splits words across spans), no
    comments (Word's conditional comments), no scripts or styles."""
    parts: list[str] = []
    for node in cell.iter():
        if node is not cell and node.tail:
            parts.append(node.tail)
        if isinstance(node.tag, str) and node.tag not in _SKIP_TAGS and node.text:
            parts.append(node.text)
    return clean_text("".join(parts))


def _trim(grid: Table) -> Table:
    """Drop rows and columns without any text."""
    rows = [row for row in grid if any(row)]
    if not rows:
        return []
    keep = [c for c in range(len(rows[0])) if any(row[c] for row in rows)]
    return [[row[c] for c in keep] for row in rows]


# --------------------------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------------------------

def text_tables(lines: list[str]) -> list[Table]:
    """Rebuild tables from text lines, for pages that have no table markup.

    Recognised shapes, in this order at each line:

    * cells flattened as ``|`` (row start), ``cell |`` and ``|||`` (empty cells) lines;
    * the 2008 statistics table, from ``统计指标`` / ``单位`` / ``统计数`` on, one cell per line,
      a label possibly spread over two lines with its unit glued to the second;
    * rows of cells on one line, separated by `` | `` or followed by whitespace-separated
      numbers (``一、本年新收政府信息公开申请数量 15 0 0 0 0 0 15``);
    * otherwise, a run of short lines holding label lines each followed by number lines.

    Lines already holding `` | `` rows of an HTML table would be found again: pass only text
    that did not come from table markup.
    """
    lines = [s for s in (ln.strip() for ln in lines) if s]
    out: list[Table] = []
    loose_from = 0
    i = 0
    while i < len(lines):
        found = _anchored(lines, i)
        if found is None:
            i += 1
            continue
        out.extend(_loose_tables(lines[loose_from:i]))
        table, i = found
        loose_from = i
        if table:
            out.append(table)
    out.extend(_loose_tables(lines[loose_from:]))
    return out


def _anchored(lines: list[str], i: int) -> tuple[Table, int] | None:
    for finder in (_pipe_cells, _stats_2008, _inline_rows):
        found = finder(lines, i)
        if found is not None:
            return found
    return None


def _is_pipe_cell(line: str) -> bool:
    return set(line) == {"|"} or (line.endswith("|") and "|" not in line[:-1])


def _pipe_cells(lines: list[str], i: int) -> tuple[Table, int] | None:
    """Seed 002's shape: each cell ``text |`` on its own line, ``|`` alone starting a row."""
    j = i
    while j < len(lines) and _is_pipe_cell(lines[j]):
        j += 1
    if j - i < 3:
        return None
    rows: Table = []
    current: list[str] | None = None
    for k in range(i, j):
        line = lines[k]
        following = lines[k + 1] if k + 1 < j else ""
        if line == "|" and following.strip("|").strip():
            if current is not None:
                rows.append(current)
            current = []
        elif set(line) == {"|"}:
            if current is not None:
                current.extend([""] * (len(line) - 1))
        else:
            current = [] if current is None else current
            current.append(clean_text(line[:-1]))
    if current is not None:
        rows.append(current)
    return _pad(rows), j


def _pad(rows: Table) -> Table:
    """Rows without trailing blanks, padded to one width; rows without text dropped."""
    kept = []
    for row in rows:
        while row and not row[-1]:
            row.pop()
        if row:
            kept.append(row)
    width = max((len(r) for r in kept), default=0)
    return [r + [""] * (width - len(r)) for r in kept]


_STATS_HEAD = re.compile(r"^(统计)?指标(名称)?$")
_STATS_END = re.compile(r"^(单位负责人|审核人|填报人|填表人|联系电话|填报日期)")
_SECTION_MARK = frozenset({"——", "—", "-", "--"})


def _stats_2008(lines: list[str], i: int) -> tuple[Table, int] | None:
    """Seed 001's shape: 统计指标 / 单位 / 统计数, then label, unit, number per row."""
    if not _STATS_HEAD.match(lines[i].replace(" ", "")):
        return None
    if i + 2 >= len(lines) or lines[i + 1].replace(" ", "") != "单位":
        return None
    j = i + 3
    while j < len(lines) and not _STATS_END.match(lines[j]) and not _is_prose(lines[j]):
        j += 1
    header = [lines[k].replace(" ", "") for k in range(i, i + 3)]
    return [header, *_stats_rows(lines[i + 3 : j])], j


def _is_prose(line: str) -> bool:
    return len(line) > 80 or line.endswith(("。", "；", ";"))


def _stats_rows(lines: list[str]) -> Table:
    rows: Table = []
    label: list[str] = []
    k = 0
    while k < len(lines):
        line = lines[k]
        following = lines[k + 1] if k + 1 < len(lines) else ""
        unit = _glued_unit(line)
        if line in _SECTION_MARK and label:
            rows.append(["".join(label), line, ""])
            label, k = [], k + 1
        elif NUMBER.match(following) and line in UNITS and label:
            rows.append(["".join(label), line, following])
            label, k = [], k + 2
        elif NUMBER.match(following) and unit and line != unit:
            rows.append(["".join([*label, line[: -len(unit)]]), unit, following])
            label, k = [], k + 2
        else:
            label.append(line)
            k += 1
    if label:
        rows.append(["".join(label), "", ""])
    return rows


def _glued_unit(line: str) -> str | None:
    """The unit glued to the end of a label line, as in ``(不同渠道…计1条)条``."""
    for unit in sorted(UNITS, key=len, reverse=True):
        if line.endswith(unit) and not NUMBER.match(line):
            return unit
    return None


_INLINE_NUMBERS = re.compile(r"^(?P<label>.*?[^\s\d.,])\s+(?P<cells>(?:\S+\s+)*\S+)$")


def _inline_row(line: str) -> list[str] | None:
    """Cells of a one-line row, or None when the line is not a table row."""
    if " | " in line or (line.startswith("|") and line.endswith("|") and len(line) > 2):
        return [clean_text(c) for c in line.strip("|").split("|")]
    match = _INLINE_NUMBERS.match(line)
    if not match or len(line) > 120 or not re.search(f"[{_WIDE}]", match["label"]):
        return None
    cells = match["cells"].split()
    label_tail: list[str] = []
    while cells and not (NUMBER.match(cells[0]) or cells[0] in BLANK or cells[0] in UNITS):
        label_tail.append(cells.pop(0))
    if not any(NUMBER.match(c) for c in cells):
        return None
    if not all(NUMBER.match(c) or c in BLANK or c in UNITS or "/" in c for c in cells):
        return None
    return [clean_text(" ".join([match["label"], *label_tail])), *cells]


def _inline_rows(lines: list[str], i: int) -> tuple[Table, int] | None:
    rows: Table = []
    j = i
    while j < len(lines):
        row = _inline_row(lines[j])
        if row is None:
            break
        rows.append(row)
        j += 1
    return (_pad(rows), j) if len(rows) >= 2 else None


def _is_value_line(line: str) -> bool:
    return bool(NUMBER.match(line)) or line in _SECTION_MARK


def _loose_tables(lines: list[str]) -> Iterator[Table]:
    """Tables laid out one cell per line without any marker: runs of short lines in which
    label lines are followed by number lines (PDF text of a statistics table)."""
    run: list[str] = []
    for line in [*lines, "。"]:
        if len(line) <= 60 and not line.endswith(("。", "；", ";")):
            run.append(line)
            continue
        table = _loose_rows(run)
        if table:
            yield table
        run = []


def _loose_rows(run: list[str]) -> Table:
    if sum(1 for s in run if NUMBER.match(s)) < 6:
        return []
    rows: Table = []
    label: str | None = None
    values: list[str] = []
    for line in run:
        if _is_value_line(line):
            values.append(line)
            continue
        if label is not None or values:
            rows.append([label or "", *values])
        label, values = line, []
    if label is not None or values:
        rows.append([label or "", *values])
    return _pad(rows) if sum(1 for r in rows if len(r) > 1) >= 2 else []
