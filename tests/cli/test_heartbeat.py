"""``footcast heartbeat`` fails with a clear message when the bus is down."""

from click.testing import CliRunner

from cli.main import main


def test_heartbeat_with_rabbitmq_unreachable_names_it_and_exits_with_its_status(base_settings):
    settings = base_settings.replace(broker_url="amqp://guest:guest@127.0.0.1:1/%2F")
    result = CliRunner().invoke(main, ["heartbeat"], obj=settings)
    assert result.exit_code == 11
    assert "RabbitMQ" in result.output and "FOOTCAST_BROKER_URL" in result.output
