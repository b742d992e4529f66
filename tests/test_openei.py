"""``nwp500.openei.OpenEIClient`` against a local fake of OpenEI's utility_rates API: the
request it makes, the filtering it does, and every way the API can fail."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from helpers import run
from nwp500.exceptions import APIError
from nwp500.openei import OPENEI_API_URL, OPENEI_API_VERSION, OpenEIClient
from support.fakehttp import FakeHttp

PLANS = [
    {"label": "5b0d", "name": "E-TOU-C Time of Use", "utility": "Pacific Gas & Electric Co", "sector": "Residential"},
    {"label": "5c1e", "name": "E-1 Residential", "utility": "Pacific Gas & Electric Co", "sector": "Residential"},
    {"label": "77aa", "name": "TOU-D-PRIME", "utility": "Southern California Edison Co", "sector": "Residential"},
]


@pytest.fixture
def openei(monkeypatch):
    servers = []

    def make(handler):
        server = FakeHttp(handler)
        servers.append(server)
        monkeypatch.setenv("NWP500_OPENEI_API_URL", f"http://127.0.0.1:{server.port}/utility_rates")
        return server

    yield make
    for s in servers:
        s.close()


def test_constants_and_key():
    assert OPENEI_API_URL == "https://api.openei.org/utility_rates" and OPENEI_API_VERSION == 7
    with pytest.raises(ValueError, match="api_key"):
        OpenEIClient()
    assert "k-secret" not in repr(OpenEIClient("k-secret"))


def test_the_request_and_the_plans(openei, monkeypatch):
    server = openei((200, {"items": PLANS}, "application/json"))
    monkeypatch.setenv("OPENEI_API_KEY", "env-key")

    async def main():
        client = OpenEIClient()
        assert await client.fetch_rates("94103", limit=3) == PLANS
        assert await client.list_utilities("94103") == ["Pacific Gas & Electric Co", "Southern California Edison Co"]
        plans = await client.list_rate_plans("94103", utility=" pacific gas & electric co ")
        assert [p["name"] for p in plans] == ["E-TOU-C Time of Use", "E-1 Residential"]
        assert (await client.get_rate_plan("94103", "tou-d-prime"))["label"] == "77aa"
        assert await client.get_rate_plan("94103", "TOU-D-PRIME", utility="Pacific Gas & Electric Co") is None
        assert (await client.get_rate_plan("94103", "5c1e"))["name"] == "E-1 Residential"

    run(main(), 30)
    method, target, headers, _ = server.requests[0]
    query = parse_qs(urlsplit(target).query)
    assert method == "GET" and urlsplit(target).path == "/utility_rates"
    assert query == {"version": ["7"], "format": ["json"], "api_key": ["env-key"], "address": ["94103"],
                     "sector": ["Residential"], "detail": ["full"], "limit": ["3"]}


@pytest.mark.parametrize("reply,match,retriable", [
    ((200, {"error": {"code": "API_KEY_INVALID", "message": "An invalid api_key was supplied."}}, "application/json"),
     "invalid api_key", False),
    ((500, b"<html>Internal Server Error</html>", "text/html"), "invalid response format", True),
    ((503, {"items": []}, "application/json"), "HTTP 503", True),
    ((200, b"<html>maintenance</html>", "text/html"), "invalid response format", False),
    ((200, {"items": "none"}, "application/json"), "items is", False),
    ((200, b'{"items": [', "application/json"), "invalid response format", False),
])
def test_failures_are_api_errors(openei, reply, match, retriable):
    openei(reply)

    async def main():
        with pytest.raises(APIError, match=match) as info:
            await OpenEIClient("key-5ecret").fetch_rates("94103")
        assert info.value.retriable is retriable
        assert "key-5ecret" not in str(info.value) + repr(info.value)

    run(main(), 30)


def test_no_items_is_an_empty_list_and_non_objects_are_skipped(openei):
    openei((200, json.dumps({"items": [PLANS[0], 3, "x", None]}).encode(), "application/json"))

    async def main():
        assert await OpenEIClient("k").fetch_rates("94103") == [PLANS[0]]

    run(main(), 30)


def test_a_silent_server_and_a_closed_port_are_bounded(openei, monkeypatch):
    openei("silent")

    async def main():
        with pytest.raises(APIError) as info:
            await asyncio.wait_for(OpenEIClient("k", timeout=1.0).fetch_rates("94103"), 10)
        assert info.value.retriable
        monkeypatch.setenv("NWP500_OPENEI_API_URL", "http://127.0.0.1:1/utility_rates")
        with pytest.raises(APIError):
            await asyncio.wait_for(OpenEIClient("k", timeout=1.0).list_utilities("94103"), 10)
        with pytest.raises(ValueError):
            await OpenEIClient("k").fetch_rates("  ")
        with pytest.raises(ValueError):
            await OpenEIClient("k").fetch_rates("94103", limit=0)

    run(main(), 30)
