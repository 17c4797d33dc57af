import pytest

from etl.errors import ParseError
from etl.sources.jsliteral import JsExpression, find_assignment, parse_js_literal


def test_unquoted_keys_single_quotes_elisions_and_trailing_commas_are_read():
    text = "{a:'it\\'s', 2020:{8:1,}, b:[1,,3,], \"c\": -2.5e1, d: 0x1F} rest"
    value, end = parse_js_literal(text)
    assert value == {"a": "it's", "2020": {"8": 1}, "b": [1, None, 3], "c": -25.0, "d": 31}
    assert text[end:] == " rest"


def test_code_inside_a_literal_is_kept_verbatim_without_breaking_the_rest():
    value, _ = parse_js_literal(
        "{min: (new Date(2020, 8, 12)).toString(), t: tables, ok: true, u: undefined}"
    )
    assert value == {
        "min": JsExpression("(new Date(2020, 8, 12)).toString()"),
        "t": JsExpression("tables"),
        "ok": True,
        "u": None,
    }


def test_comments_and_escapes_are_understood():
    value, _ = parse_js_literal(
        "{ // note\n a: 'caf\\u00e9 \\x41', /* b */ b: \"\\ud83d\\ude00\" }"
    )
    assert value == {"a": "café A", "b": "😀"}


def test_an_assignment_is_found_by_its_target():
    page = "<script>var x = 1;\n require.config.params['args'] = {stageId: 18685};</script>"
    assert find_assignment(page, r"require\.config\.params\['args'\]") == {"stageId": 18685}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{a: [1, 2, {b: 'x'", "truncated"),
        ("{a 1}", "expected ':' after key 'a'"),
        ("{a: 'unterminated}", "unterminated string"),
        ("{a: 1 b: 2}", "expected ',' or '}'"),
    ],
)
def test_truncated_or_malformed_literals_raise_parse_errors_saying_what(text, message):
    with pytest.raises(ParseError, match=message):
        parse_js_literal(text, what="args")


def test_a_missing_assignment_names_what_was_looked_for():
    with pytest.raises(ParseError, match="matchheader: assignment not found"):
        find_assignment("<html></html>", r"params\['matchheader'\]", what="matchheader")
