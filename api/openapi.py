"""The OpenAPI 3.1 document of the API (``GET /openapi.json``).

Written by hand next to the resources it describes; the test suite validates every
response it receives against it, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

from typing import Any

import falcon

from api.validation import COMPETITION_PATTERN
from core.fixtures import KICKOFF_PATTERN, MAX_MATCH_ID, NAME_PATTERN

_STR = {"type": "string"}
_NUM = {"type": "number"}
_PROB = {"type": "number", "minimum": 0, "maximum": 1}
_SCORES = {
    "type": "object",
    "properties": {name: _NUM for name in ("rps", "log_loss", "brier", "accuracy", "ece")},
}
#: ``ml.backtest_paths.by_path``: the champion's backtest per serving path, same matches.
_BACKTEST = {
    "type": "object",
    "description": "The backtest of both serving paths on the same matches: priced (answers"
    " given the fixture's pre-kickoff prices), unpriced (stats only), and the de-margined"
    " opening (the priced path's own input) and closing markets",
    "properties": {
        "n": {"type": "integer", "minimum": 0},
        "priced": _SCORES,
        "unpriced": _SCORES,
        "opening_market": _SCORES,
        "closing_market": _SCORES,
    },
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    return {str(s): {"$ref": f"#/components/responses/E{s}"} for s in statuses}


SCHEMAS: dict[str, Any] = {
    "ErrorBody": {
        "type": "object",
        "required": ["code", "message"],
        "properties": {
            "code": {
                "type": "string",
                "description": "What went wrong, one HTTP status per code. A request this "
                "document allows (in a body of at most 64 KiB) is refused only for what it "
                "names, with `unknown_team`, `unknown_competition`, `unknown_match`, "
                "`same_team`, `unknown_prediction` (404), `competition_not_covered` or "
                "`implausible_prices` (422); any other 4xx code says it broke a rule stated "
                "here",
            },
            "message": _STR,
            "field": _STR,
            "candidates": {"type": "array", "items": _STR},
            "competitions": {
                "type": "array",
                "items": _STR,
                "description": "competition_not_covered: the competitions the model covers",
            },
            "id": _STR,
            "poll": _STR,
            "queue": _STR,
        },
    },
    "Error": {
        "type": "object",
        "required": ["error"],
        "additionalProperties": False,
        "properties": {"error": _ref("ErrorBody")},
    },
    "NamedFixture": {
        "type": "object",
        "required": ["home_team", "away_team", "competition"],
        "additionalProperties": False,
        "properties": {
            "home_team": {
                "type": "string",
                "minLength": 1,
                "maxLength": 80,
                "pattern": NAME_PATTERN,
                "examples": ["Arsenal"],
            },
            "away_team": {
                "type": "string",
                "minLength": 1,
                "maxLength": 80,
                "pattern": NAME_PATTERN,
                "examples": ["Chelsea"],
            },
            "competition": {
                "type": "string",
                "minLength": 1,
                "maxLength": 80,
                "pattern": NAME_PATTERN,
                "examples": ["E0"],
            },
            "kickoff": {
                "type": ["string", "null"],
                "pattern": KICKOFF_PATTERN,
                "description": "ISO date or date-time; today (UTC) when omitted or null",
                "examples": ["2024-08-17"],
            },
            "prices": _ref("Prices"),
        },
    },
    "MatchFixture": {
        "type": "object",
        "required": ["match_id"],
        "additionalProperties": False,
        "properties": {
            "match_id": {"type": "integer", "minimum": 1, "maximum": MAX_MATCH_ID},
            "prices": _ref("Prices"),
        },
    },
    "Prices": {
        "type": "object",
        "description": "Decimal 1X2 prices for the forecast to read instead of the store's "
        "latest pre-kickoff snapshot. Each above 1.0 (else 422 `invalid_field` naming it, "
        "`prices.home`). The overround (1/home + 1/draw + 1/away) must lie between 0.9 and "
        "1.5, a rule across the three that this schema cannot state: outside it (or with a "
        "price too large for a double) the request is refused with 422 `implausible_prices` "
        "naming the field.",
        "required": ["home", "draw", "away"],
        "additionalProperties": False,
        "properties": {
            "home": {"type": "number", "exclusiveMinimum": 1, "examples": [2.1]},
            "draw": {"type": "number", "exclusiveMinimum": 1, "examples": [3.4]},
            "away": {"type": "number", "exclusiveMinimum": 1, "examples": [3.6]},
        },
    },
    "Outcomes": {
        "type": "object",
        "required": ["home", "draw", "away"],
        "properties": {"home": _NUM, "draw": _NUM, "away": _NUM},
    },
    "Inputs": {
        "type": "object",
        "description": "What the forecast read besides the results: the prices (from the "
        "store's latest snapshot seen before kickoff, from the request, or none) and the "
        "date of the competition's last result.",
        "required": ["prices", "priced_at", "bookmaker", "odds", "market", "data_through"],
        "properties": {
            "prices": {"enum": ["store", "request", None]},
            "priced_at": {
                "type": ["string", "null"],
                "description": "when the store's snapshot was seen",
            },
            "bookmaker": {"type": ["string", "null"]},
            "odds": {
                "oneOf": [_ref("Outcomes"), {"type": "null"}],
                "description": "the decimal prices read",
            },
            "market": {
                "oneOf": [_ref("Outcomes"), {"type": "null"}],
                "description": "those prices de-margined (proportionally)",
            },
            "data_through": {"type": ["string", "null"], "format": "date"},
        },
    },
    "Fixture": {"oneOf": [_ref("NamedFixture"), _ref("MatchFixture")]},
    "ResolvedFixture": {
        "type": "object",
        "required": ["home_team", "away_team", "competition", "kickoff"],
        "properties": {
            "home_team": _STR,
            "away_team": _STR,
            "competition": _STR,
            "kickoff": {"type": "string", "format": "date"},
            "match_id": {"type": "integer"},
        },
    },
    "Forecast": {
        "type": "object",
        "required": [
            "p_home",
            "p_draw",
            "p_away",
            "xg_home",
            "xg_away",
            "p_over_2_5",
            "p_btts",
            "top_scores",
        ],
        "properties": {
            "p_home": _PROB,
            "p_draw": _PROB,
            "p_away": _PROB,
            "xg_home": {"type": "number", "minimum": 0},
            "xg_away": {"type": "number", "minimum": 0},
            "p_over_2_5": _PROB,
            "p_btts": _PROB,
            "score_grid": {
                "type": "array",
                "description": "probability of each final score with 0 to 5 goals a side: "
                "row = home goals, column = away goals (the grid the 1X2, expected goals and "
                "the other numbers of the forecast are read from)",
                "items": {"type": "array", "items": _PROB},
            },
            "top_scores": {
                "type": "array",
                "description": "the likeliest final scores, likeliest first",
                "items": {
                    "type": "object",
                    "required": ["home", "away", "p"],
                    "properties": {
                        "home": {"type": "integer", "minimum": 0},
                        "away": {"type": "integer", "minimum": 0},
                        "p": _PROB,
                    },
                },
            },
        },
    },
    "Prediction": {
        "type": "object",
        "required": [
            "fixture",
            "model",
            "forecast",
            "inputs",
            "warnings",
            "data_version",
            "cached",
        ],
        "properties": {
            "fixture": _ref("ResolvedFixture"),
            "model": {
                "type": "object",
                "required": ["name", "version"],
                "properties": {"name": _STR, "version": _STR},
            },
            "forecast": _ref("Forecast"),
            "inputs": _ref("Inputs"),
            "warnings": {
                "type": "array",
                "description": "`stale_data`: the kickoff is more than 21 days after "
                "`inputs.data_through`; `unpriced`: no prices were read, so the answer comes "
                "from the model's weaker unpriced path",
                "items": {"enum": ["stale_data", "unpriced"]},
            },
            "data_version": _STR,
            "cached": {"type": "boolean"},
        },
    },
    "PredictionOrError": {
        "oneOf": [
            _ref("Prediction"),
            {
                "type": "object",
                "required": ["error"],
                "additionalProperties": False,
                "properties": {"error": _ref("ErrorBody")},
            },
        ]
    },
    "Batch": {
        "type": "object",
        "required": ["predictions"],
        "properties": {"predictions": {"type": "array", "items": _ref("PredictionOrError")}},
    },
    "Task": {
        "type": "object",
        "required": ["id", "status"],
        "properties": {
            "id": _STR,
            "status": {"enum": ["queued", "done", "failed"]},
            "poll": _STR,
            "result": {"oneOf": [_ref("Prediction"), _ref("Batch")]},
            "error": _ref("ErrorBody"),
        },
    },
    "UpcomingFixture": {
        "type": "object",
        "required": ["match_id", "competition", "season", "kickoff", "home_team", "away_team"],
        "properties": {
            "match_id": {"type": "integer"},
            "competition": _STR,
            "season": _STR,
            "kickoff": {"type": "string", "format": "date"},
            "home_team": _STR,
            "away_team": _STR,
            "prediction": {"oneOf": [_ref("Prediction"), {"type": "null"}]},
            "error": _ref("ErrorBody"),
        },
    },
    "Metrics": {
        "type": "object",
        "required": ["rps", "log_loss", "brier"],
        "properties": {
            "rps": {"type": ["number", "null"]},
            "log_loss": {"type": ["number", "null"]},
            "brier": {"type": ["number", "null"]},
        },
    },
    "ScoreSummary": {
        "type": "object",
        "required": ["matches", "model", "closing", "opening", "clv"],
        "properties": {
            "matches": {"type": "integer", "minimum": 0},
            "model": _ref("Metrics"),
            "closing": _ref("Metrics"),
            "opening": _ref("Metrics"),
            "clv": {
                "type": "object",
                "description": "matches forecast with prices, and the share whose favourite's "
                "price moved towards the model by the close",
                "required": ["matches", "share"],
                "properties": {
                    "matches": {"type": "integer", "minimum": 0},
                    "share": {"type": ["number", "null"]},
                },
            },
        },
    },
    "Scoreboard": {
        "type": "object",
        "required": [
            "since",
            "competition",
            "overall",
            "by_competition",
            "by_month",
            "by_model",
            "reliability",
        ],
        "properties": {
            "since": {"type": ["string", "null"], "format": "date"},
            "competition": {"type": ["string", "null"]},
            "overall": _ref("ScoreSummary"),
            "by_competition": {
                "type": "array",
                "items": {
                    "allOf": [
                        _ref("ScoreSummary"),
                        {"type": "object", "required": ["competition"]},
                    ]
                },
            },
            "by_month": {
                "type": "array",
                "items": {
                    "allOf": [_ref("ScoreSummary"), {"type": "object", "required": ["month"]}]
                },
            },
            "by_model": {
                "type": "array",
                "items": {
                    "allOf": [
                        _ref("ScoreSummary"),
                        {"type": "object", "required": ["model_version"]},
                    ]
                },
            },
            "reliability": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": [
                        "outcome",
                        "bin_low",
                        "bin_high",
                        "predicted",
                        "observed",
                        "matches",
                    ],
                    "properties": {
                        "outcome": {"enum": ["home", "draw", "away"]},
                        "bin_low": _PROB,
                        "bin_high": _PROB,
                        "predicted": _PROB,
                        "observed": _PROB,
                        "matches": {"type": "integer", "minimum": 1},
                    },
                },
            },
        },
    },
    "RegisteredModel": {
        "type": ["object", "null"],
        "required": ["version", "aliases", "created_at", "promoted_at", "metrics", "reasons"],
        "properties": {
            "version": _STR,
            "aliases": {"type": "array", "items": _STR},
            "created_at": _STR,
            "promoted_at": {"type": ["string", "null"]},
            "metrics": {"type": "object", "additionalProperties": _NUM},
            "reasons": {"type": ["string", "null"], "description": "why it was (not) promoted"},
        },
    },
    "Check": {
        "type": "object",
        "required": ["status", "latency_ms"],
        "properties": {
            "status": {"enum": ["up", "down", "degraded"]},
            "latency_ms": _NUM,
            "detail": _STR,
        },
    },
}

_PARAM_COMPETITION = {
    "name": "competition",
    "in": "query",
    "schema": {"type": "string", "pattern": COMPETITION_PATTERN},
    "description": "competition code, e.g. E0",
}


def document() -> dict[str, Any]:
    """The whole OpenAPI document."""
    responses = {
        f"E{status}": _json(_ref("Error"), reason)
        for status, reason in {
            400: "Malformed JSON or empty body",
            404: "Not found (an unknown team names the closest known teams in `candidates`)",
            405: "Method not allowed",
            413: "Body over 64 KiB",
            415: "Body not sent as application/json",
            422: "A field is missing or invalid (`invalid_field`, naming it in `field`); the "
            "fixture's `prices` imply an overround outside 0.9-1.5 (`implausible_prices`); or "
            "its competition is not one the served model was trained on "
            "(`competition_not_covered`, naming those it covers in `competitions`)",
            502: "The worker failed for good",
            503: (
                "Broker, results backend or store unavailable, or no worker serves the queue"
                " (`no_worker`); see `Retry-After`"
            ),
            504: "No answer within the sync timeout; poll `poll` (also in `Location`)",
        }.items()
    }
    fixture_body = {"required": True, "content": {"application/json": {"schema": _ref("Fixture")}}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "footcast",
            "version": "1",
            "description": "Football match forecasts served from the champion model. Every "
            "error has the shape of `Error`.",
        },
        "paths": {
            "/v1/predict": {
                "post": {
                    "summary": "Forecast one fixture, waiting for the answer",
                    "requestBody": fixture_body,
                    "responses": {
                        "200": _json(_ref("Prediction"), "The forecast"),
                        **_errors(400, 404, 413, 415, 422, 502, 503, 504),
                    },
                }
            },
            "/v1/predictions": {
                "post": {
                    "summary": "Queue a forecast of one fixture; poll the task",
                    "requestBody": fixture_body,
                    "responses": {
                        "202": {
                            **_json(_ref("Task"), "Queued"),
                            "headers": {"Location": {"schema": {"type": "string"}}},
                            "links": {
                                "poll": {
                                    "operationId": "getPrediction",
                                    "parameters": {"task_id": "$response.body#/id"},
                                }
                            },
                        },
                        **_errors(400, 404, 413, 415, 422, 503),
                    },
                }
            },
            "/v1/predictions/{task_id}": {
                "get": {
                    "operationId": "getPrediction",
                    "summary": "A queued forecast: queued, done with its result, or failed",
                    "parameters": [
                        {"name": "task_id", "in": "path", "required": True, "schema": _STR}
                    ],
                    "responses": {"200": _json(_ref("Task"), "The task"), **_errors(404, 503)},
                }
            },
            "/v1/predictions/batch": {
                "post": {
                    "summary": "Forecast up to 100 fixtures (a matchday) together",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["fixtures"],
                                    "properties": {
                                        "fixtures": {
                                            "type": "array",
                                            "minItems": 1,
                                            "maxItems": 100,
                                            "items": _ref("Fixture"),
                                        }
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _json(
                            _ref("Batch"), "A prediction or an error per fixture, in order"
                        ),
                        **_errors(400, 413, 415, 422, 502, 503, 504),
                    },
                }
            },
            "/v1/fixtures": {
                "get": {
                    "summary": "Scheduled fixtures in a date range, with their forecasts",
                    "parameters": [
                        _PARAM_COMPETITION,
                        {
                            "name": "from",
                            "in": "query",
                            "schema": {"type": "string", "format": "date"},
                        },
                        {
                            "name": "to",
                            "in": "query",
                            "schema": {"type": "string", "format": "date"},
                        },
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 100},
                        },
                    ],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["fixtures", "from", "to"],
                                "properties": {
                                    "competition": {"type": ["string", "null"]},
                                    "from": {"type": "string", "format": "date"},
                                    "to": {"type": "string", "format": "date"},
                                    "fixtures": {"type": "array", "items": _ref("UpcomingFixture")},
                                },
                            },
                            "Fixtures, soonest first",
                        ),
                        **_errors(422, 502, 503, 504),
                    },
                }
            },
            "/v1/teams": {
                "get": {
                    "summary": "Teams (of a competition) and their other spellings",
                    "parameters": [_PARAM_COMPETITION],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["teams"],
                                "properties": {
                                    "competition": {"type": ["string", "null"]},
                                    "teams": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "required": ["name", "aliases"],
                                            "properties": {
                                                "name": _STR,
                                                "aliases": {"type": "array", "items": _STR},
                                            },
                                        },
                                    },
                                },
                            },
                            "Teams by name",
                        ),
                        **_errors(422, 503),
                    },
                }
            },
            "/v1/models/champion": {
                "get": {
                    "summary": "The model the workers serve, with its backtest metrics",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": [
                                    "name",
                                    "version",
                                    "data_version",
                                    "metrics",
                                    "backtest",
                                ],
                                "properties": {
                                    "name": _STR,
                                    "version": _STR,
                                    "promoted_at": {"type": ["string", "null"]},
                                    "loaded_at": {"type": ["string", "null"]},
                                    "data_version": _STR,
                                    "metrics": {"type": "object", "additionalProperties": _NUM},
                                    "backtest": _BACKTEST,
                                },
                            },
                            "The champion",
                        ),
                        **_errors(503),
                    },
                }
            },
            "/v1/scoreboard": {
                "get": {
                    "summary": "How the served forecasts did: finished matches forecast before "
                    "kickoff, scored (RPS, log-loss, Brier) beside the de-margined closing and "
                    "opening market on the same matches, overall, per competition, month and "
                    "model version, with closing-line value and a reliability table",
                    "parameters": [
                        _PARAM_COMPETITION,
                        {
                            "name": "since",
                            "in": "query",
                            "schema": {"type": "string", "format": "date"},
                            "description": "only matches kicking off on or after this date",
                        },
                    ],
                    "responses": {
                        "200": _json(_ref("Scoreboard"), "The scoreboard (zeros when empty)"),
                        **_errors(422, 503),
                    },
                }
            },
            "/v1/models": {
                "get": {
                    "summary": "Champion, challenger and the latest promotion decisions",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["name", "champion", "challenger", "decisions"],
                                "properties": {
                                    "name": _STR,
                                    "champion": _ref("RegisteredModel"),
                                    "challenger": _ref("RegisteredModel"),
                                    "decisions": {
                                        "type": "array",
                                        "description": "newest version first",
                                        "items": {
                                            "type": "object",
                                            "required": ["version", "decision", "at", "reasons"],
                                            "properties": {
                                                "version": _STR,
                                                "decision": {
                                                    "type": "string",
                                                    "examples": [
                                                        "promote",
                                                        "keep_champion",
                                                        "manual",
                                                        "registered",
                                                    ],
                                                },
                                                "at": _STR,
                                                "reasons": {"type": ["string", "null"]},
                                            },
                                        },
                                    },
                                },
                            },
                            "The registry's models",
                        ),
                        **_errors(503),
                    },
                }
            },
            "/v1/ping": {
                "post": {
                    "summary": "A round trip through the bus and a worker",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "message": {"type": "string", "maxLength": 200},
                                        "queue": {"enum": ["etl", "validate", "ml", "ops"]},
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _json(
                            {"type": "object", "required": ["pong", "queue", "roundtrip_ms"]},
                            "The worker's answer",
                        ),
                        **_errors(400, 413, 415, 422, 502, 503, 504),
                    },
                }
            },
            "/health/live": {
                "get": {
                    "summary": "The process answers",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["status"],
                                "properties": {"status": {"const": "ok"}},
                            },
                            "Alive",
                        )
                    },
                }
            },
            "/health/ready": {
                "get": {
                    "summary": "Dependencies answer (a down cache only degrades)",
                    "responses": {
                        code: _json(
                            {
                                "type": "object",
                                "required": ["status", "checks"],
                                "properties": {
                                    "status": {"enum": ["ready", "unavailable"]},
                                    "checks": {
                                        "type": "object",
                                        "additionalProperties": _ref("Check"),
                                    },
                                    "queues": {
                                        "type": ["object", "null"],
                                        "description": "Consumers, depth and dead letters per"
                                        " queue (null if the broker cannot be asked)",
                                        "additionalProperties": {
                                            "type": "object",
                                            "additionalProperties": {"type": "integer"},
                                        },
                                    },
                                },
                            },
                            description,
                        )
                        for code, description in (("200", "Ready"), ("503", "Not ready"))
                    },
                }
            },
            "/metrics": {
                "get": {
                    "summary": "Prometheus metrics",
                    "responses": {
                        "200": {
                            "description": "Text exposition format",
                            "content": {"text/plain": {}},
                        }
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "summary": "This document",
                    "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1")},
                }
            },
        },
        "components": {"schemas": SCHEMAS, "responses": responses},
    }


class OpenApi:
    """``GET /openapi.json``."""

    def __init__(self) -> None:
        self.document = document()

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self.document
