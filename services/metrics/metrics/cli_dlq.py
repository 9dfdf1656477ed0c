"""`python -m metrics dlq list|replay|purge QUEUE`: dead-letter operations from a shell, straight
on the broker (works whether or not the metrics service is running)."""

import asyncio
import json
from dataclasses import asdict

import typer

from gradeflow_shared.topology import route_for
from metrics.adapters.dead_letters import DeadLetters
from metrics.settings import MetricsSettings

dlq = typer.Typer(help="Inspect, replay and purge dead letters.", no_args_is_help=True)


def _adapter() -> DeadLetters:
    return DeadLetters(MetricsSettings().amqp_url)


@dlq.command("list")
def list_(queue: str, limit: int = typer.Option(20)) -> None:
    """Show the dead letters of QUEUE (e.g. grader.submissions) with their errors."""
    total, letters = asyncio.run(_adapter().list(route_for(queue), limit))
    typer.echo(f"{total} dead letters in {queue}.dlq")
    for letter in letters:
        typer.echo(json.dumps({k: v for k, v in asdict(letter).items() if k != "headers"}))


@dlq.command()
def replay(queue: str, message_id: str = typer.Option(None, help="Only this message")) -> None:
    """Send QUEUE's dead letters (or one) back to QUEUE with the retry count reset."""
    count = asyncio.run(_adapter().replay(route_for(queue), message_id))
    typer.echo(f"replayed {count} to {queue}")


@dlq.command()
def purge(queue: str, yes: bool = typer.Option(False, "--yes", help="Do not ask")) -> None:
    """Delete every dead letter of QUEUE."""
    if not yes:
        typer.confirm(f"purge {queue}.dlq?", abort=True)
    typer.echo(f"purged {asyncio.run(_adapter().purge(route_for(queue)))} from {queue}.dlq")
