"""Loading org fixtures: what is accepted, and what is refused with which words."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from skillsync.errors import ConfigError
from skillsync.fixture import dump_org, load_org, parse_org


def document(**changes: Any) -> dict[str, Any]:
    """A valid fixture document, with top-level sections replaced."""
    base: dict[str, Any] = {
        "skills": [{"id": "s-1", "name": "Billing"}],
        "languages": [{"id": "l-1", "name": "English"}],
        "users": [
            {
                "id": "u-1",
                "name": "Ada",
                "email": "ada@example.com",
                "skills": [{"id": "s-1", "proficiency": 2.5}],
                "languages": [{"id": "l-1", "proficiency": 4}],
            }
        ],
        "groups": [{"id": "g-1", "name": "Support", "members": ["u-1"]}],
    }
    base.update(changes)
    return base


def test_defaults_fill_in_username_state_and_client() -> None:
    """A minimal fixture gets the demo client, active state and email username."""
    org = parse_org(orjson.dumps(document()))
    assert [(c.id, c.secret) for c in org.clients] == [("demo-client", "demo-secret")]
    assert org.users[0].username == "ada@example.com"
    assert org.users[0].state == "active"


def test_dump_then_parse_gives_the_same_org() -> None:
    """A fixture survives a dump and a parse unchanged."""
    org = parse_org(orjson.dumps(document()))
    assert parse_org(dump_org(org)) == org


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        (
            {"users": [{"id": "u-1", "name": "A", "email": "a@x", "state": "gone"}]},
            "users[0].state",
        ),
        (
            {
                "users": [
                    {
                        "id": "u-1",
                        "name": "A",
                        "email": "a@x",
                        "skills": [{"id": "s-1", "proficiency": 5.5}],
                    }
                ]
            },
            "users[0].skills[0].proficiency",
        ),
        (
            {
                "users": [
                    {
                        "id": "u-1",
                        "name": "A",
                        "email": "a@x",
                        "languages": [{"id": "l-1", "proficiency": 2.5}],
                    }
                ]
            },
            "users[0].languages[0].proficiency",
        ),
        ({"groups": [{"id": "g", "name": "G", "members": ["u-9"]}]}, "'u-9'"),
        ({"skills": [{"id": "s-1", "name": "A"}, {"id": "s-1", "name": "B"}]}, "s-1"),
        ({"teams": []}, "teams"),
        (
            {
                "users": [
                    {
                        "id": "u-1",
                        "name": "A",
                        "email": "a@x",
                        "skills": [{"id": "s-7", "proficiency": 1}],
                    }
                ]
            },
            "users[0].skills holds 's-7'",
        ),
    ],
    ids=[
        "state",
        "skill-range",
        "fractional-language",
        "member",
        "dup",
        "unknown-key",
        "catalog",
    ],
)
def test_invalid_fixture_names_the_field(changes: dict[str, Any], words: str) -> None:
    """Each kind of mistake is refused with a message naming where it is."""
    with pytest.raises(ConfigError, match="not a valid org fixture") as caught:
        parse_org(orjson.dumps(document(**changes)))

    assert words in str(caught.value)


def test_unreadable_file_names_the_path(tmp_path: Path) -> None:
    """A missing fixture file is a ConfigError naming the path."""
    missing = tmp_path / "nope.json"
    with pytest.raises(ConfigError, match=r"nope\.json"):
        load_org(missing)


def test_not_json_names_the_file(tmp_path: Path) -> None:
    """A file that is not JSON is refused naming the file."""
    broken = tmp_path / "org.json"
    broken.write_text("{users: []}")
    with pytest.raises(ConfigError, match=r"org\.json is not a valid org fixture"):
        load_org(broken)
