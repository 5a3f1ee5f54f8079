"""The API's responses as typed records, validated on arrival.

Genesys Cloud adds fields over time, so an unknown field is ignored; a missing
required one means the answer is not what skillsync can work with, and is an
error naming the route and the field.
"""

from __future__ import annotations

from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

from skillsync.ids import GenesysGroupId, GenesysUserId, LanguageId, SkillId

EntityState = Literal["active", "inactive", "deleted"]


class ApiModel(BaseModel):
    """Base of every response record: tolerant of new fields, frozen once read."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class RoutingSkill(ApiModel):
    """An entry of the org's skill catalog."""

    id: SkillId
    name: str
    state: EntityState = "active"


class RoutingLanguage(ApiModel):
    """An entry of the org's language catalog."""

    id: LanguageId
    name: str
    state: EntityState = "active"


class UserRoutingSkill(ApiModel):
    """A skill one user holds, at a proficiency from 0.0 to 5.0."""

    id: SkillId
    proficiency: float
    name: str | None = None


class UserRoutingLanguage(ApiModel):
    """A language one user holds; the API stores whole proficiencies."""

    id: LanguageId
    proficiency: float
    name: str | None = None


class GroupReference(ApiModel):
    """A group as `expand=groups` lists it: often only its id."""

    id: GenesysGroupId


class User(ApiModel):
    """A user; `skills`, `languages` and `groups` are None when not expanded,
    which the API allows even when asked ("best effort")."""

    id: GenesysUserId
    name: str = ""
    email: str = ""
    username: str = ""
    state: EntityState = "active"
    version: int | None = None
    skills: list[UserRoutingSkill] | None = None
    languages: list[UserRoutingLanguage] | None = None
    groups: list[GroupReference] | None = None


class Group(ApiModel):
    """A flat Genesys Cloud group."""

    id: GenesysGroupId
    name: str
    memberCount: int | None = None  # noqa: N815  (the API's field name)


class Limit(ApiModel):
    """One limit of a namespace."""

    key: str
    value: int


EntityT = TypeVar("EntityT", bound=ApiModel)


class Page(ApiModel, Generic[EntityT]):
    """One page of any listing."""

    entities: list[EntityT] = []
    pageCount: int | None = None  # noqa: N815
    total: int | None = None


class Limits(ApiModel):
    """The limits of a namespace."""

    entities: list[Limit] = []
