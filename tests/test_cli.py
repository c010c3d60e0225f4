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
