"""The gateway's composition root: builds the runtime, the units of work and the routes; tests
may pass their own units of work (a fake store) instead of the database's."""

import sys

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.adapters.backlog import QueueBacklog
from gateway.adapters.callbacks import HttpCallbacks
from gateway.adapters.db import repositories as sql
from gateway.adapters.db.feed import PgRunFeed, PgSubmissionFeed
from gateway.adapters.db.grades import SqlGrades
from gateway.adapters.db.lti import SqlLtiPlatforms
from gateway.adapters.db.submit_store import PgSubmitStore
from gateway.adapters.db.tables import SCHEMA, inbox, outbox
from gateway.adapters.lti import HttpPlatformServices, KeySealer, LoginStates, PlatformKeys
from gateway.adapters.notifier_api import NotifierApi
from gateway.adapters.offload import ProcessOffload
from gateway.adapters.rate_limit import RedisRateLimiter
from gateway.handlers.http.deps import Edge
from gateway.handlers.http.dev import router as dev_router
from gateway.handlers.http.door import Door
from gateway.handlers.http.errors import ERROR_TABLE, door_errors
from gateway.handlers.http.grades import router as grades_router
from gateway.handlers.http.idempotency import IdempotencyKeys
from gateway.handlers.http.inbox import router as inbox_router
from gateway.handlers.http.jobe import router as jobe_router
from gateway.handlers.http.judge0 import router as judge0_router
from gateway.handlers.http.judge0_info import router as judge0_info_router
from gateway.handlers.http.keys import router as keys_router
from gateway.handlers.http.lti import router as lti_router
from gateway.handlers.http.rate_limits import RateLimits
from gateway.handlers.http.routes import router as api_router
from gateway.handlers.messages import PUBLISHES, register
from gateway.settings import GatewaySettings
from gateway.usecases import submissions
from gateway.usecases.api_keys import KeyChecker
from gateway.usecases.callbacks import Callbacks
from gateway.usecases.grades import RegradeFeeder
from gateway.usecases.idempotency import KeyPolicy
from gateway.usecases.identities import Identities
from gateway.usecases.lti import LtiTool, ToolKeyring
from gateway.usecases.ports import Context, GatewayRepos, SubmitUnits, Units
from gradeflow_shared.broker import Publisher
from gradeflow_shared.driver_unit import DRIVER_CONSTRAINT_ERRORS
from gradeflow_shared.runtime import Runtime
from gradeflow_shared.targets import TargetGuard
from gradeflow_shared.topology import GRADER_REGRADES, GRADER_RUNS, GRADER_SUBMISSIONS


def sql_repos(session: AsyncSession) -> GatewayRepos:
    """The gateway's repositories on one unit of work's session."""
    return GatewayRepos(
        users=sql.SqlUsers(session),
        courses=sql.SqlCourses(session),
        assignments=sql.SqlAssignments(session),
        submissions=sql.SqlSubmissions(session),
        grades=SqlGrades(session),
        runs=sql.SqlRuns(session),
        files=sql.SqlJobeFiles(session),
        keys=sql.SqlApiKeys(session),
        idempotency=sql.SqlIdempotencyKeys(session),
        lti=SqlLtiPlatforms(session),
    )


def create_app(
    settings: GatewaySettings | None = None,
    units: Units | None = None,
    publisher: Publisher | None = None,
    submit_units: SubmitUnits | None = None,
) -> FastAPI:
    settings = settings or GatewaySettings()
    # Work handed to threads (a roster's members, a commit's many events) shares the interpreter
    # with the event loop: the loop gets it back within a millisecond, not the default five.
    sys.setswitchinterval(0.001)
    runtime = Runtime.build(settings, SCHEMA, outbox, inbox, publisher)
    units = units or runtime.units_of_work(sql_repos)
    # The group commit of submits on the driver itself: the gateway's hottest unit of work.
    submit_units = submit_units or runtime.driver_units_of_work(PgSubmitStore)
    tokens = settings.tokens(settings.token_ttl_seconds)
    platform_keys = PlatformKeys()  # LTI platforms' keys
    platform_services = HttpPlatformServices()
    lti_tool = LtiTool(
        units,
        platform_keys,
        states=LoginStates(settings.auth_secret),
        selections=LoginStates(settings.auth_secret, "selection"),
        keyring=ToolKeyring(units, KeySealer(settings.auth_secret)),
        services=platform_services,
        sign_in=lambda user, ttl: tokens.issue(user, ttl_seconds=ttl),
    )
    runtime.consume(lambda subs: register(subs, units, lti_tool))
    notifier_api = NotifierApi(
        settings.notifier_url, mint=lambda user, ttl: tokens.issue(user, ttl_seconds=ttl)
    )
    limiter = RedisRateLimiter(settings.redis_url, f"gradeflow:rate:{settings.deployment}")
    offload = ProcessOffload()
    guard = TargetGuard(settings.callback_allow)  # Judge0 callbacks' targets
    sender = HttpCallbacks(guard, settings.callback_timeout_seconds)
    runtime.alongside(tokens.run, tokens.stop)  # an identity provider's keys kept fresh

    routers = [
        api_router,
        grades_router,
        inbox_router,
        judge0_router,
        judge0_info_router,
        jobe_router,
        keys_router,
        lti_router,
    ]
    routers += [dev_router] if settings.dev_login_served else []
    app = runtime.http_app(
        "Gradeflow gateway",
        routers,
        ERROR_TABLE,
        on_stop=[
            notifier_api.close,
            limiter.close,
            sender.close,
            offload.close,
            platform_keys.close,
            platform_services.close,
        ],
        publishes=PUBLISHES,
        error_rules=[door_errors],
    )
    keys = KeyChecker(units)
    policy = KeyPolicy(settings.idempotency_ttl_seconds, settings.idempotency_lock_seconds)
    app.add_middleware(IdempotencyKeys, units=units, policy=policy, tokens=tokens, keys=keys)
    # Outside the in-flight bound and the idempotency keys: bodies bounded, callers checked, and
    # bodies received, before a request takes any of the process's work.
    app.add_middleware(
        Door,
        tokens=tokens,
        keys=keys,
        body_seconds=settings.body_timeout_seconds,
        jobe_file_bytes=settings.jobe_max_file_bytes,
    )
    # Outermost: a request past its limit is refused before any other work (a key may carry a limit
    # of its own on runs, so it stands even where RATE_LIMITS names none).
    app.add_middleware(RateLimits, limiter=limiter, rates=settings.rates, tokens=tokens, keys=keys)
    intake = submissions.intake(
        submit_units,
        settings.submit_batch_max,
        settings.submit_batches_in_flight,
        split_on=DRIVER_CONSTRAINT_ERRORS,
    )
    bounds = {
        GRADER_SUBMISSIONS.queue: settings.max_grading_backlog,
        GRADER_RUNS.queue: settings.max_run_backlog,
        GRADER_REGRADES.queue: 0,  # looked up (the regrade feeder's pace), never refused
    }
    backlog = QueueBacklog(settings.amqp_url, bounds)
    runtime.alongside(backlog.run, backlog.stop)
    feed = PgSubmissionFeed(settings.direct_database_url, settings.max_live_streams)
    runtime.alongside(feed.run, feed.stop)
    runs_done = PgRunFeed(settings.direct_database_url)
    runtime.alongside(runs_done.run, runs_done.stop)
    context = Context(units, intake, backlog, feed, offload=offload, runs_done=runs_done)
    dispatcher = Callbacks(context, sender, settings.callback_max_tries)
    runtime.alongside(dispatcher.run, dispatcher.stop)
    feeder = RegradeFeeder(context)
    runtime.alongside(feeder.run, feeder.stop)
    app.state.edge = Edge(
        context=context,
        tokens=tokens,
        api_keys=keys,
        identities=Identities(units),
        notifier_api=notifier_api,
        callback_guard=guard,
        admin_emails=frozenset(e.lower() for e in settings.admin_emails),
        callback_tries=settings.callback_max_tries,
        callback_timeout_seconds=settings.callback_timeout_seconds,
        live_ping_seconds=settings.live_ping_seconds,
        max_run_backlog=settings.max_run_backlog,
        jobe_wait_seconds=settings.jobe_wait_seconds,
        jobe_file_ttl_seconds=settings.jobe_file_ttl_seconds,
        jobe_max_file_bytes=settings.jobe_max_file_bytes,
        default_runs_rate=settings.rates.get("runs"),
        lti=lti_tool,
        public_url=settings.public_url,
        lti_landing_url=settings.lti_landing_url,
    )
    return app
