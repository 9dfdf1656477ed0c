"""API keys for integrations, pure: the key's form (`gf_<prefix>_<secret>`: the prefix finds it, the
secret proves it — only its SHA-256 is kept), its scopes, and which scope a request needs."""

import hashlib
import hmac
import secrets

from gateway.domain.limits import Rate

PREFIX = "gf_"
SCOPES = ("runs", "submissions", "read", "write")
# The scope each route class needs (gateway/domain/limits.py's classes).
NEEDED = {"runs": "runs", "submissions": "submissions", "reads": "read", "writes": "write"}


def new_key() -> tuple[str, str, str]:
    """(prefix, the secret's digest to keep, the whole key to show once)."""
    prefix, secret = secrets.token_hex(4), secrets.token_urlsafe(32)
    return prefix, digest(secret), f"{PREFIX}{prefix}_{secret}"


def parse(key: str) -> tuple[str, str] | None:
    """(prefix, secret) of a key of ours, else None."""
    if not key.startswith(PREFIX):
        return None
    prefix, _, secret = key[len(PREFIX) :].partition("_")
    return (prefix, secret) if len(prefix) == 8 and secret else None


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def matches(secret: str, kept: str) -> bool:
    return hmac.compare_digest(digest(secret), kept)


PERIODS = {"minute": 60, "hour": 3600}  # a key's own limit is per minute or per hour (Jobe's)
PERIOD_NAMES = {seconds: name for name, seconds in PERIODS.items()}


def own_rate(runs_limit: int | None, period_seconds: int | None) -> Rate | None:
    """A key's own limit on runs (capacity 0: no limit at all); None when it has none of its own."""
    if runs_limit is None or period_seconds is None:
        return None
    return Rate(runs_limit, period_seconds)


def within(wanted: Rate, default: Rate | None) -> bool:
    """Whether a limit a key's owner asks for is no more generous than the deployment's default
    (only an admin may give a key more, or none)."""
    if default is None:
        return True  # runs are not limited here: any limit is stricter
    if wanted.capacity == 0:
        return False
    return wanted.capacity / wanted.period_seconds <= default.capacity / default.period_seconds
