"""The dashboard in a real browser (Debian's Chromium, headless, driven by Playwright): with `make
demo`'s load running, the page loads with the admin token, draws a card per queue and charts from
real samples, and a dead letter is replayed from the page (it lands back on its queue, marked
replayed). A wrong token gets the login form with the reason. The screenshot goes to docs/ when
UPDATE_SCREENSHOTS=1."""

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright

from gradeflow_shared.auth import Tokens
from gradeflow_shared.broker import Publisher, message_for
from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import SubmissionCreated
from gradeflow_shared.topology import GRADER_SUBMISSIONS, ROUTES
from gradeflow_tools.demo import demo
from gradeflow_tools.scratch import Infra
from gradeflow_tools.stack import Stack

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(400),
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="Chromium is installed by `make install` (as root)"
    ),
]
SCREENSHOT = Path(__file__).parents[3] / "docs" / "images" / "dashboard.png"


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        launched = await p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-background-networking"]
        )
        yield launched
        await launched.close()


async def _dead_letter(infra: Infra) -> str:
    """A submission the grader can never take (its body fails validation): dead-lettered at once."""
    envelope = Envelope.for_event(SubmissionCreated.model_construct())
    publisher = Publisher(infra.amqp_url)
    await publisher.connect()
    try:
        await publisher.publish(message_for(b'{"not": "a submission"}', envelope), SubmissionCreated.type)
    finally:
        await publisher.close()
    return envelope.message_id


async def _points(page: Page, chart: str, queue: str) -> list[float]:
    values = await page.evaluate(
        """([id, queue]) => {
            const chart = Chart.getChart(document.getElementById(id));
            const set = chart && chart.data.datasets.find((d) => d.label === queue);
            return set ? set.data.map((p) => p.y) : [];
        }""",
        [f"chart-{chart}", queue],
    )
    return [v for v in values if v is not None]


async def test_the_dashboard_draws_real_data_and_replays_a_dead_letter(
    browser: Browser, ops_stack: Stack, ops_infra: Infra, ops_metrics: httpx.AsyncClient, tmp_path: Path
) -> None:
    load = asyncio.create_task(demo(ops_stack.config.url("gateway"), timeout=180))
    message_id = await _dead_letter(ops_infra)
    admin = Tokens(ops_infra.secret).issue(uuid.uuid4(), admin=True)
    page = await browser.new_page(viewport={"width": 1400, "height": 1600})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    await page.goto(f"{ops_stack.config.url('metrics')}/dashboard#token={admin}")
    await page.wait_for_selector("body[data-loaded=true]", timeout=20_000)
    assert "token" not in page.url, "the token is taken out of the address"
    assert await page.locator("article.card").count() == len(ROUTES)

    for _ in range(120):  # the demo's submissions graded, sampled, drawn
        done = await _points(page, "throughput", GRADER_SUBMISSIONS.queue)
        if done and max(done) > 0:
            break
        await asyncio.sleep(0.5)
    assert done and max(done) > 0, "the throughput chart draws the grader's real rate"
    assert await _points(page, "depth", GRADER_SUBMISSIONS.queue), "the depth chart has samples"
    card = page.locator(f'article.card[data-queue="{GRADER_SUBMISSIONS.queue}"]')
    assert await card.get_attribute("class") in {
        f"card {h}" for h in ("excellent", "good", "warning", "critical")
    }

    block = page.locator(f'.dlq[data-queue="{GRADER_SUBMISSIONS.queue}"]')
    await block.wait_for(timeout=20_000)
    await block.locator("button.show").click()
    row = page.locator(f'tr[data-message-id="{message_id}"]')
    await row.wait_for(timeout=10_000)
    assert "ValidationError" in await row.inner_text()
    await page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
    if os.environ.get("UPDATE_SCREENSHOTS"):
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOT), full_page=True)
    await row.locator("button.replay").click()
    result = page.locator("#replay-result", has_text=f"replayed 1 to {GRADER_SUBMISSIONS.queue}")
    await result.wait_for(timeout=10_000)
    # Replayed: back on its queue, where it fails validation again and returns, marked replayed.
    for _ in range(100):
        listed = (await ops_metrics.get(f"/v1/dead-letters/{GRADER_SUBMISSIONS.queue}")).json()["messages"]
        again = [m for m in listed if m["message_id"] == message_id]
        if again and again[0]["headers"].get("x-replayed"):
            break
        await asyncio.sleep(0.2)
    assert again and again[0]["headers"]["x-replayed"] is True
    assert errors == [], errors
    assert await load == 0, "every demo submission graded as expected"


async def test_a_wrong_token_gets_the_login_form_with_the_reason(browser: Browser, ops_stack: Stack) -> None:
    page = await browser.new_page()
    await page.goto(f"{ops_stack.config.url('metrics')}/dashboard#token=not-a-token")
    await page.wait_for_selector("#login:not([hidden])", timeout=10_000)
    assert (await page.locator("#login-error").inner_text()).strip() != ""
    assert await page.locator("#main").is_hidden()
