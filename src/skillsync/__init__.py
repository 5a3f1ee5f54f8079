"""skillsync: Genesys Cloud routing skills and languages from nested groups."""

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
from skillsync.fixture import Org, dump_org, load_org, parse_org

__all__ = [
    "ApiStatusError",
    "ApplyError",
    "AuthError",
    "ConfigError",
    "GenesysError",
    "Org",
    "RateLimitExhausted",
    "SkillsyncError",
    "SourceError",
    "dump_org",
    "load_org",
    "parse_org",
]
