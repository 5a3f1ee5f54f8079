"""The apply journal: what each user held before skillsync wrote, and what it did.

One JSON object per line, appended and flushed to disk user by user, so that a
crash or a kill leaves a journal that says exactly which users were touched.
`skillsync undo JOURNAL` reads it to put back what those users held.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

import orjson

from skillsync.errors import ConfigError
from skillsync.ids import GenesysUserId
from skillsync.plan import Change

FORMAT = "skillsync-journal"


def change_json(change: Change) -> dict[str, Any]:
    """A change as the journal writes it."""
    return {
        "kind": change.kind,
        "id": change.id,
        "name": change.name,
        "action": change.action,
        "before": change.before,
        "after": change.after,
    }


class Journal:
    """An append-only journal file, used as `with Journal(path, fingerprint):`."""

    def __init__(self, path: Path, fingerprint: str) -> None:
        self.path = path
        self.fingerprint = fingerprint
        self.file: IO[bytes] | None = None

    def __enter__(self) -> Self:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.file = self.path.open("ab")
        except OSError as error:
            raise ConfigError(
                f"cannot write the journal {self.path}: {error.strerror}; pass "
                "--journal with a path in a directory you may write to"
            ) from error

        self.write({"event": "start", "format": FORMAT, "plan": self.fingerprint})
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.write({"event": "end", "completed": error is None})
        if self.file is not None:
            self.file.close()

    def before(
        self, user: GenesysUserId, email: str, changes: tuple[Change, ...]
    ) -> None:
        """Record, before any write, the changes about to be made to `user`;
        each carries the proficiency it had, which undo restores."""
        self.write(
            {
                "event": "before",
                "user": user,
                "email": email,
                "changes": [change_json(c) for c in changes],
            }
        )

    def done(self, user: GenesysUserId, calls: int) -> None:
        """Record that every write for `user` landed."""
        self.write({"event": "done", "user": user, "calls": calls})

    def write(self, entry: dict[str, Any]) -> None:
        """Append one line and push it to disk before going on."""
        if self.file is None:
            return

        entry["at"] = datetime.now(UTC).isoformat(timespec="seconds")
        self.file.write(orjson.dumps(entry) + b"\n")
        self.file.flush()
        os.fsync(self.file.fileno())


@dataclass(frozen=True, slots=True)
class Touched:
    """A user the journal says skillsync set out to change, and whether every
    write landed."""

    user: GenesysUserId
    email: str
    changes: tuple[Change, ...]
    done: bool


def read_journal(path: Path) -> list[Touched]:
    """The users a journal records, in the order they were first written; a
    user written by several runs appears once, each item with the proficiency
    it had before the first run touched it."""
    touched: dict[GenesysUserId, Touched] = {}
    for number, entry in entries(path):
        try:
            if entry["event"] == "before":
                user = GenesysUserId(entry["user"])
                changes = tuple(Change(**c) for c in entry["changes"])
                earlier = touched.get(user)
                if earlier is not None:
                    changes = merged(earlier.changes, changes)

                touched[user] = Touched(user, entry["email"], changes, False)
            elif entry["event"] == "done" and entry["user"] in touched:
                earlier = touched[entry["user"]]
                touched[earlier.user] = Touched(
                    earlier.user, earlier.email, earlier.changes, True
                )
        except (KeyError, TypeError) as error:
            raise ConfigError(
                f"{path}, line {number}: not a skillsync journal entry ({error}); "
                "pass a journal written by `skillsync apply`"
            ) from error

    return list(touched.values())


def merged(first: tuple[Change, ...], later: tuple[Change, ...]) -> tuple[Change, ...]:
    """Changes of two runs to one user, the first run's kept for items both
    touched, since its `before` is the older state."""
    seen = {(c.kind, c.id) for c in first}
    return first + tuple(c for c in later if (c.kind, c.id) not in seen)


def entries(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each line of a journal, parsed, with its number."""
    try:
        lines = path.read_bytes().splitlines()
    except OSError as error:
        raise ConfigError(
            f"cannot read the journal {path}: {error.strerror}"
        ) from error

    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue

        try:
            entry = orjson.loads(line)
        except orjson.JSONDecodeError:
            if number == len(lines):
                return  # a line cut short by a crash: nothing after it landed

            raise ConfigError(
                f"{path}, line {number} is not JSON; is this a skillsync journal?"
            ) from None

        if not isinstance(entry, dict):
            raise ConfigError(f"{path}, line {number} is not a journal entry")

        yield number, entry
