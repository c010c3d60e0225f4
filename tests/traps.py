"""Trap pages for the failure tests: the ways real government sites fail a crawler, added to
a demo :class:`~gongkai.crawler.demo.site.Site` under ``/traps/``. Tests only; the demo tour
never links them."""

from __future__ import annotations

import random
import time

from gongkai.crawler.demo.site import (
    VIEWS,
    Resource,
    Site,
    _Item,
    _Listing,
    _plain_page,
)

_RS_412 = (
    b'<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; '
    b'charset=utf-8"><meta id="9DhefwqGPrzGxEp9hPaoag" content="7fLp0qWz.QJb" r="m">'
    b'<script type="text/javascript" r="m">$_ts=window["$_ts"];if(!$_ts)$_ts={};$_ts.nsd=50119;'
    b'$_ts.cd="qGWrrpAlEkGtcGAmqqAtqa";</script>'
    b'<script type="text/javascript" charset="utf-8" src="/4QbVtADbnLVIc/c.FxJzG50F.dfe1675.js" '
    b'r="m"></script></head><body></body></html>'
)
_JSL = (
    b"<script>document.cookie=('_')+('_')+('j')+('s')+('l')+('_')+('c')+('l')+('e')+('a')+('r')"
    b"+('a')+('n')+('c')+('e')+('=')+(+new Date())+('|0|')+('Ut8ULj4%2BhB0');"
    b"location.href=location.pathname+location.search</script>"
)
_LOGIN = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>用户登录 - 统一身份认证平台</title></head>
<body><div class="login-box"><h2>统一身份认证平台</h2><p>您访问的内容需要登录后查看</p>
<form action="/sso/login" method="post"><label>用户名：<input type="text" name="username"></label>
<label>密码：<input type="password" name="password"></label>
<label>验证码：<input type="text" name="captcha"><img src="/sso/captcha.jpg" alt=""></label>
<button type="submit">登录</button></form><p><a href="/sso/register">注册</a> | <a href="/sso/forget">忘记密码</a></p></div>
</body></html>"""  # noqa: E501
_SOFT404 = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>404 页面不存在</title></head>
<body><div class="error"><img src="/images/404.png" alt="404"><h2>对不起，您访问的页面不存在或已被删除！</h2>
<p><span id="sec">5</span>秒后自动返回<a href="/">网站首页</a></p></div>
<script>setTimeout(function(){location.href='/';},5000);</script></body></html>"""  # noqa: E501
_ERROR500 = (
    b"<html>\r\n<head><title>500 Internal Server Error</title></head>\r\n<body>\r\n<center><h1>"
    b"500 Internal Server Error</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n"
    b"</html>\r\n"
)
TRAP_TITLE = "测试区2018年政府信息公开工作年度报告（{n}）"


def add_traps(site: Site, *, slow_seconds: float = 5.0,
              oversize_bytes: int = 20 * 1024 * 1024) -> dict[str, str]:
    """Add failure pages under ``/traps/`` and a listing ``/traps/index.html`` that links each
    with a report-like title (``测试区2018年政府信息公开工作年度报告（N）``).  Returns name -> path;
    the name ``listing`` is the listing itself.  Nothing here is added to ``site.listings``,
    so the demo tour stays clean; failure tests start from ``traps["listing"]``.

    Why each exists: these are the ways real government sites fail a crawler — the report
    link that answers 500, loops, lands on the portal, a WAF challenge (瑞数 412, 加速乐 521 /
    200 cookie script), a login wall or a "页面不存在" page served with 200, empty, binary or
    truncated bodies, a server that hangs, resets, or streams far too much.
    """
    now = time.time()
    paths: dict[str, str] = {}

    def add(name: str, res: Resource) -> None:
        path = f"/traps/{name}.html"
        res.last_modified = now
        site.add_static(path, res)
        paths[name] = path

    add("server_error", Resource(_ERROR500, "text/html", status=500))
    add("redirect_loop", Resource(b"", status=302, headers={"Location": "/traps/loop_b.html"}))
    site.add_static("/traps/loop_b.html",
                    Resource(b"", status=302, headers={"Location": "/traps/redirect_loop.html"},
                             last_modified=now))
    add("redirect_home", Resource(b"", status=301, headers={"Location": "/"}))
    add("waf_412", Resource(_RS_412, status=412))
    add("js_challenge", Resource(_JSL))
    add("challenge_521", Resource(_JSL, status=521))
    add("login_wall", Resource(_LOGIN.encode("utf-8")))
    add("soft_404", Resource(_SOFT404.encode("utf-8")))
    add("empty", Resource(b""))
    add("binary", Resource(random.Random(412).randbytes(4096), "text/html"))
    sample = next((p for p in site.reports if p in site.resources
                   and site.resources[p].content_type.startswith("text/html")), None)
    full = site.resources[sample].body.replace(VIEWS.encode(), b"1") if sample else _LOGIN.encode()
    cut = full[: len(full) * 2 // 5]
    cut = cut[: cut.rfind(b"<p") + 14] if b"<p" in cut else cut
    add("truncated_html", Resource(cut))
    slow_body = _plain_page(TRAP_TITLE.format(n=12), "测试区人民政府",
                            "<p>2018年测试区共主动公开政府信息1024条。</p>", 0).encode()
    add("slow", Resource(slow_body, delay=slow_seconds))
    add("reset", Resource(b"", reset=True))
    add("oversized", Resource(b"<p>" + "测试填充内容。".encode() * 200 + b"</p>\n",
                              size_bytes=oversize_bytes))
    # servers that never finish: bounded by the download timeout and the size limit
    page = _plain_page(TRAP_TITLE.format(n=13), "测试区人民政府",
                       "<p>" + "2018年测试区共主动公开政府信息1024条。" * 40 + "</p>", 0).encode()
    add("trickle", Resource(page, trickle=0.05))
    add("stall", Resource(page, trickle=3600))
    add("endless_chunked", Resource("<p>测试填充内容。</p>".encode() * 10, endless=True))
    add("huge_length", Resource(b"<p>x</p>", size_bytes=2 * 1024 ** 3))
    items = [_Item(p, TRAP_TITLE.format(n=n + 1), "2019-03-31")
             for n, p in enumerate(paths.values())]
    lst = _Listing("/traps/index.html", "plain", items, column="测试区政府信息公开年报",
                   site_name="测试区人民政府")
    site._add_listing(lst, "2019-03-31")
    paths["listing"] = lst.path
    return paths
