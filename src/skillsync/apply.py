"""Carrying out a plan, user by user, in the fewest calls the API allows.

For each user: one PATCH bulk per 50 skills added or changed, one DELETE per
skill removed, and the same for languages; never a PUT that replaces a user's
whole set, so skills the policy does not manage cannot be lost. Before a user's
first write the journal records what it held; after its last, that it is done.
A user whose managed items are no longer what the plan saw is re-planned from
what it holds now, so that running apply again after a crash finishes the work
without redoing what landed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from skillsync.directory.interface import DirectorySource
from skillsync.errors import ApiStatusError, ApplyError, GenesysError
from skillsync.genesys.api import GenesysApi
from skillsync.genesys.client import run_sync
from skillsync.genesys.models import User
from skillsync.ids import GenesysUserId, LanguageId, SkillId
from skillsync.journal import Journal
from skillsync.plan import Action, Change, Kind, Plan, UserPlan, level
from skillsync.planfile import load_plan
from skillsync.policy import load_policy
from skillsync.progress import QUIET, Observer
from skillsync.words import plural
from skillsync.world import Target, planned, read_world

logger = logging.getLogger(__name__)

CONFLICT_RETRIES = 5  # tries of one user's writes against concurrent edits (409)


@dataclass(slots=True)
class Outcome:
    """What happened to the users of a plan."""

    changed: list[GenesysUserId] = field(default_factory=list)
    replanned: list[GenesysUserId] = field(default_factory=list)
    already: list[GenesysUserId] = field(default_factory=list)
    skipped: dict[GenesysUserId, str] = field(default_factory=dict)
    writes: int = 0


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """The end of an apply: counts, calls, time and waits."""

    changed: int
    replanned: int
    already: int
    skipped: tuple[tuple[str, str], ...]
    writes: int
    calls: int
    seconds: float
    waited: float

    def summary(self) -> str:
        """A counted, pluralised account of the run."""
        lines = [
            f"Changed {plural(self.changed, 'user')} in "
            f"{plural(self.calls, 'API call')} ({self.writes:,} writes) "
            f"in {self.seconds:.1f} s"
            + (
                f", {self.waited:.1f} s of it paced by the rate limit"
                if self.waited
                else ""
            )
            + "."
        ]
        if self.replanned:
            lines.append(
                f"{plural(self.replanned, 'user')} had changed since the plan and "
                "were re-planned from what they hold now."
            )

        if self.already:
            lines.append(
                f"{plural(self.already, 'user')} already held what the plan wanted "
                "(a previous apply got there) and cost no write."
            )

        if self.skipped:
            lines.append(f"{plural(len(self.skipped), 'user')} skipped:")
            lines += [f"  {user}: {reason}" for user, reason in self.skipped]

        return "\n".join(lines)


async def apply_plan(
    api: GenesysApi,
    plan: Plan,
    journal: Journal,
    *,
    fresh: bool,
    observer: Observer = QUIET,
) -> ApplyResult:
    """Write every change of `plan`. A `fresh` plan was computed moments ago
    from what the users hold; any other is first checked against it."""
    started = time.monotonic()
    calls_before = api.client.calls
    applier = Applier(api, journal, observer)
    if not fresh:
        observer.phase("reading the users of the plan")
        users = await api.users_by_id([u.id for u in plan.users])
        applier.current = {u.id: u for u in users}

    observer.phase("applying", len(plan.users))
    try:
        async with asyncio.TaskGroup() as group:
            for user in plan.users:
                group.create_task(applier.apply(user, fresh=fresh))
    except* GenesysError as failures:
        error = failures.exceptions[0]
        raise stopped(error, applier.outcome) from error

    outcome = applier.outcome
    return ApplyResult(
        changed=len(outcome.changed),
        replanned=len(outcome.replanned),
        already=len(outcome.already),
        skipped=tuple(sorted(outcome.skipped.items())),
        writes=outcome.writes,
        calls=api.client.calls - calls_before,
        seconds=time.monotonic() - started,
        waited=api.client.waited(),
    )


class Applier:
    """Applies users' changes one user at a time, many users at once."""

    def __init__(self, api: GenesysApi, journal: Journal, observer: Observer) -> None:
        self.api = api
        self.journal = journal
        self.observer = observer
        self.current: Mapping[GenesysUserId, User] = {}
        self.outcome = Outcome()

    async def apply(self, user: UserPlan, *, fresh: bool) -> None:
        """Apply one user's changes, re-planning it when it changed meanwhile."""
        changes = user.changes if fresh else self.checked(user)
        for attempt in range(1, CONFLICT_RETRIES + 1):
            if not changes:
                break

            try:
                await self.write(user, changes)
                self.outcome.changed.append(user.id)
                break
            except ApiStatusError as error:
                if error.status != 409 or attempt == CONFLICT_RETRIES:
                    raise

                logger.info("%s changed meanwhile (409); re-reading it", user.email)
                changes = replan(user, await self.api.user(user.id))
                if not changes:
                    self.outcome.already.append(user.id)

        self.observer.advance()

    def checked(self, user: UserPlan) -> tuple[Change, ...]:
        """A saved plan's changes for `user`, redone from what it holds now."""
        now = self.current.get(user.id)
        if now is None or now.state != "active":
            self.outcome.skipped[user.id] = "no longer an active Genesys Cloud user"
            return ()

        changes = replan(user, now)
        if not changes:
            self.outcome.already.append(user.id)
        elif changes != user.changes:
            self.outcome.replanned.append(user.id)

        return changes

    async def write(self, user: UserPlan, changes: Sequence[Change]) -> None:
        """The writes for one user, journalled before and after."""
        self.journal.before(user.id, user.email, tuple(changes))
        calls = await write_changes(self.api, user.id, changes)
        self.outcome.writes += calls
        self.journal.done(user.id, calls)
        for change in changes:
            logger.info(
                "%s: %s %s %s -> %s",
                user.email or user.id,
                change.kind,
                change.name,
                level(change.before),
                level(change.after),
            )


def stopped(error: BaseException, outcome: Outcome) -> ApplyError:
    """The error that ends an apply part way, with what landed before it."""
    return ApplyError(
        f"apply stopped: {error}. {plural(len(outcome.changed), 'user')} "
        f"{'was' if len(outcome.changed) == 1 else 'were'} changed before that; "
        "run apply again to finish (the journal records what landed)",
        tuple(outcome.changed),
    )


async def write_changes(
    api: GenesysApi, user_id: GenesysUserId, changes: Sequence[Change]
) -> int:
    """PATCH what is added or changed, DELETE what goes; returns the calls."""
    skills = [
        (SkillId(c.id), c.after)
        for c in changes
        if c.kind == "skill" and c.after is not None
    ]
    languages = [
        (LanguageId(c.id), round(c.after))
        for c in changes
        if c.kind == "language" and c.after is not None
    ]
    calls = 0
    if skills:
        calls += await api.patch_skills(user_id, skills)

    if languages:
        calls += await api.patch_languages(user_id, languages)

    removals = [c for c in changes if c.action == "remove"]
    for change in removals:
        if change.kind == "skill":
            await api.remove_skill(user_id, SkillId(change.id))
        else:
            await api.remove_language(user_id, LanguageId(change.id))

    return calls + len(removals)


def replan(user: UserPlan, now: User) -> tuple[Change, ...]:
    """The changes that take what the user holds now to what the plan wants."""
    held: dict[Kind, dict[str, float]] = {
        "skill": {s.id: s.proficiency for s in now.skills or ()},
        "language": {x.id: x.proficiency for x in now.languages or ()},
    }
    changes = []
    for change in user.changes:
        before = held[change.kind].get(change.id)
        if before == change.after:
            continue

        action: Action = "change"
        if change.after is None:
            action = "remove"
        elif before is None:
            action = "add"

        changes.append(
            Change(
                change.kind,
                change.id,
                change.name,
                action,
                before,
                change.after,
                change.granted_by,
            )
        )

    return tuple(changes)


ApplyStatus = Literal["applied", "nothing", "braked", "declined"]


@dataclass(frozen=True, slots=True)
class ApplyReport:
    """How an apply ended: with the plan it worked from and, when it wrote, the
    result and the journal."""

    plan: Plan
    status: ApplyStatus
    result: ApplyResult | None = None
    journal: Path | None = None


@dataclass(frozen=True, slots=True)
class ApplyOptions:
    """What the person running apply decided."""

    approve: Callable[[Plan], bool]
    allow_removals: bool
    journal: Path


def apply_policy(
    policy: Path,
    source: DirectorySource | None,
    target: Target,
    options: ApplyOptions,
    observer: Observer = QUIET,
) -> ApplyReport:
    """Plan from what Genesys Cloud and the directory hold now, then apply."""
    loaded = load_policy(policy)

    async def run() -> ApplyReport:
        async with target.client(observer) as client:
            api = GenesysApi(client)
            world = await read_world(api, source, observer)
            plan = planned(loaded, world).plan
            return await carry_out(api, plan, options, observer, fresh=True)

    return run_sync(run)


def apply_saved(
    path: Path, target: Target, options: ApplyOptions, observer: Observer = QUIET
) -> ApplyReport:
    """Apply a saved plan, re-planning each user from what it holds now."""
    return apply_checked(load_plan(path), target, options, observer)


def apply_checked(
    plan: Plan, target: Target, options: ApplyOptions, observer: Observer = QUIET
) -> ApplyReport:
    """Apply a plan made earlier, each user checked against what it holds now."""

    async def run() -> ApplyReport:
        async with target.client(observer) as client:
            api = GenesysApi(client)
            return await carry_out(api, plan, options, observer, fresh=False)

    return run_sync(run)


async def carry_out(
    api: GenesysApi,
    plan: Plan,
    options: ApplyOptions,
    observer: Observer,
    *,
    fresh: bool,
) -> ApplyReport:
    """Stop at the brake or a refusal; otherwise apply, journalled."""
    if not plan.users:
        return ApplyReport(plan, "nothing")

    if plan.brake.tripped and not options.allow_removals:
        return ApplyReport(plan, "braked")

    if not await asyncio.to_thread(options.approve, plan):
        return ApplyReport(plan, "declined")

    with Journal(options.journal, plan.fingerprint) as journal:
        result = await apply_plan(api, plan, journal, fresh=fresh, observer=observer)

    return ApplyReport(plan, "applied", result, options.journal)
