"""The SigV4-presigned websocket query (AWS IoT's flavour) against two independent signers:
botocore's ``SigV4QueryAuth`` and a small verifier written here from the recipe in
reference-auth-rest-protocol.md §6.2; then end to end, the query a real upgrade request
carries, captured by a listener that answers 403.

AWS IoT's websocket signing differs from a plain S3-style presign in two documented ways,
and only those are adapted on the botocore side:
* the payload hash is the SHA-256 of an empty body, not ``UNSIGNED-PAYLOAD``;
* the STS session token is not signed: it is appended after ``X-Amz-Signature``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import time
import uuid
from types import SimpleNamespace
from urllib.parse import quote, unquote, urlsplit

import botocore.auth
import pytest
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.utils import percent_encode
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import DuckAuth
from nwp500 import MqttConnectionConfig, NavienMqttClient
from nwp500.exceptions import ConnectionDropError
from nwp500._core import presign_websocket_query

SERVICE = "iotdevicegateway"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
SIGNED_PARAMS = ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
                 "X-Amz-SignedHeaders"]


# ---- botocore as the reference signer ---------------------------------------------------------

class IotWebsocketQueryAuth(botocore.auth.SigV4QueryAuth):
    """SigV4QueryAuth with AWS IoT's payload hash: SHA-256 of an empty body."""

    def payload(self, request):
        return EMPTY_SHA256


def botocore_query(*, host, path, region, access_key_id, secret_key, session_token,
                   unix_time, expires=3600, service=SERVICE) -> str:
    """The presigned query as botocore computes it, with the session token appended unsigned.

    botocore 1.3x+ stamps the request in ``add_auth`` from ``get_current_datetime()``
    (imported into ``botocore.auth`` from ``botocore.compat``) and overwrites
    ``request.context['timestamp']``, so presetting the context is lost and
    ``datetime.utcnow`` is never called; the module-level name is the one seam. The
    returned X-Amz-Date is checked by the callers, so a botocore that stops using it fails
    loudly instead of silently signing "now".
    """
    fixed = dt.datetime.fromtimestamp(unix_time, dt.timezone.utc).replace(tzinfo=None)
    request = AWSRequest(method="GET", url=f"https://{host}{path}")
    signer = IotWebsocketQueryAuth(Credentials(access_key_id, secret_key, token=None), service, region,
                                   expires=expires)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(botocore.auth, "get_current_datetime", lambda *a, **k: fixed)
        signer.add_auth(request)
    query = urlsplit(request.url).query
    if session_token:
        query += "&X-Amz-Security-Token=" + percent_encode(session_token)
    return query


def amz_date(unix_time: int) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(unix_time))


def pairs(query: str) -> list[tuple[str, str]]:
    return [tuple(p.split("=", 1)) for p in query.split("&")]  # type: ignore[misc]


# ---- an independent verifier (reference-auth-rest-protocol.md §6.2) ---------------------------

def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def verify_presigned(query: str, *, host: str, path: str, secret_key: str, region: str,
                     service: str = SERVICE) -> dict[str, str]:
    """Checks the signature of a presigned websocket query; returns its decoded parameters.

    1. canonical request = GET, path, the sorted canonical query without X-Amz-Signature and
       X-Amz-Security-Token, ``host:<Host>``, blank line, ``host``, hex sha256("");
    2. string to sign = algorithm, X-Amz-Date, scope, hex sha256(canonical request);
    3. key = HMAC chain "AWS4"+secret -> date -> region -> service -> aws4_request.
    """
    raw = pairs(query)
    names = [k for k, _ in raw]
    assert len(names) == len(set(names)), f"repeated parameter in {names}"
    params = {unquote(k): unquote(v) for k, v in raw}
    signature = params["X-Amz-Signature"]
    assert len(signature) == 64 and all(c in "0123456789abcdef" for c in signature)
    # Every value is SigV4-encoded exactly once: re-encoding the decoded value gives the raw one.
    for k, v in raw:
        assert quote(unquote(v), safe="-_.~") == v, f"{k}={v} is not SigV4-encoded"
    signed = sorted((k, v) for k, v in raw if k not in ("X-Amz-Signature", "X-Amz-Security-Token"))
    canonical_query = "&".join(f"{k}={v}" for k, v in signed)
    date = params["X-Amz-Date"]
    scope = f"{date[:8]}/{region}/{service}/aws4_request"
    assert params["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert params["X-Amz-SignedHeaders"] == "host"
    assert params["X-Amz-Credential"].split("/", 1)[1] == scope
    canonical_request = f"GET\n{path}\n{canonical_query}\nhost:{host}\n\nhost\n{EMPTY_SHA256}"
    string_to_sign = ("AWS4-HMAC-SHA256\n" + date + "\n" + scope + "\n"
                      + hashlib.sha256(canonical_request.encode()).hexdigest())
    key = _hmac(("AWS4" + secret_key).encode(), date[:8])
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, signature), "signature does not verify"
    return params


def test_verifier_rejects_a_tampered_query():
    q = presign_websocket_query("h.example", "/mqtt", "us-east-1", "AKID", "SECRET", None, 1_700_000_000)
    verify_presigned(q, host="h.example", path="/mqtt", secret_key="SECRET", region="us-east-1")
    for bad in (q.replace("20231114", "20231115"), q.replace("AKID", "AKIE")):
        with pytest.raises(AssertionError):
            verify_presigned(bad, host="h.example", path="/mqtt", secret_key="SECRET", region="us-east-1")
    with pytest.raises(AssertionError):
        verify_presigned(q, host="h.example", path="/mqtt", secret_key="SECRET2", region="us-east-1")
    with pytest.raises(AssertionError):
        verify_presigned(q, host="h.example:8443", path="/mqtt", secret_key="SECRET", region="us-east-1")


# ---- ours == botocore ------------------------------------------------------------------------

CASES = [
    # host (the Host header as sent), path, region, akid, secret, token, unix time
    ("a1t30mldyslmuq-ats.iot.us-east-1.amazonaws.com", "/mqtt", "us-east-1", "ASIAEXAMPLEEXAMPLE01",
     "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "IQoJb3JpZ2luX2VjE/+token==", 1_700_000_000),
    ("a1t30mldyslmuq-ats.iot.us-east-1.amazonaws.com", "/mqtt", "us-east-1", "AKIDEXAMPLE",
     "secret", None, 0),
    ("example-ats.iot.eu-west-1.amazonaws.com", "/mqtt", "eu-west-1", "ASIA0123456789ABCDEF",
     "x" * 40, "token with spaces & ampersands=/?#", 1_709_164_799),  # 2024-02-28T23:59:59Z
    ("198.51.100.2:8443", "/mqtt", "us-east-1", "ASIA0123456789ABCDEF", "k/+/=", "t~._-", 1_709_251_200),
    ("127.0.0.1:8080", "/mqtt", "ap-southeast-2", "AKID", "ünïcödé-secret", "tök€n", 1_735_689_599),
    ("localhost:8443", "/custom/path", "us-gov-west-1", "AKID", "s", "", 4_102_444_800),  # 2100-01-01
]


@pytest.mark.parametrize("host,path,region,akid,secret,token,when", CASES)
def test_query_equals_botocore(host, path, region, akid, secret, token, when):
    ours = presign_websocket_query(host, path, region, akid, secret, token, when, expires=3600)
    theirs = botocore_query(host=host, path=path, region=region, access_key_id=akid,
                            secret_key=secret, session_token=token, unix_time=when)
    # botocore really signed at the fixed time.
    assert dict(pairs(theirs))["X-Amz-Date"] == amz_date(when)

    # Parameter by parameter, in order...
    ours_pairs, their_pairs = pairs(ours), pairs(theirs)
    assert [k for k, _ in ours_pairs] == SIGNED_PARAMS + ["X-Amz-Signature"] + (
        ["X-Amz-Security-Token"] if token else [])
    for (ok, ov), (tk, tv) in zip(ours_pairs, their_pairs, strict=True):
        assert (ok, ov) == (tk, tv)
    # ...and as whole strings: the signed parameters sorted, then the signature, then the token.
    assert ours == theirs
    params = verify_presigned(ours, host=host, path=path, secret_key=secret, region=region)
    assert params["X-Amz-Expires"] == "3600"
    assert params["X-Amz-Credential"] == f"{akid}/{amz_date(when)[:8]}/{region}/{SERVICE}/aws4_request"
    if token:
        assert params["X-Amz-Security-Token"] == token


@settings(max_examples=150, deadline=None)
@given(
    host=st.builds(
        lambda name, port: name if port is None else f"{name}:{port}",
        st.from_regex(r"[a-z0-9][a-z0-9.-]{0,40}", fullmatch=True),
        # botocore drops :443 from an https URL's Host; ours signs the Host as given.
        st.one_of(st.none(), st.integers(1, 65535).filter(lambda p: p != 443))),
    region=st.from_regex(r"[a-z]{2}-[a-z]{2,9}-[1-9]", fullmatch=True),
    akid=st.from_regex(r"[A-Z0-9]{4,32}", fullmatch=True),
    secret=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1,
                   max_size=60),
    token=st.one_of(st.none(), st.text(min_size=1, max_size=300)),
    when=st.integers(min_value=0, max_value=4_102_444_800),
    expires=st.integers(min_value=1, max_value=604_800),
)
def test_query_equals_botocore_for_any_input(host, region, akid, secret, token, when, expires):
    theirs = botocore_query(host=host, path="/mqtt", region=region, access_key_id=akid,
                            secret_key=secret, session_token=token, unix_time=when, expires=expires)
    ours = presign_websocket_query(host, "/mqtt", region, akid, secret, token, when, expires=expires)
    assert ours == theirs


def test_default_service_is_iotdevicegateway():
    a = presign_websocket_query("h.example", "/mqtt", "us-east-1", "AKID", "S", "T", 1_700_000_000, 60)
    b = presign_websocket_query("h.example", "/mqtt", "us-east-1", "AKID", "S", "T", 1_700_000_000, 60,
                                service="iotdevicegateway")
    c = presign_websocket_query("h.example", "/mqtt", "us-east-1", "AKID", "S", "T", 1_700_000_000, 60,
                                service="execute-api")
    assert a == b != c
    assert c == botocore_query(host="h.example", path="/mqtt", region="us-east-1",
                               access_key_id="AKID", secret_key="S", session_token="T",
                               unix_time=1_700_000_000, expires=60, service="execute-api")


# ---- without X-Amz-Expires (what AWS IoT's SDKs send) -----------------------------------------

@pytest.mark.parametrize("host,path,region,akid,secret,token,when", CASES)
def test_query_without_expires_verifies(host, path, region, akid, secret, token, when):
    q = presign_websocket_query(host, path, region, akid, secret, token, when)
    names = [k for k, _ in pairs(q)]
    assert "X-Amz-Expires" not in names
    assert names == ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders",
                     "X-Amz-Signature"] + (["X-Amz-Security-Token"] if token else [])
    params = verify_presigned(q, host=host, path=path, secret_key=secret, region=region)
    assert params["X-Amz-Date"] == amz_date(when)
    assert q == presign_websocket_query(host, path, region, akid, secret, token, when, expires=None)


def test_session_token_is_not_signed():
    sig = lambda q: dict(pairs(q))["X-Amz-Signature"]  # noqa: E731
    args = ("h.example", "/mqtt", "us-east-1", "AKID", "SECRET")
    assert sig(presign_websocket_query(*args, None, 1_700_000_000)) == sig(
        presign_websocket_query(*args, "any-token", 1_700_000_000))
    assert sig(presign_websocket_query(*args, None, 1_700_000_000)) != sig(
        presign_websocket_query(*args, None, 1_700_000_001))


# ---- end to end: the query a real upgrade request carries -------------------------------------

class UpgradeRecorder:
    """An HTTP listener on 127.0.0.1 that records each request head and answers 403."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.arrived = asyncio.Event()
        self._server: asyncio.AbstractServer | None = None
        self.port = 0

    async def __aenter__(self) -> "UpgradeRecorder":
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc) -> None:
        self._server.close()
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            lines = head.decode("latin-1").split("\r\n")
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    k, v = line.split(":", 1)
                    headers[k.strip().lower()] = v.strip()
            self.requests.append((lines[0], headers))
            writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n"
                         b"Connection: close\r\n\r\nForbidden")
            await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.TimeoutError, ConnectionError):
            pass
        finally:
            self.arrived.set()
            writer.close()


def Auth(access_key_id: str, secret_key: str, session_token: str | None) -> DuckAuth:
    auth = DuckAuth()
    auth.current_tokens.access_key_id = access_key_id
    auth.current_tokens.secret_key = secret_key
    auth.current_tokens.session_token = session_token
    return auth


async def _connect_and_capture(recorder: UpgradeRecorder, client: NavienMqttClient):
    recorder.arrived.clear()
    before = len(recorder.requests)
    t0 = int(time.time())
    with pytest.raises(ConnectionDropError) as info:
        await asyncio.wait_for(client.connect(), 15)
    t1 = int(time.time())
    assert len(recorder.requests) == before + 1, recorder.requests
    return info.value, recorder.requests[-1], (t0, t1)


def test_upgrade_request_carries_a_verifiable_query_and_403_means_credentials_expired():
    token = "IQoJb3JpZ2luX2VjE/+e2e-session=="
    auth = Auth("ASIAE2ETESTKEY000001", "e2e/secret+key", token)

    async def main():
        async with UpgradeRecorder() as recorder:
            config = MqttConnectionConfig(endpoint=f"ws://127.0.0.1:{recorder.port}/mqtt",
                                          client_id=f"sigv4-{uuid.uuid4().hex[:8]}", keep_alive_secs=30,
                                          operation_timeout=10.0)
            client = NavienMqttClient(auth, config=config)
            err, (request_line, headers), (t0, t1) = await _connect_and_capture(recorder, client)

            assert isinstance(err, ConnectionDropError)
            assert err.name == "AWS_ERROR_HTTP_WEBSOCKET_UPGRADE_FAILURE"
            assert err.code == 2065
            assert err.cause == "credentials_expired"
            assert str(err) == f"{err.name}: {err.message}"
            assert not client.is_connected

            method, target, version = request_line.split(" ")
            assert (method, version) == ("GET", "HTTP/1.1")
            path, _, query = target.partition("?")
            assert path == "/mqtt"
            assert headers["host"] == f"127.0.0.1:{recorder.port}"
            assert headers.get("upgrade", "").lower() == "websocket"
            assert "mqtt" in headers.get("sec-websocket-protocol", "")
            params = verify_presigned(query, host=headers["host"], path=path, secret_key="e2e/secret+key",
                                      region="us-east-1")
            assert params["X-Amz-Credential"].startswith("ASIAE2ETESTKEY000001/")
            assert params["X-Amz-Security-Token"] == token
            assert [k for k, _ in pairs(query)][-1] == "X-Amz-Security-Token"
            assert "X-Amz-Expires" not in params
            signed_at = dt.datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(
                tzinfo=dt.timezone.utc).timestamp()
            assert t0 - 1 <= signed_at <= t1 + 1
            # Same as our signer for that instant, and as botocore would have it (minus Expires).
            assert query == presign_websocket_query(headers["host"], "/mqtt", "us-east-1",
                                                    "ASIAE2ETESTKEY000001", "e2e/secret+key", token,
                                                    int(signed_at))

            # Signed afresh, with the credentials the auth client holds now, on every attempt.
            auth.current_tokens = SimpleNamespace(access_key_id="ASIAE2EROTATEDKEY002",
                                                  secret_key="rotated-secret", session_token=None,
                                                  refresh_token="refresh-e2e-2")
            err2, (line2, headers2), _ = await _connect_and_capture(recorder, client)
            assert err2.cause == "credentials_expired"
            query2 = line2.split(" ")[1].partition("?")[2]
            params2 = verify_presigned(query2, host=headers2["host"], path="/mqtt",
                                       secret_key="rotated-secret", region="us-east-1")
            assert params2["X-Amz-Credential"].startswith("ASIAE2EROTATEDKEY002/")
            assert "X-Amz-Security-Token" not in params2
            await asyncio.wait_for(client.disconnect(), 10)

    asyncio.run(main())


def test_region_of_the_config_is_the_signing_region():
    auth = Auth("AKIDREGIONTEST", "region-secret", "region-token")

    async def main():
        async with UpgradeRecorder() as recorder:
            config = MqttConnectionConfig(endpoint=f"ws://127.0.0.1:{recorder.port}/custom",
                                          region="eu-central-1", keep_alive_secs=30, operation_timeout=10.0)
            client = NavienMqttClient(auth, config=config)
            _, (line, headers), _ = await _connect_and_capture(recorder, client)
            target = line.split(" ")[1]
            path, _, query = target.partition("?")
            assert path == "/custom"
            params = verify_presigned(query, host=headers["host"], path=path, secret_key="region-secret",
                                      region="eu-central-1")
            assert "/eu-central-1/iotdevicegateway/aws4_request" in params["X-Amz-Credential"]
            await asyncio.wait_for(client.disconnect(), 10)

    asyncio.run(main())
