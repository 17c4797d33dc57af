"""A past season as it looked on any day: its matchdays, the ``fixtures.csv`` football-data
would have published the day before each, and the season file as it stood after each.

A replay walks a finished season through the running system with these files, so every
import goes through the same importers as live data. A *matchday* is a window of
consecutive match dates (a weekend round, a midweek round): the fixtures file of a window
holds its matches with their pre-match prices only, as the site's ``fixtures.csv`` does
(no result, match-stat or closing-price columns); the season file after a window holds
the rows played up to its last day.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass

from etl.errors import ParseError
from etl.sources.football_data import decode

#: Columns that open every fixtures.csv, in its order.
FIXTURE_HEAD = ("Div", "Date", "Time", "HomeTeam", "AwayTeam", "Referee")
#: The result and match-stat block of a season file (``FTHG`` .. ``AR``), and the extras
#: some older seasons add after it.
_RESULT_COLUMNS = frozenset(
    ("FTHG", "FTAG", "FTR", "HG", "AG", "Res", "HTHG", "HTAG", "HTR", "Attendance",
     "HS", "AS", "HST", "AST", "HHW", "AHW", "HC", "AC", "HF", "AF", "HFKC", "AFKC",
     "HO", "AO", "HY", "AY", "HR", "AR", "HBP", "ABP")
)  # fmt: skip
#: Closing prices: ``PSCH``, ``AvgCA``, ``B365C>2.5``, ``AHCh``, ``PCAHH`` ...
_CLOSING = re.compile(r"^(?:.+C[HDA]|.+C[<>]2\.5|AHCh|.*CAH[HA])$")
#: Days without a match that end a matchday: a round ends when the next date is further.
MATCHDAY_GAP_DAYS = 1


@dataclass(frozen=True)
class Matchday:
    """A window of consecutive match dates of a season, with how many matches it holds."""

    first: dt.date
    last: dt.date
    matches: int

    @property
    def eve(self) -> dt.date:
        """The day before the window: when its fixtures file is read."""
        return self.first - dt.timedelta(days=1)


@dataclass(frozen=True)
class SeasonFile:
    """A season CSV's header and its match rows (blank rows dropped), each with its date."""

    header: tuple[str, ...]
    rows: tuple[tuple[dt.date, tuple[str, ...]], ...]

    @classmethod
    def parse(cls, raw: bytes) -> SeasonFile:
        reader = csv.reader(io.StringIO(decode(raw)))
        header = tuple(h.strip() for h in next(reader, []))
        if "Date" not in header:
            raise ParseError("season file has no Date column")
        at = header.index("Date")
        rows = []
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            padded = tuple(cells) + ("",) * (len(header) - len(cells))
            rows.append((_date(padded[at]), padded[: len(header)]))
        return cls(header, tuple(rows))

    def matchdays(self) -> list[Matchday]:
        """The season's matchdays, in order: runs of dates at most ``MATCHDAY_GAP_DAYS``
        apart."""
        counts: dict[dt.date, int] = {}
        for day, _ in self.rows:
            counts[day] = counts.get(day, 0) + 1
        days: list[list[dt.date]] = []
        for day in sorted(counts):
            if days and (day - days[-1][-1]).days <= MATCHDAY_GAP_DAYS:
                days[-1].append(day)
            else:
                days.append([day])
        return [Matchday(run[0], run[-1], sum(counts[d] for d in run)) for run in days]

    def fixtures_csv(self, first: dt.date, last: dt.date) -> bytes:
        """fixtures.csv as the site would have published it before ``first``: the matches
        of ``first`` .. ``last`` with their pre-match columns only."""
        pre_match = [
            name
            for name in self.header
            if name not in FIXTURE_HEAD and name not in _RESULT_COLUMNS and not _CLOSING.match(name)
        ]
        columns = [*FIXTURE_HEAD, *pre_match]
        index = {name: i for i, name in enumerate(self.header)}
        lines = [columns]
        for day, cells in self.rows:
            if first <= day <= last:
                row = [cells[index[c]] if c in index else "" for c in columns]
                row[1] = day.strftime("%d/%m/%Y")
                lines.append(row)
        return _encode(lines)

    def results_through(self, last: dt.date) -> bytes:
        """The season file as it stood once the matches of ``last`` were played."""
        return _encode([list(self.header), *(list(c) for d, c in self.rows if d <= last)])


def _date(text: str) -> dt.date:
    for fmt in ("%d/%m/%Y", "%d/%m/%y"):
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise ParseError(f"unreadable match date {text!r}")


def _encode(lines: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(lines)
    return out.getvalue().encode("utf-8-sig")
