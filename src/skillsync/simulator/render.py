"""The API's entity shapes, built from the simulator's state.

Only fields the real models define appear here; the conformance tests check each
one against the official SDK's models.
"""

from __future__ import annotations

from skillsync.fixture import Language, Skill
from skillsync.simulator.protocol import JSON
from skillsync.simulator.state import SimGroup, SimUser

EPOCH = "2026-01-01T00:00:00.000Z"  # dateModified of every catalog entry and group
HOME_DIVISION: JSON = {
    "id": "00000000-0000-4000-8000-000000000001",
    "name": "Home",
    "selfUri": "/api/v2/authorization/divisions/00000000-0000-4000-8000-000000000001",
}


def skill_entry(skill: Skill) -> JSON:
    """A `RoutingSkill` of the catalog."""
    return {
        "id": skill.id,
        "name": skill.name,
        "division": HOME_DIVISION,
        "dateModified": EPOCH,
        "state": skill.state,
        "version": "1",
        "selfUri": f"/api/v2/routing/skills/{skill.id}",
    }


def language_entry(language: Language) -> JSON:
    """A `Language` of the catalog."""
    return {
        "id": language.id,
        "name": language.name,
        "dateModified": EPOCH,
        "state": language.state,
        "version": "1",
        "selfUri": f"/api/v2/routing/languages/{language.id}",
    }


def user_skill(user_id: str, skill: Skill, proficiency: float) -> JSON:
    """A `UserRoutingSkill`: a skill one user holds."""
    return {
        "id": skill.id,
        "name": skill.name,
        "proficiency": proficiency,
        "state": skill.state,
        "skillUri": f"/api/v2/routing/skills/{skill.id}",
        "selfUri": f"/api/v2/users/{user_id}/routingskills/{skill.id}",
    }


def user_language(user_id: str, language: Language, proficiency: int) -> JSON:
    """A `UserRoutingLanguage`: a language one user holds."""
    return {
        "id": language.id,
        "name": language.name,
        "proficiency": proficiency,
        "state": language.state,
        "languageUri": f"/api/v2/routing/languages/{language.id}",
        "selfUri": f"/api/v2/users/{user_id}/routinglanguages/{language.id}",
    }


def user_entry(user: SimUser) -> JSON:
    """A `User` without expansions."""
    return {
        "id": user.id,
        "name": user.name,
        "division": HOME_DIVISION,
        "email": user.email,
        "state": user.state,
        "username": user.username,
        "version": user.version,
        "selfUri": f"/api/v2/users/{user.id}",
    }


def group_entry(group: SimGroup) -> JSON:
    """A `Group`, always official, public and active."""
    return {
        "id": group.id,
        "name": group.name,
        "dateModified": EPOCH,
        "memberCount": len(group.members),
        "state": "active",
        "version": 1,
        "type": "official",
        "rulesVisible": True,
        "visibility": "public",
        "rolesEnabled": False,
        "includeOwners": False,
        "callsEnabled": False,
        "selfUri": f"/api/v2/groups/{group.id}",
    }


def group_reference(group_id: str) -> JSON:
    """A group as `expand=groups` lists it: id and selfUri only."""
    return {"id": group_id, "selfUri": f"/api/v2/groups/{group_id}"}
