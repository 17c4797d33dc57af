"""``footcast schedule``: each calendar entry publishes its messages on a real vhost."""

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from cli.main import main
from tests.queues import drain

pytestmark = pytest.mark.integration


def test_the_drift_check_entry_publishes_check_drift_for_today(broker_settings):
    done = CliRunner().invoke(main, ["schedule", "drift-check"], obj=broker_settings)
    assert done.exit_code == 0, done.output
    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert json.loads(done.output)["day"] == today
    [sent] = drain(broker_settings.broker_url, "ml")
    assert (sent["actor_name"], sent["args"][0]) == ("check_drift", {"v": 1, "day": today})
