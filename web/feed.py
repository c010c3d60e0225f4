"""The Atom feed of archive events, built by feedgen so any feed reader can watch a source,
a region or one kind of change without an account or a channel."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from feedgen.feed import FeedGenerator

from gongkai.archive.content import strip_controls

KIND_NAMES = {"new": "新报告", "changed": "报告修改", "reverted": "恢复旧版", "gone": "报告撤下",
              "crawl_failed": "抓取失败", "missing_report": "报告缺失"}


def atom(events: list[dict[str, Any]], *, base: str, self_url: str, title: str) -> bytes:
    feed = FeedGenerator()
    feed.id(self_url)
    feed.title(title)
    feed.link(href=self_url, rel="self")
    feed.link(href=base + "/", rel="alternate")
    feed.language("zh-CN")
    feed.author({"name": "gongkai"})
    feed.updated(events[0]["created"] if events else "1970-01-01T00:00:00+00:00")
    for e in reversed(events):  # feedgen prepends: add oldest first, newest reads first
        entry = feed.add_entry()
        # a stable id per event, so a reader never shows one change twice
        entry.id(f"{base}/events/{e['id']}")
        kind = KIND_NAMES.get(e["kind"], e["kind"])
        name = strip_controls(e["title"] or e["url"] or e["source"] or "")
        entry.title(f"{kind}：{name}")
        entry.updated(datetime.fromisoformat(e["created"]))
        if e["page_id"] is not None and e["version_to"] and e["version_from"]:
            link = (f"{base}/reports/{e['page_id']}/diff?from={e['version_from']}"
                    f"&to={e['version_to']}")
        elif e["page_id"] is not None:
            link = f"{base}/reports/{e['page_id']}"
        else:
            link = f"{base}/"
        entry.link(href=link)
        summary = [f"{kind}", f"来源 {e['source'] or '-'}", f"地区 {e['region'] or '-'}"]
        if e["version_to"]:
            summary.append(f"版本 {e['version_from'] or 0} → {e['version_to']}")
        if e["year"]:
            summary.append(f"年度 {e['year']}")
        if e["url"]:
            summary.append(strip_controls(e["url"]))
        entry.summary("；".join(summary))  # plain text: feedgen escapes it
    return feed.atom_str(pretty=True)
