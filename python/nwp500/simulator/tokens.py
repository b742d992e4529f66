"""Accounts and every credential the simulated cloud hands out.

Sign-in issues an id/access/refresh token triple (opaque random strings) and a set of
temporary AWS credentials (``ASIA`` + 16 characters, a 40-character secret, a long session
token). The store remembers all of them with their expiry so the REST API can check an
``authorization`` header and the websocket front can verify a SigV4 signature.
"""

from __future__ import annotations

import base64
import secrets
import string
import threading
import time
from dataclasses import dataclass
from typing import Callable


@dataclass
class Account:
    email: str
    password: str
    first_name: str = "Demo"
    last_name: str = "User"
    user_seq: int = 36283

    def user_info(self) -> dict:
        return {"userType": "O", "userFirstName": self.first_name, "userLastName": self.last_name,
                "userStatus": "NORMAL", "userSeq": self.user_seq}


@dataclass
class AwsCredentials:
    access_key_id: str
    secret_key: str
    session_token: str
    expires_at: float
    email: str


@dataclass
class _Issued:
    email: str
    expires_at: float


class AuthFailure(Exception):
    """Sign-in or refresh refused; ``status``/``msg`` are what the API answers."""

    def __init__(self, status: int, msg: str) -> None:
        super().__init__(msg)
        self.status = status
        self.msg = msg


def _opaque_token() -> str:
    # JWT-looking (three dot-separated base64url parts); clients never decode it.
    head = base64.urlsafe_b64encode(b'{"kid":"sim","alg":"RS256"}').rstrip(b"=").decode()
    return f"{head}.{secrets.token_urlsafe(96)}.{secrets.token_urlsafe(64)}"


def _random_chars(alphabet: str, n: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


def new_aws_keys() -> tuple[str, str, str]:
    akid = "ASIA" + _random_chars(string.ascii_uppercase + string.digits, 16)
    secret = _random_chars(string.ascii_letters + string.digits + "/+", 40)
    session = "IQoJb3JpZ2luX2VjE" + base64.b64encode(secrets.token_bytes(480)).decode()
    return akid, secret, session


class CredentialStore:
    """Thread-safe: the REST server, the websocket front and fault controls share it."""

    def __init__(self, *, token_lifetime: int = 3600, aws_lifetime: int = 3600,
                 refresh_includes_aws: bool = True, clock: Callable[[], float] = time.time) -> None:
        if token_lifetime <= 0 or aws_lifetime <= 0:
            raise ValueError("token_lifetime and aws_lifetime must be positive seconds")
        self.token_lifetime = int(token_lifetime)
        self.aws_lifetime = int(aws_lifetime)
        self.refresh_includes_aws = refresh_includes_aws
        self.clock = clock
        self._lock = threading.Lock()
        self._accounts: dict[str, Account] = {}
        self._access: dict[str, _Issued] = {}
        self._refresh: dict[str, str] = {}        # refresh token -> email (valid until revoked)
        self._aws: dict[str, AwsCredentials] = {}
        self.sign_ins = 0
        self.refreshes = 0
        self.failed_sign_ins = 0

    # -- accounts ----------------------------------------------------------------
    def add_account(self, email: str, password: str, **info) -> Account:
        account = Account(email=email, password=password, **info)
        with self._lock:
            self._accounts[email.strip().lower()] = account
        return account

    def account(self, email: str) -> Account | None:
        with self._lock:
            return self._accounts.get(email.strip().lower())

    # -- issuing -----------------------------------------------------------------
    def _prune_locked(self, now: float) -> None:
        # Keep expired entries for an hour (a late request still learns "expired"), then forget.
        horizon = now - 3600
        for table in (self._access, self._aws):
            for key in [k for k, v in table.items() if v.expires_at < horizon]:
                del table[key]

    def _issue_locked(self, email: str, with_aws: bool, refresh_token: str | None = None) -> dict:
        now = self.clock()
        self._prune_locked(now)
        access = _opaque_token()
        self._access[access] = _Issued(email, now + self.token_lifetime)
        if refresh_token is None:
            refresh_token = _opaque_token()
            self._refresh[refresh_token] = email
        token = {"idToken": _opaque_token(), "accessToken": access, "refreshToken": refresh_token,
                 "authenticationExpiresIn": self.token_lifetime}
        if with_aws:
            akid, secret, session = new_aws_keys()
            self._aws[akid] = AwsCredentials(akid, secret, session, now + self.aws_lifetime, email)
            token.update(accessKeyId=akid, secretKey=secret, sessionToken=session,
                         authorizationExpiresIn=self.aws_lifetime)
        return token

    def sign_in(self, email: str, password: str) -> tuple[Account, dict]:
        """Returns the account and the ``token`` object of a sign-in response."""
        with self._lock:
            account = self._accounts.get(str(email).strip().lower())
            if account is None or not secrets.compare_digest(str(password), account.password):
                self.failed_sign_ins += 1
                raise AuthFailure(401, "Invalid credentials")
            self.sign_ins += 1
            return account, self._issue_locked(account.email, with_aws=True)

    def refresh(self, refresh_token: str) -> dict:
        """Returns the flat token object of a refresh response (always with ``refreshToken``)."""
        with self._lock:
            email = self._refresh.get(str(refresh_token or ""))
            if email is None:
                raise AuthFailure(401, "Invalid refresh token")
            self.refreshes += 1
            return self._issue_locked(email, self.refresh_includes_aws, refresh_token=refresh_token)

    # -- checks --------------------------------------------------------------------
    def email_for_access_token(self, token: str) -> str | None:
        """The owner of a live access token; ``None`` if unknown or expired."""
        with self._lock:
            issued = self._access.get(token)
            if issued is None or self.clock() >= issued.expires_at:
                return None
            return issued.email

    def aws_credentials(self, access_key_id: str) -> AwsCredentials | None:
        """The credentials of ``access_key_id`` (expired ones too: check ``expires_at``)."""
        with self._lock:
            return self._aws.get(access_key_id)

    def is_expired(self, creds: AwsCredentials) -> bool:
        return self.clock() >= creds.expires_at

    # -- faults --------------------------------------------------------------------
    def expire_aws_credentials(self) -> int:
        """Make every AWS credential issued so far expired now; returns how many were live."""
        with self._lock:
            now = self.clock()
            live = [c for c in self._aws.values() if now < c.expires_at]
            for c in live:
                c.expires_at = now
            return len(live)

    def expire_access_tokens(self) -> int:
        with self._lock:
            now = self.clock()
            live = [t for t in self._access.values() if now < t.expires_at]
            for t in live:
                t.expires_at = now
            return len(live)

    def revoke_refresh_tokens(self) -> int:
        with self._lock:
            n = len(self._refresh)
            self._refresh.clear()
            return n

    def snapshot(self) -> dict:
        with self._lock:
            now = self.clock()
            return {
                "accounts": len(self._accounts),
                "sign_ins": self.sign_ins,
                "failed_sign_ins": self.failed_sign_ins,
                "refreshes": self.refreshes,
                "live_access_tokens": sum(1 for t in self._access.values() if now < t.expires_at),
                "live_aws_credentials": sum(1 for c in self._aws.values() if now < c.expires_at),
                "token_lifetime": self.token_lifetime,
                "aws_lifetime": self.aws_lifetime,
            }

