"""The deployment guide and its files are checked against the code: every setting is documented and in the
environment file, every dependency pinned for the wheelhouse, every command the systemd units run exists with the
options they pass, and the nginx site is valid nginx (when nginx is installed)."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from admitall.cli import app
from admitall.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
GUIDE = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
BINARY = "/opt/admitall/venv/bin/admitall"
UNITS = sorted(DEPLOY.glob("*.service"))


def unit_lines(path: Path, key: str) -> list[str]:
    return [line.split("=", 1)[1] for line in path.read_text().splitlines() if line.startswith(f"{key}=")]


def admitall_commands() -> list[list[str]]:
    """Every admitall command line the units run (ExecStart and ExecStartPre), without the binary."""
    found = []
    for unit in UNITS:
        for line in unit_lines(unit, "ExecStart") + unit_lines(unit, "ExecStartPre"):
            words = shlex.split(line)
            if words[0] == BINARY:
                found.append(words[1:])
    return found


def test_every_setting_is_documented_and_in_the_environment_file():
    env = (DEPLOY / "admitall.env").read_text()
    for name in Settings.model_fields:
        variable = f"ADMITALL_{name.upper()}"
        assert f"`{variable}`" in GUIDE, variable
        assert re.search(rf"^#?{variable}=", env, re.M), variable


def test_the_secret_key_is_required_outside_the_demo():
    assert re.search(r"`ADMITALL_SECRET_KEY` \| none \(required\)", GUIDE)
    assert re.search(r"^ADMITALL_SECRET_KEY=", (DEPLOY / "admitall.env").read_text(), re.M)


def test_every_dependency_is_pinned_for_the_wheelhouse():
    pinned = {
        re.sub(r"[-_.]+", "-", line.split("==")[0]).lower(): line.split("==")[1]
        for line in (DEPLOY / "constraints.txt").read_text().splitlines()
        if line and not line.startswith("#")
    }
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for dep in deps:
        name = re.split(r"[\[<>=!~ ]", dep, maxsplit=1)[0]
        assert re.sub(r"[-_.]+", "-", name).lower() in pinned, name
    assert "psycopg-binary" in pinned  # psycopg[binary]: no compiler on the servers


def test_the_units_run_admitall_commands_that_exist_with_their_options():
    commands = admitall_commands()
    assert {c[0] for c in commands} == {"serve", "watch", "init"}
    for words in commands:
        result = CliRunner().invoke(app, [*words, "--help"])
        assert result.exit_code == 0, (words, result.output)


def test_the_web_unit_leaves_the_watch_to_its_own_unit():
    web = DEPLOY / "admitall-web.service"
    assert "ADMITALL_RUN_JOBS=false" in unit_lines(web, "Environment")
    assert any(line.startswith("PROMETHEUS_MULTIPROC_DIR=") for line in unit_lines(web, "Environment"))


def test_the_watch_unit_is_one_long_running_process_restarted_always():
    watch = DEPLOY / "admitall-watch.service"
    assert unit_lines(watch, "Type") == ["simple"]
    assert shlex.split(unit_lines(watch, "ExecStart")[0])[1:] == ["watch", "--forever", "--json"]
    assert unit_lines(watch, "Restart") == ["always"] and unit_lines(watch, "RestartSec")
    assert not list(DEPLOY.glob("*.timer"))  # no timer starting rounds beside it
    assert (
        "admitall-watch.timer" not in GUIDE
        and "admitall-watch.timer" not in (DEPLOY / "admitall-web.service").read_text()
    )


def test_the_guide_names_every_deploy_file():
    for path in DEPLOY.iterdir():
        assert f"deploy/{path.name}" in GUIDE, path.name


@pytest.mark.skipif(shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists(), reason="nginx not here")
def test_the_nginx_site_is_valid_nginx(tmp_path: Path):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl not installed: no certificate for the TLS server")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=admitall.test", "-days", "1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    site = (DEPLOY / "nginx-admitall.conf").read_text()
    site = site.replace("/etc/ssl/admitall/fullchain.pem", str(cert)).replace("/etc/ssl/admitall/privkey.pem", str(key))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\naccess_log off;\nclient_body_temp_path {tmp_path};\ninclude {tmp_path}/site.conf;\n}}\n"
    )
    result = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr


def test_serve_has_the_options_a_proxy_needs():
    result = CliRunner().invoke(app, ["serve", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for option in ("--forwarded-allow-ips", "--root-path", "--log-config", "--workers"):
        assert option in result.output and f"`{option}" in GUIDE, option
