"""The exceptions skillsync raises, one tree split by the phase that failed.

::

    SkillsyncError
    ├── ConfigError          what the user edits: environment, policy, plan, fixture
    ├── SourceError          reading the directory
    ├── GenesysError         an exchange with the Genesys Cloud API
    │   ├── AuthError
    │   ├── ApiStatusError   carries method, route template and status
    │   └── RateLimitExhausted
    └── ApplyError           apply stopped part way; lists what landed

Every message says what is wrong and what to do about it. Catch `SkillsyncError`
for "any skillsync failure"; anything else escaping is a bug.
"""


class SkillsyncError(Exception):
    """Root of every error skillsync raises on purpose."""


class ConfigError(SkillsyncError):
    """Something the user wrote or set is invalid: a file, an option, a variable."""


class SourceError(SkillsyncError):
    """The directory could not be read."""


class GenesysError(SkillsyncError):
    """An exchange with the Genesys Cloud API failed."""


class AuthError(GenesysError):
    """Genesys Cloud refused the credentials or the token."""


class ApiStatusError(GenesysError):
    """Genesys Cloud answered a request with an error status."""

    def __init__(self, method: str, route: str, status: int, message: str) -> None:
        super().__init__(f"{method} {route} answered {status}: {message}")
        self.method = method
        self.route = route
        self.status = status


class RateLimitExhausted(GenesysError):
    """Retries against the rate limit ran out of attempts or time."""


class ApplyError(SkillsyncError):
    """Apply stopped part way; `landed` says which changes were made."""

    def __init__(self, message: str, landed: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.landed = landed
