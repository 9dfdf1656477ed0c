"""Rate limits, pure: rates as settings write them, and the class of each request."""

import pytest

from gateway.domain.limits import Rate, route_class


def test_a_rate_is_requests_per_seconds() -> None:
    rate = Rate.parse("100/60")
    assert (rate.capacity, rate.period_seconds) == (100, 60.0)
    for bad in ("100", "0/60", "10/0", "ten/60", "-1/5"):
        with pytest.raises(ValueError, match="REQUESTS/SECONDS"):
            Rate.parse(bad)


def test_each_request_has_one_class() -> None:
    assert route_class("POST", "/v1/runs") == "runs"
    assert route_class("POST", "/judge0/submissions") == "runs"
    assert route_class("POST", "/judge0/submissions/batch") == "runs"
    assert route_class("POST", "/v1/submissions") == "submissions"
    assert route_class("PATCH", "/v1/courses/x") == "writes"
    assert route_class("GET", "/v1/runs/x") == "reads"
    assert route_class("GET", "/judge0/submissions/x") == "reads"
