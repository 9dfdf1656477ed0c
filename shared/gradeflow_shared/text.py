"""Text a program wrote, made storable and showable everywhere: PostgreSQL's text and JSONB hold no
NUL, and UTF-8 holds no lone surrogate, so each becomes U+FFFD (the replacement character), as an
invalid UTF-8 sequence already does when output is decoded. A program's output is the student's to
choose: whatever bytes it wrote, its grade reaches them."""

import re
from typing import Any

REPLACEMENT = "\ufffd"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    return _UNSTORABLE.sub(REPLACEMENT, text)


def storable_json(value: Any) -> Any:
    """`value` (JSON-like: dicts, lists, strings) with every string made storable."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return {storable(k) if isinstance(k, str) else k: storable_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [storable_json(v) for v in value]
    return value
