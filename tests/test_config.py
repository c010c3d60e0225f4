"""Config errors are one line naming the file, the key and the problem, with exit status 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gongkai.crawler.config import load_config
from gongkai.crawler.exceptions import ConfigError

GOOD = """
[archive]
url = "sqlite:///x.db"
[crawl]
download_delay = 0.5
[[sources]]
id = "chenzhou"
name = "郴州市人民政府"
region = "湖南省郴州市"
start_urls = ["http://www.czs.gov.cn/xxgk/ndbg/"]
schedule = "0 3 * * *"
[[alerts]]
url = "json://127.0.0.1:9/hook"
sources = ["chenzhou"]
events = ["changed", "gone"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "gongkai.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_good_config_loads_and_env_overrides(tmp_path):
    path = write(tmp_path, GOOD)
    config = load_config(str(path), {"GONGKAI_DB": "sqlite:///other.db"})
    assert config.archive_url == "sqlite:///other.db"
    assert config.crawl.download_delay == 0.5
    source = config.source("chenzhou")
    assert source.domains == ("www.czs.gov.cn",) and source.region == "湖南省郴州市"
    assert load_config(None, {"GONGKAI_CONFIG": str(path)}).sources[0].id == "chenzhou"
    assert load_config(str(path), {}, db="sqlite:///cli.db").archive_url == "sqlite:///cli.db"


@pytest.mark.parametrize(
    ("edit", "key", "problem"),
    [
        (('id = "chenzhou"', 'id = "Chen Zhou"'), "sources[0].id", "expected [a-z0-9_-]+"),
        (("download_delay = 0.5", 'download_delay = "slow"'), "crawl.download_delay", "expected"),
        (("download_delay = 0.5", "download_delay = -1"), "crawl.download_delay", "positive"),
        (("[crawl]", "[crawl]\nspeed = 3"), "crawl.speed", "unknown key"),
        (('schedule = "0 3 * * *"', 'schedule = "daily"'), "sources[0].schedule", "cron"),
        (('start_urls = ["http://www.czs.gov.cn/xxgk/ndbg/"]', 'start_urls = ["ftp://x"]'),
         "sources[0].start_urls", "not an http(s) URL"),
        (('sources = ["chenzhou"]', 'sources = ["nowhere"]'), "alerts[0].sources", "unknown"),
        (('events = ["changed", "gone"]', 'events = ["exploded"]'), "alerts[0].events",
         "unknown event"),
        (("[archive]", "[archive\n"), "-", "not valid TOML"),
    ],
)
def test_bad_values_name_file_key_and_problem(tmp_path, edit, key, problem):
    path = write(tmp_path, GOOD.replace(*edit))
    with pytest.raises(ConfigError) as info:
        load_config(str(path), {})
    message = str(info.value)
    assert message.startswith(f"{path}: {key}: ") and problem in message
    assert "\n" not in message


def test_cli_exits_2_with_one_line(tmp_path):
    path = write(tmp_path, GOOD.replace("download_delay = 0.5", 'download_delay = "slow"'))
    result = subprocess.run(
        [sys.executable, "-m", "gongkai.crawler.cli", "pages", "--config", str(path)],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert f"{path}: crawl.download_delay: expected int or float" in lines[0]
    assert "Traceback" not in result.stderr


def test_missing_config_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_config(str(tmp_path / "nope.toml"), {})


def test_every_default_is_documented():
    """crawler/defaults.py is the one place for defaults and limits; docs/interface.md lists
    each of them."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    names = re.findall(r"^([A-Z_]+) =", (root / "crawler" / "defaults.py").read_text(
        encoding="utf-8"), re.M)
    documented = (root / "docs" / "interface.md").read_text(encoding="utf-8")
    assert len(names) > 20
    assert [n for n in names if f"| `{n}` |" not in documented] == []
