"""The Navien cloud clients (``nwp500.auth.NavienAuthClient``, ``nwp500.api_client.NavienAPIClient``)
against the simulated cloud, and against tiny local HTTP servers for the failures the simulator
does not produce (5xx, malformed bodies, silence, a closed port).

Semantics follow nwp500-python 9.3.0 (reference-auth-rest-protocol.md §1-§3, §5):
sign-in, refresh with the AWS-credential merge, ``ensure_valid_token`` choosing refresh vs
sign-in by the two expiry clocks (five-minute margin), stored tokens, the one-shot
refresh-and-retry on a REST 401, the error mapping, environment defaults, and an MQTT client
that survives expired credentials with the real auth client behind it.

Synchronisation is by events, state and deadlines; the only sleeps wait for a token clock to
pass a known instant.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
from datetime import UTC, datetime, timedelta
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

import pytest

from helpers import EventRecorder, LoopLagProbe, fast_config, run
from support.fakehttp import FakeHttp
from nwp500 import NavienMqttClient
from nwp500.api_client import NavienAPIClient
from nwp500.auth import NavienAuthClient, authenticate, refresh_access_token
from nwp500.config import API_BASE_URL
from nwp500.exceptions import (
    APIError,
    AuthenticationError,
    InvalidCredentialsError,
    Nwp500Error,
    TokenRefreshError,
)
from nwp500.models import (
    AuthenticationResponse,
    AuthTokens,
    Device,
    FirmwareInfo,
    TOUInfo,
    UserInfo,
)
from nwp500.simulator import DeviceSpec

DEADLINE = 10.0
SERIAL = DeviceSpec().serial_number
SECOND_MAC = "04786332fca1"


# -- helpers ---------------------------------------------------------------------------------------

def client_for(sim, **kw: Any) -> NavienAuthClient:
    kw.setdefault("base_url", sim.api_base_url)
    return NavienAuthClient(sim.email, sim.password, **kw)


def creds(sim) -> dict[str, Any]:
    return sim.state()["credentials"]


def rest_calls(sim) -> dict[str, int]:
    return sim.state()["rest_calls"]


def secrets_of(tokens: AuthTokens, *extra: str) -> list[str]:
    values = [tokens.id_token, tokens.access_token, tokens.refresh_token, tokens.access_key_id,
              tokens.secret_key, tokens.session_token, *extra]
    return [v for v in values if v]


def assert_hidden(text: str, secrets: list[str]) -> None:
    for s in secrets:
        assert s not in text, f"a secret ({len(s)} chars) leaked into: {text[:200]!r}"


async def wait_for_clock(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll a token clock (no event exists for "time has passed")."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached within {timeout}s")
        await asyncio.sleep(0.05)


@pytest.fixture
def fake_http():
    servers: list[FakeHttp] = []

    def make(handler) -> FakeHttp:
        s = FakeHttp(handler)
        servers.append(s)
        return s

    yield make
    for s in servers:
        s.close()


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def sign_in_body(**token: Any) -> dict[str, Any]:
    tok = {"idToken": "id-1", "accessToken": "acc-1", "refreshToken": "ref-1",
           "authenticationExpiresIn": 3600, "accessKeyId": "ASIAFAKEFAKEFAKEFAKE",
           "secretKey": "s" * 40, "sessionToken": "sess-1", "authorizationExpiresIn": 3600}
    tok.update(token)
    return {"code": 200, "msg": "SUCCESS",
            "data": {"userInfo": {"userType": "O", "userFirstName": "F", "userLastName": "L",
                                  "userStatus": "NORMAL", "userSeq": 7},
                     "token": tok, "legal": []}}


# -- module surface ------------------------------------------------------------------------------

def test_import_paths_and_shared_record_types():
    import nwp500
    import nwp500.auth as auth_mod

    assert nwp500.NavienAuthClient is NavienAuthClient
    assert nwp500.NavienAPIClient is NavienAPIClient
    # One set of record types, whichever path they are imported from.
    assert auth_mod.AuthTokens is AuthTokens
    assert auth_mod.UserInfo is UserInfo
    assert auth_mod.AuthenticationResponse is AuthenticationResponse


def test_constructor_does_no_io_and_base_url_defaults(monkeypatch):
    monkeypatch.delenv("NWP500_API_BASE_URL", raising=False)
    auth = NavienAuthClient("someone@example.com", "pw")
    assert auth.base_url == API_BASE_URL
    assert not auth.is_authenticated
    assert auth.current_tokens is None and auth.current_user is None
    assert auth.has_stored_credentials
    assert not NavienAuthClient("", "").has_stored_credentials
    monkeypatch.setenv("NWP500_API_BASE_URL", "http://127.0.0.1:9/api/v2.1")
    assert NavienAuthClient("a@b.c", "pw").base_url == "http://127.0.0.1:9/api/v2.1"
    assert NavienAuthClient("a@b.c", "pw", base_url="http://x.test/api/").base_url == "http://x.test/api"

    async def main():
        # Nothing to validate yet: returns None without touching the network.
        assert await auth.ensure_valid_token() is None
        with pytest.raises(ValueError):
            NavienAPIClient(auth)  # not authenticated
        with pytest.raises(ValueError):
            await NavienAuthClient("", "").re_authenticate()
        await auth.close()
        await auth.close()

    run(main(), 20)


# -- sign-in ---------------------------------------------------------------------------------------

def test_sign_in_gives_tokens_user_and_aws_credentials(simulator):
    async def main():
        async with client_for(simulator) as auth:
            assert auth.is_authenticated
            assert auth.user_email == simulator.email
            user = auth.current_user
            assert isinstance(user, UserInfo)
            assert (user.full_name, user.user_seq, user.user_type) == ("Demo User", 36283, "O")
            t = auth.current_tokens
            assert isinstance(t, AuthTokens)
            assert t.id_token and t.access_token and t.refresh_token
            assert t.access_key_id.startswith("ASIA") and len(t.access_key_id) == 20
            assert len(t.secret_key) == 40 and t.session_token
            assert (t.authentication_expires_in, t.authorization_expires_in) == (3600, 3600)
            assert not t.is_expired and not t.are_aws_credentials_expired
            assert abs((datetime.now(UTC) - t.issued_at).total_seconds()) < 5
            headers = auth.get_auth_headers()
            assert headers["authorization"] == t.access_token  # raw token, lowercase name
            assert "Authorization" not in headers
            assert headers["Content-Type"] == "application/json"
            assert headers["User-Agent"].startswith("nwp500")
            assert creds(simulator)["sign_ins"] == 1

            # sign_in() without arguments uses the stored credentials; with them, those.
            resp = await auth.sign_in()
            assert isinstance(resp, AuthenticationResponse)
            assert (resp.code, resp.message) == (200, "SUCCESS")
            assert resp.tokens.access_token != t.access_token
            assert auth.current_tokens.access_token == resp.tokens.access_token
            resp2 = await auth.sign_in(simulator.email, simulator.password)
            assert resp2.user_info.full_name == "Demo User"
            again = await auth.re_authenticate()
            assert isinstance(again, AuthenticationResponse)
            assert creds(simulator)["sign_ins"] == 4
        await auth.close()  # after the context: idempotent

    run(main(), 30)


def test_wrong_password_is_invalid_credentials(simulator):
    async def main():
        for user, password in ((simulator.email, "wrong-password-123"),
                               ("nobody@example.com", simulator.password)):
            with pytest.raises(InvalidCredentialsError) as info:
                async with NavienAuthClient(user, password, base_url=simulator.api_base_url):
                    pass
            err = info.value
            assert isinstance(err, AuthenticationError)
            assert err.status_code == 401
            assert not err.retriable
            assert password not in str(err) and password not in repr(err)
        with pytest.raises(InvalidCredentialsError):
            await authenticate(simulator.email, "wrong-password-123", base_url=simulator.api_base_url)
        assert creds(simulator)["failed_sign_ins"] == 3

    run(main(), 30)


def test_module_functions(simulator):
    async def main():
        resp = await authenticate(simulator.email, simulator.password, base_url=simulator.api_base_url)
        assert isinstance(resp, AuthenticationResponse)
        assert resp.tokens.access_key_id.startswith("ASIA")
        new = await refresh_access_token(resp.tokens.refresh_token, base_url=simulator.api_base_url)
        assert isinstance(new, AuthTokens)
        assert new.access_token and new.access_token != resp.tokens.access_token
        with pytest.raises(TokenRefreshError):
            await refresh_access_token("not-a-refresh-token", base_url=simulator.api_base_url)

    run(main(), 30)


# -- refresh ---------------------------------------------------------------------------------------

def test_refresh_rotates_tokens_and_aws_credentials(simulator):
    async def main():
        async with client_for(simulator) as auth:
            old = auth.current_tokens
            new = await auth.refresh_token()
            assert isinstance(new, AuthTokens)
            assert auth.current_tokens == new
            assert new.access_token != old.access_token and new.id_token != old.id_token
            assert new.refresh_token  # always kept or replaced, never emptied
            assert new.access_key_id != old.access_key_id and new.secret_key != old.secret_key
            assert new.issued_at >= old.issued_at
            # An explicit refresh token works too.
            newer = await auth.refresh_token(new.refresh_token)
            assert newer.access_token != new.access_token
            assert creds(simulator)["refreshes"] == 2 and creds(simulator)["sign_ins"] == 1

    run(main(), 30)


@pytest.mark.parametrize("simulator", [{"refresh_includes_aws": False}], indirect=True)
def test_refresh_without_aws_keeps_old_credentials_and_their_clock(simulator):
    async def main():
        async with client_for(simulator) as auth:
            old = auth.current_tokens
            await asyncio.sleep(1.1)  # so a restarted AWS clock would be visible
            new = await auth.refresh_token()
            assert new.access_token != old.access_token
            assert (new.access_key_id, new.secret_key, new.session_token) == \
                (old.access_key_id, old.secret_key, old.session_token)
            assert new.authorization_expires_in == old.authorization_expires_in
            assert new.issued_at > old.issued_at
            # The AWS clock did not restart (to the millisecond; the clocks may be floats inside).
            assert abs((new.aws_expires_at - old.aws_expires_at).total_seconds()) < 1e-3
            assert new.expires_at > old.expires_at          # the JWT clock did
            # The module function does no merging.
            bare = await refresh_access_token(new.refresh_token, base_url=simulator.api_base_url)
            assert bare.access_key_id is None and bare.secret_key is None

    run(main(), 30)


def test_refresh_with_a_bad_or_revoked_token_fails(simulator):
    async def main():
        async with client_for(simulator) as auth:
            with pytest.raises(TokenRefreshError) as info:
                await auth.refresh_token("bogus-refresh-token-value")
            assert info.value.status_code == 401 and not info.value.retriable
            assert "bogus-refresh-token-value" not in str(info.value)
            simulator.fault("revoke_refresh_tokens")
            with pytest.raises(TokenRefreshError):
                await auth.refresh_token()
            assert auth.is_authenticated  # a failed refresh keeps the old tokens

    run(main(), 30)


# -- the expiry clocks -------------------------------------------------------------------------------

@pytest.mark.parametrize("simulator", [{"token_lifetime": 303}], indirect=True)
def test_ensure_valid_token_refreshes_when_the_access_token_nears_expiry(simulator):
    async def main():
        async with client_for(simulator) as auth:
            first = auth.current_tokens
            assert not first.is_expired  # 3 s before the five-minute margin
            assert await auth.ensure_valid_token() == first
            assert creds(simulator)["refreshes"] == 0
            await wait_for_clock(lambda: first.is_expired, 8, "access token margin")
            now = await auth.ensure_valid_token()
            assert now.access_token != first.access_token
            c = creds(simulator)
            assert (c["sign_ins"], c["refreshes"]) == (1, 1)

    run(main(), 30)


@pytest.mark.parametrize("simulator", [{"token_lifetime": 300}], indirect=True)
def test_a_lifetime_of_300_s_or_less_refreshes_on_every_check(simulator):
    async def main():
        async with client_for(simulator) as auth:
            assert auth.current_tokens.is_expired
            await auth.ensure_valid_token()
            await auth.ensure_valid_token()
            assert creds(simulator)["refreshes"] == 2 and creds(simulator)["sign_ins"] == 1

    run(main(), 30)


@pytest.mark.parametrize("simulator", [{"aws_lifetime": 303}], indirect=True)
def test_ensure_valid_token_signs_in_again_when_aws_credentials_near_expiry(simulator):
    async def main():
        async with client_for(simulator) as auth:
            first = auth.current_tokens
            assert not first.are_aws_credentials_expired
            await wait_for_clock(lambda: first.are_aws_credentials_expired, 8, "AWS margin")
            assert not first.is_expired  # the JWT is fine; the AWS check comes first
            now = await auth.ensure_valid_token()
            assert now.access_key_id != first.access_key_id
            assert not now.are_aws_credentials_expired
            c = creds(simulator)
            assert (c["sign_ins"], c["refreshes"]) == (2, 0)

    run(main(), 30)


# -- stored tokens ---------------------------------------------------------------------------------

def test_stored_tokens_round_trip_and_skip_sign_in(simulator):
    async def main():
        async with client_for(simulator) as auth:
            stored = json.loads(json.dumps(auth.current_tokens.to_dict()))
            original = auth.current_tokens
        assert stored["issued_at"].endswith("Z")
        restored = AuthTokens.from_dict(stored)
        assert restored == original
        before = creds(simulator)
        calls_before = rest_calls(simulator)
        async with client_for(simulator, stored_tokens=restored) as auth:
            assert auth.is_authenticated
            assert auth.current_tokens.access_token == original.access_token
            assert auth.user_email == simulator.email
            c = creds(simulator)
            assert (c["sign_ins"], c["refreshes"]) == (before["sign_ins"], before["refreshes"])
            assert rest_calls(simulator) == calls_before  # no request at all
            devices = await NavienAPIClient(auth, base_url=simulator.api_base_url).list_devices()
            assert [d.device_info.mac_address for d in devices] == [simulator.device_mac]

        # Stored tokens whose JWT is past the margin: refreshed on entry.
        old = original.model_copy(update={"issued_at": datetime.now(UTC) - timedelta(seconds=3400)})
        old = AuthTokens.from_dict(dict(old.to_dict(), authorization_expires_in=7200))
        async with client_for(simulator, stored_tokens=old) as auth:
            assert auth.current_tokens.access_token != original.access_token
        c = creds(simulator)
        assert (c["sign_ins"], c["refreshes"]) == (before["sign_ins"], before["refreshes"] + 1)

        # Stored tokens whose AWS credentials are past the margin: full sign-in.
        aws_old = original.model_copy(update={"issued_at": datetime.now(UTC) - timedelta(seconds=3400),
                                              "authentication_expires_in": 7200})
        async with client_for(simulator, stored_tokens=aws_old) as auth:
            assert auth.current_tokens.access_key_id != original.access_key_id
        c = creds(simulator)
        assert (c["sign_ins"], c["refreshes"]) == (before["sign_ins"] + 1, before["refreshes"] + 1)

        # Expired stored tokens with a refresh token the server no longer knows: 9.3.0 falls
        # back to a full sign-in.
        dead = old.model_copy(update={"refresh_token": "revoked-long-ago"})
        async with client_for(simulator, stored_tokens=dead) as auth:
            assert auth.is_authenticated and not auth.current_tokens.is_expired
            assert auth.current_user.full_name == "Demo User"

    run(main(), 60)


# -- REST ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("simulator", [{"devices": [DeviceSpec(), DeviceSpec(mac_address=SECOND_MAC,
                                                                            device_name="Garage")]}],
                         indirect=True)
def test_rest_endpoints(simulator):
    async def main():
        async with client_for(simulator) as auth:
            api = NavienAPIClient(auth, base_url=simulator.api_base_url)
            assert api.is_authenticated and api.user_email == simulator.email
            devices = await api.list_devices()
            assert all(isinstance(d, Device) for d in devices)
            assert [d.device_info.mac_address for d in devices] == [simulator.device_mac, SECOND_MAC]
            first = devices[0]
            assert (first.device_info.device_type, first.device_info.additional_value,
                    first.device_info.device_name, first.device_info.connected) == (52, "5322", "NWP500", 2)
            assert first.location.city == "Anytown" and first.location.altitude is None
            assert [d.device_info.device_name for d in await api.list_devices(offset=1)] == ["Garage"]
            assert len(await api.list_devices(count=1)) == 1
            assert await api.list_devices(offset=5) == []

            info = await api.get_device_info(SECOND_MAC, "5322")
            assert isinstance(info, Device) and info.device_info.device_name == "Garage"
            with pytest.raises(APIError) as err:
                await api.get_device_info("0000000000aa")
            assert err.value.code == 404

            fw = await api.get_firmware_info(simulator.device_mac, "5322")
            assert all(isinstance(f, FirmwareInfo) for f in fw)
            assert [(f.cur_sw_code, f.cur_version) for f in fw] == [(1, 184614912), (4, 34013184)]
            assert fw[0].downloaded_version is None and fw[0].device_group == "NWP500"

            tou = await api.get_tou_info(simulator.device_mac, "5322", SERIAL)
            assert isinstance(tou, TOUInfo)
            assert (tou.register_path, tou.source_type, tou.controller_id, tou.name, tou.zip_code) == \
                ("wifi", "openei", SERIAL, "E-TOU-C", 94103)
            assert tou.schedule[0].season == 4095 and len(tou.schedule[0].intervals) == 2
            assert tou.schedule[0].intervals[1]["startHour"] == 16

            assert await api.update_push_token("push-token-123") is True
            assert simulator.sim.api.push_tokens[simulator.email] == "push-token-123"

            first_device = await api.get_first_device()
            assert first_device == first
            async with api as same:  # a no-op context manager
                assert same is api

    run(main(), 30)


def test_rest_requests_have_the_documented_shape(simulator, fake_http):
    devices = [{"deviceInfo": {"macAddress": "04786332fca0", "deviceType": 52}, "location": {}}]

    def handler(method, path, headers, body):
        if path.endswith("/device/list"):
            return 200, {"code": 200, "msg": "SUCCESS", "data": devices}, "application/json"
        if path.endswith("/device/firmware/info"):
            return 200, {"code": 200, "msg": "SUCCESS", "data": {"firmwares": []}}, "application/json"
        if "/device/tou" in path:
            return 200, {"code": 200, "msg": "SUCCESS", "data": {"touInfo": {}}}, "application/json"
        return 200, {"code": 200, "msg": "SUCCESS"}, "application/json"

    server = fake_http(handler)

    async def main():
        async with client_for(simulator) as auth:
            token = auth.current_tokens.access_token
            api = NavienAPIClient(auth, base_url=server.url)
            assert (await api.get_first_device()).device_info.mac_address == "04786332fca0"
            await api.list_devices(offset=2, count=5)
            await api.get_firmware_info("04786332fca0", "5322")
            await api.get_tou_info("04786332fca0", "5322", SERIAL, user_type="O")
            await api.update_push_token("pt")
            return token

    token = run(main(), 30)
    reqs = server.requests
    for method, path, headers, body in reqs:
        assert headers["authorization"] == token  # raw, no "Bearer "
    (m1, p1, _, b1), (m2, _, _, b2), (m3, p3, _, b3), (m4, p4, _, b4), (m5, p5, _, b5) = reqs
    assert (m1, p1) == ("POST", "/api/v2.1/device/list")
    assert json.loads(b1) == {"offset": 0, "count": 1, "userId": simulator.email}
    assert json.loads(b2) == {"offset": 2, "count": 5, "userId": simulator.email}
    assert (m3, p3) == ("POST", "/api/v2.1/device/firmware/info")
    assert json.loads(b3) == {"macAddress": "04786332fca0", "additionalValue": "5322",
                              "userId": simulator.email}
    assert m4 == "GET" and urlsplit(p4).path == "/api/v2.1/device/tou"
    assert {k: v[0] for k, v in parse_qs(urlsplit(p4).query).items()} == {
        "additionalValue": "5322", "controllerId": SERIAL, "macAddress": "04786332fca0",
        "userId": simulator.email, "userType": "O"}
    assert (m5, p5) == ("POST", "/api/v2.1/app/update-push-token")
    assert json.loads(b5) == {"modelName": "Python Client", "appVersion": "1.0.0", "os": "Python",
                              "osVersion": "3.8+", "userId": simulator.email, "pushToken": "pt"}


def test_sign_in_and_refresh_requests_have_the_documented_shape(fake_http):
    def handler(method, path, headers, body):
        if path.endswith("/auth/refresh"):
            return 200, {"code": 200, "msg": "SUCCESS",
                         "data": {"accessToken": "acc-2", "idToken": "id-2", "refreshToken": "ref-2",
                                  "authenticationExpiresIn": 3600}}, "application/json"
        return 200, sign_in_body(), "application/json"

    server = fake_http(handler)

    async def main():
        async with NavienAuthClient("me@example.com", "pw-1", base_url=server.url) as auth:
            assert auth.current_tokens.access_token == "acc-1"
            t = await auth.refresh_token()
            assert (t.access_token, t.refresh_token, t.access_key_id) == ("acc-2", "ref-2", "ASIAFAKEFAKEFAKEFAKE")

    run(main(), 20)
    (m1, p1, h1, b1), (m2, p2, h2, b2) = server.requests
    assert (m1, p1, json.loads(b1)) == ("POST", "/api/v2.1/user/sign-in", {"userId": "me@example.com", "password": "pw-1"})
    assert (m2, p2, json.loads(b2)) == ("POST", "/api/v2.1/auth/refresh", {"refreshToken": "ref-1"})
    assert "authorization" not in h1 and "authorization" not in h2
    assert h1["content-type"].startswith("application/json")


def test_a_401_on_a_rest_call_refreshes_and_retries_once(simulator):
    async def main():
        async with client_for(simulator) as auth:
            api = NavienAPIClient(auth, base_url=simulator.api_base_url)
            old = auth.current_tokens.access_token
            simulator.expire_tokens()  # the server forgets the access token; the client's clock says fine
            devices = await api.list_devices()
            assert [d.device_info.mac_address for d in devices] == [simulator.device_mac]
            assert auth.current_tokens.access_token != old
            assert creds(simulator)["refreshes"] == 1
            assert rest_calls(simulator)["/device/list"] == 2

            # Access token dead and refresh token revoked: APIError(401) after one refresh try.
            simulator.expire_tokens()
            simulator.fault("revoke_refresh_tokens")
            with pytest.raises(APIError) as info:
                await api.list_devices()
            assert info.value.code == 401
            assert rest_calls(simulator)["/device/list"] == 3  # no second retry

    run(main(), 30)


# -- failures the simulator does not produce ----------------------------------------------------------

@pytest.mark.parametrize("status, body, ctype", [
    (503, {"code": 503, "msg": "Service Unavailable", "data": None}, "application/json"),
    (502, b"<html><body>Bad Gateway</body></html>", "text/html"),
    (500, {"code": 500, "msg": "SERVER_ERROR"}, "application/json"),
])
def test_server_errors(fake_http, status, body, ctype):
    server = fake_http((status, body, ctype))

    async def main():
        with pytest.raises(AuthenticationError) as info:
            async with NavienAuthClient("me@example.com", "pw", base_url=server.url, timeout=5):
                pass
        assert not isinstance(info.value, InvalidCredentialsError)
        assert info.value.status_code == status or isinstance(body, bytes)
        with pytest.raises(TokenRefreshError) as info:
            await refresh_access_token("ref", base_url=server.url)
        assert info.value.retriable

    run(main(), 30)


def test_server_error_on_refresh_is_retriable_and_on_rest_is_api_error(simulator, fake_http):
    server = fake_http((503, {"code": 503, "msg": "Service Unavailable", "data": None}, "application/json"))

    async def main():
        async with client_for(simulator) as auth:
            broken = NavienAuthClient(simulator.email, simulator.password, base_url=server.url,
                                      stored_tokens=auth.current_tokens, timeout=5)
            with pytest.raises(TokenRefreshError) as info:
                await broken.refresh_token()
            assert info.value.retriable and info.value.status_code == 503
            await broken.close()

            api = NavienAPIClient(auth, base_url=server.url)
            with pytest.raises(APIError) as err:
                await api.list_devices()
            assert err.value.code == 503

    run(main(), 30)


@pytest.mark.parametrize("body, refresh_fails", [
    (b"not json", True),
    (b"[1, 2]", True),
    (b'{"code": 200, "msg": "SUCCESS", "data": "x"}', True),
    # A refresh's data is the flat token object: unknown keys are ignored there.
    (b'{"code": 200, "msg": "SUCCESS", "data": {"token": "x"}}', False),
])
def test_malformed_bodies_are_invalid_response_format(fake_http, body, refresh_fails):
    server = fake_http((200, body, "application/json"))

    async def main():
        with pytest.raises(AuthenticationError) as info:
            await NavienAuthClient("me@example.com", "pw", base_url=server.url, timeout=5).sign_in()
        assert "Invalid response format" in str(info.value)
        assert not isinstance(info.value, InvalidCredentialsError)
        if refresh_fails:
            with pytest.raises(TokenRefreshError) as info:
                await refresh_access_token("ref", base_url=server.url)
            assert "Invalid response format" in str(info.value)

    run(main(), 30)


def test_success_bodies_without_data(fake_http):
    """The reference's reading: a sign-in "succeeds" with empty tokens when ``data.token`` is
    missing (§1.7), but a refresh needs ``data`` (``body["data"]`` -> "Invalid response format")."""
    server = fake_http((200, {"code": 200, "msg": "SUCCESS"}, "application/json"))

    async def main():
        resp = await NavienAuthClient("me@example.com", "pw", base_url=server.url, timeout=5).sign_in()
        assert resp.tokens.access_token == "" and resp.tokens.access_key_id is None
        with pytest.raises(TokenRefreshError) as info:
            await refresh_access_token("ref", base_url=server.url)
        assert "Invalid response format" in str(info.value)

    run(main(), 30)


def test_unreachable_host_fails_fast_and_is_retriable():
    port = closed_port()

    async def main():
        url = f"http://127.0.0.1:{port}/api/v2.1"
        t0 = time.monotonic()
        with pytest.raises(AuthenticationError) as info:
            async with NavienAuthClient("me@example.com", "pw", base_url=url, timeout=2):
                pass
        assert time.monotonic() - t0 < 4
        assert info.value.retriable and not isinstance(info.value, InvalidCredentialsError)
        with pytest.raises(TokenRefreshError) as info:
            await refresh_access_token("ref", base_url=url)
        assert info.value.retriable
        t0 = time.monotonic()
        with pytest.raises(AuthenticationError):
            await authenticate("me@example.com", "pw", base_url="http://no-such-host.invalid/api/v2.1")
        assert time.monotonic() - t0 < 35  # default timeout 30 s bounds even a slow resolver

    run(main(), 60)


def test_rest_over_https_trusts_what_ssl_cert_file_names(test_ca, monkeypatch):
    """REST shares MQTT's TLS stack (rustls + ring, roots from rustls-native-certs): a server
    signed by the CA that SSL_CERT_FILE names is trusted, one signed by another CA is refused
    with a certificate error, and nothing reaches the handler over the refused link."""
    from support import TestCA

    server = FakeHttp((200, sign_in_body(), "application/json"), tls=test_ca)
    try:
        async def sign_in() -> None:
            async with NavienAuthClient("me@example.com", "pw", base_url=server.url, timeout=5) as auth:
                assert auth.current_tokens.access_token == "acc-1"

        monkeypatch.setenv("SSL_CERT_FILE", test_ca.bundle_path)
        run(sign_in(), 30)
        assert len(server.requests) == 1 and server.requests[0][1].endswith("/user/sign-in")

        with TestCA() as stranger:
            monkeypatch.setenv("SSL_CERT_FILE", stranger.ca_path)
            with pytest.raises(AuthenticationError) as info:
                run(sign_in(), 30)
        assert "certificate" in str(info.value).lower(), str(info.value)
        assert len(server.requests) == 1
    finally:
        server.close()


@pytest.mark.parametrize("mode", ["silent", "hangup"])
def test_a_server_that_never_answers_is_bounded_by_timeout(fake_http, mode):
    server = fake_http(mode)

    async def main():
        async with LoopLagProbe() as probe:
            t0 = time.monotonic()
            with pytest.raises(AuthenticationError) as info:
                async with NavienAuthClient("me@example.com", "pw", base_url=server.url, timeout=2):
                    pass
            elapsed = time.monotonic() - t0
        assert elapsed < 4, elapsed
        if mode == "silent":
            assert elapsed >= 1.5, elapsed  # it did wait for the answer
        assert info.value.retriable
        assert probe.max_lag < 0.5, f"event loop blocked for {probe.max_lag:.3f}s"

        t0 = time.monotonic()
        with pytest.raises(TokenRefreshError):
            client = NavienAuthClient("me@example.com", "pw", base_url=server.url, timeout=2,
                                      stored_tokens=AuthTokens(refresh_token="r", access_token="a"))
            await client.refresh_token()
        assert time.monotonic() - t0 < 4
        await client.close()

    run(main(), 30)
    assert server.requests  # it did reach the server


def test_rest_calls_are_bounded_by_timeout(simulator, fake_http):
    server = fake_http("silent")

    async def main():
        async with client_for(simulator, timeout=2) as auth:
            api = NavienAPIClient(auth, base_url=server.url)
            t0 = time.monotonic()
            with pytest.raises(APIError):
                await api.list_devices()
            assert time.monotonic() - t0 < 4

    run(main(), 30)


# -- environment defaults --------------------------------------------------------------------------

def test_environment_supplies_the_base_url(simulator, monkeypatch):
    monkeypatch.setenv("NWP500_API_BASE_URL", simulator.api_base_url)

    async def main():
        async with NavienAuthClient(simulator.email, simulator.password) as auth:
            assert auth.base_url == simulator.api_base_url
            api = NavienAPIClient(auth)
            assert api.base_url == simulator.api_base_url
            assert (await api.get_first_device()).device_info.mac_address == simulator.device_mac
            t = await refresh_access_token(auth.current_tokens.refresh_token)
            assert t.access_token
        resp = await authenticate(simulator.email, simulator.password)
        assert resp.user_info.full_name == "Demo User"

    run(main(), 30)
    assert creds(simulator)["sign_ins"] == 2 and creds(simulator)["refreshes"] == 1


# -- secrets ---------------------------------------------------------------------------------------

def test_no_secret_in_reprs_exceptions_or_logs(simulator, caplog):
    caplog.set_level(logging.DEBUG)
    password = simulator.password
    seen: list[str] = []
    secrets: list[str] = [password]

    async def main():
        async with client_for(simulator) as auth:
            api = NavienAPIClient(auth, base_url=simulator.api_base_url)
            secrets.extend(secrets_of(auth.current_tokens))
            await auth.refresh_token()
            secrets.extend(secrets_of(auth.current_tokens))
            simulator.expire_tokens()
            await api.list_devices()
            secrets.extend(secrets_of(auth.current_tokens))
            seen.extend([repr(auth), str(auth), repr(api), repr(auth.current_tokens),
                         str(auth.current_tokens), repr(auth.current_user)])
            with pytest.raises(TokenRefreshError) as info:
                await auth.refresh_token(auth.current_tokens.id_token)  # a secret as a bad token
            seen.extend([str(info.value), repr(info.value), json.dumps(info.value.to_dict(), default=str)])
        with pytest.raises(InvalidCredentialsError) as info:
            await authenticate(simulator.email, password + "-nope", base_url=simulator.api_base_url)
        seen.extend([str(info.value), repr(info.value)])
        secrets.append(password + "-nope")

    run(main(), 30)
    # The library's own loggers (the simulator logs under nwp500.simulator and is not under test).
    ours = [r for r in caplog.records if not r.name.startswith("nwp500.simulator")]
    seen.extend(r.getMessage() for r in ours)
    seen.extend(str(r.args) for r in ours if r.args)
    for text in seen:
        assert_hidden(text, secrets)


# -- MQTT with the real auth client ------------------------------------------------------------------

async def _connect(sim, auth) -> tuple[NavienMqttClient, EventRecorder]:
    client = NavienMqttClient(auth, config=fast_config(sim.mqtt_endpoint))
    rec = EventRecorder(client)
    await asyncio.wait_for(client.connect(), DEADLINE)
    return client, rec


@pytest.mark.slow
def test_mqtt_recovers_when_credentials_expire_while_connected(simulator):
    """Expired AWS credentials + a drop: the reconnect gets 403, the client refreshes (deep)
    and comes back, with ``connection_resumed``."""
    async def main():
        async with client_for(simulator) as auth:
            before = auth.current_tokens.access_key_id
            client, rec = await _connect(simulator, auth)
            try:
                start = creds(simulator)
                simulator.expire_credentials(drop=True)
                await rec.wait_count("connection_interrupted", 1, DEADLINE)
                resumed = await rec.wait_count("connection_resumed", 1, 30)
                assert resumed[0].args[0].return_code == 0
                state = simulator.state()
                assert state["front"]["stats"]["rejected"] >= 1  # the 403
                c = state["credentials"]
                assert c["refreshes"] + c["sign_ins"] > start["refreshes"] + start["sign_ins"]
                assert auth.current_tokens.access_key_id != before
                assert client.is_connected
            finally:
                await asyncio.wait_for(client.disconnect(), DEADLINE)

    run(main(), 90)


@pytest.mark.slow
@pytest.mark.parametrize("simulator", [{"refresh_includes_aws": False, "aws_lifetime": 302}], indirect=True)
def test_mqtt_signs_in_again_when_aws_credentials_expire_and_refresh_gives_none(simulator):
    """The real cloud's refresh returns no AWS credentials: once the AWS clock runs out, only
    a new sign-in gets fresh ones, and the reconnect must do it."""
    async def main():
        async with client_for(simulator) as auth:
            first = auth.current_tokens
            client, rec = await _connect(simulator, auth)
            try:
                await wait_for_clock(lambda: first.are_aws_credentials_expired, 10, "AWS margin")
                simulator.expire_credentials(drop=True)
                await rec.wait_count("connection_resumed", 1, 30)
                assert creds(simulator)["sign_ins"] >= 2
                assert auth.current_tokens.access_key_id != first.access_key_id
            finally:
                await asyncio.wait_for(client.disconnect(), DEADLINE)

    run(main(), 90)


@pytest.mark.slow
@pytest.mark.parametrize("simulator", [{"refresh_includes_aws": False}], indirect=True)
def test_mqtt_recovers_when_the_server_expires_credentials_early_and_refresh_gives_none(simulator):
    """Clock skew: the server says the AWS credentials are expired while the client's clock
    says they are fine, and refreshing brings no new ones. Refreshing again and again would
    loop on 403 forever; the client has to sign in again."""
    async def main():
        async with client_for(simulator) as auth:
            first = auth.current_tokens
            client, rec = await _connect(simulator, auth)
            try:
                simulator.expire_credentials(drop=True)
                await rec.wait_count("connection_resumed", 1, 45)
                assert creds(simulator)["sign_ins"] >= 2
                assert auth.current_tokens.access_key_id != first.access_key_id
            finally:
                await asyncio.wait_for(client.disconnect(), DEADLINE)

    run(main(), 90)


def test_mqtt_client_accepts_the_real_auth_client_and_rejects_a_signed_out_one(simulator):
    async def main():
        from nwp500.exceptions import MqttCredentialsError

        with pytest.raises(MqttCredentialsError):
            NavienMqttClient(client_for(simulator), config=fast_config(simulator.mqtt_endpoint))
        async with client_for(simulator) as auth:
            client, rec = await _connect(simulator, auth)
            try:
                assert client.is_connected
            finally:
                await asyncio.wait_for(client.disconnect(), DEADLINE)

    run(main(), 30)


def test_errors_derive_from_nwp500_error():
    for cls in (AuthenticationError, InvalidCredentialsError, TokenRefreshError, APIError):
        assert issubclass(cls, Nwp500Error)
    assert issubclass(TokenRefreshError, AuthenticationError)


def test_rest_calls_leave_no_connection_open(simulator):
    """No idle keep-alive socket outlives a REST call, so a client that is done with the cloud
    (Home Assistant unloading an entry) holds no connection until it is collected."""
    import os

    def tcp_sockets() -> set[str]:
        inodes = set()
        for fd in os.listdir("/proc/self/fd"):
            try:
                target = os.readlink(f"/proc/self/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
        rows = [line.split() for name in ("/proc/net/tcp", "/proc/net/tcp6")
                for line in open(name).read().splitlines()[1:]]
        return {r[9] for r in rows if r[9] in inodes}

    async def main():
        before = tcp_sockets()
        async with NavienAuthClient(simulator.email, simulator.password, base_url=simulator.api_base_url) as auth:
            api = NavienAPIClient(auth, base_url=simulator.api_base_url)
            assert await api.list_devices()
            await auth.refresh_token()
            # A closing socket can take a moment to leave the table: wait, bounded.
            await wait_for_clock(lambda: not (tcp_sockets() - before), 5, "REST sockets closed")

    run(main(), 30)
