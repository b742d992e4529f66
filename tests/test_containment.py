"""Nothing escapes and nothing piles up (issue "a connection that holds", items 4-6).

* a bug (a Rust panic) reaches Python as an ``Nwp500Error`` saying it was internal, never as
  a hang or pyo3's ``PanicException`` (a ``BaseException``); hostile REST replies and
  out-of-range durations are clear errors;
* an auth client's loop resources go with it: 40 clients, no descriptor or loop reader left;
* a client whose loop stopped draining does not run stale credential requests on the next
  loop.
"""

from __future__ import annotations

import asyncio
import gc
import os
import subprocess
import sys

import pytest

from helpers import DuckAuth, EventRecorder, fast_config, run
from nwp500 import MqttConnectionConfig, NavienMqttClient
from nwp500._core import _internal_error_probe
from nwp500.auth import NavienAuthClient
from nwp500.exceptions import AuthenticationError, Nwp500Error
from support.fakehttp import FakeHttp
from test_cloud import sign_in_body


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


# ---------------------------------------------------------------- item 4: panics contained


@pytest.mark.parametrize("place", ["call", "future"])
def test_a_panic_is_an_internal_nwp500_error(place):
    async def main():
        with pytest.raises(Nwp500Error, match="internal error") as info:
            result = _internal_error_probe(place)
            await asyncio.wait_for(result, 5)
        assert isinstance(info.value, Exception)

    run(main(), 20)


_NO_DESCRIPTORS_LEFT = r"""
import os, resource, sys
sys.path.insert(0, sys.argv[1])
from helpers import DuckAuth
from nwp500 import NavienMqttClient
from nwp500.exceptions import Nwp500Error

resource.setrlimit(resource.RLIMIT_NOFILE, (256, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
held = []
def fill():
    while True:
        try:
            held.append(os.open("/dev/null", os.O_RDONLY))
        except OSError:
            return
# None free: the epoll instance fails. Three free: epoll and its eventfd succeed, and tokio's
# signal driver then panics making its socket pair (measured: a PanicException before).
for free in (0, 3):
    fill()
    for _ in range(free):
        os.close(held.pop())
    try:
        NavienMqttClient(DuckAuth())
    except Nwp500Error as e:
        print(f"{free} free, refused:", e)
    except BaseException as e:
        print(f"{free} free, {type(e).__name__}:", e)
    else:
        print(f"{free} free, constructed")
for fd in held:
    os.close(fd)
client = NavienMqttClient(DuckAuth())  # the next start is tried afresh
print("constructed:", client.client_id.startswith("navien-client-"))
"""


def test_a_runtime_that_cannot_start_is_an_nwp500_error_and_is_retried(tmp_path):
    """The first client of a process starts the I/O runtime. With no descriptor left for its
    epoll instance that is an ``Nwp500Error`` naming why (not pyo3's PanicException), and the
    failure is not kept: the next client, with descriptors back, starts it."""
    script = tmp_path / "no_fds.py"
    script.write_text(_NO_DESCRIPTORS_LEFT)
    done = subprocess.run([sys.executable, str(script), os.path.dirname(__file__)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("0 free, refused: cannot start nwp500's I/O thread"), done.stdout
    assert lines[1].startswith("3 free, refused: cannot start nwp500's I/O thread"), done.stdout
    assert lines[2] == "constructed: True", done.stdout


@pytest.mark.parametrize("issued_at", [
    "2024-02-29T12:00:00+0\u00e9:00", "2024-02-29T12:00:00+\u00e9", "\u00e9\u00e9\u00e9\u00e9",
    "2024-02-29T12:00:00+99999999999999999999:00", "99999999999-01-01T00:00:00",
])
def test_a_garbled_timestamp_in_a_sign_in_reply_is_a_clear_error(issued_at):
    server = FakeHttp((200, sign_in_body(issuedAt=issued_at), "application/json"))
    try:
        async def main():
            auth = NavienAuthClient("me@example.com", "pw", base_url=server.url, timeout=5)
            with pytest.raises(AuthenticationError, match="Invalid response format|issued_at"):
                await asyncio.wait_for(auth.sign_in(), 10)

        run(main(), 20)
    finally:
        server.close()


def test_out_of_range_durations_are_value_errors():
    for make in (lambda: MqttConnectionConfig(max_reconnect_delay=1e300),
                 lambda: MqttConnectionConfig(operation_timeout=1e30),
                 lambda: MqttConnectionConfig(ping_timeout=float("inf")),
                 lambda: NavienAuthClient("a@b.c", "pw", timeout=1e30),
                 lambda: NavienAuthClient("a@b.c", "pw", timeout=float("nan"))):
        with pytest.raises(ValueError):
            make()


# ---------------------------------------------------------------- item 5: one owner


def test_auth_clients_leave_no_descriptor_or_loop_reader_behind():
    server = FakeHttp((200, sign_in_body(), "application/json"))
    try:
        async def main():
            loop = asyncio.get_running_loop()
            warm = NavienAuthClient("me@example.com", "pw", base_url=server.url, timeout=5)
            await warm.sign_in()
            del warm
            gc.collect()
            fds, readers = _fds(), len(loop._selector.get_map())
            for _ in range(40):
                auth = NavienAuthClient("me@example.com", "pw", base_url=server.url, timeout=5)
                await auth.sign_in()
                await auth.ensure_valid_token()
                del auth
            gc.collect()
            await asyncio.sleep(0.2)  # sockets the HTTP stack is closing
            assert len(loop._selector.get_map()) == readers
            assert _fds() <= fds + 2, f"{_fds() - fds} descriptors left by 40 auth clients"

        run(main(), 60)
    finally:
        server.close()


# ---------------------------------------------------------------- item 6: stale requests


def test_stale_credential_requests_do_not_run_on_the_next_loop(broker, fault_proxy):
    proxy = fault_proxy()
    auth = DuckAuth()
    client = NavienMqttClient(auth, config=fast_config(proxy.url, operation_timeout=0.5,
                                                       initial_reconnect_delay=0.1,
                                                       max_reconnect_delay=0.2))

    async def first_loop():
        await client.connect()
        # The loop ends here without disconnect(): nobody drains the client any more.

    run(first_loop(), 20)
    proxy.close_all()
    # Every reconnect attempt now asks the (undrained) loop for credentials and gives up
    # after operation_timeout: several requests are left behind in the bridge.
    deadline = asyncio.run(asyncio.sleep(4, result=None))
    assert deadline is None and client.reconnect_attempts >= 3
    before = len(auth.calls)

    async def second_loop():
        rec = EventRecorder(client)
        assert await asyncio.wait_for(client.connect(), 15) is True
        await rec.wait_until(lambda: client.is_connected, 5)
        await client.disconnect()

    run(second_loop(), 30)
    ran = len(auth.calls) - before
    assert ran <= 2, f"{ran} credential requests ran on the new loop (stale ones included)"
