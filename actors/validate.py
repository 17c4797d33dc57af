"""``validate_batch``: the Great Expectations gate on the ``validate`` queue.

Great Expectations is imported when the first message arrives, not when the worker boots,
so processes that only send messages never pay its import time. A failed gate quarantines
the batch (report stored) and dead-letters the message with the reason; it is not retried.
A batch that passes may bring new results or fixtures: ``data_changed`` tells serving.
"""

from __future__ import annotations

from typing import Any

import dramatiq

from actors import contracts, runtime
from actors.contracts import ContractError, check_payload
from core.db import connect
from etl.errors import ParseError, UnknownTeam, ValidationFailed

#: Errors a retry cannot fix.
PERMANENT = (ParseError, ValidationFailed, UnknownTeam, ContractError)


@dramatiq.actor(
    actor_name="validate_batch",
    queue_name="validate",
    max_retries=3,
    min_backoff=5_000,
    max_backoff=5 * 60_000,
    time_limit=5 * 60_000,
    store_results=True,
    throws=PERMANENT,
)
def validate_batch(data: Any) -> dict[str, Any]:
    """Gate ``{batch_id}``: ``validated`` or ``quarantined`` (then ``ValidationFailed``)."""
    data = check_payload(data, ("batch_id",))
    from etl.validation import validate_batch as run_gate

    with connect(runtime.settings(), autocommit=True) as conn:
        report = run_gate(conn, int(data["batch_id"]))
    if not report.success:
        raise ValidationFailed(
            f"batch {data['batch_id']} quarantined: {'; '.join(report.failures)}"
        )
    dramatiq.get_broker().enqueue(contracts.data_changed([int(data["batch_id"])]))
    return {"batch_id": data["batch_id"], "status": "validated"}
