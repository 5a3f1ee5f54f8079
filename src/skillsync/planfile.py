"""`PLAN.json`: a plan saved by `plan --out` and carried out by `apply PLAN.json`.

The format is stable and documented in the README; `version` rises if it ever
changes. Loading checks every field, so a hand-edited plan that no longer makes
sense is refused before anything is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from skillsync.directory.interface import Finding
from skillsync.errors import ConfigError
from skillsync.ids import GenesysUserId
from skillsync.plan import Brake, Change, Plan, UserPlan

FORMAT = "skillsync-plan"
VERSION = 1


def plan_json(plan: Plan) -> bytes:
    """The plan as indented JSON, in its fixed order."""
    actions = [c.action for u in plan.users for c in u.changes]
    document = {
        "format": FORMAT,
        "version": VERSION,
        "fingerprint": plan.fingerprint,
        "policy": plan.policy,
        "source": plan.source,
        "summary": {
            "users": len(plan.users),
            "activeUsers": plan.active_users,
            "adds": actions.count("add"),
            "changes": actions.count("change"),
            "removals": actions.count("remove"),
        },
        "brake": {
            "usersWithRemovals": plan.brake.users_with_removals,
            "limit": plan.brake.limit,
            "setting": plan.brake.setting,
            "tripped": plan.brake.tripped,
        },
        "prune": plan.prune,
        "managed": {
            "skills": list(plan.managed_skills),
            "languages": list(plan.managed_languages),
        },
        "users": [user_json(user) for user in plan.users],
        "findings": [{"kind": f.kind, "message": f.message} for f in plan.findings],
    }
    return orjson.dumps(
        document, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE
    )


def user_json(user: UserPlan) -> dict[str, Any]:
    """One user of the plan."""
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "held": {
            "skills": dict(user.held_skills),
            "languages": dict(user.held_languages),
        },
        "changes": [
            {
                "kind": c.kind,
                "id": c.id,
                "name": c.name,
                "action": c.action,
                "before": c.before,
                "after": c.after,
                "grantedBy": c.granted_by,
            }
            for c in user.changes
        ],
    }


class FileModel(BaseModel):
    """Base of the plan file's parts: unknown keys are refused."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ChangeFile(FileModel):
    """A change as saved."""

    kind: Literal["skill", "language"]
    id: str
    name: str
    action: Literal["add", "change", "remove"]
    before: float | None = Field(ge=0, le=5)
    after: float | None = Field(ge=0, le=5)
    grantedBy: str | None = None  # noqa: N815  (the file's key)


class HeldFile(FileModel):
    """The managed items a user held when planned."""

    skills: dict[str, float]
    languages: dict[str, float]


class UserFile(FileModel):
    """A user of the plan as saved."""

    id: str
    name: str
    email: str
    held: HeldFile
    changes: list[ChangeFile]


class BrakeFile(FileModel):
    """The brake as saved."""

    usersWithRemovals: int  # noqa: N815
    limit: float
    setting: str
    tripped: bool


class FindingFile(FileModel):
    """A finding as saved."""

    kind: str
    message: str


class ManagedFile(FileModel):
    """The managed skills and languages as saved."""

    skills: list[str]
    languages: list[str]


class PlanFile(FileModel):
    """A whole plan file."""

    format: Literal["skillsync-plan"]
    version: Literal[1]
    fingerprint: str
    policy: str
    source: str
    summary: dict[str, int]
    brake: BrakeFile
    prune: bool
    managed: ManagedFile
    users: list[UserFile]
    findings: list[FindingFile]


def load_plan(path: Path) -> Plan:
    """Read a saved plan; a `ConfigError` names the field at fault."""
    try:
        saved = PlanFile.model_validate_json(path.read_bytes())
    except OSError as error:
        raise ConfigError(f"cannot read the plan {path}: {error.strerror}") from error
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ConfigError(
            f"{path} is not a skillsync plan: {where}: {first['msg']}; make it "
            "again with `skillsync plan --out`"
        ) from error

    return Plan(
        policy=saved.policy,
        source=saved.source,
        users=tuple(user_of(u) for u in saved.users),
        findings=tuple(Finding(f.kind, f.message) for f in saved.findings),
        active_users=saved.summary.get("activeUsers", 0),
        brake=Brake(
            saved.brake.usersWithRemovals, saved.brake.limit, saved.brake.setting
        ),
        managed_skills=tuple(saved.managed.skills),
        managed_languages=tuple(saved.managed.languages),
        prune=saved.prune,
        fingerprint=saved.fingerprint,
    )


def user_of(saved: UserFile) -> UserPlan:
    """A saved user as plan data."""
    return UserPlan(
        id=GenesysUserId(saved.id),
        name=saved.name,
        email=saved.email,
        held_skills=tuple(sorted(saved.held.skills.items())),
        held_languages=tuple(sorted(saved.held.languages.items())),
        changes=tuple(
            Change(c.kind, c.id, c.name, c.action, c.before, c.after, c.grantedBy)
            for c in saved.changes
        ),
    )
