"""Hypothesis strategies that corrupt a real file's bytes, for the robustness properties.

Each strategy takes the original bytes and draws a damaged copy: cut at any byte, bytes
overwritten, spans deleted or repeated, lines deleted, repeated or shuffled. ``damaged``
applies one to three of them in a row. The settings keep runs short and reproducible: the
examples are derived from the test's name (``derandomize``), nothing is stored between runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

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
