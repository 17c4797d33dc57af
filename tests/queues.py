"""Reading what producers put on a real RabbitMQ queue."""

import json

import pika


def drain(broker_url: str, queue: str) -> list[dict]:
    """Every message body on ``queue`` (decoded), taking them off it."""
    connection = pika.BlockingConnection(pika.URLParameters(broker_url))
    channel = connection.channel()
    bodies = []
    while (got := channel.basic_get(queue, auto_ack=True))[0] is not None:
        bodies.append(json.loads(got[2]))
    connection.close()
    return bodies
