"""Malformed REST replies from the Navien cloud (issue: "HTML instead of JSON, missing fields,
wrong types, garbled timestamps, huge bodies: a clear ``nwp500`` exception, never a hang or a
``BaseException``").

Two parts, both against a loopback :class:`FakeHttp` (one server per test; its handler reads
the reply to give from a mutable :class:`Reply` holder, so hypothesis does not start a
server per example):

* hypothesis-driven (bounded, reproducible: ``derandomize=True, database=None``): sign-in,
  token refresh, ``ensure_valid_token`` (a refresh after a sign-in whose token is near expiry)
  and the REST calls after a good sign-in (``list_devices``, ``get_device_info``,
  ``get_firmware_info``, ``get_tou_info``) get generated replies: random bytes, random JSON,
  the valid reply shape with fields deleted or replaced by wrong-typed values (None, numbers,
  huge ints, 1e308, lists, dicts, strings with NUL / non-ASCII), garbled ``issuedAt`` values,
  truncated JSON, HTML pages; random statuses and content types. Invariant (:func:`outcome`):
  the awaited call settles within 10 s, and either returns the documented type (whose tokens
  are usable: expiry properties and the storage round trip work) or raises an
  :class:`~nwp500.exceptions.Nwp500Error` of the call's family. Any other exception
  (``ValueError``, ``OverflowError``, pyo3's ``PanicException`` ...) is a failure.
* explicit cases: an HTML error page with status 200, 8 MiB bodies, deep nesting, truncated
  JSON, ``data.token`` with missing or wrong-typed fields, out-of-range timestamps and
  lifetimes, REST ``data`` of the wrong shape, wrong-typed ``userInfo``; each asserts the
  exception class that ``test_cloud.py`` establishes for that path (AuthenticationError /
  TokenRefreshError / APIError with "Invalid response format" for a reply that is not a JSON
  object; success with defaults for missing token fields), or, where the existing tests imply
  none, "succeeds with usable tokens or raises the call's error class".

Settings: 300 examples per property, ``report_multiple_bugs=False`` (one shrunk failure per
property keeps a failing run near 40 s; a passing run takes about 10 s).

Every call runs on an event loop in a worker thread and is awaited from the test thread with
a deadline, so even a call that blocked the loop fails the test instead of hanging it.
"""

from __future__ import annotations

import asyncio
import copy
import json
import threading
import traceback
from typing import Any, Awaitable, Callable

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from support.fakehttp import FakeHttp
from test_cloud import sign_in_body
from nwp500.api_client import NavienAPIClient
from nwp500.auth import NavienAuthClient, refresh_access_token
from nwp500.exceptions import (
    APIError,
    AuthenticationError,
    InvalidCredentialsError,
    Nwp500Error,
    TokenRefreshError,
)
from nwp500.models import AuthenticationResponse, AuthTokens, Device, FirmwareInfo, TOUInfo
from nwp500.simulator import DeviceSpec
from nwp500.simulator.rest import device_object, firmware_objects, tou_object

CALL_DEADLINE = 10.0     # per awaited library call
OUTER_DEADLINE = 20.0    # per example, seen from the test thread (catches a blocked loop)
EMAIL, PASSWORD = "me@example.com", "pw-1"
JSON = "application/json"
MIB = 1024 * 1024

FUZZ = settings(max_examples=300, deadline=None, database=None, derandomize=True, report_multiple_bugs=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# -- the server and the loop -----------------------------------------------------------------

class Reply:
    """What the fake cloud answers next: ``(status, body bytes, content type)`` for the fuzzed
    paths; sign-in answers ``good_sign_in`` instead when that is set (the REST tests)."""

    def __init__(self) -> None:
        self.next: tuple[int, bytes, str] = (200, b"{}", JSON)
        self.good_sign_in: dict[str, Any] | None = None

    def handler(self, method: str, path: str, headers: dict[str, str], body: bytes):
        if self.good_sign_in is not None and path.endswith("/user/sign-in"):
            return 200, self.good_sign_in, JSON
        return self.next


class Harness:
    """One FakeHttp, one :class:`Reply`, and an event loop running in a worker thread."""

    def __init__(self) -> None:
        self.reply = Reply()
        self.server = FakeHttp(self.reply.handler)
        self.url = self.server.url
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True,
                                        name="fuzz-rest-loop")
        self._thread.start()

    def answer(self, status: int, body: bytes | dict | list, ctype: str = JSON) -> None:
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
        self.reply.next = (status, body, ctype)

    def run(self, factory: Callable[[], Awaitable[Any]]) -> Any:
        """Runs ``factory()`` on the loop thread; a call that never settles (or a loop that is
        blocked) fails here after OUTER_DEADLINE instead of hanging the test."""
        async def guarded() -> Any:
            return await factory()

        future = asyncio.run_coroutine_threadsafe(guarded(), self.loop)
        try:
            return future.result(OUTER_DEADLINE)
        except TimeoutError:
            if future.done():
                raise
            future.cancel()
            raise AssertionError(f"HANG: the example did not finish within {OUTER_DEADLINE}s "
                                 "(event loop blocked or a call never settled)") from None

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        if not self._thread.is_alive():
            self.loop.close()
        self.server.close()


@pytest.fixture
def harness():
    h = Harness()
    yield h
    h.close()


def new_auth(h: Harness, **kw: Any) -> NavienAuthClient:
    return NavienAuthClient(EMAIL, PASSWORD, base_url=h.url, timeout=5, **kw)


# -- the invariant -------------------------------------------------------------------------------

def _tail(e: BaseException) -> str:
    return "".join(traceback.format_exception(type(e), e, e.__traceback__)[-4:])


async def outcome(what: str, aw: Awaitable[Any], family: tuple[type[BaseException], ...]) -> Any:
    """Awaits ``aw`` with CALL_DEADLINE. Returns ``("ok", value)`` or ``("err", exc)`` for an
    ``Nwp500Error``; anything else (a hang, a foreign exception, a ``BaseException``) fails with
    an AssertionError naming it. An ``Nwp500Error`` outside ``family`` fails too."""
    try:
        value = await asyncio.wait_for(aw, CALL_DEADLINE)
    except Nwp500Error as e:
        assert isinstance(e, family), (
            f"{what}: raised {type(e).__name__} ({e}); expected one of "
            f"{[c.__name__ for c in family]}")
        return "err", e
    except (asyncio.TimeoutError, TimeoutError) as e:
        raise AssertionError(f"HANG: {what} did not settle within {CALL_DEADLINE}s") from e
    except asyncio.CancelledError:
        raise
    except BaseException as e:  # ValueError, TypeError, OverflowError, PanicException ...
        raise AssertionError(f"{what}: a non-nwp500 exception escaped: "
                             f"{type(e).__module__}.{type(e).__qualname__}: {e}\n{_tail(e)}") from e
    return "ok", value


def check_usable(what: str, tokens: Any) -> None:
    """Tokens a call returned must be usable: expiry properties and the storage round trip."""
    assert isinstance(tokens, AuthTokens), f"{what}: returned {type(tokens).__name__}"
    try:
        tokens.is_expired
        tokens.are_aws_credentials_expired
        tokens.expires_at
        tokens.aws_expires_at
        again = AuthTokens.from_dict(json.loads(json.dumps(tokens.to_dict())))
        again.is_expired
    except BaseException as e:
        raise AssertionError(f"{what}: returned tokens that break on use: "
                             f"{type(e).__qualname__}: {e}\n{_tail(e)}") from e


def check_state(what: str, auth: NavienAuthClient) -> None:
    """The client's state getters may only raise ``Nwp500Error`` (after any outcome)."""
    try:
        auth.is_authenticated
        tokens = auth.current_tokens
        auth.current_user
        repr(auth)
    except Nwp500Error:
        return
    except BaseException as e:
        raise AssertionError(f"{what}: reading the client's state raised "
                             f"{type(e).__qualname__}: {e}\n{_tail(e)}") from e
    if tokens is not None:
        check_usable(f"{what} (current_tokens)", tokens)


# -- strategies ---------------------------------------------------------------------------------

DELETE = object()
HUGE_INTS = [10**30, -10**30, 2**63, 2**63 - 1, -2**63, -2**63 - 1, 2**64, 10**400]
ODD_FLOATS = [1e308, -1e308, 5e-324, -0.0, 1.5, -1.0, 3600.5]
ODD_TEXT = ["", " ", "\x00", "\x00\x00\x00", "é", "中文", "\U0001F600", "null", "1e308", "3600",
            "-1", "0x10", "<html>", "\ud7ff", "a\x00b", "\u202e"]
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.sampled_from(HUGE_INTS),
    st.floats(allow_nan=False, allow_infinity=False), st.sampled_from(ODD_FLOATS),
    st.text(max_size=24), st.sampled_from(ODD_TEXT),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
wrong = st.one_of(scalars, st.lists(scalars, max_size=3),
                  st.dictionaries(st.text(max_size=8), scalars, max_size=3), json_values)

GARBLED_TIMES = [
    "", "Z", "now", "1e308", "NaN", "2024", "2024-01-01", "2024-01-01T", "T00:00:00",
    "0000-01-01T00:00:00", "0000-01-01T00:00:00Z", "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00.5-00:01", "9999-12-31T23:59:59-12:00", "9999-12-31T23:59:59.999999-00:01",
    "2024-02-30T00:00:00Z", "2024-13-01T00:00:00Z", "2024-01-01T24:00:00Z", "2024-01-01T00:00:60Z",
    "2024-01-01T00:00:60.9999999Z", "2024-01-01T00:00:00+99:99", "2024-01-01T00:00:00+é",
    "2024-01-01T00:00:00+0", "2024-01-01T00:00:00-", "2024-01-01T00:00:00.9999999999999Z",
    "2024-01-01T00:00:00\x00", "٢٠٢٤-01-01T00:00:00Z", "2024-01-01 00:00:00", "-001-01-01T00:00:00",
    "+2024-01-01T00:00:00Z", "2024-01-01T00:00:1e3Z", "2024-01-01T00:00:infZ", "2024-01-01T00:00:NaNZ",
]
timestamps = st.one_of(
    st.sampled_from(GARBLED_TIMES),
    st.builds(lambda y, mo, d, h, mi, s, off: f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s}{off}",
              st.integers(-1, 10000), st.integers(0, 13), st.integers(0, 32), st.integers(0, 25),
              st.integers(0, 61), st.sampled_from(["00", "59", "60.5", "00.000001", "1", ""]),
              st.sampled_from(["", "Z", "+00:00", "-12:00", "+14:00", "+23:59", "-23:59", "+2400"])),
    st.text(max_size=30),
    st.integers(), st.sampled_from(HUGE_INTS),
    st.floats(allow_nan=False, allow_infinity=False), st.sampled_from(ODD_FLOATS),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
lifetimes = st.one_of(st.sampled_from(HUGE_INTS), st.sampled_from(ODD_FLOATS), st.integers(),
                      st.floats(allow_nan=False, allow_infinity=False),
                      st.sampled_from(["", "3600", " 3600 ", "-5", "1e308", "99999999999999999999"]))

SNAKE_TOKEN_KEYS = ["id_token", "access_token", "refresh_token", "authentication_expires_in",
                    "access_key_id", "secret_key", "session_token", "authorization_expires_in"]
LIFETIME_KEYS = ["authenticationExpiresIn", "authorizationExpiresIn",
                 "authentication_expires_in", "authorization_expires_in"]


def paths_of(doc: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a node of ``doc`` (dict keys and list indexes), the root excluded."""
    out: list[tuple] = []
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    for key, child in items:
        out.append(prefix + (key,))
        out.extend(paths_of(child, prefix + (key,)))
    return out


def refresh_body(**token: Any) -> dict[str, Any]:
    return {"code": 200, "msg": "SUCCESS", "data": dict(sign_in_body(**token)["data"]["token"])}


def ok(data: Any) -> dict[str, Any]:
    return {"code": 200, "msg": "SUCCESS", "data": data}


SPEC = DeviceSpec()
MAC, ADDITIONAL, SERIAL = SPEC.mac_address, SPEC.additional_value, SPEC.serial_number
DEVICE = device_object(SPEC)
LIST_BODY = ok([DEVICE])

SIGN_IN_PATHS = paths_of(sign_in_body()) + [("data", "token", k) for k in SNAKE_TOKEN_KEYS]
REFRESH_PATHS = paths_of(refresh_body()) + [("data", k) for k in SNAKE_TOKEN_KEYS]


def apply(base: Any, edits: list[tuple[tuple, Any]]) -> Any:
    """``base`` with each ``(path, value)`` set (or deleted for DELETE); a path through
    something an earlier edit made a non-container is skipped."""
    doc = copy.deepcopy(base)
    for path, value in edits:
        node = doc
        for key in path[:-1]:
            try:
                node = node[key]
            except (KeyError, IndexError, TypeError):
                node = None
                break
        if not isinstance(node, (dict, list)):
            continue
        last = path[-1]
        if isinstance(node, list) and not (isinstance(last, int) and last < len(node)):
            continue
        if isinstance(node, dict) and isinstance(last, int):
            continue
        if value is DELETE:
            if isinstance(node, dict):
                node.pop(last, None)
            else:
                del node[last]
        else:
            node[last] = value
    return doc


def shaped(base: dict[str, Any], paths: list[tuple], stamp_at: tuple | None,
           lifetime_prefix: tuple | None) -> st.SearchStrategy[Any]:
    edit = st.tuples(st.sampled_from(paths), st.one_of(st.just(DELETE), wrong))
    edits = [edit]
    if stamp_at is not None:
        edits.append(st.tuples(st.sampled_from([stamp_at, stamp_at[:-1] + ("issued_at",)]), timestamps))
    if lifetime_prefix is not None:
        edits.append(st.tuples(st.sampled_from([lifetime_prefix + (k,) for k in LIFETIME_KEYS]), lifetimes))
    return st.lists(st.one_of(*edits), min_size=1, max_size=4).map(lambda e: apply(base, e))


def dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


HTML_PAGES = [
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>"
    b"<center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>",
    b"<html><body>Maintenance \xe2\x80\x94 back soon</body></html>",
    b"", b" ", b"\x00", b"\xef\xbb\xbf{}", b"\xef\xbb\xbf" + dumps(sign_in_body()),
]


def replies(shape: st.SearchStrategy[Any]) -> st.SearchStrategy[tuple[int, bytes, str]]:
    bodies = st.one_of(
        st.binary(max_size=1024),
        json_values.map(dumps),
        shape.map(dumps),
        shape.map(dumps).flatmap(lambda b: st.integers(0, max(len(b) - 1, 0)).map(lambda i: b[:i])),
        st.sampled_from(HTML_PAGES),
    )
    statuses = st.one_of(st.just(200), st.sampled_from([200, 401, 403, 404, 500, 502]))
    ctypes = st.sampled_from([JSON, "text/html", "text/html; charset=utf-8", "text/plain"])
    return st.tuples(statuses, bodies, ctypes)


SIGN_IN_REPLIES = replies(shaped(sign_in_body(), SIGN_IN_PATHS, ("data", "token", "issuedAt"), ("data", "token")))
REFRESH_REPLIES = replies(shaped(refresh_body(), REFRESH_PATHS, ("data", "issuedAt"), ("data",)))

# The REST calls: what each is, how to make it, and the good reply it expects.
ENDPOINTS: dict[str, tuple[Callable[[NavienAPIClient], Awaitable[Any]], dict[str, Any], Callable[[Any], bool]]] = {
    "list_devices": (lambda api: api.list_devices(), LIST_BODY,
                     lambda v: isinstance(v, list) and all(isinstance(d, Device) for d in v)),
    "get_device_info": (lambda api: api.get_device_info(MAC, ADDITIONAL), ok(DEVICE),
                        lambda v: isinstance(v, Device)),
    "get_firmware_info": (lambda api: api.get_firmware_info(MAC, ADDITIONAL), ok({"firmwares": firmware_objects(SPEC)}),
                          lambda v: isinstance(v, list) and all(isinstance(f, FirmwareInfo) for f in v)),
    "get_tou_info": (lambda api: api.get_tou_info(MAC, ADDITIONAL, SERIAL), ok(tou_object(SPEC)),
                     lambda v: isinstance(v, TOUInfo)),
}
REST_CASES = st.sampled_from(sorted(ENDPOINTS)).flatmap(
    lambda name: st.tuples(st.just(name), replies(shaped(ENDPOINTS[name][1], paths_of(ENDPOINTS[name][1]), None, None))))


def reply_of(body: Any, status: int = 200, ctype: str = JSON) -> tuple[int, bytes, str]:
    return status, dumps(body), ctype


# -- hypothesis: sign-in, refresh, ensure_valid_token, list_devices ------------------------------

def test_sign_in_survives_any_reply(harness):
    @FUZZ
    @given(reply=SIGN_IN_REPLIES)
    @example(reply=reply_of(sign_in_body()))                                      # the good reply
    @example(reply=(200, HTML_PAGES[0], "text/html"))
    def check(reply):
        harness.reply.next = reply

        async def scenario():
            auth = new_auth(harness)
            kind, value = await outcome("sign_in()", auth.sign_in(), (AuthenticationError,))
            if kind == "ok":
                assert isinstance(value, AuthenticationResponse)
                check_usable("sign_in()", value.tokens)
                value.user_info.full_name
            check_state("after sign_in()", auth)
            if kind == "ok":
                # The renewal paths read the same kind of reply (this server answers it to both).
                await outcome("ensure_valid_token() after sign_in()", auth.ensure_valid_token(),
                              (AuthenticationError,))
                check_state("after ensure_valid_token()", auth)

        harness.run(scenario)

    check()


def test_refresh_survives_any_reply(harness):
    @FUZZ
    @given(reply=REFRESH_REPLIES)
    @example(reply=reply_of(refresh_body()))
    @example(reply=(200, HTML_PAGES[0], "text/html"))
    def check(reply):
        harness.reply.next = reply

        async def scenario():
            kind, value = await outcome("refresh_access_token()", refresh_access_token("ref", base_url=harness.url),
                                        (TokenRefreshError,))
            if kind == "ok":
                check_usable("refresh_access_token()", value)
            # With stored tokens: the merge path (kept AWS keys and their clock).
            auth = new_auth(harness, stored_tokens=AuthTokens(
                access_token="acc-0", refresh_token="ref-0", access_key_id="ASIAOLD", secret_key="s" * 40,
                session_token="sess-0", authorization_expires_in=3600))
            kind, value = await outcome("refresh_token()", auth.refresh_token(), (TokenRefreshError,))
            if kind == "ok":
                check_usable("refresh_token()", value)
            check_state("after refresh_token()", auth)

        harness.run(scenario)

    check()


def test_ensure_valid_token_refresh_survives_any_reply(harness):
    """Signed in with a token inside the five-minute margin: ``ensure_valid_token`` refreshes,
    and the refresh gets the generated reply."""
    harness.reply.good_sign_in = sign_in_body(authenticationExpiresIn=300)

    @FUZZ
    @given(reply=REFRESH_REPLIES)
    @example(reply=reply_of(refresh_body()))
    def check(reply):
        harness.reply.next = reply

        async def scenario():
            auth = new_auth(harness)
            await asyncio.wait_for(auth.sign_in(), CALL_DEADLINE)
            kind, value = await outcome("ensure_valid_token()", auth.ensure_valid_token(), (AuthenticationError,))
            if kind == "ok":
                check_usable("ensure_valid_token()", value)
            check_state("after ensure_valid_token()", auth)

        harness.run(scenario)

    check()


def test_rest_calls_survive_any_reply(harness):
    """After a good sign-in, one REST call (list_devices, get_device_info, get_firmware_info,
    get_tou_info) gets the generated reply; so does the refresh a 401 triggers."""
    harness.reply.good_sign_in = sign_in_body()

    @FUZZ
    @given(case=REST_CASES)
    @example(case=("list_devices", reply_of(LIST_BODY)))
    @example(case=("get_device_info", reply_of(ENDPOINTS["get_device_info"][1])))
    @example(case=("get_firmware_info", reply_of(ENDPOINTS["get_firmware_info"][1])))
    @example(case=("get_tou_info", reply_of(ENDPOINTS["get_tou_info"][1])))
    @example(case=("list_devices", (200, HTML_PAGES[0], "text/html")))
    def check(case):
        name, reply = case
        harness.reply.next = reply
        call, _, returns_ok = ENDPOINTS[name]

        async def scenario():
            auth = new_auth(harness)
            await asyncio.wait_for(auth.sign_in(), CALL_DEADLINE)
            api = NavienAPIClient(auth, base_url=harness.url)
            kind, value = await outcome(f"{name}()", call(api), (APIError, AuthenticationError))
            if kind == "ok":
                assert returns_ok(value), f"{name}() returned {value!r}"
            check_state(f"after {name}()", auth)

        harness.run(scenario)

    check()


# -- explicit cases -------------------------------------------------------------------------------

FULL = {"sign_in": sign_in_body(), "refresh": refresh_body(), "list_devices": LIST_BODY,
        "get_device_info": ok(DEVICE)}
CALLS = ["sign_in", "refresh", "list_devices", "get_device_info"]


async def _call(h: Harness, which: str) -> Any:
    if which == "sign_in":
        return await new_auth(h).sign_in()
    if which == "refresh":
        return await refresh_access_token("ref", base_url=h.url)
    h.reply.good_sign_in = sign_in_body()
    auth = new_auth(h)
    await auth.sign_in()
    return await ENDPOINTS[which][0](NavienAPIClient(auth, base_url=h.url))


def expect_invalid_format(h: Harness, which: str, status: int = 200) -> Nwp500Error:
    """The mapping ``test_cloud.py`` establishes for a reply that is not a JSON object."""
    async def scenario():
        kind, err = await outcome(which, _call(h, which), (Nwp500Error,))
        assert kind == "err", f"{which}: accepted the reply and returned {err!r}"
        return err

    err = h.run(scenario)
    assert "Invalid response format" in str(err), str(err)
    if which == "sign_in":
        assert isinstance(err, AuthenticationError) and not isinstance(err, (InvalidCredentialsError, TokenRefreshError))
        # A reply that is not JSON carries its HTTP status; a JSON object of the wrong shape none.
        assert err.status_code in (status, None) and err.retriable == (status >= 500)
    elif which == "refresh":
        assert isinstance(err, TokenRefreshError) and err.retriable == (status >= 500)
    else:
        assert isinstance(err, APIError) and err.code == status
    return err


@pytest.mark.parametrize("which", CALLS)
def test_html_error_page_with_status_200(harness, which):
    harness.answer(200, HTML_PAGES[0], "text/html")
    expect_invalid_format(harness, which)


@pytest.mark.parametrize("which", CALLS)
def test_truncated_json(harness, which):
    full = FULL[which]
    text = json.dumps(full).encode()
    for cut in (1, len(text) // 2, len(text) - 1):
        harness.answer(200, text[:cut])
        expect_invalid_format(harness, which)


@pytest.mark.parametrize("which", CALLS)
def test_8_mib_json_that_is_not_an_object(harness, which):
    item = b'"' + b"x" * 1022 + b'",'
    body = b"[" + item * (8 * MIB // len(item)) + b"0]"
    assert len(body) >= 8 * MIB - 1024
    harness.answer(200, body)
    expect_invalid_format(harness, which)


@pytest.mark.parametrize("which", CALLS)
def test_8_mib_valid_reply_is_read(harness, which):
    pad = "p" * (8 * MIB)
    full = FULL[which]
    harness.answer(200, dict(full, padding=pad, data=full["data"]))

    async def scenario():
        return await outcome(which, _call(harness, which), ())

    kind, value = harness.run(scenario)
    assert kind == "ok"
    if which == "sign_in":
        assert value.tokens.access_token == "acc-1"
    elif which == "refresh":
        assert value.access_token == "acc-1"
    elif which == "list_devices":
        assert [d.device_info.mac_address for d in value] == [MAC]
    else:
        assert value.device_info.mac_address == MAC


@pytest.mark.parametrize("which", CALLS)
def test_deeply_nested_json(harness, which):
    harness.answer(200, b"[" * 200_000 + b"]" * 200_000)
    expect_invalid_format(harness, which)
    harness.answer(200, b'{"code": 200, "data": ' + b"[" * 200_000 + b"]" * 200_000 + b"}")
    expect_invalid_format(harness, which)


def test_sign_in_with_data_token_missing_fields(harness):
    """``test_success_bodies_without_data``'s reading: a missing ``data.token`` gives empty
    tokens, so do missing fields in it (the defaults); a token that is not an object, or a
    field of the wrong type, is "Invalid response format"."""
    body = sign_in_body()
    body["data"]["token"] = {"accessToken": "acc-only"}
    harness.answer(200, body)

    async def scenario():
        auth = new_auth(harness)
        kind, resp = await outcome("sign_in()", auth.sign_in(), ())
        return resp

    t = harness.run(scenario).tokens
    assert (t.access_token, t.id_token, t.refresh_token) == ("acc-only", "", "")
    assert (t.access_key_id, t.secret_key, t.session_token, t.authorization_expires_in) == (None, None, None, None)
    assert t.authentication_expires_in == 3600
    check_usable("sign_in()", t)

    for bad in ("x", 5, [], True):
        body["data"]["token"] = bad
        harness.answer(200, body)
        expect_invalid_format(harness, "sign_in")
    body["data"]["token"] = dict(sign_in_body()["data"]["token"], authenticationExpiresIn="soon")
    harness.answer(200, body)
    expect_invalid_format(harness, "sign_in")


def test_refresh_with_data_missing_fields(harness):
    """A refresh's ``data`` is the flat token object: missing fields keep the old values (with
    stored tokens) or are empty; ``data`` missing or not an object is "Invalid response format"."""
    harness.answer(200, {"code": 200, "msg": "SUCCESS", "data": {"accessToken": "acc-2"}})
    old = AuthTokens(access_token="acc-0", refresh_token="ref-0", id_token="id-0", access_key_id="ASIAOLD",
                     secret_key="s" * 40, session_token="sess-0", authorization_expires_in=3600)

    async def scenario():
        kind, merged = await outcome("refresh_token()", new_auth(harness, stored_tokens=old).refresh_token(), ())
        kind, bare = await outcome("refresh_access_token()", refresh_access_token("ref", base_url=harness.url), ())
        return merged, bare

    merged, bare = harness.run(scenario)
    assert (merged.access_token, merged.refresh_token, merged.id_token, merged.access_key_id) == \
        ("acc-2", "ref-0", "id-0", "ASIAOLD")
    assert (bare.access_token, bare.refresh_token, bare.access_key_id) == ("acc-2", "", None)
    for body in ({"code": 200, "msg": "SUCCESS"}, {"code": 200, "msg": "SUCCESS", "data": [1]},
                 {"code": 200, "msg": "SUCCESS", "data": {"authenticationExpiresIn": [3600]}}):
        harness.answer(200, body)
        expect_invalid_format(harness, "refresh")


@pytest.mark.parametrize("issued_at", [
    "not a date", "2024-13-01T00:00:00Z", "2024-01-01T00:00:00+é",                   # unparseable
    "0000-01-01T00:00:00Z", "9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00",  # off Python's range
    1e308, -1e20, 10**30,                                                            # off any range
])
@pytest.mark.parametrize("which", ["sign_in", "refresh"])
def test_garbled_issued_at(harness, which, issued_at):
    """A timestamp the library cannot represent: the call either succeeds with usable tokens
    or fails with the call's error class (AuthenticationError / TokenRefreshError)."""
    body = sign_in_body(issuedAt=issued_at) if which == "sign_in" else refresh_body(issuedAt=issued_at)
    harness.answer(200, body)
    family = (TokenRefreshError,) if which == "refresh" else (AuthenticationError,)

    async def scenario():
        return await outcome(f"{which} with issuedAt={issued_at!r}", _call(harness, which), family)

    kind, value = harness.run(scenario)
    if kind == "ok":
        check_usable(which, value.tokens if which == "sign_in" else value)


@pytest.mark.parametrize("field, value", [
    ("authorizationExpiresIn", 10**30), ("authorizationExpiresIn", -10**30), ("authorizationExpiresIn", 1e308),
    ("authenticationExpiresIn", 10**30), ("authenticationExpiresIn", -10**30), ("authenticationExpiresIn", 1e308),
])
@pytest.mark.parametrize("which", ["sign_in", "refresh"])
def test_out_of_range_lifetimes(harness, which, field, value):
    """Same rule for lifetimes no clock can add: usable tokens or the call's error class."""
    body = sign_in_body(**{field: value}) if which == "sign_in" else refresh_body(**{field: value})
    harness.answer(200, body)
    family = (TokenRefreshError,) if which == "refresh" else (AuthenticationError,)

    async def scenario():
        return await outcome(f"{which} with {field}={value!r}", _call(harness, which), family)

    kind, result = harness.run(scenario)
    if kind == "ok":
        check_usable(which, result.tokens if which == "sign_in" else result)


@pytest.mark.parametrize("which, data", [
    ("list_devices", 5), ("list_devices", "abc"), ("list_devices", True), ("list_devices", {"a": 1}),
    ("list_devices", [1]), ("list_devices", [None]), ("list_devices", [[]]),
    ("list_devices", [{"deviceInfo": 5, "location": {}}]),
    ("list_devices", [{"deviceInfo": {"deviceType": "water heater"}, "location": {}}]),
    ("list_devices", [{"deviceInfo": {}, "location": {"latitude": "north"}}]),
    ("list_devices", [{"deviceInfo": {}}]),
    ("get_device_info", [DEVICE]), ("get_device_info", "abc"), ("get_device_info", {"deviceInfo": {}}),
    ("get_firmware_info", [1]), ("get_firmware_info", "abc"), ("get_firmware_info", {"firmwares": 5}),
    ("get_firmware_info", {"firmwares": [{"curVersion": "new"}]}),
    ("get_tou_info", [1]), ("get_tou_info", {"touInfo": {"schedule": 5}}),
    ("get_tou_info", {"touInfo": {"schedule": [{"season": "winter"}]}}),
])
def test_rest_data_of_the_wrong_shape(harness, which, data):
    """``data`` of the wrong shape (not the list/object the call reads, members of the wrong
    type) is a failed call: ``APIError``, the REST client's documented error, not a
    ValueError/TypeError/AttributeError from the model layer."""
    harness.answer(200, ok(data))

    async def scenario():
        return await outcome(f"{which}() with data={data!r}", _call(harness, which), (APIError,))

    kind, value = harness.run(scenario)
    assert kind == "err", f"{which}() accepted data={data!r} as {value!r}"


@pytest.mark.parametrize("user_info", [{"userSeq": "x"}, {"userSeq": [1]}, {"userFirstName": {"a": 1}},
                                       {"userSeq": 10**30}, {"userType": 5}])
def test_sign_in_with_wrong_typed_user_info(harness, user_info):
    """Wrong-typed ``userInfo`` fields: a sign-in that succeeds or AuthenticationError."""
    body = sign_in_body()
    body["data"]["userInfo"] = user_info
    harness.answer(200, body)

    async def scenario():
        auth = new_auth(harness)
        result = await outcome(f"sign_in() with userInfo={user_info!r}", auth.sign_in(), (AuthenticationError,))
        check_state("after sign_in()", auth)
        return result

    harness.run(scenario)
