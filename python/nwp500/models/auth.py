"""Sign-in records: the user, the tokens (with their expiry clocks), the sign-in response.

:meth:`AuthTokens.to_dict` is the form tokens are stored in (``issued_at`` as ISO 8601 with
``Z``); reprs never show tokens or AWS keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from ._record import _as_datetime, _as_int, _as_str, _dict_list, _Record, _record_converter, _type_error

__all__ = ["UserInfo", "AuthTokens", "AuthenticationResponse"]

#: Tokens within this margin of their expiry count as expired (as in the reference).
EXPIRY_MARGIN = timedelta(minutes=5)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(repr=False)
class UserInfo(_Record):
    """The signed-in user (``data.userInfo`` of a sign-in response)."""

    user_type: str = ""
    user_first_name: str = ""
    user_last_name: str = ""
    user_status: str = ""
    user_seq: int = 0

    _CONVERT: ClassVar[dict[str, Any]] = {
        "user_type": _as_str,
        "user_first_name": _as_str,
        "user_last_name": _as_str,
        "user_status": _as_str,
        "user_seq": _as_int,
    }

    @property
    def full_name(self) -> str:
        return f"{self.user_first_name} {self.user_last_name}".strip()


_TOKEN_FIELDS = (
    "id_token",
    "access_token",
    "refresh_token",
    "authentication_expires_in",
    "access_key_id",
    "secret_key",
    "session_token",
    "authorization_expires_in",
    "issued_at",
)


@dataclass(init=False, repr=False)
class AuthTokens(_Record):
    """The JWTs of a sign-in or refresh and the temporary AWS credentials for MQTT.

    ``authentication_expires_in`` (access token) and ``authorization_expires_in`` (AWS
    credentials) are lifetimes in seconds from ``issued_at`` (timezone-aware UTC; "now" by
    default). Both count as expired five minutes early. ``aws_expires_at`` may be given to
    keep the AWS credentials' own clock when a refresh did not renew them; by default it is
    ``issued_at + authorization_expires_in`` (or ``None`` without that lifetime). It is not
    part of :meth:`to_dict` (stored tokens have the reference's nine keys).
    """

    id_token: str
    access_token: str
    refresh_token: str
    authentication_expires_in: int
    access_key_id: str | None
    secret_key: str | None
    session_token: str | None
    authorization_expires_in: int | None
    issued_at: datetime

    _CONVERT: ClassVar[dict[str, Any]] = {
        "id_token": _as_str,
        "access_token": _as_str,
        "refresh_token": _as_str,
        "authentication_expires_in": _as_int,
        "access_key_id": _as_str,
        "secret_key": _as_str,
        "session_token": _as_str,
        "authorization_expires_in": _as_int,
        "issued_at": _as_datetime,
    }
    _FALLBACK_WHEN_EMPTY: ClassVar[bool] = True

    def __init__(
        self,
        id_token: str = "",
        access_token: str = "",
        refresh_token: str = "",
        authentication_expires_in: int = 3600,
        access_key_id: str | None = None,
        secret_key: str | None = None,
        session_token: str | None = None,
        authorization_expires_in: int | None = None,
        issued_at: datetime | str | float | None = None,
        *,
        aws_expires_at: datetime | str | float | None = None,
    ) -> None:
        self.id_token = id_token
        self.access_token = access_token
        self.refresh_token = refresh_token
        self.authentication_expires_in = authentication_expires_in
        self.access_key_id = access_key_id
        self.secret_key = secret_key
        self.session_token = session_token
        self.authorization_expires_in = authorization_expires_in
        self.issued_at = _now() if issued_at is None else _as_datetime(issued_at, "issued_at")
        self._aws_expires_at_override = (
            None if aws_expires_at is None else _as_datetime(aws_expires_at, "aws_expires_at")
        )

    @classmethod
    def _nullable(cls, name: str) -> bool:
        return name in ("access_key_id", "secret_key", "session_token", "authorization_expires_in")

    @classmethod
    def _field_names(cls) -> list[str]:
        return list(_TOKEN_FIELDS)

    @classmethod
    def model_construct(cls, _fields_set: set[str] | None = None, **values: Any) -> AuthTokens:
        """Build from trusted snake_case values without checking them; fields not given
        take their defaults (``issued_at``: now)."""
        return cls(**{k: v for k, v in values.items() if k in _TOKEN_FIELDS or k == "aws_expires_at"})

    def model_copy(self, *, update: Mapping[str, Any] | None = None) -> AuthTokens:
        kwargs = {name: getattr(self, name) for name in _TOKEN_FIELDS}
        kwargs["aws_expires_at"] = self._aws_expires_at_override
        kwargs.update(update or {})
        return AuthTokens(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        """snake_case keys for storage; ``issued_at`` as ISO 8601 UTC with ``Z``. Reading it
        back with :meth:`from_dict` keeps both expiry clocks."""
        return self.model_dump(mode="json")

    # -- expiry -------------------------------------------------------------------------
    @property
    def expires_at(self) -> datetime:
        """When the access token expires (``issued_at + authentication_expires_in``)."""
        return self.issued_at + timedelta(seconds=self.authentication_expires_in)

    @property
    def aws_expires_at(self) -> datetime | None:
        """When the AWS credentials expire; ``None`` when unknown."""
        if self._aws_expires_at_override is not None:
            return self._aws_expires_at_override
        if not self.authorization_expires_in:
            return None
        return self.issued_at + timedelta(seconds=self.authorization_expires_in)

    @property
    def is_expired(self) -> bool:
        """True from five minutes before :attr:`expires_at` on (so a lifetime of 300 s or
        less counts as expired from the start)."""
        return _now() >= self.expires_at - EXPIRY_MARGIN

    @property
    def are_aws_credentials_expired(self) -> bool:
        """True from five minutes before :attr:`aws_expires_at` on; False when unknown."""
        aws = self.aws_expires_at
        if aws is None:
            return False
        return _now() >= aws - EXPIRY_MARGIN

    @property
    def time_until_expiry(self) -> timedelta:
        """``expires_at - now`` (negative once expired; the margin is not subtracted)."""
        return self.expires_at - _now()

    @property
    def bearer_token(self) -> str:
        """``"Bearer <access token>"`` (the Navien API itself wants the raw token)."""
        return f"Bearer {self.access_token}"


@dataclass(repr=False)
class AuthenticationResponse(_Record):
    """A successful sign-in: the user, the tokens, the legal notices, the API's code/msg."""

    user_info: UserInfo
    tokens: AuthTokens
    legal: list[dict[str, Any]] = field(default_factory=list)
    code: int = 200
    message: str = "SUCCESS"

    _CONVERT: ClassVar[dict[str, Any]] = {
        "user_info": _record_converter(UserInfo),
        "tokens": _record_converter(AuthTokens),
        "legal": _dict_list,
        "code": _as_int,
        "message": _as_str,
    }
    _ALIASES: ClassVar[dict[str, str]] = {"message": "msg"}
    _REQUIRED: ClassVar[frozenset[str]] = frozenset({"user_info", "tokens"})

    @classmethod
    def model_validate(cls, data: Any) -> AuthenticationResponse:
        """From the flat form (``userInfo``/``user_info``, ``tokens``, ``legal``, ``code``,
        ``msg``) or, as 9.3.0 accepts it, the raw sign-in reply ``{"code", "msg", "data":
        {"userInfo", "token", "legal"}}`` (read as :meth:`from_dict` does)."""
        if (
            isinstance(data, Mapping)
            and "data" in data
            and not any(key in data for key in ("userInfo", "user_info", "tokens"))
        ):
            return cls.from_dict(data)
        return super().model_validate(data)

    @classmethod
    def from_dict(cls, response_data: Any) -> AuthenticationResponse:
        """From the sign-in body ``{code, msg, data: {userInfo, token, legal}}``; missing
        parts read as empty (so a body without ``data.token`` gives empty tokens)."""
        if isinstance(response_data, cls):
            return response_data
        if not isinstance(response_data, Mapping):
            raise _type_error(cls.__name__, "an object", response_data)
        data = response_data.get("data")
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise _type_error(f"{cls.__name__}.data", "an object", data)

        def part(key: str, empty: Any) -> Any:
            value = data.get(key)
            return empty if value is None else value

        return cls.model_validate(
            {
                "code": response_data.get("code", 200),
                "msg": response_data.get("msg", "SUCCESS"),
                "userInfo": part("userInfo", {}),
                "tokens": part("token", {}),
                "legal": part("legal", []),
            }
        )
