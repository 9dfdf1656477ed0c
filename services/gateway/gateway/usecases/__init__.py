"""The gateway's use cases: each is one unit of work (one session, one commit)."""
