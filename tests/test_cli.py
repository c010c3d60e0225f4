"""Every command documents itself and is in the README; parse handles batches with bad files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from gongkai.crawler.cli import main
from tests.pages import TITLE, report_page

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(main.commands))
def test_every_command_has_help_with_example_and_is_in_readme(name):
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output
    assert f"gongkai {name}" in README


def test_parse_batch_survives_a_bad_file(tmp_path):
    good = tmp_path / "good.html"
    good.write_bytes(report_page())
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    result = subprocess.run(
        [sys.executable, "-m", "gongkai.crawler.cli", "parse", str(empty), str(good),
         str(tmp_path / "missing.html"), "--url", "http://www.czs.gov.cn/1.html", "--json"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 1
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(objects) == 1 and objects[0]["title"] == TITLE
    assert set(objects[0]) == {"url", "title", "region", "year", "published", "index_no",
                               "publisher", "doc_no", "script", "template", "text", "sections",
                               "tables", "metrics", "metrics_from_prose", "warnings"}
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 2 and "empty body" in errors[0] and "missing.html" in errors[1]
    assert "Traceback" not in result.stderr


# -- archives are created only by what fills them ---------------------------------------------

READ_COMMANDS = [["status"], ["pages"], ["calendar"], ["alerts"], ["search", "复议"],
                 ["history", "http://example.gov.cn/a.html"], ["schedule", "list"],
                 ["export", "reports", "--format", "csv"], ["reparse"]]


@pytest.mark.parametrize("args", READ_COMMANDS, ids=lambda a: a[0])
def test_read_commands_never_create_an_archive(tmp_path, args):
    missing = tmp_path / "typo" / "archive.db"
    result = subprocess.run([sys.executable, "-m", "gongkai.crawler.cli", "--db",
                             f"sqlite:///{missing}", *args], capture_output=True, text=True,
                            timeout=120, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"gongkai: no archive at sqlite:///{missing}: run `gongkai crawl` first, or pass "
        "--db with the archive's URL"]
    assert not missing.exists() and not missing.parent.exists()
    assert list(tmp_path.iterdir()) == []


def test_a_relative_sqlite_path_in_a_config_file_is_beside_the_file(tmp_path):
    from gongkai.crawler.config import load_config

    folder = tmp_path / "etc"
    folder.mkdir()
    config = folder / "gongkai.toml"
    config.write_text('[archive]\nurl = "sqlite:///data/gongkai.db"\n', encoding="utf-8")
    loaded = load_config(str(config), {})
    assert loaded.archive_url == f"sqlite:///{folder.resolve()}/data/gongkai.db"
    # an override on the command line or in the environment is taken as given
    assert load_config(str(config), {}, "sqlite:///x.db").archive_url == "sqlite:///x.db"
    assert load_config(str(config), {"GONGKAI_DB": "sqlite:///y.db"}).archive_url \
        == "sqlite:///y.db"


def test_postgres_urls_get_a_message_that_says_what_to_write(tmp_path):
    for url, expected in [
        ("postgres://u:secret@127.0.0.1/db", "write postgresql+psycopg://"),
        # a driver that is not installed (psycopg2 is not a dependency)
        ("postgresql+psycopg2://u:secret@127.0.0.1/db", "pip install 'gongkai[postgres]'"),
        # a server that refuses the login: one line, the password masked
        ("postgresql+psycopg://u:secret@127.0.0.1:1/db", "cannot open archive"),
    ]:
        result = subprocess.run([sys.executable, "-m", "gongkai.crawler.cli", "--db", url,
                                 "status"], capture_output=True, text=True, timeout=120,
                                cwd=tmp_path)
        assert result.returncode == 1
        assert expected in result.stderr and "secret" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
