"""Report pages for tests, built from real report paragraphs (seed 000, 郴州市 2017 report)
inside real CMS-style chrome. One builder, used by every test that needs a page in memory."""

from __future__ import annotations

TITLE = "郴州市人民政府2017年政府信息公开工作年度报告"
PARAGRAPHS = [
    "本年度报告根据《中华人民共和国政府信息公开条例》(以下简称《条例》)编制。全文包括信息公开工作"
    "完成基本情况、存在的问题和不足、下一步工作计划。",
    "一、信息公开工作完成基本情况",
    "郴州市本年度严格按照国务院、湖南省对政务公开政务服务工作的相关部署,全面贯彻落实上级文件精神,"
    "高质地完成了各项考核指标任务。其中开展政务服务“一次办结”改革、政府网站建设等工作特点突出。",
    "(一)组织保障工作",
    "我市领导高度重视政务公开与政务服务工作,市级明确由常务副市长分管政务公开政务服务工作,"
    "并在政府门户网上公示。全市成立了由市长任组长,常务副市长任副组长的领导机构。",
    "2017年郴州市政府门户网站共发布公开信息126208条,共收到政府信息公开申请213件。",
]


def report_page(
    paragraphs: list[str] | None = None,
    *,
    title: str = TITLE,
    views: int = 1234,
    related: tuple[str, ...] = ("关于印发2017年政务公开工作要点的通知",),
    charset: str = "utf-8",
) -> bytes:
    """A TRS-like detail page: breadcrumb, metadata table, font links, view counter, body,
    print/close links, previous/next, related links and footer."""
    body = "\n".join(f'<p class="MsoNormal"><span>{p}</span><o:p></o:p></p>'
                     for p in (paragraphs or PARAGRAPHS))
    related_html = "".join(f'<li><a href="/r/{i}.html">{r}</a></li>' for i, r in enumerate(related))
    html = f"""<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>{title}_郴州市人民政府</title></head>
<body>
<div class="top"><a href="/">首页</a><a href="/xxgk/">政务公开</a><a href="/hdjl/">互动交流</a></div>
<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/xxgk/">政府信息公开</a> &gt; 年度报告</div>
<table class="xxgk_table"><tr><td>索引号：430S00/2018-79423</td><td>发布机构：郴州市人民政府办公室</td></tr>
<tr><td>发文日期：2018-03-31</td><td>主题分类：综合政务</td></tr></table>
<h1>{title}</h1>
<div class="info">【字体：<a href="#">大</a> <a href="#">中</a> <a href="#">小</a>】 浏览次数：<span>{views}</span></div>
<div class="TRS_Editor">{body}</div>
<div class="tools"><a href="javascript:window.print()">打印</a> <a href="javascript:window.close()">关闭</a></div>
<div class="pn"><p>上一篇：<a href="/r/prev.html">郴州市2017年政务公开工作要点</a></p>
<p>下一篇：<a href="/r/next.html">郴州市2018年政务公开工作要点</a></p></div>
<div class="related"><h3>相关链接</h3><ul>{related_html}</ul></div>
<div class="footer">版权所有：郴州市人民政府 网站标识码：4310000001 湘ICP备05000000号 湘公网安备 43100202000123号</div>
</body></html>"""
    return html.encode(charset)
