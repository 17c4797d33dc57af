"""Dead letters: list, inspect, replay and purge the messages parked in ``<queue>.XQ``.

RabbitMQ keeps only the message body and its ``x-death`` headers; the reason a worker gave
up (error, traceback, retries) is joined from the results Redis, where ``DeadLetterReason``
stored it. Reading a dead-letter queue never loses or reorders it: messages are fetched
without acknowledgement, only the ones replayed or purged are acknowledged (a replayed one
only after RabbitMQ has confirmed its republication), and the rest are handed back in their
original order.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pika
import pika.exceptions
import redis
from dramatiq.common import q_name, xq_name

from actors.contracts import QUEUES
from actors.delivery_limit import deliveries_key
from actors.errors import DeadLetterNotFound as DeadLetterNotFound
from actors.errors import ReplayFailed, broker_unavailable
from actors.middleware import REASON_TTL_MS, reason_key
from actors.queue_status import broker_connection, declared, queue_status
from core.redis import results_client
from core.settings import Settings

#: Prefix of the id given to a body that is not a dramatiq message (it has no message id).
RAW_ID_PREFIX = "raw-"
#: Options a replay drops: they describe the failed attempts, not the message.
ATTEMPT_OPTIONS = ("retries", "traceback", "requeue_timestamp", "eta")


@dataclass(frozen=True)
class DeadLetter:
    """One message in a dead-letter queue, with the reason it got there."""

    id: str
    queue: str
    actor: str | None
    dead_at: float | None  #: unix seconds
    retries: int
    replays: int
    error: str
    reason: dict[str, Any] = field(default_factory=dict)
    message: dict[str, Any] | None = None
    body: bytes = b""
    x_death: list[dict[str, Any]] = field(default_factory=list)

    @property
    def replayable(self) -> bool:
        return self.message is not None

    def age_s(self, now: float | None = None) -> float | None:
        return None if self.dead_at is None else max(0.0, (now or time.time()) - self.dead_at)

    def summary(self, now: float | None = None) -> dict[str, Any]:
        """The one-line view: id, queue, actor, age, retries, replays, last error."""
        age = self.age_s(now)
        return {
            "id": self.id,
            "queue": self.queue,
            "actor": self.actor,
            "age_s": None if age is None else round(age, 1),
            "retries": self.retries,
            "replays": self.replays,
            "error": self.error,
        }

    def details(self) -> dict[str, Any]:
        """Everything known about the message: payload, options, reason, traceback."""
        message = self.message or {}
        return {
            **self.summary(),
            "dead_at": self.dead_at,
            "args": message.get("args"),
            "kwargs": message.get("kwargs"),
            "options": message.get("options"),
            "message_timestamp": message.get("message_timestamp"),
            "reason": {k: v for k, v in self.reason.items() if k != "traceback"},
            "traceback": self.reason.get("traceback")
            or message.get("options", {}).get("traceback"),
            "x_death": self.x_death,
            **({} if self.message else {"body": self.body.decode("utf-8", "replace")}),
        }


@dataclass(frozen=True)
class Selection:
    """Which dead letters an operation applies to; every given criterion must hold."""

    queues: tuple[str, ...] = QUEUES
    ids: frozenset[str] | None = None
    actor: str | None = None
    since: float | None = None  #: unix seconds: dead-lettered at or after
    grep: str | None = None  #: case-insensitive, in the error, traceback or payload

    def matches(self, letter: DeadLetter) -> bool:
        if self.ids is not None and letter.id not in self.ids:
            return False
        if self.actor is not None and letter.actor != self.actor:
            return False
        if self.since is not None and (letter.dead_at is None or letter.dead_at < self.since):
            return False
        if self.grep:
            haystack = " ".join(
                [letter.error, str(letter.reason.get("traceback", "")), _payload_text(letter)]
            )
            return self.grep.lower() in haystack.lower()
        return True


def _payload_text(letter: DeadLetter) -> str:
    if letter.message is None:
        return letter.body.decode("utf-8", "replace")
    return json.dumps([letter.message.get("args"), letter.message.get("kwargs")], default=str)


def dead_letter_counts(settings: Settings, queues: Iterable[str] = QUEUES) -> dict[str, int]:
    """Messages waiting in each queue's dead-letter queue (0 where it was never declared)."""
    return {q: status.dead_letters for q, status in queue_status(settings, queues).items()}


class _Held:
    """Dead letters fetched on one channel and not yet acknowledged."""

    def __init__(self, channel: Any, reasons: _ReasonStore) -> None:
        self.channel = channel
        self.reasons = reasons
        self.letters: list[tuple[int, DeadLetter]] = []


def _waiting(connection: pika.BlockingConnection, queues: Iterable[str]) -> dict[str, int]:
    """Messages in each existing dead-letter queue."""
    found = declared(connection, [xq_name(q) for q in queues])
    return {q: found[xq_name(q)][0] for q in queues if xq_name(q) in found}


@contextmanager
def _holding(settings: Settings, queues: Iterable[str]) -> Iterator[_Held]:
    """Fetch every message now in the dead-letter queues, unacknowledged; whatever the caller
    does not acknowledge goes back, in its original order, when the block ends."""
    connection = broker_connection(settings)
    try:
        waiting = _waiting(connection, queues)
        channel = connection.channel()
        channel.confirm_delivery()
        held = _Held(channel, _ReasonStore(settings))
        for queue, count in waiting.items():
            fetched = []
            for _ in range(count):
                method, properties, body = channel.basic_get(xq_name(queue), auto_ack=False)
                if method is None:
                    break
                fetched.append(
                    (method.delivery_tag, _decode(queue, properties.headers or {}, body))
                )
            found = held.reasons.get([letter.id for _, letter in fetched if letter.message])
            held.letters += [
                (tag, _with_reason(letter, found.get(letter.id))) for tag, letter in fetched
            ]
        yield held
        if held.letters:
            channel.basic_nack(delivery_tag=0, multiple=True, requeue=True)
    except pika.exceptions.AMQPError as exc:
        raise broker_unavailable(exc) from exc
    finally:
        if connection.is_open:
            connection.close()


class _ReasonStore:
    """The reasons ``DeadLetterReason`` stored; without Redis, listing still works."""

    def __init__(self, settings: Settings) -> None:
        self.client = results_client(settings)

    def get(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        if not ids:
            return {}
        try:
            raw = self.client.mget([reason_key(i) for i in ids])
        except redis.RedisError:
            return {}
        return {i: json.loads(r) for i, r in zip(ids, raw, strict=True) if r}

    def forget(self, letters: list[DeadLetter]) -> None:
        """Drop the reasons and delivery counts of messages that leave the dead letters."""
        ids = [letter.id for letter in letters if letter.message]
        if not ids:
            return
        with suppress(redis.RedisError):
            self.client.delete(*[reason_key(i) for i in ids], *[deliveries_key(i) for i in ids])

    def restore(self, letter: DeadLetter) -> None:
        if letter.reason:
            with suppress(redis.RedisError):
                self.client.set(reason_key(letter.id), json.dumps(letter.reason), px=REASON_TTL_MS)


def _decode(queue: str, headers: dict[str, Any], body: bytes) -> DeadLetter:
    x_death = [_plain(d) for d in headers.get("x-death") or []]
    died = _death_time(x_death)
    try:
        message = json.loads(body)
        if not isinstance(message, dict) or not {"message_id", "actor_name"} <= message.keys():
            raise ValueError("not a dramatiq message")
    except ValueError as exc:
        error = f"undecodable body ({type(exc).__name__}: {exc}): not a dramatiq message"
        return DeadLetter(
            id=RAW_ID_PREFIX + hashlib.sha256(body).hexdigest()[:16],
            queue=queue,
            actor=None,
            dead_at=died,
            retries=0,
            replays=0,
            error=error,
            body=body,
            x_death=x_death,
        )
    options = message.get("options") or {}
    return DeadLetter(
        id=str(message["message_id"]),
        queue=q_name(str(message.get("queue_name") or queue)),
        actor=str(message["actor_name"]),
        dead_at=died,
        retries=int(options.get("retries", 0)),
        replays=int(options.get("replays", 0)),
        error=_fallback_error(options, x_death),
        message=message,
        body=body,
        x_death=x_death,
    )


def _with_reason(letter: DeadLetter, reason: dict[str, Any] | None) -> DeadLetter:
    if not reason:
        return letter
    return DeadLetter(
        id=letter.id,
        queue=letter.queue,
        actor=letter.actor,
        dead_at=reason.get("failed_at") or letter.dead_at,
        retries=int(reason.get("retries", letter.retries)),
        replays=letter.replays,
        error=f"{reason.get('error_type', 'Error')}: {reason.get('error', '')}",
        reason=reason,
        message=letter.message,
        body=letter.body,
        x_death=letter.x_death,
    )


def _fallback_error(options: dict[str, Any], x_death: list[dict[str, Any]]) -> str:
    """The last line of the last traceback, else what RabbitMQ says happened."""
    lines = [line for line in str(options.get("traceback") or "").splitlines() if line.strip()]
    if lines:
        return lines[-1].strip()
    if x_death:
        return f"{x_death[0].get('reason', 'dead-lettered')} in {x_death[0].get('queue', '?')}"
    return "unknown (no reason recorded)"


def _death_time(x_death: list[dict[str, Any]]) -> float | None:
    when = x_death[0].get("time") if x_death else None
    return when.timestamp() if isinstance(when, datetime) else None


def _plain(value: Any) -> Any:
    """Header values as JSON-friendly types (RabbitMQ sends bytes and datetimes)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def list_dead_letters(settings: Settings, selection: Selection = Selection()) -> list[DeadLetter]:
    """The dead letters matching ``selection``, oldest first within each queue."""
    with _holding(settings, selection.queues) as held:
        return [letter for _, letter in held.letters if selection.matches(letter)]


def get_dead_letter(settings: Settings, message_id: str) -> DeadLetter:
    found = list_dead_letters(settings, Selection(ids=frozenset({message_id})))
    if not found:
        raise DeadLetterNotFound(f"no dead letter with id {message_id!r}")
    return found[0]


def replayed_body(message: dict[str, Any], now: float | None = None) -> dict[str, Any]:
    """The message as it goes back on its queue: same id, actor and payload, fresh retries,
    and one more replay recorded in its options."""
    options = {k: v for k, v in (message.get("options") or {}).items() if k not in ATTEMPT_OPTIONS}
    options["replays"] = int(options.get("replays", 0)) + 1
    options["replayed_at"] = round(now or time.time(), 3)
    return {**message, "queue_name": q_name(message["queue_name"]), "options": options}


def replay(
    settings: Settings, selection: Selection, *, dry_run: bool = False
) -> tuple[list[DeadLetter], list[DeadLetter]]:
    """Put the selected dead letters back on their queues; return (replayed, skipped).

    Each one is acknowledged in its dead-letter queue only after RabbitMQ confirmed the
    republished copy, so a failure half-way loses nothing (at worst a message is both
    republished and still dead-lettered; handlers are idempotent). Bodies that are not
    dramatiq messages cannot be replayed and are skipped.
    """
    replayed: list[DeadLetter] = []
    skipped: list[DeadLetter] = []
    with _holding(settings, selection.queues) as held:
        for tag, letter in held.letters:
            if not selection.matches(letter):
                continue
            if not letter.replayable:
                skipped.append(letter)
                continue
            if not dry_run:
                # the reason goes first: a replay that fails again at once records a new one
                held.reasons.forget([letter])
                try:
                    _republish(held.channel, letter)
                except ReplayFailed:
                    held.reasons.restore(letter)
                    raise
                held.channel.basic_ack(tag)
            replayed.append(letter)
    return replayed, skipped


def _republish(channel: Any, letter: DeadLetter) -> None:
    assert letter.message is not None
    body = replayed_body(letter.message)
    try:
        channel.basic_publish(
            exchange="",
            routing_key=body["queue_name"],
            body=json.dumps(body, separators=(",", ":")).encode(),
            properties=pika.BasicProperties(
                delivery_mode=2, priority=body["options"].get("broker_priority")
            ),
            mandatory=True,
        )
    except (pika.exceptions.UnroutableError, pika.exceptions.NackError) as exc:
        raise ReplayFailed(f"RabbitMQ refused the replay of {letter.id}: {exc}") from exc


def purge(settings: Settings, selection: Selection, *, dry_run: bool = False) -> list[DeadLetter]:
    """Drop the selected dead letters for good, with their stored reasons."""
    purged: list[DeadLetter] = []
    with _holding(settings, selection.queues) as held:
        for tag, letter in held.letters:
            if selection.matches(letter):
                if not dry_run:
                    held.channel.basic_ack(tag)
                purged.append(letter)
        if not dry_run:
            held.reasons.forget(purged)
    return purged
