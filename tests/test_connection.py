"""Connection settings from the environment: regions, hosts, credentials, pool."""

from __future__ import annotations

import pytest

from skillsync.errors import ConfigError
from skillsync.genesys.connection import (
    REGIONS,
    connection_from_env,
    login_url_for,
)

CREDENTIALS = {
    "GENESYSCLOUD_OAUTHCLIENT_ID": "client-1",
    "GENESYSCLOUD_OAUTHCLIENT_SECRET": "s3cret-value",
}


@pytest.mark.parametrize(("region", "domain"), sorted(REGIONS.items()))
def test_every_region_key_and_its_domain_give_the_same_hosts(
    region: str, domain: str
) -> None:
    """A region key and its domain both lead to api. and login. on that domain."""
    for value in (region, domain):
        connection = connection_from_env({**CREDENTIALS, "GENESYSCLOUD_REGION": value})
        assert connection.api_url == f"https://api.{domain}"
        assert connection.login_url == f"https://login.{domain}"


def test_fedramp_region_is_not_the_commercial_pattern() -> None:
    """us-east-2 is the FedRAMP domain, not use2.pure.cloud."""
    environ = {**CREDENTIALS, "GENESYSCLOUD_REGION": "us-east-2"}
    assert connection_from_env(environ).api_url == "https://api.use2.us-gov-pure.cloud"


def test_api_region_wins_over_region_and_the_option_wins_over_both() -> None:
    """GENESYSCLOUD_API_REGION beats GENESYSCLOUD_REGION; --api-url beats both."""
    environ = {
        **CREDENTIALS,
        "GENESYSCLOUD_REGION": "eu-west-1",
        "GENESYSCLOUD_API_REGION": "https://api.mypurecloud.de/",
    }
    assert connection_from_env(environ).api_url == "https://api.mypurecloud.de"
    local = connection_from_env(environ, api_url="http://127.0.0.1:8765")
    assert local.api_url == "http://127.0.0.1:8765"


def test_a_host_without_api_prefix_serves_its_own_token_endpoint() -> None:
    """The simulator's host keeps its login on the same host and port."""
    assert login_url_for("http://127.0.0.1:8765") == "http://127.0.0.1:8765"
    assert login_url_for("https://api.mypurecloud.ie") == "https://login.mypurecloud.ie"


def test_an_unknown_region_names_the_variable_and_the_choices() -> None:
    """A mistyped region is refused with the variable and valid keys."""
    environ = {**CREDENTIALS, "GENESYSCLOUD_REGION": "eu-west-9"}
    with pytest.raises(ConfigError, match="GENESYSCLOUD_REGION") as caught:
        connection_from_env(environ)

    assert "eu-west-1" in str(caught.value)


def test_no_region_at_all_says_which_variables_to_set() -> None:
    """Without any region setting, the error lists the three ways to give one."""
    with pytest.raises(ConfigError) as caught:
        connection_from_env(CREDENTIALS)

    message = str(caught.value)
    assert "GENESYSCLOUD_REGION" in message
    assert "GENESYSCLOUD_API_REGION" in message
    assert "--api-url" in message


def test_a_url_that_is_not_http_is_refused() -> None:
    """--api-url must be an http(s) URL with a host."""
    with pytest.raises(ConfigError, match="--api-url"):
        connection_from_env(CREDENTIALS, api_url="api.mypurecloud.com")


@pytest.mark.parametrize("missing", sorted(CREDENTIALS))
def test_missing_credentials_name_the_variable(missing: str) -> None:
    """Each missing credential variable is named in the error."""
    environ = {**CREDENTIALS, "GENESYSCLOUD_REGION": "us-east-1"}
    del environ[missing]
    with pytest.raises(ConfigError, match=missing):
        connection_from_env(environ)


def test_the_secret_never_shows_in_a_repr() -> None:
    """Printing a connection, as a traceback might, does not reveal the secret."""
    environ = {**CREDENTIALS, "GENESYSCLOUD_REGION": "us-east-1"}
    assert "s3cret-value" not in repr(connection_from_env(environ))


@pytest.mark.parametrize("size", ["0", "51", "two"])
def test_a_token_pool_size_out_of_range_is_refused(size: str) -> None:
    """GENESYSCLOUD_TOKEN_POOL_SIZE takes 1 to 50."""
    environ = {
        **CREDENTIALS,
        "GENESYSCLOUD_REGION": "us-east-1",
        "GENESYSCLOUD_TOKEN_POOL_SIZE": size,
    }
    with pytest.raises(ConfigError, match="GENESYSCLOUD_TOKEN_POOL_SIZE"):
        connection_from_env(environ)


def test_the_pool_size_option_wins_over_the_variable() -> None:
    """--token-pool-size beats GENESYSCLOUD_TOKEN_POOL_SIZE."""
    environ = {
        **CREDENTIALS,
        "GENESYSCLOUD_REGION": "us-east-1",
        "GENESYSCLOUD_TOKEN_POOL_SIZE": "3",
    }
    assert connection_from_env(environ).token_pool_size == 3
    assert connection_from_env(environ, token_pool_size=5).token_pool_size == 5
