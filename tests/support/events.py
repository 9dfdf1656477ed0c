"""Events published to the events exchange as a service's relay publishes them (an envelope each,
persistent, confirmed): for a test that plays the service upstream of the one it tests."""

from gradeflow_shared.broker import Publisher, message_for
from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import Event


async def publish(amqp_url: str, *events: Event) -> None:
    publisher = Publisher(amqp_url)
    try:
        for event in events:
            await publisher.publish(
                message_for(event.model_dump_json().encode(), Envelope.for_event(event)), event.type
            )
    finally:
        await publisher.close()
