"""The broker's own bounds, changed for one test and put back: RabbitMQ's `max_message_size`."""

import contextlib
from collections.abc import Iterator

from tests.support.infra import rabbitmqctl


def _max_message_size(value: str) -> str:
    return rabbitmqctl("eval", f"application:{value}").strip()


@contextlib.contextmanager
def max_message_size(limit: int) -> Iterator[None]:
    """The broker refuses messages over `limit` bytes (channel error 406) until the block ends."""
    before = _max_message_size("get_env(rabbit, max_message_size).")  # {ok,134217728}
    _max_message_size(f"set_env(rabbit, max_message_size, {limit}).")
    try:
        yield
    finally:
        old = before.strip("{}").split(",")[-1] if before.startswith("{ok,") else "134217728"
        _max_message_size(f"set_env(rabbit, max_message_size, {old}).")
