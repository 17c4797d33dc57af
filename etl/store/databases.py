"""Whole databases on the store's server: a replay runs on one it creates and drops."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

import psycopg

_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def database_url(url: str, name: str) -> str:
    """``url`` naming database ``name`` instead, without its query (a search path, say)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))


def create_database(url: str, name: str) -> str:
    """Create an empty database ``name`` on the server of ``url``; returns its URL."""
    _check(name)
    with psycopg.connect(database_url(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return database_url(url, name)


def drop_database(url: str, name: str) -> None:
    """Drop database ``name``, closing any connection a stopped process left behind."""
    _check(name)
    with psycopg.connect(database_url(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _check(name: str) -> None:
    if not _NAME.match(name):
        raise ValueError(f"not a plain database name: {name!r}")
