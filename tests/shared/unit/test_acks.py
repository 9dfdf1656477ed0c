"""Coalesced acks (consuming.Acks) with a recording channel: one `multiple` frame for a settled
run, never covering a message still in hand; a new channel starts afresh."""

import asyncio
from dataclasses import dataclass, field
from typing import Any

from gradeflow_shared.consuming import Acks


@dataclass
class RecordingChannel:
    acks: list[tuple[int, bool]] = field(default_factory=list)
    is_closed: bool = False

    async def basic_ack(self, delivery_tag: int, multiple: bool = False) -> None:
        self.acks.append((delivery_tag, multiple))


@dataclass
class Delivered:
    delivery_tag: int
    channel: Any


def _acked(channel: RecordingChannel) -> set[int]:
    """The tags the recorded frames acknowledge, as the broker reads them."""
    done: set[int] = set()
    for tag, multiple in channel.acks:
        done |= set(range(1, tag + 1)) if multiple else {tag}
    return done


async def test_a_settled_run_is_acked_in_one_multiple_frame() -> None:
    acks, channel = Acks(), RecordingChannel()
    messages = [Delivered(tag, channel) for tag in range(1, 11)]
    for m in messages:
        acks.received(m)  # type: ignore[arg-type]
    for m in messages:
        acks.settled(m)  # type: ignore[arg-type]
    await acks.drain()
    assert channel.acks == [(10, True)]


async def test_a_message_still_in_hand_is_never_covered() -> None:
    acks, channel = Acks(), RecordingChannel()
    messages = [Delivered(tag, channel) for tag in range(1, 8)]
    for m in messages:
        acks.received(m)  # type: ignore[arg-type]
    for m in messages:
        if m.delivery_tag != 3:
            acks.settled(m)  # type: ignore[arg-type]
    await acks.drain()
    assert channel.acks == [(2, True), (4, False), (5, False), (6, False), (7, False)]
    assert _acked(channel) == {1, 2, 4, 5, 6, 7}
    acks.settled(messages[2])  # type: ignore[arg-type]
    await acks.drain()
    assert _acked(channel) == set(range(1, 8))


async def test_a_tag_received_past_a_gap_is_acked_alone() -> None:
    acks, channel = Acks(), RecordingChannel()
    first, third = Delivered(1, channel), Delivered(3, channel)
    acks.received(first)  # type: ignore[arg-type]
    acks.received(third)  # type: ignore[arg-type]
    acks.settled(first)  # type: ignore[arg-type]
    acks.settled(third)  # type: ignore[arg-type]
    await acks.drain()
    assert _acked(channel) == {1, 3}, "tag 2 was never received: no frame may cover it"


async def test_settling_after_a_reconnect_acks_nothing_on_the_old_channel() -> None:
    acks, old, new = Acks(), RecordingChannel(), RecordingChannel()
    before = Delivered(1, old)
    acks.received(before)  # type: ignore[arg-type]
    after = Delivered(1, new)  # the new channel numbers its deliveries from 1 again
    acks.received(after)  # type: ignore[arg-type]
    acks.settled(before)  # type: ignore[arg-type]
    acks.settled(after)  # type: ignore[arg-type]
    await acks.drain()
    assert old.acks == [] and new.acks == [(1, True)]


async def test_acks_wait_for_the_loop_to_come_round() -> None:
    acks, channel = Acks(), RecordingChannel()
    for tag in (1, 2):
        acks.received(Delivered(tag, channel))  # type: ignore[arg-type]
    acks.settled(Delivered(1, channel))  # type: ignore[arg-type]
    acks.settled(Delivered(2, channel))  # type: ignore[arg-type]
    assert channel.acks == [], "nothing is sent while settled messages may still be gathering"
    for _ in range(3):
        await asyncio.sleep(0)
    assert channel.acks == [(2, True)]
