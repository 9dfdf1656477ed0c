"""Deliveries due now, announced: the statement that stages them notifies DUE_CHANNEL with each
channel that got some (sent at commit), and every replica's dispatcher of that channel is woken
to look (usecases/deliveries.py). After the listening connection is made — first, or again after
it was lost, when notices may have been missed — every dispatcher is woken."""

from collections.abc import Callable, Mapping

from gradeflow_shared.listening import PgListener

DUE_CHANNEL = "notifier_deliveries"
DUE_NAME = "gradeflow-notifier-due"  # the listening connection's application_name


class DueDeliveries:
    def __init__(self, database_url: str, wake: Mapping[str, Callable[[], None]]) -> None:
        self._wake = wake
        self._listener = PgListener(database_url, DUE_CHANNEL, self._on_notice, self._wake_all, DUE_NAME)

    def _on_notice(self, channel: str) -> None:
        wake = self._wake.get(channel)
        if wake is not None:
            wake()

    def _wake_all(self) -> None:
        for wake in self._wake.values():
            wake()

    async def run(self) -> None:
        await self._listener.run()

    def stop(self) -> None:
        self._listener.stop()
