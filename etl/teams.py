"""Team identity across sources: every source's spelling resolves to one canonical team.

The curated alias table ``etl/data/team_aliases.csv`` (source, alias, canonical team,
country) is seeded into ``teams``/``team_aliases`` by :func:`seed_aliases`. A name no alias
knows becomes a new team only when no team of the same competition is a close match; a
close-but-not-exact name raises :class:`~etl.errors.UnknownTeam` instead, so a misspelling
never silently splits one club into two.
"""

from __future__ import annotations

import csv
import difflib
import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import psycopg

from etl.competitions import COMPETITIONS, competition_code, ensure_competition
from etl.errors import UnknownTeam

ALIASES_CSV = Path(__file__).with_name("data") / "team_aliases.csv"
#: difflib ratio from which two normalised names count as "close" (0..1).
CLOSE_RATIO = 0.75
#: Words that carry no identity ("FC Augsburg" is "Augsburg").
NOISE_WORDS = frozenset(
    {"fc", "afc", "cf", "sc", "ac", "as", "cd", "ud", "sd", "rc", "club", "the"}
)


@dataclass(frozen=True)
class Alias:
    source: str
    alias: str
    team: str
    country: str


def shipped_aliases(path: Path = ALIASES_CSV) -> list[Alias]:
    """The curated alias table as shipped in the repository."""
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            Alias(r["source"], r["alias"], r["team"], r["country"]) for r in csv.DictReader(handle)
        ]


def seed_aliases(conn: psycopg.Connection, aliases: list[Alias] | None = None) -> int:
    """Load the curated aliases into the store (idempotent); return how many rows changed.

    The curated table wins over an older mapping of the same (source, alias); aliases added
    by operators under other names are left alone.
    """
    aliases = shipped_aliases() if aliases is None else aliases
    teams = sorted({(a.team, a.country) for a in aliases})
    with conn.transaction():
        cur = conn.execute(
            "INSERT INTO teams (name, country)"
            " SELECT * FROM unnest(%s::text[], %s::text[])"
            " ON CONFLICT (name) DO NOTHING",
            ([t for t, _ in teams], [c for _, c in teams]),
        )
        changed = cur.rowcount
        cur = conn.execute(
            "INSERT INTO team_aliases (source, alias, team_id)"
            " SELECT a.source, a.alias, t.id"
            " FROM unnest(%s::text[], %s::text[], %s::text[]) AS a(source, alias, team)"
            " JOIN teams t ON t.name = a.team"
            " ON CONFLICT (source, alias) DO UPDATE SET team_id = excluded.team_id"
            " WHERE team_aliases.team_id IS DISTINCT FROM excluded.team_id",
            (
                [a.source for a in aliases],
                [a.alias for a in aliases],
                [a.team for a in aliases],
            ),
        )
        changed += cur.rowcount
    return changed


@functools.lru_cache(maxsize=8192)
def normalise(name: str) -> str:
    """Lower case, no accents, no punctuation, no noise words: what identity is compared on.
    Remembered per spelling: a worker resolves the same few hundred names on every message."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9 ]+", " ", ascii_name.lower()).split()
    return " ".join(w for w in words if w not in NOISE_WORDS) or ascii_name.lower().strip()


def is_close(name: str, other: str) -> bool:
    """Whether two names look like spellings of one club (``Man Utd`` / ``Man United``)."""
    a, b = normalise(name), normalise(other)
    if a == b:
        return True
    words_a, words_b = set(a.split()), set(b.split())
    if words_a and words_b and (words_a <= words_b or words_b <= words_a):
        return True
    return difflib.SequenceMatcher(None, a, b).ratio() >= CLOSE_RATIO


def alias_command(source: str, name: str, competition: str) -> str:
    """The operator command that maps ``name`` onto a team (shown in errors)."""
    return (
        f"footcast teams alias add --source {source} --competition {competition}"
        f" {_quote(name)} '<canonical team>'"
    )


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


def lookup_alias(conn: psycopg.Connection, source: str, name: str) -> int | None:
    row = conn.execute(
        "SELECT team_id FROM team_aliases WHERE source = %s AND alias = %s", (source, name)
    ).fetchone()
    return None if row is None else int(row[0])


def add_alias(conn: psycopg.Connection, source: str, alias: str, team_id: int) -> None:
    """Map (source, alias) to a team, replacing an earlier mapping of the same alias."""
    conn.execute(
        "INSERT INTO team_aliases (source, alias, team_id) VALUES (%s, %s, %s)"
        " ON CONFLICT (source, alias) DO UPDATE SET team_id = excluded.team_id",
        (source, alias, team_id),
    )


def create_team(conn: psycopg.Connection, name: str, country: str | None) -> int:
    """A canonical team by name, created if missing (safe under concurrent creators)."""
    conn.execute(
        "INSERT INTO teams (name, country) VALUES (%s, %s) ON CONFLICT (name) DO NOTHING",
        (name, country),
    )
    found = team_id_of(conn, name)
    assert found is not None
    return found


def _competition_teams(conn: psycopg.Connection, code: str) -> list[tuple[int, str, list[str]]]:
    """Teams of the competition's country or seen in it, each with every alias it has."""
    rows = conn.execute(
        "SELECT t.id, t.name, coalesce(array_agg(a.alias) FILTER (WHERE a.alias IS NOT NULL),"
        " '{}') FROM teams t LEFT JOIN team_aliases a ON a.team_id = t.id"
        " WHERE t.country = %s OR t.id IN ("
        "   SELECT unnest(ARRAY[m.home_team_id, m.away_team_id]) FROM matches m"
        "   JOIN competitions c ON c.id = m.competition_id WHERE c.code = %s)"
        " GROUP BY t.id, t.name ORDER BY t.name",
        (COMPETITIONS[code].country, code),
    ).fetchall()
    return [(int(r[0]), r[1], list(r[2])) for r in rows]


def close_candidates(conn: psycopg.Connection, name: str, competition: str) -> list[str]:
    """Canonical names of the competition's teams that ``name`` is close to."""
    code = competition_code(competition)
    return [
        team
        for _, team, aliases in _competition_teams(conn, code)
        if any(is_close(name, known) for known in (team, *aliases))
    ]


def resolve_team(
    conn: psycopg.Connection,
    source: str,
    name: str,
    competition_code_or_name: str,
    *,
    create: bool = True,
) -> int:
    """The id of the team ``source`` calls ``name`` in a competition.

    An alias hit, or an exact canonical name, resolves directly (the latter records the
    alias). Otherwise, with ``create``, a name close to none of the competition's teams
    becomes a new team; a close one raises ``UnknownTeam`` listing the candidates and the
    command that adds the alias. ``competition_code_or_name`` is ``E0`` or
    ``ENG-Premier League``. Runs inside the caller's transaction.
    """
    name = name.strip()
    team_id = lookup_alias(conn, source, name)
    if team_id is not None:
        return team_id
    code = competition_code(competition_code_or_name)
    ensure_competition(conn, code)
    if seed_aliases(conn):
        team_id = lookup_alias(conn, source, name)
        if team_id is not None:
            return team_id
    team_id = team_id_of(conn, name)
    if team_id is not None:
        add_alias(conn, source, name, team_id)
        return team_id
    candidates = close_candidates(conn, name, code)
    if candidates or not create:
        hint = alias_command(source, name, code)
        detail = f"close to {', '.join(candidates)}" if candidates else "matches no known team"
        raise UnknownTeam(
            name,
            candidates,
            f"team {name!r} from {source} in {code} {detail}; if it is one of them run"
            f" `{hint}`, if it is another club add --create to make it a new team",
        )
    team_id = create_team(conn, name, COMPETITIONS[code].country)
    add_alias(conn, source, name, team_id)
    return team_id


def list_aliases(conn: psycopg.Connection, source: str | None = None) -> list[tuple[str, str, str]]:
    """(source, alias, canonical team) rows, optionally for one source."""
    rows = conn.execute(
        "SELECT a.source, a.alias, t.name FROM team_aliases a JOIN teams t ON t.id = a.team_id"
        " WHERE %s::text IS NULL OR a.source = %s ORDER BY a.source, t.name, a.alias",
        (source, source),
    ).fetchall()
    return [(r[0], r[1], r[2]) for r in rows]


def team_names(conn: psycopg.Connection) -> list[str]:
    """Every canonical team name."""
    return [str(name) for (name,) in conn.execute("SELECT name FROM teams").fetchall()]


def team_id_of(conn: psycopg.Connection, name: str) -> int | None:
    """The id of the canonical team ``name``, or None."""
    row = conn.execute("SELECT id FROM teams WHERE name = %s", (name,)).fetchone()
    return None if row is None else int(row[0])


def teams_with_aliases(
    conn: psycopg.Connection, competition: str | None
) -> list[tuple[str, list[str]]]:
    """(name, other spellings) of the teams that played in ``competition`` (every team
    without it), by name."""
    rows = conn.execute(
        "SELECT t.name, coalesce(array_agg(DISTINCT a.alias)"
        "   FILTER (WHERE a.alias IS NOT NULL AND a.alias <> t.name), '{}')"
        " FROM teams t LEFT JOIN team_aliases a ON a.team_id = t.id"
        " WHERE %(code)s::text IS NULL OR t.id IN ("
        "   SELECT unnest(ARRAY[m.home_team_id, m.away_team_id]) FROM matches m"
        "   JOIN competitions c ON c.id = m.competition_id WHERE c.code = %(code)s)"
        " GROUP BY t.name ORDER BY t.name",
        {"code": competition},
    ).fetchall()
    return [(str(name), sorted(aliases)) for name, aliases in rows]
