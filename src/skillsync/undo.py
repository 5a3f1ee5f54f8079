"""`skillsync undo`: putting back what the users an apply changed held before.

The journal lists, for each user apply set out to change, every change with the
proficiency the item had. Undo turns those into a plan back to that state and
applies it like any saved plan: each user is checked against what it holds
now, so items already back where they were cost nothing, and items the policy
never touched are never written.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from skillsync.apply import ApplyOptions, ApplyReport, apply_checked
from skillsync.errors import ConfigError
from skillsync.journal import Touched, merged, read_journal
from skillsync.plan import Brake, Change, Plan, UserPlan
from skillsync.progress import QUIET, Observer
from skillsync.world import Target


def undo_plan(journals: Sequence[Path]) -> Plan:
    """The plan that takes every journalled user back to what it held."""
    touched: dict[str, Touched] = {}
    for path in journals:
        for entry in read_journal(path):
            earlier = touched.get(entry.user)
            changes = entry.changes
            if earlier is not None:
                changes = merged(earlier.changes, entry.changes)

            touched[entry.user] = Touched(entry.user, entry.email, changes, entry.done)

    if not touched:
        names = ", ".join(str(p) for p in journals)
        raise ConfigError(f"{names} records no user that apply set out to change")

    users = tuple(back(entry) for entry in touched.values())
    return Plan(
        policy="(undo)",
        source=", ".join(str(p) for p in journals),
        users=users,
        findings=(),
        active_users=len(users),
        brake=Brake(0, float(len(users)), "undo"),
        managed_skills=(),
        managed_languages=(),
        prune=True,
        fingerprint="undo",
    )


def back(entry: Touched) -> UserPlan:
    """One user's changes, reversed."""
    changes = tuple(
        Change(
            c.kind,
            c.id,
            c.name,
            "add" if c.after is None else "remove" if c.before is None else "change",
            c.after,
            c.before,
            "undo",
        )
        for c in entry.changes
    )
    return UserPlan(entry.user, entry.email, entry.email, (), (), changes)


def undo(
    journals: Sequence[Path],
    target: Target,
    options: ApplyOptions,
    observer: Observer = QUIET,
) -> ApplyReport:
    """Put back what the journalled users held before apply changed them."""
    return apply_checked(undo_plan(journals), target, options, observer)
