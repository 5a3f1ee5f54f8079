"""skillsync: Genesys Cloud routing skills and languages from nested groups.

The library behind the `skillsync` command: read a directory and an org, plan
what a policy grants, apply or undo it, and explain why an agent holds a skill.
"""

from skillsync.apply import ApplyOptions, ApplyReport, apply_policy, apply_saved
from skillsync.directory.genesys import GenesysSource
from skillsync.directory.interface import (
    Directory,
    DirectoryGroup,
    DirectorySource,
    DirectoryUser,
    Finding,
)
from skillsync.directory.scim import ScimSource
from skillsync.directory.snapshot import SnapshotSource
from skillsync.errors import (
    ApiStatusError,
    ApplyError,
    AuthError,
    ConfigError,
    GenesysError,
    RateLimitExhausted,
    SkillsyncError,
    SourceError,
)
from skillsync.explain import explain
from skillsync.fixture import Org, dump_org, load_org, parse_org
from skillsync.genesys.client import GenesysClient
from skillsync.genesys.connection import Connection, connection_from_env
from skillsync.genesys.export import export_org_file
from skillsync.graph import GroupGraph
from skillsync.hierarchy import render_hierarchy
from skillsync.plan import Plan
from skillsync.planfile import load_plan, plan_json
from skillsync.policy import Policy, load_policy, parse_policy
from skillsync.undo import undo
from skillsync.world import Planned, Target, plan_policy, planned

__all__ = [
    "ApiStatusError",
    "ApplyError",
    "ApplyOptions",
    "ApplyReport",
    "AuthError",
    "ConfigError",
    "Connection",
    "Directory",
    "DirectoryGroup",
    "DirectorySource",
    "DirectoryUser",
    "Finding",
    "GenesysClient",
    "GenesysError",
    "GenesysSource",
    "GroupGraph",
    "Org",
    "Plan",
    "Planned",
    "Policy",
    "RateLimitExhausted",
    "ScimSource",
    "SkillsyncError",
    "SnapshotSource",
    "SourceError",
    "Target",
    "apply_policy",
    "apply_saved",
    "connection_from_env",
    "dump_org",
    "explain",
    "export_org_file",
    "load_org",
    "load_plan",
    "load_policy",
    "parse_org",
    "parse_policy",
    "plan_json",
    "plan_policy",
    "planned",
    "render_hierarchy",
    "undo",
]
