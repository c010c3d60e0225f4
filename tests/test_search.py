"""Full-text search over a real archive, on SQLite (FTS5) and PostgreSQL (tsvector + GIN)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from gongkai.archive.exceptions import QueryError
from gongkai.archive.reparse import reparse_all
from gongkai.archive.search import Filters, index_tokens, marked, normalize_query, query
from gongkai.archive.versions import parse_as_of
from tests.research_archive import REPORTS, T0, WITHDRAWN, build, url_of


@pytest.fixture
def archive(archive_url):
    return build(archive_url)


def urls(engine, q, **kw):
    limit = kw.pop("limit", 50)
    ranked = kw.pop("ranked_matches", 2000)
    with engine.connect() as conn:
        return [hit.url for hit in query(conn, q, Filters(**kw), limit=limit,
                                         ranked_matches=ranked)]


def test_two_character_words_are_found_in_every_report(archive):
    assert set(urls(archive, "公开")) == {url_of(i) for i in range(len(REPORTS))}
    # 复议 is in four seeds in simplified script and in the traditional one as 復議
    assert set(urls(archive, "复议")) == {url_of(i) for i in range(len(REPORTS))}


def test_either_script_finds_the_same_reports(archive):
    simplified = urls(archive, "依申请公开")
    assert urls(archive, "依申請公開") == simplified
    assert url_of(2) in simplified  # the report published in traditional script


def test_a_substring_must_occur_exactly(archive):
    # every bigram of 开公开 occurs in the reports, the string itself does not
    assert urls(archive, "开公开") == []
    assert urls(archive, "大余县") == [url_of(2)]
    assert urls(archive, "秦皇岛") == [url_of(3)]


def test_single_characters_are_searchable(archive):
    assert url_of(2) in urls(archive, "余")


def test_title_matches_rank_first(archive):
    hits = urls(archive, "靖江")
    assert hits[0] == url_of(4)


def test_terms_separated_by_spaces_must_all_occur(archive):
    both = set(urls(archive, "郴州 依申请公开"))
    assert url_of(0) in both and url_of(3) not in both


def test_snippet_marks_the_match(archive):
    with archive.connect() as conn:
        hit = query(conn, "依申請公開", Filters(source="dayu"))[0]
    assert hit.snippet.highlights
    a, b = hit.snippet.highlights[0]
    assert hit.snippet.text[a:b] == "依申请公开"
    assert "[依申请公开]" in marked(hit.snippet)
    assert hit.region == "江西省赣州市大余县" and hit.version == 1


def test_filters(archive):
    assert set(urls(archive, "公开", source="qhd")) == {url_of(3), url_of(4)}
    assert set(urls(archive, "公开", region="湖南省")) == {url_of(0), url_of(1)}
    assert urls(archive, "公开", year=2019) == [url_of(2)]
    assert urls(archive, "公开", year=2016) == [url_of(3)]
    assert set(urls(archive, "公开", template="2019")) == {url_of(2)}
    assert urls(archive, "公开", kind="attachment") == []
    # published dates come from the reports' own headers
    assert url_of(3) not in urls(archive, "公开", since="2018-01-01")
    assert urls(archive, "公开", until="2017-12-31") == [url_of(3)]


def test_latest_versions_by_default_all_or_as_of_on_request(archive):
    assert urls(archive, WITHDRAWN) == []
    assert urls(archive, WITHDRAWN, all_versions=True) == [url_of(0)]
    assert urls(archive, WITHDRAWN, as_of=parse_as_of(T0.date().isoformat())) == [url_of(0)]
    assert urls(archive, "215件") == [url_of(0)]
    assert urls(archive, "215件", as_of=parse_as_of(T0.date().isoformat())) == []
    # nothing was archived before the first crawl
    assert urls(archive, "公开", as_of=parse_as_of("2025-01-01")) == []


@pytest.mark.parametrize("q", ['公开"', '"公开', "AND OR NOT 公开", "公开 OR", "(复议",
                               "NEAR(公开", "公开*", "title:公开", "'; DROP TABLE page; --公开",
                               "公开 -复议", "^公开"])
def test_query_syntax_is_taken_literally(archive, q):
    with archive.connect() as conn:
        query(conn, q)  # never an SQL error
    assert urls(archive, "公开")  # and nothing was harmed


@pytest.mark.parametrize("q", ["*", '"', '""', "  ", "()", "-", "《》"])
def test_a_query_with_nothing_to_search_is_a_clear_error(archive, q):
    with pytest.raises(QueryError, match="nothing|no letters"):
        with archive.connect() as conn:
            query(conn, q)


def test_queries_use_the_index_not_a_table_scan(archive):
    with archive.connect() as conn:
        if conn.dialect.name == "sqlite":
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT rowid FROM search_fts WHERE search_fts MATCH "
                "'\"公开\"'"))
            assert "VIRTUAL TABLE INDEX" in plan and "SCAN derivation" not in plan
        else:
            conn.exec_driver_sql("SET enable_seqscan = off")
            plan = " ".join(r[0] for r in conn.exec_driver_sql(
                "EXPLAIN SELECT derivation_id FROM search_doc WHERE lexemes @@ "
                "CAST('''公开''' AS tsquery)"))
            assert "ix_search_doc_lexemes" in plan


def test_reparse_keeps_one_index_entry_per_current_derivation(archive):
    before = urls(archive, "公开")
    with archive.begin() as conn:
        conn.execute(text("UPDATE derivation SET parser_version = 'gongkai-parsers/0.0.1'"))
    assert reparse_all(archive).versions == len(REPORTS) + 1
    assert sorted(urls(archive, "公开")) == sorted(before)
    assert urls(archive, WITHDRAWN, all_versions=True) == [url_of(0)]


def test_a_parse_worker_makes_the_tokens_the_index_would():
    from gongkai.parsers.tokens import parse_with_tokens
    from tests.pages import report_page

    report, title, body = parse_with_tokens(report_page(), "http://x/1.html", {})
    assert (title, body) == (index_tokens(report.title), index_tokens(report.text))


def _tokens_a_run_at_a_time(value: str | None) -> str:
    """The definition index_tokens builds faster: each run's pairs, then its last character."""
    from gongkai.parsers.tokens import pairs, runs

    out: list[str] = []
    for run in runs(value or ""):
        out.extend(pairs(run))
        out.append(run[-1])
    return " ".join(out)


@pytest.mark.parametrize("value", [
    None, "", "。", "_", "__a__", "a", "公", "ab", "公开，复议", "　依申请公开 ２０２３年　",
    "a_b c\x00d", "Straße ǅ ﬁ", "第二十条第（一）项|规章|0", "行政复议\n\n行政诉讼 12.5%",
    "依申請公開", "\u200b零宽\u200b", "emoji 😀 公开😀", "x" * 3 + "。" * 3 + "y",
])
def test_index_tokens_are_each_runs_pairs_then_its_last_character(value):
    assert index_tokens(value) == _tokens_a_run_at_a_time(value)


def test_index_tokens_of_real_report_texts():
    from gongkai.parsers.report import parse

    pages = sorted((Path(__file__).parent / "fixtures" / "corpus").glob("*.html"))
    assert len(pages) >= 10
    for page in pages:
        report = parse(page.read_bytes(), f"http://x/{page.name}", {})
        assert len(report.text) > 300, page.name
        assert index_tokens(report.text) == _tokens_a_run_at_a_time(report.text), page.name
        assert index_tokens(report.title) == _tokens_a_run_at_a_time(report.title), page.name


def test_query_normalization():
    assert normalize_query("依申請公開") == ["依申请公开"]
    assert normalize_query('"行政 复议" ＡＢＣ') == ["行政 复议", "abc"]
    assert index_tokens("公开，复议") == "公开 开 复议 议"
    with pytest.raises(QueryError, match="at most"):
        normalize_query("公" * 500)


def test_terms_too_common_to_rank_come_title_first_then_newest(archive):
    ranked = set(urls(archive, "公开"))
    in_bodies_only = set(urls(archive, "复议"))
    # with a threshold of two, every term of this small archive counts as too common
    hits = urls(archive, "公开", ranked_matches=2)
    assert set(hits) == ranked  # the same reports, in another order
    assert set(urls(archive, "复议", ranked_matches=2)) == in_bodies_only  # in no title
    with archive.connect() as conn:
        titles = [h.title for h in query(conn, "公开", ranked_matches=2)]
        paged = [h.url for h in query(conn, "公开", limit=2, offset=3, ranked_matches=2)]
    assert paged == hits[3:5]
    assert all("公开" in t for t in titles)  # every seed title says 公开
    assert urls(archive, "郴州", ranked_matches=2)[0] == url_of(0)  # title before body
    assert urls(archive, "开公开", ranked_matches=2) == []


def test_the_sqlite_index_merges_in_large_steps(tmp_path):
    """A crawl's writer commits a segment per batch: FTS5's default of merging every four
    would rewrite each page some five times. Set by a migration, so old archives get it."""
    from gongkai.archive.db import open_archive
    from gongkai.archive.search import FTS_AUTOMERGE, FTS_TABLE, index_tokenizer

    engine = open_archive(f"sqlite:///{tmp_path}/a.db")
    with engine.connect() as conn:
        setting = conn.exec_driver_sql(
            f"SELECT v FROM {FTS_TABLE}_config WHERE k = 'automerge'").scalar()
        assert index_tokenizer(conn) == "ascii"
    assert setting == FTS_AUTOMERGE == 16


QUERIES = ["公开", "复议", "政府信息公开", "申請", "县", "2017", "靖江市", "不存在的词"]


def test_an_archive_indexed_with_unicode61_is_rebuilt_and_finds_the_same(sqlite_url):
    """An archive from before the ascii tokenizer: its index is made anew on first open,
    from the current derivations, and every query finds what it found before."""
    from gongkai.archive.db import open_archive
    from gongkai.archive.search import FTS_TABLE, add_many, index_tokenizer

    engine = build(sqlite_url)
    expected = {q: sorted(urls(engine, q)) for q in QUERIES}
    with engine.begin() as conn:  # as revision 0007 left it
        conn.exec_driver_sql(f"DROP TABLE {FTS_TABLE}")
        conn.exec_driver_sql(f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(title, body, "
                             "content='', tokenize='unicode61 remove_diacritics 0')")
        rows = conn.execute(text("SELECT id, title, text FROM derivation WHERE current"))
        add_many(conn, [(r.id, r.title, r.text, None) for r in rows])
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0007'")
        assert index_tokenizer(conn) == "unicode61 remove_diacritics 0"
    assert {q: sorted(urls(engine, q)) for q in QUERIES} == expected
    engine.dispose()
    engine = open_archive(sqlite_url)
    with engine.connect() as conn:
        assert index_tokenizer(conn) == "ascii"
        indexed = conn.exec_driver_sql(f"SELECT count(*) FROM {FTS_TABLE}_docsize").scalar()
        current = conn.exec_driver_sql("SELECT count(*) FROM derivation WHERE current").scalar()
    assert indexed == current == len(REPORTS) + 1
    assert {q: sorted(urls(engine, q)) for q in QUERIES} == expected
    assert sum(map(len, expected.values())) > len(QUERIES)
