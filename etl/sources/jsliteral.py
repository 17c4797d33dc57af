"""Read JavaScript object literals embedded in web pages (``var x = {...}``).

Pages carry their data as JavaScript, not JSON: unquoted keys, single-quoted strings,
elided array items (``[1,,3]``), trailing commas and the odd expression
(``new Date(2020, 8, 12)``, a bare variable). Most values inside are plain JSON, so every
object, array and string is first handed to the C JSON decoder; only what it rejects is
walked here, which keeps a megabyte page in the tens of milliseconds.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from etl.errors import ParseError

_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"(?:\s+|//[^\n]*|/\*.*?\*/)*", re.DOTALL)
_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")
_NUMBER = re.compile(r"-?(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")
_SINGLE_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'", re.DOTALL)
_DOUBLE_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"', re.DOTALL)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}
_KEYWORDS: dict[str, Any] = {"true": True, "false": False, "null": None, "undefined": None}
_CLOSERS = {"{": "}", "[": "]", "(": ")"}


@dataclass(frozen=True)
class JsExpression:
    """A value that is code rather than data (``new Date(...)``, a variable), kept verbatim."""

    source: str


def parse_js_literal(text: str, start: int = 0, *, what: str = "object") -> tuple[Any, int]:
    """Parse the JavaScript value starting at ``text[start]`` (after blanks).

    Returns the value and the index just past it. ``what`` names the value in the
    ``ParseError`` raised on a truncated or malformed literal, or one nested deeper than
    Python's recursion limit allows.
    """
    try:
        return _Reader(text, what).value(start)
    except RecursionError:
        raise ParseError(f"{what}: nested too deeply to read") from None


def find_assignment(text: str, target: str, *, what: str | None = None) -> Any:
    """Parse the literal assigned to ``target`` (a regex, e.g. ``var\\s+wsCalendar``)."""
    match = re.search(target + r"\s*=\s*", text)
    if match is None:
        raise ParseError(f"{what or target}: assignment not found")
    value, _ = parse_js_literal(text, match.end(), what=what or target)
    return value


class _Reader:
    def __init__(self, text: str, what: str) -> None:
        self.text = text
        self.what = what

    def fail(self, pos: int, problem: str) -> ParseError:
        if pos >= len(self.text):
            return ParseError(f"{self.what}: truncated ({problem} at end of input)")
        snippet = self.text[pos : pos + 30].replace("\n", " ")
        return ParseError(f"{self.what}: {problem} at offset {pos} near {snippet!r}")

    def skip(self, pos: int) -> int:
        match = _SPACE.match(self.text, pos)
        return match.end() if match else pos

    def value(self, pos: int) -> tuple[Any, int]:
        pos = self.skip(pos)
        if pos >= len(self.text):
            raise self.fail(pos, "expected a value")
        char = self.text[pos]
        if char in "{[":
            try:
                return _DECODER.raw_decode(self.text, pos)
            except json.JSONDecodeError:
                return self.object(pos + 1) if char == "{" else self.array(pos + 1)
        if char in "'\"":
            return self.quoted(pos)
        number = _NUMBER.match(self.text, pos)
        if number:
            literal = number.group()
            if literal.lstrip("-")[:2].lower() == "0x":
                return int(literal, 16), number.end()
            parsed = float(literal)
            return (int(parsed) if parsed.is_integer() and "." not in literal else parsed), (
                number.end()
            )
        word = _IDENTIFIER.match(self.text, pos)
        if word and word.group() in _KEYWORDS and not self._continues(word.end()):
            return _KEYWORDS[word.group()], word.end()
        return self.expression(pos)

    def _continues(self, pos: int) -> bool:
        """Whether an identifier is followed by more expression (``.x``, ``(...)``)."""
        pos = self.skip(pos)
        return pos < len(self.text) and self.text[pos] in ".(["

    def object(self, pos: int) -> tuple[dict[str, Any], int]:
        result: dict[str, Any] = {}
        while True:
            pos = self.skip(pos)
            if pos >= len(self.text):
                raise self.fail(pos, "unterminated object")
            char = self.text[pos]
            if char == "}":
                return result, pos + 1
            if char in "'\"":
                key, pos = self.quoted(pos)
            else:
                word = _IDENTIFIER.match(self.text, pos) or _NUMBER.match(self.text, pos)
                if word is None:
                    raise self.fail(pos, "expected a key")
                key, pos = word.group(), word.end()
            pos = self.skip(pos)
            if not self.text.startswith(":", pos):
                raise self.fail(pos, f"expected ':' after key {key!r}")
            result[str(key)], pos = self.value(pos + 1)
            pos = self.skip(pos)
            if self.text.startswith(",", pos):
                pos += 1
            elif not self.text.startswith("}", pos):
                raise self.fail(pos, "expected ',' or '}'")

    def array(self, pos: int) -> tuple[list[Any], int]:
        result: list[Any] = []
        while True:
            pos = self.skip(pos)
            if pos >= len(self.text):
                raise self.fail(pos, "unterminated array")
            char = self.text[pos]
            if char == "]":
                return result, pos + 1
            if char == ",":
                result.append(None)  # an elided item: [1,,3]
                pos += 1
                continue
            item, pos = self.value(pos)
            result.append(item)
            pos = self.skip(pos)
            if self.text.startswith(",", pos):
                pos += 1
            elif not self.text.startswith("]", pos):
                raise self.fail(pos, "expected ',' or ']'")

    def quoted(self, pos: int) -> tuple[str, int]:
        if self.text[pos] == '"':
            try:
                return _DECODER.raw_decode(self.text, pos)
            except json.JSONDecodeError:
                match = _DOUBLE_QUOTED.match(self.text, pos)
        else:
            match = _SINGLE_QUOTED.match(self.text, pos)
        if match is None:
            raise self.fail(len(self.text), "unterminated string")
        return _unescape(match.group(1)), match.end()

    def expression(self, pos: int) -> tuple[JsExpression, int]:
        """Skip code up to the ``,`` or closing bracket that ends it, keeping its source."""
        start, stack = pos, []
        while pos < len(self.text):
            char = self.text[pos]
            if char in "'\"":
                _, pos = self.quoted(pos)
                continue
            if char in _CLOSERS:
                stack.append(_CLOSERS[char])
            elif char in "}])":
                if not stack:
                    break
                if stack.pop() != char:
                    raise self.fail(pos, "unbalanced brackets in an expression")
            elif char in ",;" and not stack:
                break
            pos += 1
        else:
            raise self.fail(pos, "unterminated expression")
        source = self.text[start:pos].strip()
        if not source:
            raise self.fail(start, "expected a value")
        return JsExpression(source), pos


def _unescape(body: str) -> str:
    if "\\" not in body:
        return body
    out, i = [], 0
    while i < len(body):
        char = body[i]
        if char != "\\" or i + 1 == len(body):
            out.append(char)
            i += 1
            continue
        code = body[i + 1]
        if code == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", body[i + 2 : i + 6]):
            out.append(chr(int(body[i + 2 : i + 6], 16)))
            i += 6
        elif code == "x" and re.fullmatch(r"[0-9a-fA-F]{2}", body[i + 2 : i + 4]):
            out.append(chr(int(body[i + 2 : i + 4], 16)))
            i += 4
        else:
            out.append(_ESCAPES.get(code, code))
            i += 2
    # JSON-style surrogate pairs written as two \u escapes come out as one character; a
    # lone surrogate stays one, as the JSON decoder leaves it.
    return "".join(out).encode("utf-16", "surrogatepass").decode("utf-16", "surrogatepass")
