"""The command line as a user meets it: real processes, printed words, exit codes,
and a README that matches `--help`."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import click
import httpx
import pytest

from skillsync.cli import ExitCode, cli
from skillsync.simulator.server import free_port

README = Path(__file__).parent.parent / "README.md"
SKILLSYNC = [sys.executable, "-m", "skillsync"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a fresh process and capture what it prints."""
    return subprocess.run(
        [*SKILLSYNC, *args], capture_output=True, text=True, timeout=120, check=False
    )


def synopsis_options(command: str) -> set[str]:
    """The options the README's synopsis shows for `skillsync COMMAND`."""
    readme = README.read_text()
    text = readme[readme.index("## Commands") :]
    found = re.search(
        rf"^skillsync {command}(?:[ \n])(.*?)(?=^skillsync |^```)", text, re.M | re.S
    )
    assert found, f"the README has no synopsis for `skillsync {command}`"
    return set(re.findall(r"--[a-z-]+", found.group(1)))


def command_options(path: list[str]) -> set[str]:
    """The long options click knows for a command, `--help` aside."""
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]

    return {
        opt
        for param in command.params
        for opt in param.opts
        if opt.startswith("--") and opt != "--help"
    }


@pytest.mark.parametrize(
    "path",
    [
        ["plan"],
        ["apply"],
        ["explain"],
        ["graph"],
        ["policy", "check"],
        ["policy", "schema"],
        ["undo"],
        ["org", "export"],
        ["demo"],
        ["sim", "serve"],
        ["sim", "generate"],
    ],
)
def test_readme_synopsis_matches_help(path: list[str]) -> None:
    """Every option a command takes is in the README's synopsis, and no other."""
    assert synopsis_options(" ".join(path)) == command_options(path)


def test_readme_exit_codes_match_the_enum() -> None:
    """The README's exit-code table lists exactly the codes skillsync uses."""
    table = re.findall(r"^\| (\d) \|", README.read_text(), re.M)
    assert sorted(int(code) for code in table) == sorted(ExitCode)


def test_serve_refuses_a_bad_fixture_with_one_line(tmp_path: Path) -> None:
    """A fixture with a bad field gives one Error line naming file and field,
    and exit code 1."""
    fixture = tmp_path / "org.json"
    fixture.write_text(
        '{"users": [{"id": "u", "name": "A", "email": "a@x", "state": "on"}]}'
    )
    result = run("sim", "serve", "--org", str(fixture), "--port", "1")
    assert result.returncode == ExitCode.ERROR
    assert result.stderr.startswith(f"Error: {fixture} is not a valid org fixture")
    assert "users[0].state" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_refuses_a_missing_fixture() -> None:
    """A missing fixture names the path and what to pass instead."""
    result = run("sim", "serve", "--org", "no-such-org.json")
    assert result.returncode == ExitCode.ERROR
    assert "no-such-org.json" in result.stderr
    assert "sim generate" in result.stderr


@pytest.fixture
def generated(tmp_path: Path) -> Path:
    """A small generated org on disk."""
    result = run(
        "sim", "generate", "--users", "40", "--seed", "3", "--out", str(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    return tmp_path


@pytest.fixture
def serving(generated: Path) -> Iterator[str]:
    """`skillsync sim serve` running as a real process on a free port."""
    port = free_port("127.0.0.1")
    process = subprocess.Popen(
        [
            *SKILLSYNC,
            "sim",
            "serve",
            "--org",
            str(generated / "org.json"),
            "--port",
            str(port),
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{base_url}/_sim/stats", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)

        yield base_url
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=10)
        assert "Serving" in stderr
        assert "demo-secret" not in stderr


def test_generate_then_serve_answers_as_the_api(serving: str) -> None:
    """A generated org served by the CLI answers a token request and a listing."""
    with httpx.Client(base_url=serving) as http:
        token = http.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=("demo-client", "demo-secret"),
        )
        assert token.status_code == 200
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        page = http.get("/api/v2/users", params={"pageSize": 500}, headers=headers)
        assert page.status_code == 200
        assert 0 < page.json()["total"] <= 40
        stats = http.get("/_sim/stats").json()
        assert stats["requests"] == {"POST /oauth/token": 1, "GET /api/v2/users": 1}


def test_generate_reports_what_it_wrote(tmp_path: Path) -> None:
    """`sim generate` names the three files and counts users, groups and cycles."""
    result = run(
        "sim", "generate", "--users", "1", "--seed", "5", "--out", str(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    assert str(tmp_path / "org.json") in result.stdout
    assert re.search(r"org: 1 user \(\d+ active\), \d+ groups?,", result.stdout)
    assert re.search(r"nested \d+ deep, \d+ cycles?\n", result.stdout)
