"""The markup primitives every generated government page is drawn with: escaping as editors
write it, and Word's runs of spans. The demo site (``site.py``), the benchmark site and the
test corpus (``tests/fixtures/corpus_styles.py``) all draw with these, so a quirk of real
pages (a label split across spans, a number in its own ``lang=EN-US`` run) is written once."""

from __future__ import annotations

import html
import re
import unicodedata

#: a run of ASCII words; a space next to CJK text stays in the CJK run, as Word splits them
_ASCII_RUN = re.compile(r"[\x21-\x7e]+(?: [\x21-\x7e]+)*")


def escape(text: str) -> str:
    """Escape text for HTML; a no-break space becomes ``&nbsp;`` as editors write it."""
    return html.escape(text).replace("\xa0", "&nbsp;")


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def wrap_wide(text: str, every: int = 34) -> str:
    """Break a long run of wide characters across source lines, as Word's HTML export does.

    A line break between two wide characters is no space (CSS Text segment-break rules), so the
    text stays the same; a break is never put next to a narrow character nor inside a number."""
    out, since = [], 0
    for i, ch in enumerate(text):
        out.append(ch)
        since += 1
        nxt = text[i + 1] if i + 1 < len(text) else ""
        if since >= every and _wide(ch) and nxt and _wide(nxt) and not (
                ch.isdigit() and nxt.isdigit()):
            out.append("\n")
            since = 0
    return "".join(out)


def mso_runs(text: str, font: str, size: str, *, split_first: bool = False,
             wrap: bool = False, break_in_tag: bool = False) -> str:
    """Word runs: CJK text in one span, ASCII in ``lang=EN-US`` spans; optionally the first
    character of a label alone in its span (``<span>一</span><span>、本年新收…``), long CJK
    runs wrapped across source lines, and a line break inside the EN-US tag as Word writes it
    (never between runs, so the text stays joined). Numbers are never broken across lines."""
    segments: list[tuple[str, bool]] = []
    pos = 0
    for m in _ASCII_RUN.finditer(text):
        if m.start() > pos:
            segments.append((text[pos:m.start()], False))
        segments.append((m.group(0), True))
        pos = m.end()
    if pos < len(text):
        segments.append((text[pos:], False))
    if split_first and segments and not segments[0][1] and len(segments[0][0]) > 1:
        head, rest = segments[0][0][:1], segments[0][0][1:]
        segments[0:1] = [(head, False), (rest, False)]
    space = "\n" if break_in_tag else " "
    parts = []
    for seg, ascii_run in segments:
        if ascii_run:
            parts.append(f'<span{space}lang="EN-US" style="font-size:{size};font-family:'
                         f'&quot;Times New Roman&quot;,serif;mso-fareast-font-family:{font}">'
                         f'{escape(seg)}</span>')
        else:
            seg_html = wrap_wide(escape(seg)) if wrap else escape(seg)
            parts.append(f'<span style="font-size:{size};font-family:{font}">{seg_html}</span>')
    return "".join(parts)
