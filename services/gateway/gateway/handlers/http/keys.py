"""The public keys bearer tokens are checked against, as a JWKS document: another service, or a
client, can verify the development issuer's tokens with them."""

from typing import Any

from fastapi import APIRouter

from gateway.handlers.http.deps import EdgeOf

router = APIRouter(tags=["auth"])


@router.get("/.well-known/jwks.json")
async def jwks(edge: EdgeOf) -> dict[str, Any]:
    return edge.tokens.jwks()
