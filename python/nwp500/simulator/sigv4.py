"""Checks the SigV4 presigned query of an AWS IoT websocket upgrade, as AWS IoT would.

The client signs ``GET <path>`` with only the ``host`` header, the SHA-256 of an empty body
and service ``iotdevicegateway``; ``X-Amz-Security-Token`` is appended after signing and is
not part of the canonical query. Strict mode recomputes the signature; lenient mode only
requires a well-formed query whose access key is known and not expired.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable
from urllib.parse import quote, unquote

from .tokens import AwsCredentials

SERVICE = "iotdevicegateway"
ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_BODY_SHA256 = hashlib.sha256(b"").hexdigest()
MAX_SKEW_SECONDS = 15 * 60

_DATE_RE = re.compile(r"^\d{8}T\d{6}Z$")
_SIG_RE = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str                       # "ok", "malformed", "unknown_key", "expired", ...
    access_key_id: str | None = None

    @property
    def status(self) -> int:
        return 101 if self.ok else 403


def _sigv4_encode(s: str) -> str:
    return quote(s, safe="-_.~")


def parse_query(raw_query: str) -> list[tuple[str, str]]:
    """``k=v`` pairs, percent-decoded (``+`` is kept: SigV4 encodes a space as ``%20``)."""
    pairs = []
    for part in raw_query.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        pairs.append((unquote(key), unquote(value)))
    return pairs


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret: str, date: str, region: str, service: str = SERVICE) -> bytes:
    k = _hmac(("AWS4" + secret).encode("utf-8"), date)
    k = _hmac(k, region)
    k = _hmac(k, service)
    return _hmac(k, "aws4_request")


def expected_signature(method: str, path: str, params: list[tuple[str, str]],
                       headers: dict[str, str], signed_headers: list[str], secret: str,
                       amz_date: str, scope: str) -> str:
    """The hex signature for ``params`` (signature and security token already removed)."""
    canonical_query = "&".join(
        f"{k}={v}" for k, v in sorted((_sigv4_encode(k), _sigv4_encode(v)) for k, v in params))
    canonical_headers = "".join(
        f"{name}:{' '.join(headers.get(name, '').split())}\n" for name in signed_headers)
    canonical_request = "\n".join([method, path, canonical_query, canonical_headers,
                                   ";".join(signed_headers), EMPTY_BODY_SHA256])
    string_to_sign = "\n".join([ALGORITHM, amz_date, scope,
                                hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()])
    date, region, service = scope.split("/")[:3]
    return hmac.new(signing_key(secret, date, region, service), string_to_sign.encode("utf-8"),
                    hashlib.sha256).hexdigest()


def verify(method: str, path: str, raw_query: str, headers: dict[str, str],
           lookup: Callable[[str], AwsCredentials | None], is_expired: Callable[[AwsCredentials], bool],
           *, strict: bool = True, now: float | None = None) -> Verdict:
    """Decide on one upgrade request. ``headers`` must have lower-case names."""
    pairs = parse_query(raw_query)
    q: dict[str, str] = {}
    for k, v in pairs:
        if k in q:
            return Verdict(False, "malformed: duplicate " + k)
        q[k] = v
    needed = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders",
              "X-Amz-Signature")
    missing = [k for k in needed if not q.get(k)]
    if missing:
        return Verdict(False, "malformed: missing " + ",".join(missing))
    if q["X-Amz-Algorithm"] != ALGORITHM:
        return Verdict(False, "malformed: algorithm")
    cred = q["X-Amz-Credential"].split("/")
    if len(cred) != 5 or cred[4] != "aws4_request" or cred[3] != SERVICE or not all(cred):
        return Verdict(False, "malformed: credential scope")
    akid, date, region = cred[0], cred[1], cred[2]
    amz_date = q["X-Amz-Date"]
    if not _DATE_RE.match(amz_date) or amz_date[:8] != date:
        return Verdict(False, "malformed: date", akid)
    if not _SIG_RE.match(q["X-Amz-Signature"]):
        return Verdict(False, "malformed: signature", akid)
    signed_headers = q["X-Amz-SignedHeaders"].split(";")
    if "host" not in signed_headers or signed_headers != sorted(signed_headers):
        return Verdict(False, "malformed: signed headers", akid)

    creds = lookup(akid)
    if creds is None:
        return Verdict(False, "unknown_key", akid)
    if is_expired(creds):
        return Verdict(False, "expired", akid)
    if not strict:
        return Verdict(True, "ok (lenient)", akid)

    if q.get("X-Amz-Security-Token") != creds.session_token:
        return Verdict(False, "bad_session_token", akid)
    try:
        signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return Verdict(False, "malformed: date", akid)
    now = time.time() if now is None else now
    if abs(signed_at.timestamp() - now) > MAX_SKEW_SECONDS:
        return Verdict(False, "clock_skew", akid)
    expires = q.get("X-Amz-Expires")
    if expires is not None:
        if not expires.isdigit():
            return Verdict(False, "malformed: expires", akid)
        if now > signed_at.timestamp() + int(expires):
            return Verdict(False, "url_expired", akid)
    params = [(k, v) for k, v in pairs if k not in ("X-Amz-Signature", "X-Amz-Security-Token")]
    scope = f"{date}/{region}/{SERVICE}/aws4_request"
    want = expected_signature(method, path, params, headers, signed_headers, creds.secret_key,
                              amz_date, scope)
    if not hmac.compare_digest(want, q["X-Amz-Signature"]):
        return Verdict(False, "bad_signature", akid)
    return Verdict(True, "ok", akid)
