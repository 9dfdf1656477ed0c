"""The metrics API's response models: what each route answers, in its OpenAPI schema and checked
on the way out (a report that strays from its model is a 500, not a surprise to a client)."""

from pydantic import BaseModel

from metrics.domain.dead_letters import DeadLetter
from metrics.domain.records import AlertRecord, JobTiming, QueueSample


class Times(BaseModel):
    avg: float | None = None
    p50: float | None
    p95: float | None
    p99: float | None


class Window(BaseModel):
    """A queue's jobs over one window."""

    window_seconds: int
    processed: int
    retried: int
    dead_lettered: int
    failed: int
    throughput_per_min: float
    failure_rate: float | None
    retry_rate: float | None
    wait_ms: Times
    processing_ms: Times
    total_ms: Times


class Check(BaseModel):
    rule: str
    value: float
    threshold: float
    ratio: float
    breached: bool


class Health(BaseModel):
    status: str
    score: int
    checks: list[Check]


class Thresholds(BaseModel):
    wait_ms: float
    processing_ms: float
    failure_rate: float
    backlog: float
    min_throughput_per_min: float


class QueueStats(BaseModel):
    """A queue's depth and consumers (from the broker; None when it does not know the queue), its
    jobs over `window_seconds` and over 1 minute, 5 minutes and 1 hour, and its health."""

    queue: str
    routing_key: str
    depth: int | None
    unacked: int | None
    consumers: int | None
    retrying: int
    dead_letters: int | None
    processed: int
    failed: int
    throughput_per_min: float
    wait_ms: Times
    processing_ms: Times
    window_seconds: int
    windows: dict[str, Window]
    health: Health
    thresholds: Thresholds


class QueueReport(QueueStats):
    history: list[QueueSample]


class Queues(BaseModel):
    queues: list[QueueStats]


class Timings(BaseModel):
    queue: str
    timings: list[JobTiming]


class History(BaseModel):
    samples: list[QueueSample]


class QueueOutlook(BaseModel):
    queue: str
    depth: int | None
    consumers: int | None
    throughput_per_min: float
    health: str
    trend_per_min: float | None
    drain_seconds: float | None
    consumers_needed: int | None
    recommendations: list[str]


class Performance(BaseModel):
    target_seconds: float
    queues: list[QueueOutlook]
    recommendations: list[str]


class Alerts(BaseModel):
    alerts: list[AlertRecord]


class DeadLetters(BaseModel):
    queue: str
    dlq: str
    total: int
    messages: list[DeadLetter]


class Replayed(BaseModel):
    queue: str
    replayed: int


class Purged(BaseModel):
    queue: str
    purged: int
