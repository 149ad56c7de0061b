"""A small OpenID Connect provider on loopback, for the sign-in test: discovery, an authorize
endpoint that signs in whoever the test chose (no form), a token endpoint issuing RS256 ID
tokens signed with joserfc (which Streamlit's sign-in already installs), JWKS and userinfo."""

from __future__ import annotations

import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlencode

import uvicorn
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import Route


@dataclass
class Provider:
    url: str
    client_id: str = "tandem"
    client_secret: str = field(default_factory=lambda: secrets.token_hex(16))
    next_user: str = ""  # the e-mail the next sign-in returns
    next_claims: dict = field(default_factory=dict)  # claims the next sign-in's token overrides
    users: dict[str, str] = field(default_factory=dict)  # e-mail -> name
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1"}))
    codes: dict[str, dict] = field(default_factory=dict)

    @property
    def metadata_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"


def _app(p: Provider) -> Starlette:
    async def discovery(request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "issuer": p.url,
                "authorization_endpoint": f"{p.url}/authorize",
                "token_endpoint": f"{p.url}/token",
                "jwks_uri": f"{p.url}/jwks",
                "userinfo_endpoint": f"{p.url}/userinfo",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": ["openid", "email", "profile"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                ],
            }
        )

    async def authorize(request: Request) -> RedirectResponse:
        q = request.query_params
        code = secrets.token_urlsafe(16)
        p.codes[code] = {
            "email": p.next_user,
            "nonce": q.get("nonce"),
            "extra": dict(p.next_claims),
        }
        query = urlencode({"code": code, "state": q.get("state", "")})
        return RedirectResponse(f"{q['redirect_uri']}?{query}", status_code=302)

    async def token(request: Request) -> JSONResponse:
        form = await request.form()
        grant = p.codes.pop(str(form.get("code")), None)
        if grant is None:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        now = int(time.time())
        claims = {
            "iss": p.url,
            "sub": grant["email"],
            "aud": p.client_id,
            "iat": now,
            "exp": now + 600,
            "email": grant["email"],
            "email_verified": True,
            "name": p.users.get(grant["email"], grant["email"]),
        }
        claims.update(grant["extra"])  # email_verified false, another subject…
        if grant["nonce"]:
            claims["nonce"] = grant["nonce"]
        id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, p.key)
        return JSONResponse(
            {
                "access_token": secrets.token_urlsafe(16),
                "token_type": "Bearer",
                "expires_in": 600,
                "id_token": id_token,
            }
        )

    async def jwks(request: Request) -> JSONResponse:
        return JSONResponse({"keys": [p.key.as_dict(private=False)]})

    async def userinfo(request: Request) -> JSONResponse:
        return JSONResponse({"sub": p.next_user, "email": p.next_user})

    return Starlette(
        routes=[
            Route("/.well-known/openid-configuration", discovery),
            Route("/authorize", authorize),
            Route("/token", token, methods=["POST"]),
            Route("/jwks", jwks),
            Route("/userinfo", userinfo),
        ]
    )


@contextmanager
def oidc_provider() -> Iterator[Provider]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    provider = Provider(url=f"http://127.0.0.1:{port}")
    server = uvicorn.Server(
        uvicorn.Config(_app(provider), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield provider
    finally:
        server.should_exit = True
        thread.join(timeout=5)
