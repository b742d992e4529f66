"""Signing in to the Navien cloud: ``NavienAuthClient`` (nwp500 9.3.0 API).

The HTTP work, token bookkeeping (expiry with a five-minute margin, merging a refresh that
omits AWS credentials, one renewal at a time) and error mapping run in the Rust core; this
module is its Python face. ``base_url`` defaults to ``NWP500_API_BASE_URL`` when set, so
unchanged code can be pointed at ``python -m nwp500.simulator``.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, overload

from ._core import CloudCore
from ._version import __version__
from .config import api_base_url
from .models import AuthenticationResponse, AuthTokens, UserInfo

__all__ = [
    "AuthTokens",
    "AuthenticationResponse",
    "NavienAuthClient",
    "UserInfo",
    "authenticate",
    "refresh_access_token",
]


@overload
def _tokens(data: dict[str, Any]) -> AuthTokens: ...


@overload
def _tokens(data: dict[str, Any] | None) -> AuthTokens | None: ...


def _tokens(data: dict[str, Any] | None) -> AuthTokens | None:
    if data is None:
        return None
    data = dict(data)
    aws_expires_at = data.pop("aws_expires_at", None)
    tokens = AuthTokens.from_dict(data)
    if aws_expires_at is not None:
        # A refresh without new AWS keys keeps their original expiry, not one from now.
        tokens = tokens.model_copy(update={"aws_expires_at": datetime.fromtimestamp(aws_expires_at, tz=timezone.utc)})
    return tokens


def _response(data: dict[str, Any]) -> AuthenticationResponse:
    return AuthenticationResponse(
        user_info=UserInfo.from_dict(data.get("user_info") or {}),
        tokens=_tokens(data["tokens"]),
        legal=list(data.get("legal") or []),
        code=data.get("code", 200),
        message=data.get("message", "SUCCESS"),
    )


class NavienAuthClient:
    """A Navien account session: signs in, keeps tokens fresh, hands out AWS credentials.

    Use it as an async context manager (signs in on enter, unless valid ``stored_tokens``
    were given; a failed refresh of stored tokens falls back to signing in), or call
    :meth:`sign_in` yourself.

    Args:
        user_id: the account e-mail.
        password: the account password (kept for automatic re-authentication).
        base_url: REST base URL; default ``NWP500_API_BASE_URL`` or the Navien cloud.
        session: accepted for compatibility with nwp500-python (an aiohttp session there);
            requests are made by the Rust core, which never uses it.
        timeout: seconds each request may take.
        stored_tokens: tokens saved earlier (``AuthTokens.from_dict(saved)``).
        unit_system: kept for the MQTT client's unit conversions.

    Raises (from the async methods):
        InvalidCredentialsError: the account refused the e-mail/password.
        AuthenticationError: any other sign-in failure (network, server, malformed reply).
        TokenRefreshError: a refresh failed (``.retriable`` says whether trying again helps).
    """

    def __init__(
        self,
        user_id: str,
        password: str,
        base_url: str | None = None,
        session: Any = None,
        timeout: float = 30,
        stored_tokens: AuthTokens | None = None,
        unit_system: Any = None,
    ) -> None:
        stored = json.dumps(stored_tokens.to_dict()) if stored_tokens is not None else None
        self._core = CloudCore(base_url or api_base_url(), user_id or "", password or "", float(timeout), stored)
        self._session = session
        self.timeout = timeout
        self.unit_system = unit_system

    async def __aenter__(self) -> NavienAuthClient:
        await self._core.enter()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def sign_in(self, user_id: str | None = None, password: str | None = None) -> AuthenticationResponse:
        """Sign in (with the constructor's credentials unless others are given)."""
        return _response(await self._core.sign_in(user_id, password))

    async def refresh_token(self, refresh_token: str | None = None) -> AuthTokens:
        """Renew the access token (with the current refresh token unless one is given)."""
        return _tokens(await self._core.refresh(refresh_token))

    async def ensure_valid_token(self) -> AuthTokens | None:
        """Renew what is near expiry (AWS credentials by signing in, the access token by a
        refresh) and return the tokens; ``None`` before any sign-in."""
        return _tokens(await self._core.ensure_valid())

    async def re_authenticate(self) -> AuthenticationResponse:
        """Sign in again with the stored e-mail and password (``ValueError`` without them)."""
        return _response(await self._core.re_authenticate())

    async def close(self) -> None:
        """Nothing to release: the Rust core keeps no idle HTTP connection between requests.
        Kept so code written for nwp500-python runs unchanged."""

    def get_auth_headers(self) -> dict[str, str]:
        """The headers of an authenticated REST call (``authorization`` is the raw token)."""
        headers = {"User-Agent": f"nwp500/{__version__}", "Content-Type": "application/json"}
        tokens = self.current_tokens
        if tokens is not None and tokens.access_token:
            headers["authorization"] = tokens.access_token
        return headers

    @property
    def base_url(self) -> str:
        return self._core.base_url

    @property
    def is_authenticated(self) -> bool:
        return self._core.is_authenticated

    @property
    def session(self) -> Any:
        """The HTTP session given to the constructor (``None`` when none was given: requests
        are made by the Rust core, which keeps its own connection pool)."""
        return self._session

    @property
    def auth_response(self) -> AuthenticationResponse | None:
        """The current sign-in (user, tokens, legal notices); ``None`` before any sign-in.
        After a refresh it carries the refreshed tokens."""
        session = self._core.session()
        return _response(session) if session else None

    @property
    def has_valid_tokens(self) -> bool:
        """Whether there are tokens and neither the access token nor the AWS credentials
        are expired (both with the five-minute margin)."""
        tokens = self.current_tokens
        return tokens is not None and not tokens.is_expired and not tokens.are_aws_credentials_expired

    @property
    def current_tokens(self) -> AuthTokens | None:
        session = self._core.session()
        return _tokens(session["tokens"]) if session else None

    @property
    def current_user(self) -> UserInfo | None:
        session = self._core.session()
        return UserInfo.from_dict(session["user_info"] or {}) if session else None

    @property
    def user_email(self) -> str | None:
        return self._core.user_email

    @property
    def has_stored_credentials(self) -> bool:
        return self._core.has_stored_credentials

    def __repr__(self) -> str:
        return f"NavienAuthClient(base_url={self.base_url!r}, authenticated={self.is_authenticated})"


async def authenticate(user_id: str, password: str, base_url: str | None = None) -> AuthenticationResponse:
    """Sign in once and return the response."""
    async with NavienAuthClient(user_id, password, base_url=base_url) as client:
        session = client._core.session()
        # Entering signed in (or raised), and nothing else has run on this client since.
        assert session is not None
        return _response(session)


async def refresh_access_token(refresh_token: str, base_url: str | None = None) -> AuthTokens:
    """Exchange a refresh token for new tokens (no merging with earlier ones)."""
    client = NavienAuthClient("", "", base_url=base_url)
    return _tokens(await client._core.refresh(refresh_token))
