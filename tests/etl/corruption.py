"""Hypothesis strategies that corrupt a real file's bytes, for the robustness properties.

Each strategy takes the original bytes and draws a damaged copy: cut at any byte, bytes
overwritten, spans deleted or repeated, lines deleted, repeated or shuffled; for CSV season
files also header columns removed or renamed and garbage in cells of dates, goals, stats and
prices, or values that parse but are wrong (a team playing itself, a match twice, 99 goals).
``damaged`` applies one to three of them in a row. The settings keep runs short and
reproducible: the examples are derived from the test's name (``derandomize``), nothing is
stored between runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from etl.sources import football_data
from etl.teams import shipped_aliases

Corruption = Callable[[bytes], st.SearchStrategy[bytes]]

#: Bytes that change structure rather than content, drawn more often than chance would.
STRUCTURAL_BYTES = b"\x00\n\r\",:;{}[]()'\\ -.0123456789eEnNIT/<>"


def quick(max_examples: int) -> settings:
    """CI settings: a fixed sequence of ``max_examples`` examples, no deadline per example."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )


class Original(bytes):
    """A file's bytes, shown by length only: hypothesis shows the strategies it draws from."""

    def __repr__(self) -> str:
        return f"<{len(self)} bytes>"


def unchanged(raw: bytes) -> st.SearchStrategy[bytes]:
    """For a corruption that has nothing to work on (``st.just`` would show every byte)."""
    return st.none().map(lambda _: raw)


def truncated(raw: bytes) -> st.SearchStrategy[bytes]:
    return st.integers(0, len(raw)).map(lambda cut: raw[:cut])


def overwritten(raw: bytes) -> st.SearchStrategy[bytes]:
    """One to eight bytes replaced, by any byte or by one that matters to a parser."""
    if not raw:
        return unchanged(raw)
    replacement = st.one_of(st.integers(0, 255), st.sampled_from(STRUCTURAL_BYTES))
    edits = st.lists(st.tuples(st.integers(0, len(raw) - 1), replacement), min_size=1, max_size=8)

    def apply(changes: list[tuple[int, int]]) -> bytes:
        damaged = bytearray(raw)
        for position, value in changes:
            damaged[position] = value
        return bytes(damaged)

    return edits.map(apply)


def span_deleted(raw: bytes) -> st.SearchStrategy[bytes]:
    return st.tuples(st.integers(0, len(raw)), st.integers(1, 400)).map(
        lambda s: raw[: s[0]] + raw[s[0] + s[1] :]
    )


def span_repeated(raw: bytes) -> st.SearchStrategy[bytes]:
    return st.tuples(st.integers(0, len(raw)), st.integers(1, 400)).map(
        lambda s: raw[: s[0] + s[1]] + raw[s[0] : s[0] + s[1]] + raw[s[0] + s[1] :]
    )


def _lines_changed(
    raw: bytes, change: Callable[[list[bytes]], st.SearchStrategy[list[bytes]]]
) -> st.SearchStrategy[bytes]:
    lines = raw.splitlines(keepends=True)
    if not lines:
        return unchanged(raw)
    return change(lines).map(b"".join)


def lines_deleted(raw: bytes) -> st.SearchStrategy[bytes]:
    def change(lines: list[bytes]) -> st.SearchStrategy[list[bytes]]:
        gone = st.sets(st.integers(0, len(lines) - 1), min_size=1, max_size=min(8, len(lines)))
        return gone.map(lambda drop: [line for i, line in enumerate(lines) if i not in drop])

    return _lines_changed(raw, change)


def lines_repeated(raw: bytes) -> st.SearchStrategy[bytes]:
    def change(lines: list[bytes]) -> st.SearchStrategy[list[bytes]]:
        index = st.integers(0, len(lines) - 1)
        return st.tuples(index, index).map(lambda s: [*lines[: s[1]], lines[s[0]], *lines[s[1] :]])

    return _lines_changed(raw, change)


def lines_shuffled(raw: bytes) -> st.SearchStrategy[bytes]:
    """Lines swapped pairwise (the header included), or the whole file in another order."""

    def change(lines: list[bytes]) -> st.SearchStrategy[list[bytes]]:
        index = st.integers(0, len(lines) - 1)

        def swap(pairs: list[tuple[int, int]]) -> list[bytes]:
            out = list(lines)
            for a, b in pairs:
                out[a], out[b] = out[b], out[a]
            return out

        return st.one_of(
            st.lists(st.tuples(index, index), min_size=1, max_size=5).map(swap),
            st.randoms(use_true_random=False).map(lambda r: r.sample(lines, len(lines))),
        )

    return _lines_changed(raw, change)


def brackets_opened(raw: bytes) -> st.SearchStrategy[bytes]:
    """Hundreds to thousands of brackets opened where a value starts (after the next ``:``
    from a drawn offset): deeper than a recursive reader can follow."""
    run = st.tuples(st.sampled_from((b"[", b"{", b"{a:", b'{"a":', b"[1,")), st.integers(300, 5000))

    def insert(choice: tuple[int, tuple[bytes, int]]) -> bytes:
        offset, (opener, count) = choice
        at = raw.find(b":", offset) + 1 or offset
        return raw[:at] + opener * count + raw[at:]

    return st.tuples(st.integers(0, len(raw)), run).map(insert)


BYTE_CORRUPTIONS: tuple[Corruption, ...] = (
    truncated,
    overwritten,
    span_deleted,
    span_repeated,
    lines_deleted,
    lines_repeated,
    lines_shuffled,
)


def damaged(
    raw: bytes, corruptions: Sequence[Corruption] = BYTE_CORRUPTIONS
) -> st.SearchStrategy[bytes]:
    """``raw`` after one to three corruptions drawn from ``corruptions``, one after another."""
    return _damaged(Original(raw), tuple(corruptions))


@st.composite
def _damaged(draw: st.DrawFn, raw: bytes, corruptions: tuple[Corruption, ...]) -> bytes:
    for _ in range(draw(st.integers(1, 3))):
        raw = draw(draw(st.sampled_from(corruptions))(raw))
    return bytes(raw)


# -- football-data season files (CSV) -------------------------------------------------

GARBAGE = (
    "", " ", "0", "7", "2.0", "1.01", "nan", "NaN", "inf", "-inf", "Infinity", "1e400",
    "1e30", "-1", "-0", "3.5", "99999", "2147483648", "0x10", "1_000", "\u0663", "31/02/2023",
    "2023-08-11", "1/1/1", "11/08/2023 20:00", "25:61", "20:00:00", "N/A", '"',
    '"1,2"', "\x00", "\u00e9",
)  # fmt: skip
#: Columns whose cells get garbage: dates, times, goals, stats, attendance and prices.
TARGET_COLUMNS = (
    "Date", "Time", "FTHG", "FTAG", "HTHG", "HTAG", "Attendance", "HHW", "HBP",
    *(column for home, away, _ in football_data.STAT_COLUMNS for column in (home, away)),
    "B365H", "B365D", "B365A", "B365CH", "PSCH", "PSCA", "AvgH", "MaxA", "BbAvD", "WHH",
)  # fmt: skip


def _table(raw: bytes) -> list[list[str]]:
    return [line.split(",") for line in football_data.decode(raw).split("\n")]


def _joined(table: list[list[str]]) -> bytes:
    return "\n".join(",".join(cells) for cells in table).encode("utf-8")


def header_column_removed(raw: bytes) -> st.SearchStrategy[bytes]:
    """A column gone from the header only (every later cell shifts) or from every line."""
    table = _table(raw)
    column = st.integers(0, len(table[0]) - 1)

    def remove(choice: tuple[int, bool]) -> bytes:
        j, everywhere = choice
        return _joined(
            [r[:j] + r[j + 1 :] if everywhere or i == 0 else r for i, r in enumerate(table)]
        )

    return st.tuples(column, st.booleans()).map(remove)


def header_column_renamed(raw: bytes) -> st.SearchStrategy[bytes]:
    table = _table(raw)
    names = sorted({*table[0], *football_data.REQUIRED, "HT", "AT", "HG", "AG", "PSCH", "VCC"})
    new_name = st.one_of(st.sampled_from(names), st.sampled_from(GARBAGE), st.text(max_size=8))

    def rename(choice: tuple[int, str]) -> bytes:
        j, name = choice
        return _joined([[*table[0][:j], name, *table[0][j + 1 :]], *table[1:]])

    return st.tuples(st.integers(0, len(table[0]) - 1), new_name).map(rename)


def garbage_cells(raw: bytes) -> st.SearchStrategy[bytes]:
    """One to five cells of dates, goals, stats or prices replaced by garbage."""
    table = _table(raw)
    present = [table[0].index(c) for c in TARGET_COLUMNS if c in table[0]]
    if len(table) < 2 or not present:
        return unchanged(raw)
    cell = st.tuples(
        st.integers(1, len(table) - 1),
        st.sampled_from(present),
        st.one_of(st.sampled_from(GARBAGE), st.text(max_size=10)),
    )

    def fill(cells: list[tuple[int, int, str]]) -> bytes:
        changed = [list(row) for row in table]
        for i, j, text in cells:
            if j < len(changed[i]):
                changed[i][j] = text
        return _joined(changed)

    return st.lists(cell, min_size=1, max_size=5).map(fill)


#: Values that parse but that a gate or the store must refuse, by column kind.
WRONG_VALUES = {
    "goals": ("0", "9", "16", "99", "32767"),
    "date": ("01/01/2000", "31/12/2099", "29/02/2024", "11/08/23"),
    "price": ("1", "1.0001", "0.5", "0", "-2.5", "1000"),
    "count": ("0", "61", "999", "32767"),
}
_KINDS = {
    "FTHG": "goals", "FTAG": "goals", "HTHG": "goals", "HTAG": "goals", "Date": "date",
    **{f"{p}{o}": "price" for p in ("B365", "PS", "Avg", "Max", "B365C", "PSC") for o in "HDA"},
    **{c: "count" for h, a, _ in football_data.STAT_COLUMNS for c in (h, a)},
}  # fmt: skip


def _canonical_names() -> dict[str, str]:
    """football-data's spelling → the canonical name, where they differ (``Man City``)."""
    return {
        a.alias: a.team
        for a in shipped_aliases()
        if a.source == football_data.SOURCE and a.alias != a.team
    }


def wrong_values(raw: bytes) -> st.SearchStrategy[bytes]:
    """Cells that parse but are wrong: impossible goals, dates, prices or stats."""
    table = _table(raw)
    header = table[0]
    rows = [i for i in range(1, len(table)) if len(table[i]) == len(header)]
    columns = [c for c in _KINDS if c in header]
    if not rows or not columns:
        return unchanged(raw)
    change = st.tuples(st.sampled_from(rows), st.sampled_from(columns)).flatmap(
        lambda ic: st.tuples(
            st.just(ic[0]),
            st.just(header.index(ic[1])),
            st.sampled_from(WRONG_VALUES[_KINDS[ic[1]]]),
        )
    )

    def apply(changes: list[tuple[int, int, str]]) -> bytes:
        changed = [list(row) for row in table]
        for i, j, text in changes:
            changed[i][j] = text
        return _joined(changed)

    return st.lists(change, min_size=1, max_size=4).map(apply)


def wrong_teams(raw: bytes) -> st.SearchStrategy[bytes]:
    """A team cell that parses but is wrong: the row's other team (a team playing itself),
    a misspelling, another club of the file, or a line repeated with a team spelt
    canonically (``Manchester City`` for ``Man City``: one match twice, spelt two ways)."""
    table = _table(raw)
    header = table[0]
    if "HomeTeam" not in header or "AwayTeam" not in header:
        return unchanged(raw)
    sides = (header.index("HomeTeam"), header.index("AwayTeam"))
    rows = [i for i in range(1, len(table)) if len(table[i]) == len(header)]
    teams = sorted({table[i][j] for i in rows for j in sides})
    if not rows or not teams:
        return unchanged(raw)
    canonical = _canonical_names()

    @st.composite
    def change(draw: st.DrawFn) -> list[list[str]]:
        changed = [list(row) for row in table]
        i, side = draw(st.sampled_from(rows)), draw(st.sampled_from((0, 1)))
        row, name = changed[i], changed[i][sides[side]]
        how = draw(st.sampled_from(("itself", "misspelt", "other", "spelt twice")))
        if how == "itself":
            row[sides[side]] = row[sides[1 - side]]
        elif how == "misspelt":
            cut = draw(st.integers(0, max(len(name) - 1, 0)))
            row[sides[side]] = name[:cut] + name[cut + 1 :]
        elif how == "other":
            row[sides[side]] = draw(st.sampled_from(teams))
        else:
            twin = list(row)
            twin[sides[side]] = canonical.get(name, name)
            changed.insert(draw(st.integers(1, len(changed))), twin)
        return changed

    return change().map(_joined)


HEADER_CORRUPTIONS = (header_column_removed, header_column_renamed)
CSV_CORRUPTIONS = (*BYTE_CORRUPTIONS, *HEADER_CORRUPTIONS, garbage_cells, wrong_values, wrong_teams)
