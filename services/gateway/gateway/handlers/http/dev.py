"""Development login: a token for whatever email is given — served only where DEV_LOGIN allows it
(development and test by default, never production: the route does not exist there)."""

from fastapi import APIRouter, Depends

from gateway import schemas as s
from gateway.handlers.http.deps import Ctx, tokens
from gateway.usecases import catalogue
from gradeflow_shared.auth import Tokens

router = APIRouter(prefix="/v1")


@router.post("/auth/dev-login", response_model=s.TokenOut, tags=["auth"])
async def dev_login(body: s.DevLogin, ctx: Ctx, issuer: Tokens = Depends(tokens)) -> s.TokenOut:
    user = await catalogue.dev_login(ctx, body)
    return s.TokenOut(token=issuer.issue(user.id), user_id=user.id)
