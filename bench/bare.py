"""The yardstick for the gateway's load test: a bare FastAPI endpoint taking the same body as
`POST /v1/submissions` (validated by the same pydantic model) and answering 202 at once, with no
authentication, database or broker. Served by `bench.gateway` beside the gateway, one process."""

import uuid

from fastapi import FastAPI, status

from gateway import schemas as s

app = FastAPI()


@app.post("/v1/submissions", status_code=status.HTTP_202_ACCEPTED, response_model=s.SubmissionAccepted)
async def submit(body: s.SubmissionIn) -> s.SubmissionAccepted:
    return s.SubmissionAccepted(id=uuid.uuid4(), status="queued")
