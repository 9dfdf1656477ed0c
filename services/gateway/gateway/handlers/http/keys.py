"""The public keys bearer tokens are checked against, as a JWKS document: another service, or a
client, can verify the development issuer's tokens with them."""

from typing import Any

from fastapi import APIRouter, Request

from gradeflow_shared.auth import Tokens

router = APIRouter(tags=["auth"])


@router.get("/.well-known/jwks.json")
async def jwks(request: Request) -> dict[str, Any]:
    tokens: Tokens = request.app.state.tokens
    return tokens.jwks()
