"""Data in: sources, parsers, team identity, the PostgreSQL store and validation gates."""
