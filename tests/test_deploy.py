"""deploy/: the systemd unit, the env file, the example config, the Dockerfile and the compose file.

There is no Docker engine here, so the image is never built: instead the files are parsed and
every command they name is run for real (the health check, the entrypoint's subcommands, the
backup commands of deploy/README.md), and the package is built from exactly the files the
Dockerfile copies.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from gongkai.archive.db import current_revision, head_revision, make_engine, open_archive
from gongkai.archive.store import Store
from gongkai.crawler.config import find_config, load_config
from gongkai.crawler.defaults import STOP_GRACE
from gongkai.crawler.scheduler import next_runs
from tests.conftest import _postgres_url

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
UNIT = DEPLOY / "gongkai.service"
ENV_EXAMPLE = DEPLOY / "gongkai.env.example"
TOML_EXAMPLE = DEPLOY / "gongkai.toml.example"
DOCKERFILE = DEPLOY / "Dockerfile"
DOCKERIGNORE = DEPLOY / "Dockerfile.dockerignore"
COMPOSE = DEPLOY / "docker-compose.yml"
VENV_BIN = Path(sys.executable).parent


def cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gongkai.crawler.cli", *args],
                          capture_output=True, text=True, timeout=120, env=env, cwd=cwd)


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GONGKAI_")}
    env.update(extra)
    return env


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seconds(span: str) -> float:
    """A systemd time span ("15min", "30s", "1h 30min") or a compose duration ("15m", "1m30s")."""
    units = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600}
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([a-z]+)", span)
    assert parts and "".join(n + u for n, u in parts) == span.replace(" ", ""), span
    return sum(float(n) * units[u] for n, u in parts)


# --- systemd -------------------------------------------------------------------------------

def read_unit() -> configparser.ConfigParser:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    unit.read(UNIT, encoding="utf-8")
    return unit


def test_unit_runs_the_scheduler_as_a_hardened_service():
    unit = read_unit()
    assert unit.sections() == ["Unit", "Service", "Install"]
    service = unit["Service"]
    assert service["Type"] == "simple"
    assert service["User"] == "gongkai"
    assert service["WorkingDirectory"] == "/var/lib/gongkai"
    assert service["EnvironmentFile"] == "/etc/gongkai/gongkai.env"

    argv = shlex.split(service["ExecStart"])
    assert Path(argv[0]).is_absolute() and Path(argv[0]).name == "gongkai"
    assert argv[1:] == ["schedule", "run"]
    assert cli("schedule", "run", "--help").returncode == 0

    assert shlex.split(service["ExecReload"])[1:] == ["-HUP", "$MAINPID"]
    assert service["Restart"] == "on-failure"
    assert seconds(service["RestartSec"]) > 0
    assert service["KillSignal"] == "SIGTERM"
    # only the scheduler gets SIGTERM; it signals its crawls itself (Scrapy stops uncleanly
    # on a second signal)
    assert service["KillMode"] == "mixed"
    # long enough for running crawls to finish, and much longer than the scheduler's own
    # SIGTERM-to-SIGKILL grace for a stopping crawl
    assert seconds(service["TimeoutStopSec"]) >= 15 * 60 > 10 * STOP_GRACE

    assert service["NoNewPrivileges"] == "yes"
    assert service["ProtectSystem"] == "strict"
    assert service["WorkingDirectory"] in service["ReadWritePaths"].split()
    assert service["PrivateTmp"] == "yes"
    assert service["ProtectHome"] == "yes"
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_unit_does_not_restart_on_what_a_restart_cannot_fix(tmp_path: Path):
    """RestartPreventExitStatus=2: the scheduler exits 2 on a bad gongkai.toml."""
    prevent = read_unit()["Service"]["RestartPreventExitStatus"].split()
    bad = tmp_path / "gongkai.toml"
    bad.write_text('[schedule]\nmax_concurrent_crawls = "two"\n', encoding="utf-8")
    result = cli("schedule", "run", "--config", str(bad), env=clean_env(), cwd=tmp_path)
    assert str(result.returncode) in prevent, result.stderr
    assert "schedule.max_concurrent_crawls" in result.stderr


def test_scheduler_under_the_unit_reloads_on_sighup_and_stops_on_sigterm(tmp_path: Path):
    """What ExecReload and KillSignal send, to `gongkai schedule run` with the example config."""
    config = load_config(str(TOML_EXAMPLE), {})
    if min(when for when in next_runs(config).values() if when) - datetime.now(UTC) < timedelta(
            minutes=10):
        pytest.skip("a source of the example config is due now; it would crawl the internet")
    log = tmp_path / "scheduler.log"
    with log.open("wb") as stderr:
        scheduler = subprocess.Popen(
            [sys.executable, "-m", "gongkai.crawler.cli", "schedule", "run", "--log-format",
             "json"], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=stderr,
            env=clean_env(GONGKAI_CONFIG=str(TOML_EXAMPLE),
                          GONGKAI_DB=f"sqlite:///{tmp_path}/gongkai.db"))
    try:
        def wait_for(message: str) -> None:
            deadline = time.monotonic() + 60
            while message not in log.read_text(encoding="utf-8"):
                assert scheduler.poll() is None, log.read_text(encoding="utf-8")
                assert time.monotonic() < deadline, log.read_text(encoding="utf-8")
                time.sleep(0.1)

        wait_for("scheduler started: 2 sources")
        scheduler.send_signal(signal.SIGHUP)
        wait_for("config reloaded, 2 sources")
        scheduler.send_signal(signal.SIGTERM)
        assert scheduler.wait(timeout=60) == 0
    finally:
        if scheduler.poll() is None:
            scheduler.kill()
            scheduler.wait()
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert "scheduler stopped" in lines[-1]["message"]


def test_unit_passes_systemd_analyze_verify(tmp_path: Path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    gongkai = VENV_BIN / "gongkai"
    if not gongkai.exists():
        pytest.skip(f"no gongkai console script beside {sys.executable}")
    # verify insists that ExecStart exists: point it at this environment's gongkai
    installed = shlex.split(read_unit()["Service"]["ExecStart"])[0]
    copy = tmp_path / "gongkai.service"
    copy.write_text(UNIT.read_text(encoding="utf-8").replace(installed, str(gongkai)),
                    encoding="utf-8")
    result = subprocess.run([analyze, "verify", "--man=no", str(copy)],
                            capture_output=True, text=True, timeout=60)
    # unknown keys and bad values are only warnings (exit 0): none may name the unit
    assert result.returncode == 0, result.stderr
    assert str(copy) not in result.stderr and "gongkai.service" not in result.stderr, \
        result.stderr


# --- env file ------------------------------------------------------------------------------

def env_lines() -> tuple[dict[str, str], dict[str, str]]:
    """(set variables, commented-out examples) of the env file."""
    active, commented = {}, {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"(#?)([A-Za-z_][A-Za-z0-9_]*)=(\S*)", line)
        if match:
            (commented if match[1] else active)[match[2]] = match[3]
        else:
            assert not line.strip() or line.startswith("# "), f"not KEY=value: {line!r}"
    return active, commented


def variables_the_code_reads() -> set[str]:
    found: set[str] = set()
    for folder in ("crawler", "archive", "parsers"):
        for path in (ROOT / folder).rglob("*.py"):
            found |= set(re.findall(r"environ(?:\.get\(|\[)\s*[\"'](GONGKAI_\w+)[\"']",
                                    path.read_text(encoding="utf-8")))
    return found


def test_env_example_names_only_variables_the_code_reads():
    active, commented = env_lines()
    assert set(active) == {"GONGKAI_CONFIG", "GONGKAI_DB"}
    assert set(commented) <= set(active) | {"GONGKAI_REDIS"}
    assert set(active) <= variables_the_code_reads() == {"GONGKAI_CONFIG", "GONGKAI_DB",
                                                         "GONGKAI_REDIS"}
    for value in [*active.values(), *commented.values()]:
        assert value and not value.startswith(("'", '"')), value

    assert find_config(None, active) == Path(active["GONGKAI_CONFIG"])
    assert make_url(active["GONGKAI_DB"]).drivername == "postgresql+psycopg"
    assert make_url(commented["GONGKAI_DB"]).get_backend_name() == "sqlite"
    assert make_url(commented["GONGKAI_DB"]).database == "/var/lib/gongkai/gongkai.db"
    # the file's GONGKAI_DB wins over [archive].url
    config = load_config(None, {**active, "GONGKAI_CONFIG": str(TOML_EXAMPLE)})
    assert config.path == str(TOML_EXAMPLE)
    assert config.archive_url == active["GONGKAI_DB"]


# --- example configuration -----------------------------------------------------------------

def test_example_config_loads():
    config = load_config(str(TOML_EXAMPLE), {})
    assert config.schedule.max_concurrent_crawls == 2
    assert config.schedule.default == "0 3 * * *"
    assert config.schedule.crawl_timeout == 3600
    assert len(config.sources) == 2
    assert all(source.schedule for source in config.sources)
    assert all(when is not None for when in next_runs(config).values())
    assert any(alert.url.startswith("json://") for alert in config.alerts)
    assert make_url(config.archive_url).database == "/var/lib/gongkai/gongkai.db"


# --- Dockerfile ----------------------------------------------------------------------------

def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with comments dropped and continuation lines joined."""
    logical, pending = [], ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("#") or not line.strip():
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    assert not pending, "Dockerfile ends in a continuation"
    out = []
    for line in logical:
        instruction, _, args = line.strip().partition(" ")
        out.append((instruction.upper(), " ".join(args.split())))
    return out


def instruction(name: str) -> list[str]:
    return [args for instr, args in dockerfile() if instr == name]


def healthcheck_command() -> str:
    (health,) = instruction("HEALTHCHECK")
    options, _, command = health.partition(" CMD ")
    assert all(o.startswith("--") for o in options.split()), options
    return command


def test_dockerfile_image_runs_the_scheduler_as_non_root():
    assert instruction("FROM") == ["python:3.11-slim"]
    assert json.loads(instruction("ENTRYPOINT")[-1]) == ["gongkai"]
    assert json.loads(instruction("CMD")[-1]) == ["schedule", "run"]
    assert instruction("WORKDIR")[-1] == "/var/lib/gongkai"
    user = instruction("USER")[-1].split(":")[0]
    assert user not in ("root", "0")
    assert any("pip install '.[postgres,distributed]'" in run for run in instruction("RUN"))
    # nothing secret in the image: the database URL and the config come at run time
    baked = " ".join(instruction("ENV") + instruction("ARG"))
    assert "GONGKAI_DB" not in baked and "PASSWORD" not in baked.upper()


def test_dockerfile_healthcheck_is_a_real_gongkai_command():
    argv = shlex.split(healthcheck_command())
    assert argv[0] == "gongkai"
    words = []
    for word in argv[1:]:
        if word in (">", "||", "&&", ";") or word.startswith(">"):
            break
        words.append(word)
    subcommand = [w for w in words if not w.startswith("-")]
    assert subcommand == ["status"]
    help_text = cli(*subcommand, "--help")
    assert help_text.returncode == 0, help_text.stderr
    for option in (w for w in words if w.startswith("-")):
        assert option in help_text.stdout


def test_dockerfile_healthcheck_passes_on_an_archive_and_fails_without_one(tmp_path: Path):
    """The HEALTHCHECK line as Docker runs it (/bin/sh -c), with the image's environment."""
    if not (VENV_BIN / "gongkai").exists():
        pytest.skip(f"no gongkai console script beside {sys.executable}")
    command = healthcheck_command()
    path = f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"

    def probe(**env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["/bin/sh", "-c", command], capture_output=True, text=True,
                              timeout=120, cwd=tmp_path, env=clean_env(PATH=path, **env))

    # before the scheduler has created the archive the check fails (the start period covers
    # that), and it never creates one itself
    missing = probe(GONGKAI_CONFIG=str(TOML_EXAMPLE), GONGKAI_DB=f"sqlite:///{tmp_path}/a.db")
    assert missing.returncode == 1 and "no archive at" in missing.stderr
    assert not (tmp_path / "a.db").exists()
    open_archive(f"sqlite:///{tmp_path}/a.db").dispose()  # what `schedule run` does first
    healthy = probe(GONGKAI_CONFIG=str(TOML_EXAMPLE), GONGKAI_DB=f"sqlite:///{tmp_path}/a.db")
    assert healthy.returncode == 0, healthy.stderr
    down = probe(GONGKAI_CONFIG=str(TOML_EXAMPLE),
                 GONGKAI_DB=f"postgresql+psycopg://gongkai:x@127.0.0.1:{closed_port()}/gongkai")
    assert down.returncode == 1, down.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text("[schedule]\nnonsense = 1\n", encoding="utf-8")
    # gongkai exits 2 on a bad config, an exit status Docker reserves: the check maps it to 1
    unusable = probe(GONGKAI_CONFIG=str(bad), GONGKAI_DB=f"sqlite:///{tmp_path}/a.db")
    assert unusable.returncode == 1, unusable.stderr
    assert "schedule.nonsense" in unusable.stderr


def package_inputs() -> tuple[list[str], str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    folders = sorted(set(project["tool"]["setuptools"]["package-dir"].values()))
    return folders, project["project"]["readme"]


def copied_paths() -> list[str]:
    paths = []
    for args in instruction("COPY"):
        assert not args.startswith("--from"), args
        paths += [p.removeprefix("./") for p in args.split()[:-1]]
    return paths


def test_dockerfile_copies_and_the_context_keeps_what_the_package_is_built_from():
    folders, readme = package_inputs()
    copied = copied_paths()
    assert set(copied) == {"pyproject.toml", readme, *folders}
    patterns = [line for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
                if line and not line.startswith("#")]
    assert patterns[0] == "*"  # everything else stays out, secrets and .venv included
    assert {f"!{p}" for p in copied} <= set(patterns)


def test_the_copied_files_build_the_whole_package(tmp_path: Path):
    """`pip install '.[postgres]'` in the image builds from these files alone.

    setuptools' own build steps (egg_info, build_py: what goes into the wheel), run offline
    with this environment's setuptools, on a copy of exactly what the Dockerfile copies.
    """
    pytest.importorskip("setuptools")
    src = tmp_path / "src"
    src.mkdir()
    for name in copied_paths():
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, src / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, src / name)
    lib, meta = tmp_path / "lib", tmp_path / "meta"
    meta.mkdir()
    result = subprocess.run(
        [sys.executable, "-c", "import setuptools; setuptools.setup()", "-q",
         "egg_info", "--egg-base", str(meta), "build_py", "--build-lib", str(lib)],
        capture_output=True, text=True, timeout=300, cwd=src)
    assert result.returncode == 0, result.stderr
    (info,) = meta.glob("*.egg-info")
    assert re.search(r"^gongkai = gongkai\.crawler\.cli:main$",
                     (info / "entry_points.txt").read_text(encoding="utf-8"), re.M)
    assert "[postgres]" in (info / "requires.txt").read_text(encoding="utf-8")

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    for package, folder in project["tool"]["setuptools"]["package-dir"].items():
        wanted = {p.relative_to(ROOT / folder) for p in (ROOT / folder).rglob("*")
                  if p.suffix in (".py", ".mako", ".txt") and "__pycache__" not in p.parts}
        built = lib.joinpath(*package.split("."))
        missing = {p for p in wanted if not (built / p).is_file()}
        assert wanted and not missing, (folder, sorted(map(str, missing)))


# --- docker compose ------------------------------------------------------------------------

def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def interpolated(value: str) -> str:
    """Compose's ${VAR}, ${VAR:?message} and ${VAR:-default} with a made-up value."""
    return re.sub(r"\$\{(\w+)(?::?[?-][^}]*)?\}", lambda m: f"value-of-{m[1]}", value)


def test_compose_file_runs_postgres_and_the_scheduler():
    data = compose()
    assert set(data["services"]) == {"db", "scheduler", "web"}
    db, scheduler = data["services"]["db"], data["services"]["scheduler"]

    assert db["image"] == "postgres:15"
    volume, _, mount = db["volumes"][0].partition(":")
    assert volume in data["volumes"] and mount == "/var/lib/postgresql/data"
    test = db["healthcheck"]["test"]
    assert test[0] == "CMD-SHELL" and shlex.split(test[1])[0] == "pg_isready"
    # no password written down: it comes from deploy/.env
    assert re.fullmatch(r"\$\{POSTGRES_PASSWORD(:\?[^}]*)?\}", db["environment"]["POSTGRES_PASSWORD"])

    assert scheduler["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
    assert (COMPOSE.parent / scheduler["build"]["context"] / scheduler["build"]["dockerfile"]
            ).resolve() == DOCKERFILE
    assert scheduler["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert scheduler["restart"] == "unless-stopped"
    assert seconds(scheduler["stop_grace_period"]) == seconds(
        read_unit()["Service"]["TimeoutStopSec"])
    assert scheduler.get("command", json.loads(instruction("CMD")[-1])) == ["schedule", "run"]

    env = scheduler["environment"]
    assert set(env) <= variables_the_code_reads()
    url = make_url(interpolated(env["GONGKAI_DB"]))
    assert url.drivername == "postgresql+psycopg" and url.host == "db"
    # the scheduler logs in as the user, to the database, that postgres creates and checks
    assert url.username == db["environment"]["POSTGRES_USER"]
    assert url.database == db["environment"]["POSTGRES_DB"]
    assert url.password == "value-of-POSTGRES_PASSWORD"
    pg_isready = shlex.split(test[1])
    assert pg_isready[pg_isready.index("-U") + 1] == url.username
    assert pg_isready[pg_isready.index("-d") + 1] == url.database

    (mount,) = [v for v in scheduler["volumes"] if v["target"] == env["GONGKAI_CONFIG"]]
    assert mount["type"] == "bind" and mount["read_only"] is True
    assert mount["source"] == "./gongkai.toml"


def test_compose_web_service_reads_as_the_read_only_role_on_loopback():
    data = compose()
    web, db, scheduler = (data["services"][k] for k in ("web", "db", "scheduler"))
    assert web["image"] == scheduler["image"]
    assert web["command"][0] == "serve"
    assert all(port.startswith("127.0.0.1:") for port in web["ports"])
    url = make_url(interpolated(web["environment"]["GONGKAI_DB"]))
    assert url.username == "gongkai_reader" and url.host == "db"
    assert url.password == "value-of-READER_PASSWORD"
    assert re.fullmatch(r"\$\{READER_PASSWORD(:\?[^}]*)?\}", db["environment"]["READER_PASSWORD"])
    (initdb,) = [v for v in db["volumes"] if isinstance(v, dict)]
    assert initdb["target"] == "/docker-entrypoint-initdb.d" and initdb["read_only"] is True
    script = (COMPOSE.parent / initdb["source"] / "10-reader.sh").read_text(encoding="utf-8")
    assert "CREATE ROLE gongkai_reader" in script and "default_transaction_read_only" in script
    assert "GRANT SELECT" in script and not re.search(r"GRANT (INSERT|UPDATE|DELETE|ALL)", script)


def test_reader_role_script_gives_a_role_that_can_read_and_cannot_write(tmp_path: Path):
    """deploy/initdb/10-reader.sh run for real, its SQL against a real PostgreSQL archive."""
    script = (DEPLOY / "initdb" / "10-reader.sh").read_text(encoding="utf-8")
    sql = script.split("<<SQL\n", 1)[1].split("\nSQL", 1)[0]
    for url in _postgres_url():
        engine = open_archive(url)
        owner = make_url(url)
        role = "gongkai_reader"
        sql_here = (sql.replace("${READER_PASSWORD}", "reader")
                    .replace("${POSTGRES_DB}", owner.database)
                    .replace("${POSTGRES_USER}", owner.username))
        with engine.connect() as conn:
            conn.execute(text(f"DROP ROLE IF EXISTS {role}"))
            conn.commit()
            for statement in sql_here.split(";"):
                if statement.strip():
                    conn.execute(text(statement))
            conn.commit()
            # a table created after the role: readable by default privileges
            conn.execute(text("CREATE TABLE later_table (a int)"))
            conn.commit()
        reader = make_engine(owner.set(username=role, password="reader").render_as_string(
            hide_password=False))
        try:
            with reader.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM page")).scalar_one() == 0
                assert conn.execute(text("SELECT count(*) FROM later_table")).scalar_one() == 0
            with pytest.raises(Exception, match="read-only|permission denied"), \
                    reader.begin() as conn:
                conn.execute(text("DELETE FROM page"))
        finally:
            reader.dispose()
            with engine.connect() as conn:
                conn.execute(text(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}"))
                conn.execute(text(f"REVOKE USAGE ON SCHEMA public FROM {role}"))
                conn.execute(text(f'REVOKE CONNECT ON DATABASE "{owner.database}" FROM {role}'))
                conn.execute(text(f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner.username} IN SCHEMA "
                                  f"public REVOKE SELECT ON TABLES FROM {role}"))
                conn.execute(text(f"DROP ROLE {role}"))
                conn.commit()
            engine.dispose()


def test_serve_unit_runs_the_read_only_view_on_loopback():
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(DEPLOY / "gongkai-serve.service", encoding="utf-8")
    service = unit["Service"]
    argv = shlex.split(service["ExecStart"])
    assert Path(argv[0]).name == "gongkai" and argv[1] == "serve"
    assert argv[argv.index("--host") + 1] == "127.0.0.1"
    assert cli(*argv[1:], "--help").returncode == 0
    assert service["User"] == "gongkai" and service["NoNewPrivileges"] == "yes"
    assert service["ProtectSystem"] == "strict"
    assert {"1", "2"} <= set(service["RestartPreventExitStatus"].split())


def test_compose_config_validates_when_docker_compose_is_available(tmp_path: Path):
    docker = shutil.which("docker")
    if docker is None or subprocess.run([docker, "compose", "version"], capture_output=True,
                                        timeout=60).returncode != 0:
        pytest.skip("no `docker compose` here (the YAML is checked by the test above)")
    shutil.copytree(DEPLOY, tmp_path / "deploy")
    shutil.copy2(TOML_EXAMPLE, tmp_path / "deploy" / "gongkai.toml")
    result = subprocess.run([docker, "compose", "-f", "deploy/docker-compose.yml", "config", "-q"],
                            capture_output=True, text=True, timeout=60, cwd=tmp_path,
                            env={**os.environ, "POSTGRES_PASSWORD": "test"})
    assert result.returncode == 0, result.stderr


def test_local_deployment_files_are_kept_out_of_git():
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")

    def ignored(name: str) -> bool:
        return subprocess.run([git, "check-ignore", "-q", f"deploy/{name}"], cwd=ROOT,
                              timeout=60).returncode == 0

    local = (".env", "gongkai.env", "gongkai.toml")
    assert all(ignored(name) for name in local)
    assert not any(ignored(p.name) for p in DEPLOY.iterdir() if p.name not in local)


# --- backups and schema revision (deploy/README.md) ----------------------------------------

def archive_with_pending_wal(tmp_path: Path) -> tuple[Path, Engine]:
    """A SQLite archive whose newest commit is still in the -wal file, as while crawling."""
    db = tmp_path / "gongkai.db"
    engine = open_archive(f"sqlite:///{db}")
    Store(engine).sync_source("chenzhou", "郴州市人民政府", "湖南省郴州市", "hash")
    with engine.connect() as connection:  # the pool keeps it open: no checkpoint on close
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    assert Path(f"{db}-wal").stat().st_size > 0
    return db, engine


def assert_is_the_archive(backup: Path) -> None:
    with sqlite3.connect(backup) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("SELECT id, name FROM source").fetchall() == [
            ("chenzhou", "郴州市人民政府")]
        assert copy.execute("SELECT version_num FROM alembic_version").fetchone() == (
            head_revision(),)


def test_sqlite_online_backup_with_the_sqlite3_shell(tmp_path: Path):
    sqlite3_shell = shutil.which("sqlite3")
    if sqlite3_shell is None:
        pytest.skip("the sqlite3 command-line shell is not installed")
    db, engine = archive_with_pending_wal(tmp_path)
    backup = tmp_path / "backup" / "gongkai-2026-01-31.db"
    backup.parent.mkdir()
    result = subprocess.run([sqlite3_shell, str(db), f".backup '{backup}'"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and not result.stderr, result.stderr
    assert_is_the_archive(backup)
    engine.dispose()


def test_sqlite_online_backup_with_the_python_api(tmp_path: Path):
    db, engine = archive_with_pending_wal(tmp_path)
    backup = tmp_path / "gongkai-2026-01-31.db"
    src, dst = sqlite3.connect(db), sqlite3.connect(backup)
    src.backup(dst)
    dst.close()
    src.close()
    assert_is_the_archive(backup)
    engine.dispose()


def test_schema_revision_can_be_read_without_migrating(tmp_path: Path):
    url = f"sqlite:///{tmp_path}/gongkai.db"
    assert current_revision(make_engine(url)) is None  # make_engine does not upgrade
    open_archive(url)  # what every command does first
    assert current_revision(make_engine(url)) == head_revision() is not None


def libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def test_postgres_pg_dump_and_pg_restore_round_trip(tmp_path: Path):
    pg_dump, pg_restore = shutil.which("pg_dump"), shutil.which("pg_restore")
    if pg_dump is None or pg_restore is None:
        pytest.skip("pg_dump/pg_restore are not installed")
    source_db, target_db = _postgres_url(), _postgres_url()
    try:
        source_url, target_url = next(source_db), next(target_db)
        Store(open_archive(source_url)).sync_source("chenzhou", "郴州市人民政府", None, "hash")
        dump = tmp_path / "gongkai-2026-01-31.dump"
        subprocess.run([pg_dump, "-Fc", "-d", libpq(source_url), "-f", str(dump)],
                       check=True, capture_output=True, timeout=120)
        listing = subprocess.run([pg_restore, "--list", str(dump)], check=True,
                                 capture_output=True, text=True, timeout=60).stdout
        assert "alembic_version" in listing
        subprocess.run([pg_restore, "--no-owner", "-d", libpq(target_url), str(dump)],
                       check=True, capture_output=True, timeout=120)
        restored = make_engine(target_url)
        assert current_revision(restored) == head_revision()
        with restored.connect() as connection:
            assert connection.execute(text("SELECT id, name FROM source")).all() == [
                ("chenzhou", "郴州市人民政府")]
        restored.dispose()
    finally:
        source_db.close()
        target_db.close()


def test_distributed_compose_runs_redis_postgres_the_scheduler_and_workers():
    data = yaml.safe_load((DEPLOY / "docker-compose.distributed.yml").read_text(encoding="utf-8"))
    services = data["services"]
    assert set(services) == {"db", "redis", "scheduler", "worker"}
    assert services["redis"]["image"].startswith("redis:")
    assert services["worker"]["deploy"]["replicas"] >= 2
    assert services["worker"]["image"] == services["scheduler"]["image"] == "gongkai:latest"
    # both are real gongkai commands, the worker's with the shared Redis
    from click.testing import CliRunner

    from gongkai.crawler.cli import main

    for name in ("scheduler", "worker"):
        command = services[name]["command"]
        assert CliRunner().invoke(main, [*command, "--help"]).exit_code == 0, command
        env = services[name]["environment"]
        assert set(env) <= variables_the_code_reads()
        assert env["GONGKAI_REDIS"] == "redis://redis:6379/0"
        assert make_url(interpolated(env["GONGKAI_DB"])).host == "db"
        for dependency in ("db", "redis"):
            assert services[name]["depends_on"][dependency] == {"condition": "service_healthy"}
    # the image has the worker's Redis client
    assert any("'.[postgres,distributed]'" in run for run in instruction("RUN"))
