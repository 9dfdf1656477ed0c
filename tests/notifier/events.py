"""Events as the notifier's tests send them."""

import uuid
from datetime import UTC, datetime
from uuid import UUID

from gradeflow_shared.events import Audience, CourseEventPublished


def course_event(course_id: UUID, audience: Audience) -> CourseEventPublished:
    return CourseEventPublished(
        event_id=uuid.uuid4(),
        course_id=course_id,
        author_id=uuid.uuid4(),
        title="Exam moved",
        body="Now on Friday.",
        category="exam",
        priority="high",
        audience=audience,
        published_at=datetime.now(UTC),
    )
