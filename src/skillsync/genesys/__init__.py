"""The Genesys Cloud Platform API client: connection settings, tokens, a paced
transport with retries, typed calls, and the org export built on them."""
