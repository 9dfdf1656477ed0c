"""Development login: a token for whatever email is given — served only where DEV_LOGIN allows it
(development and test by default, never production: the route does not exist there)."""

from fastapi import APIRouter, Depends, Request, Response

from gateway import schemas as s
from gateway.handlers.http.deps import Ctx, edge_of, tokens
from gateway.usecases import catalogue
from gradeflow_shared.auth import Tokens

router = APIRouter(prefix="/v1")


@router.post("/auth/dev-login", response_model=s.TokenOut, tags=["auth"])
async def dev_login(
    body: s.DevLogin, request: Request, response: Response, ctx: Ctx, issuer: Tokens = Depends(tokens)
) -> s.TokenOut:
    response.headers["Cache-Control"] = "no-store"  # a token: never cached, never kept for a replay
    user = await catalogue.dev_login(ctx, body)
    admin = user.email in edge_of(request).admin_emails  # ADMIN_EMAILS: the operations APIs too
    return s.TokenOut(token=issuer.issue(user.id, admin=admin), user_id=user.id)
