"""Matching directory users to Genesys Cloud users: the one place where a
directory id becomes a Genesys Cloud id.

Emails and usernames match ignoring case, ids and externalIds exactly. Only
active directory users take part. Several directory users sharing a key all
grant to the one Genesys Cloud user, and the duplicate is reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from skillsync.directory.interface import Directory, DirectoryUser, Finding
from skillsync.fixture import Org, User
from skillsync.ids import DirectoryUserId, GenesysUserId
from skillsync.policy import Match
from skillsync.words import listing, plural

FOLDED = {"userName", "email", "username"}


@dataclass(frozen=True, slots=True)
class Matching:
    """Which active directory users grant to each Genesys Cloud user."""

    directory_users: Mapping[GenesysUserId, tuple[DirectoryUserId, ...]]
    findings: tuple[Finding, ...]


def directory_key(user: DirectoryUser, attribute: str) -> str | None:
    """The value of the directory attribute `match.directory` names."""
    if attribute == "userName":
        value: str | None = user.user_name
    elif attribute == "email":
        value = user.emails[0] if user.emails else None
    else:
        value = user.external_id

    return fold(value, attribute)


def genesys_key(user: User, attribute: str) -> str | None:
    """The value of the Genesys Cloud attribute `match.genesys` names."""
    value = {"email": user.email, "username": user.username, "id": user.id}[attribute]
    return fold(value or None, attribute)


def fold(value: str | None, attribute: str) -> str | None:
    """Emails and usernames compare ignoring case; ids exactly."""
    if value is None:
        return None

    return value.strip().casefold() if attribute in FOLDED else value


def match_users(directory: Directory, org: Org, match: Match) -> Matching:
    """Match every active directory user to an active Genesys Cloud user (the
    only ones a plan changes), reporting the users on either side left without
    a partner."""
    by_key: dict[str, User] = {}
    for genesys_user in org.users:
        if genesys_user.state != "active":
            continue

        key = genesys_key(genesys_user, match.genesys)
        if key is not None:
            by_key.setdefault(key, genesys_user)

    matched: dict[GenesysUserId, list[DirectoryUserId]] = {}
    unmatched: list[DirectoryUser] = []
    missing: list[DirectoryUser] = []
    for user in directory.users.values():
        if not user.active:
            continue

        key = directory_key(user, match.directory)
        if key is None:
            missing.append(user)
        elif key in by_key:
            matched.setdefault(by_key[key].id, []).append(user.id)
        else:
            unmatched.append(user)

    findings = [
        *missing_findings(missing, match),
        *unmatched_findings(unmatched, match),
        *duplicate_findings(matched, org),
        *ungranted_findings(matched, org),
    ]
    return Matching({k: tuple(v) for k, v in matched.items()}, tuple(findings))


def identity(directory: Directory, org: Org) -> Matching:
    """With Genesys Cloud's own groups as the directory, each user is itself."""
    users = {GenesysUserId(u): (u,) for u in directory.users}
    known = {GenesysUserId(u.id) for u in org.users}
    return Matching({k: v for k, v in users.items() if k in known}, ())


def missing_findings(users: list[DirectoryUser], match: Match) -> list[Finding]:
    """One finding for the directory users lacking the match attribute."""
    if not users:
        return []

    return [
        Finding(
            "missing-attribute",
            f"{plural(len(users), 'active directory user')} "
            f"{'has' if len(users) == 1 else 'have'} no {match.directory} to match "
            f"on and {'is' if len(users) == 1 else 'are'} left out: "
            f"{listing([u.id for u in users])}",
        )
    ]


def unmatched_findings(users: list[DirectoryUser], match: Match) -> list[Finding]:
    """One finding for the directory users no Genesys Cloud user matches."""
    if not users:
        return []

    return [
        Finding(
            "unmatched-directory-user",
            f"{plural(len(users), 'active directory user')} "
            f"{'matches' if len(users) == 1 else 'match'} no active Genesys Cloud "
            "user by "
            f"{match.directory} = {match.genesys}: "
            f"{listing([u.user_name or u.id for u in users])}",
        )
    ]


def duplicate_findings(
    matched: Mapping[GenesysUserId, list[DirectoryUserId]], org: Org
) -> list[Finding]:
    """A finding per Genesys Cloud user that several directory users match."""
    names = {u.id: u.email or u.id for u in org.users}
    return [
        Finding(
            "duplicate-match",
            f"{len(ids)} directory users ({listing(ids)}) match {names[user]}; "
            "it is granted what any of them is granted",
        )
        for user, ids in sorted(matched.items())
        if len(ids) > 1
    ]


def ungranted_findings(
    matched: Mapping[GenesysUserId, list[DirectoryUserId]], org: Org
) -> list[Finding]:
    """One finding for the active Genesys Cloud users no directory user matches."""
    lonely = [
        u.email or u.id
        for u in org.users
        if u.state == "active" and u.id not in matched
    ]
    if not lonely:
        return []

    return [
        Finding(
            "unmatched-genesys-user",
            f"{plural(len(lonely), 'active Genesys Cloud user')} "
            f"{'matches' if len(lonely) == 1 else 'match'} no active directory user "
            f"and {'is' if len(lonely) == 1 else 'are'} granted nothing: "
            f"{listing(lonely)}",
        )
    ]
