"""Where Genesys Cloud is and who skillsync is there: from the environment.

The variable names are those of Genesys Cloud's own CLI and Terraform provider,
so one environment serves all three.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from skillsync.errors import ConfigError

CLIENT_ID = "GENESYSCLOUD_OAUTHCLIENT_ID"
CLIENT_SECRET = "GENESYSCLOUD_OAUTHCLIENT_SECRET"
REGION = "GENESYSCLOUD_REGION"
API_REGION = "GENESYSCLOUD_API_REGION"
TOKEN_POOL_SIZE = "GENESYSCLOUD_TOKEN_POOL_SIZE"

MAX_TOKEN_POOL = 50

# AWS region key to Genesys Cloud domain; the API is at `api.` + domain.
REGIONS: dict[str, str] = {
    "us-east-1": "mypurecloud.com",
    "us-east-2": "use2.us-gov-pure.cloud",
    "us-west-2": "usw2.pure.cloud",
    "ca-central-1": "cac1.pure.cloud",
    "sa-east-1": "sae1.pure.cloud",
    "mx-central-1": "mxc1.pure.cloud",
    "eu-west-1": "mypurecloud.ie",
    "eu-west-2": "euw2.pure.cloud",
    "eu-central-1": "mypurecloud.de",
    "eu-central-2": "euc2.pure.cloud",
    "me-central-1": "mec1.pure.cloud",
    "ap-south-1": "aps1.pure.cloud",
    "ap-southeast-1": "apse1.pure.cloud",
    "ap-southeast-2": "mypurecloud.com.au",
    "ap-northeast-1": "mypurecloud.jp",
    "ap-northeast-2": "apne2.pure.cloud",
    "ap-northeast-3": "apne3.pure.cloud",
    "eusc-de-east-1": "edee1.eusc-pure.cloud",
}


@dataclass(frozen=True, slots=True)
class Credentials:
    """An OAuth client's id and secret; the secret never appears in a repr."""

    client_id: str
    secret: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class Connection:
    """The API and login base URLs and the credentials to use there."""

    api_url: str
    login_url: str
    credentials: Credentials
    token_pool_size: int = 1


def connection_from_env(
    environ: Mapping[str, str],
    api_url: str | None = None,
    token_pool_size: int | None = None,
) -> Connection:
    """Read the connection from `environ`; `api_url` (the `--api-url` option)
    wins over both region variables."""
    base = api_url or environ.get(API_REGION) or region_api_url(environ)
    source = "--api-url" if api_url else API_REGION
    base = checked_url(base, source)
    return Connection(
        api_url=base,
        login_url=login_url_for(base),
        credentials=credentials_from_env(environ),
        token_pool_size=pool_size(environ, token_pool_size),
    )


def region_api_url(environ: Mapping[str, str]) -> str:
    """The API base URL for `GENESYSCLOUD_REGION`, a region key or a domain."""
    region = environ.get(REGION, "").strip()
    if not region:
        raise ConfigError(
            f"no Genesys Cloud region is set: set {REGION} to a region key such as "
            f"us-east-1 or a domain such as mypurecloud.ie, or set {API_REGION} "
            "(or pass --api-url) to a full API URL"
        )

    if region in REGIONS:
        return f"https://api.{REGIONS[region]}"

    domain = region.lower().removeprefix("api.")
    if domain in REGIONS.values():
        return f"https://api.{domain}"

    raise ConfigError(
        f"{REGION} is {region!r}, which is neither a Genesys Cloud region key nor "
        f"a Genesys Cloud domain; use one of {', '.join(sorted(REGIONS))}, "
        f"or set {API_REGION} to the full API URL"
    )


def checked_url(url: str, source: str) -> str:
    """`url` without a trailing slash, refusing anything but http(s)://host."""
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigError(
            f"{source} is {url!r}, which is not an http(s) URL; give the API base "
            "URL, for example https://api.mypurecloud.ie or http://127.0.0.1:8765"
        )

    return url.strip().rstrip("/")


def login_url_for(api_url: str) -> str:
    """The login host of an API host: `api.` becomes `login.`; a host without
    that prefix (a local simulator) serves its own token endpoint."""
    parts = urlsplit(api_url)
    host = parts.netloc
    if host.startswith("api."):
        host = "login." + host.removeprefix("api.")

    return f"{parts.scheme}://{host}"


def credentials_from_env(environ: Mapping[str, str]) -> Credentials:
    """The OAuth client credentials, refusing to go on without both."""
    missing = [name for name in (CLIENT_ID, CLIENT_SECRET) if not environ.get(name)]
    if missing:
        raise ConfigError(
            f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set: "
            "set them to the id and secret of a client-credentials OAuth client "
            "(the secret is read only from the environment, never from an option)"
        )

    return Credentials(environ[CLIENT_ID].strip(), environ[CLIENT_SECRET].strip())


def pool_size(environ: Mapping[str, str], option: int | None) -> int:
    """How many tokens to use at once: the option, else the variable, else 1."""
    raw = str(option) if option is not None else environ.get(TOKEN_POOL_SIZE, "1")
    source = "--token-pool-size" if option is not None else TOKEN_POOL_SIZE
    if not raw.strip().isdigit() or not 1 <= int(raw) <= MAX_TOKEN_POOL:
        raise ConfigError(
            f"{source} is {raw!r}; give a whole number of tokens from 1 to "
            f"{MAX_TOKEN_POOL}"
        )

    return int(raw)
