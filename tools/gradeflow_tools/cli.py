"""`gradeflow`: the platform from a terminal — log in, submit a file and watch it graded, list
courses, assignments and submissions, import a roster; for teachers, regrade an assignment (with a
progress bar) and export a course's gradebook; for operators, the queues and their dead letters.
Talks to the gateway's public API (GRADEFLOW_URL) and the metrics service (GRADEFLOW_METRICS_URL);
the token is kept in GRADEFLOW_CONFIG (~/.config/gradeflow/token.json)."""

import json
import os
import time
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

app = typer.Typer(help=__doc__, no_args_is_help=True)
roster = typer.Typer(help="Course rosters.", no_args_is_help=True)
dlq = typer.Typer(help="Dead letters (operators).", no_args_is_help=True)
app.add_typer(roster, name="roster")
app.add_typer(dlq, name="dlq")
console = Console()


@app.callback()
def _sized_now() -> None:
    # Each invocation sizes its output to the terminal as it is then (`COLUMNS` included), not as
    # it was when the module was imported (a long-lived process calling the app, the tests).
    global console
    console = Console()


LANGUAGES = {".py": "python", ".c": "c", ".cpp": "cpp", ".cc": "cpp", ".js": "javascript", ".java": "java"}
Url = Annotated[str, typer.Option(envvar="GRADEFLOW_URL", help="The gateway")]
MetricsUrl = Annotated[str, typer.Option(envvar="GRADEFLOW_METRICS_URL", help="The metrics service")]
GATEWAY, METRICS = "http://127.0.0.1:8000", "http://127.0.0.1:8003"


def _config() -> Path:
    default = Path.home() / ".config" / "gradeflow" / "token.json"
    return Path(os.environ.get("GRADEFLOW_CONFIG", str(default)))


def _client(url: str, auth: bool = True) -> httpx.Client:
    headers = {}
    if auth:
        if not _config().exists():
            raise typer.BadParameter("not logged in: run `gradeflow login` first")
        headers["Authorization"] = f"Bearer {json.loads(_config().read_text())['token']}"
    return httpx.Client(base_url=url, headers=headers, timeout=30)


def _ok(response: httpx.Response) -> Any:
    """The answer's JSON, or the API's error said plainly and exit 1."""
    if response.is_success:
        return response.json() if response.content else None
    try:
        error = response.json()
        fields = "; ".join(_fault(f) for f in error.get("fields", []))
        message = f"{error.get('message', response.text)}{f' ({fields})' if fields else ''}"
    except ValueError:
        message = response.text
    console.print(f"[red]{response.status_code}[/red] {message}")
    raise typer.Exit(1)


def _fault(fault: dict[str, Any]) -> str:
    where = f"line {fault['line']} " if "line" in fault else ""
    return f"{where}{fault.get('field', '')}: {fault['message']}"


def _table(title: str, columns: list[str], rows: list[list[Any]], keys: int = 1) -> None:
    """The first `keys` columns (ids, queue names: what a user copies into the next command) are
    shown whole whatever the terminal's width; the others wrap to fit."""
    cells = [["" if v is None else str(v) for v in row] for row in rows]
    table = Table(title=title)
    for i, column in enumerate(columns):
        if i < keys:
            widest = max((len(row[i]) for row in cells), default=0)
            table.add_column(column, no_wrap=True, min_width=max(widest, len(column)))
        else:
            table.add_column(column)
    for row in cells:
        table.add_row(*row)
    console.print(table)


@app.command()
def login(
    email: Annotated[str | None, typer.Argument(help="Development login (not served in production)")] = None,
    name: str = "",
    token: Annotated[
        str | None, typer.Option(help="Keep this token instead (from your identity provider)")
    ] = None,
    url: Url = GATEWAY,
) -> None:
    """Log in: a development login by email, or a token you already have."""
    if token is None:
        if email is None:
            raise typer.BadParameter("give an EMAIL, or --token")
        with _client(url, auth=False) as client:
            answer = _ok(
                client.post("/v1/auth/dev-login", json={"email": email, "name": name or email.split("@")[0]})
            )
        token = answer["token"]
    path = _config()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"token": token}))
    path.chmod(0o600)
    console.print(f"logged in; token kept in {path}")


@app.command()
def courses(url: Url = GATEWAY) -> None:
    """Your courses."""
    with _client(url) as client:
        items = _pages(client, "/v1/courses")
    _table("Courses", ["id", "title", "your role"], [[c["id"], c["title"], c["role"]] for c in items])


@app.command()
def assignments(course_id: str, url: Url = GATEWAY) -> None:
    """A course's assignments."""
    with _client(url) as client:
        items = _pages(client, f"/v1/courses/{course_id}/assignments")
    _table("Assignments", ["id", "title", "created"], [[a["id"], a["title"], a["created_at"]] for a in items])


@app.command()
def submissions(
    assignment: Annotated[str | None, typer.Option(help="Only this assignment's")] = None, url: Url = GATEWAY
) -> None:
    """Your submissions, newest first."""
    with _client(url) as client:
        items = _pages(client, "/v1/submissions", **({"assignment_id": assignment} if assignment else {}))
    rows = [
        [s["id"], s["assignment_id"], s["status"], s["verdict"], _score(s), s["created_at"]] for s in items
    ]
    _table("Submissions", ["id", "assignment", "status", "verdict", "score", "submitted"], rows, keys=2)


@app.command()
def submit(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    assignment: Annotated[str, typer.Option(help="The assignment's id")],
    language: Annotated[str | None, typer.Option(help="Else from the file's extension")] = None,
    wait: Annotated[bool, typer.Option(help="Follow it until graded and show the result")] = True,
    url: Url = GATEWAY,
) -> None:
    """Submit a file, then follow it live until it is graded."""
    language = language or LANGUAGES.get(file.suffix.lower())
    if language is None:
        raise typer.BadParameter(f"cannot tell the language of {file.name}: pass --language")
    body = {"assignment_id": assignment, "language": language, "source": file.read_text()}
    with _client(url) as client:
        accepted = _ok(client.post("/v1/submissions", json=body))
        console.print(f"submitted {accepted['id']}")
        if not wait:
            return
        final: dict[str, Any] = {}
        with (
            console.status("queued…") as spinner,
            client.stream(
                "GET", f"/v1/submissions/{accepted['id']}/events", timeout=httpx.Timeout(30, read=None)
            ) as stream,
        ):
            for event in _events(stream):
                final = event
                spinner.update(f"{event['status']}…")
    _show(final)


@app.command()
def regrade(
    assignment: str,
    scope: Annotated[str, typer.Option(help="all, latest or best: whose submissions")] = "latest",
    wait: Annotated[bool, typer.Option(help="Follow it with a progress bar until done")] = True,
    url: Url = GATEWAY,
) -> None:
    """Regrade an assignment's submissions against its current tests (once per version of them)."""
    with _client(url) as client:
        regrade = _ok(client.post(f"/v1/assignments/{assignment}/regrades", json={"scope": scope}))
        total, version = regrade["total"], regrade["suite_version"]
        console.print(f"regrade {regrade['id']}: {total} submissions against version {version}")
        if not wait:
            return
        with Progress(console=console) as bar:
            task = bar.add_task("regrading", total=regrade["total"], completed=regrade["done"])
            while regrade["done"] < regrade["total"]:
                time.sleep(1)
                regrade = _ok(client.get(f"/v1/regrades/{regrade['id']}"))
                bar.update(task, completed=regrade["done"])
    console.print(f"done: {regrade['done']} of {regrade['total']}")


@app.command()
def gradebook(
    course_id: str,
    out: Annotated[Path, typer.Option(help="The CSV file to write")] = Path("gradebook.csv"),
    rule: Annotated[str, typer.Option(help="latest or best: which submission counts")] = "latest",
    url: Url = GATEWAY,
) -> None:
    """Export a course's gradebook as CSV (a line per student, a grade and max per assignment)."""
    with (
        _client(url) as client,
        client.stream("GET", f"/v1/courses/{course_id}/gradebook.csv", params={"rule": rule}) as answer,
    ):
        if not answer.is_success:
            answer.read()
            _ok(answer)
        with out.open("wb") as file:
            for chunk in answer.iter_bytes():
                file.write(chunk)
    console.print(f"written {out}")


@roster.command("import")
def roster_import(
    course_id: str, file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)], url: Url = GATEWAY
) -> None:
    """Import a CSV roster (name,email,role,child_email): all lines or none."""
    with _client(url) as client:
        answer = _ok(
            client.post(
                f"/v1/courses/{course_id}/roster",
                content=file.read_bytes(),
                headers={"Content-Type": "text/csv"},
            )
        )
    console.print(
        f"imported {answer['imported']}: {answer['students']} students, {answer['teachers']} teachers, "
        f"{answer['parents']} parents"
    )


@app.command()
def queues(metrics_url: MetricsUrl = METRICS) -> None:
    """Every queue: depth, consumers, processed, failures, wait and processing p95 (operators)."""
    with _client(metrics_url) as client:
        stats = _ok(client.get("/v1/queues"))["queues"]
    rows = [
        [q["queue"], q.get("health", {}).get("status"), q.get("depth"), q.get("consumers"),
         q.get("processed"), q.get("failed"), _ms(q.get("wait_ms", {}).get("p95")),
         _ms(q.get("processing_ms", {}).get("p95"))]
        for q in stats
    ]  # fmt: skip
    columns = ["queue", "health", "depth", "consumers", "processed", "failed", "wait p95", "processing p95"]
    _table("Queues", columns, rows)


@app.command()
def alerts(
    state: Annotated[str | None, typer.Option(help="raised or resolved; else both")] = None,
    metrics_url: MetricsUrl = METRICS,
) -> None:
    """Alerts, newest first (operators)."""
    with _client(metrics_url) as client:
        found = _ok(client.get("/v1/alerts", params={"state": state} if state else None))["alerts"]
    rows = [
        [a["state"], a["queue"], a["rule"], a["message"], a["raised_at"], a["resolved_at"] or ""]
        for a in found
    ]
    _table("Alerts", ["state", "queue", "rule", "message", "raised", "resolved"], rows)


@app.command()
def dashboard(metrics_url: MetricsUrl = METRICS) -> None:
    """The dashboard's address, with your token in it (it never leaves your browser: a fragment)."""
    token = json.loads(_config().read_text())["token"] if _config().exists() else ""
    typer.echo(f"{metrics_url}/dashboard" + (f"#token={token}" if token else ""))


@dlq.command("list")
def dlq_list(queue: str, limit: int = 20, metrics_url: MetricsUrl = METRICS) -> None:
    """A queue's dead letters, with why each died."""
    with _client(metrics_url) as client:
        answer = _ok(client.get(f"/v1/dead-letters/{queue}", params={"limit": limit}))
    rows = [[m["message_id"], m["type"], len(m["attempts"]), m["error"]] for m in answer["messages"]]
    _table(
        f"{answer['dlq']}: {answer['total']} dead letters",
        ["message id", "type", "attempts", "last error"],
        rows,
    )


@dlq.command("replay")
def dlq_replay(
    queue: str,
    message_id: Annotated[str | None, typer.Option(help="Only this one; else all")] = None,
    metrics_url: MetricsUrl = METRICS,
) -> None:
    """Send a queue's dead letters back to it."""
    with _client(metrics_url) as client:
        answer = _ok(
            client.post(
                f"/v1/dead-letters/{queue}/replay", json={"message_id": message_id} if message_id else None
            )
        )
    console.print(f"replayed {answer['replayed']} to {queue}")


def _pages(client: httpx.Client, path: str, **params: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page = _ok(
            client.get(path, params={**params, "limit": 200, **({"cursor": cursor} if cursor else {})})
        )
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def _events(stream: httpx.Response) -> Any:
    if not stream.is_success:
        stream.read()
        _ok(stream)
    event: dict[str, str] = {}
    for line in stream.iter_lines():
        if not line:
            if event.get("event") == "status":
                yield json.loads(event["data"])
            event = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            event[name] = value.removeprefix(" ")


def _show(submission: dict[str, Any]) -> None:
    console.print(
        f"[bold]{submission.get('verdict', submission.get('status'))}[/bold]  score {_score(submission)}"
    )
    rows = [
        [
            t.get("position"),
            "hidden" if t.get("hidden") else "",
            t.get("verdict"),
            _ms(t.get("time_ms")),
            t.get("memory_kb"),
        ]
        for t in submission.get("tests", [])
    ]
    _table("Tests", ["#", "", "verdict", "time", "memory KB"], rows)


def _score(s: dict[str, Any]) -> str:
    return f"{s['score']}/{s['max_score']}" if s.get("score") is not None else ""


def _ms(value: float | None) -> str:
    return f"{value:.0f} ms" if value is not None else ""


def main() -> None:
    app()


if __name__ == "__main__":
    main()
