"""Whole databases and schemas on the store's server: a replay runs on a database it creates
and drops, a benchmark on a scratch schema."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit, urlunsplit

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


def create_schema(url: str, name: str) -> str:
    """Create an empty schema ``name`` in the database of ``url``; returns a URL whose
    connections work in it (its search path)."""
    _check(name)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options={quote(f'-csearch_path={name}')}"


def drop_schema(url: str, name: str) -> None:
    """Drop schema ``name`` of the database of ``url`` and everything in it."""
    _check(name)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def _check(name: str) -> None:
    if not _NAME.match(name):
        raise ValueError(f"not a plain database or schema name: {name!r}")
