"""A local Genesys Cloud org: the API skillsync uses, served from a fixture."""
