"""Contracts: every event's JSON schema is pinned. A change that would break a deployed consumer
(removing or retyping a field, a new required field) fails here: bump the event's version and
keep the old shape readable, then refresh the snapshot with UPDATE_CONTRACTS=1."""

import json
import os
from pathlib import Path

import pytest

from gradeflow_shared.events import CATALOGUE, Event

SNAPSHOTS = Path(__file__).parent / "contracts"


@pytest.mark.parametrize("event", CATALOGUE, ids=[e.type for e in CATALOGUE])
def test_event_schema_matches_its_pinned_contract(event: type[Event]) -> None:
    current = {"type": event.type, "version": event.version, "schema": event.model_json_schema()}
    path = SNAPSHOTS / f"{event.type}.v{event.version}.json"
    if os.environ.get("UPDATE_CONTRACTS"):
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
    assert path.exists(), f"no pinned contract for {event.type} v{event.version}"
    assert json.loads(path.read_text()) == current


def test_event_types_are_unique_routing_keys() -> None:
    types = [e.type for e in CATALOGUE]
    assert len(types) == len(set(types))
    assert all(t.count(".") == 1 for t in types)


def test_events_are_frozen() -> None:
    for event in CATALOGUE:
        assert event.model_config.get("frozen") is True
