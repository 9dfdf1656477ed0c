"""What a student or parent reads must never carry a hidden test's input or expected output: one
check for every channel — an API answer, a live stream, an inbox row, an email, a webhook body, the
command line's output."""

import json
from typing import Any


def assert_no_hidden(seen: Any, hidden: list[str], channel: str) -> None:
    """`seen` (text, bytes or JSON-like) holds none of the `hidden` strings, in any form a client
    could decode (as sent, or JSON-escaped)."""
    if isinstance(seen, bytes):
        text = seen.decode(errors="replace")
    elif isinstance(seen, str):
        text = seen
    else:
        text = json.dumps(seen)
    for secret in hidden:
        for form in (secret, json.dumps(secret)[1:-1]):
            assert form not in text, f"{channel}: a hidden test's {secret!r} reached a student or parent"
