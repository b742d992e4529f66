"""The simulated Navien cloud (``nwp500.simulator``): lifecycle, loopback-only listening, REST
shapes, the SigV4 websocket front, the emulated device and every fault, observed through a
real ``NavienMqttClient``. Synchronisation is by events and deadlines, never bare sleeps."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from types import SimpleNamespace

import pytest

from helpers import EventRecorder, fast_config, run
from nwp500 import NavienMqttClient
from nwp500.exceptions import ConnectionDropError
from nwp500._core import presign_websocket_query
from nwp500.simulator import FaultError, Simulator, SimulatorThread, parse_schedule
from nwp500.simulator.broker import pid_alive
from nwp500.simulator.websocket import OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG, encode_client_frame

# Appendix A (DeviceStatus, 101 keys) and B (DeviceFeature, 36 keys) of the protocol reference.
STATUS_INT = """command specialFunctionStatus errorCode subErrorCode smartDiagnostic faultStatus1
faultStatus2 wifiRssi drEventStatus vacationDaySetting vacationDayElapsed antiLegionellaPeriod
programReservationType currentStatenum targetFanRpm currentFanRpm fanPwm eevStep airFilterAlarmPeriod
airFilterAlarmElapsed cumulatedOpTimeEvaFan touStatus drOverrideStatus touOverrideStatus
recircOperationMode recircPumpOperationStatus recircHotBtnReady recircOperationReason recircErrorStatus
tempFormulaType""".split()
STATUS_FLOAT = """outsideTemperature dhwChargePer mixingRate cumulatedDhwFlowRate totalEnergyCapacity
availableEnergyCapacity currentInstPower""".split()
STATUS_BOOL = """didReload operationBusy freezeProtectionUse dhwUse dhwUseSustained programReservationUse
ecoUse compUse eevUse evaFanUse shutOffValveUse conOvrSensorUse wtrOvrSensorUse antiLegionellaUse
antiLegionellaOperationBusy errorBuzzerUse currentHeatUse heatUpperUse heatLowerUse scaldUse
airFilterAlarmUse recircOperationBusy recircReservationUse""".split()
STATUS_SCALED = """dhwTemperature dhwTemperatureSetting dhwTargetTemperatureSetting freezeProtectionTemperature
dhwTemperature2 hpUpperOnTempSetting hpUpperOffTempSetting hpLowerOnTempSetting hpLowerOffTempSetting
heUpperOnTempSetting heUpperOffTempSetting heLowerOnTempSetting heLowerOffTempSetting heatMinOpTemperature
recircTempSetting recircTemperature recircFaucetTemperature freezeProtectionTempMin freezeProtectionTempMax
currentInletTemperature currentDhwFlowRate hpUpperOnDiffTempSetting hpUpperOffDiffTempSetting
hpLowerOnDiffTempSetting hpLowerOffDiffTempSetting heUpperOnDiffTempSetting heUpperOffDiffTempSetting
heLowerOnTDiffempSetting heLowerOffDiffTempSetting recircDhwFlowRate tankUpperTemperature
tankLowerTemperature dischargeTemperature suctionTemperature evaporatorTemperature ambientTemperature
targetSuperHeat currentSuperHeat""".split()
STATUS_ENUM = {"operationMode": {0, 32, 64, 96}, "dhwOperationSetting": {1, 2, 3, 4, 5, 6},
               "temperatureType": {1, 2}}
FEATURE_KEYS = """countryCode modelTypeCode controlTypeCode volumeCode controllerSwVersion panelSwVersion
wifiSwVersion controllerSwCode panelSwCode wifiSwCode powerUse holidayUse programReservationUse dhwUse
dhwTemperatureSettingUse smartDiagnosticUse wifiRssiUse tempFormulaType energyUsageUse freezeProtectionUse
mixingValueUse drSettingUse antiLegionellaSettingUse hpwhUse dhwRefillUse ecoUse electricUse heatpumpUse
energySaverUse highDemandUse controllerSerialNumber dhwTemperatureMin dhwTemperatureMax
freezeProtectionTempMin freezeProtectionTempMax temperatureType""".split()
DEADLINE = 10.0


# -- helpers -----------------------------------------------------------------------------------
def http(method: str, url: str, body: dict | None = None, headers: dict | None = None) -> tuple[int, dict, str]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=DEADLINE) as resp:
            return resp.status, json.load(resp), resp.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc), exc.headers.get("Content-Type", "")


def sign_in(sim) -> dict:
    status, body, _ = http("POST", f"{sim.api_base_url}/user/sign-in",
                           {"userId": sim.email, "password": sim.password})
    assert status == 200, body
    return body["data"]["token"]


class SimAuth:
    """Duck-typed auth client holding simulator-issued tokens. ``frozen``: refresh and
    re-authentication hand back the same (possibly expired) credentials."""

    is_authenticated = True
    has_stored_credentials = True

    def __init__(self, sim, frozen: bool = False) -> None:
        self.sim, self.frozen, self.calls = sim, frozen, []
        self._take(sign_in(sim))

    def _take(self, token: dict) -> None:
        self.current_tokens = SimpleNamespace(
            access_key_id=token["accessKeyId"], secret_key=token["secretKey"],
            session_token=token["sessionToken"], refresh_token=token["refreshToken"])

    async def ensure_valid_token(self):
        self.calls.append("ensure_valid_token")
        return self.current_tokens

    async def refresh_token(self, refresh_token: str):
        self.calls.append("refresh_token")
        if not self.frozen:
            status, body, _ = await asyncio.to_thread(
                http, "POST", f"{self.sim.api_base_url}/auth/refresh", {"refreshToken": refresh_token})
            assert status == 200, body
            self._take(body["data"])
        return self.current_tokens

    async def re_authenticate(self):
        self.calls.append("re_authenticate")
        if not self.frozen:
            self._take(await asyncio.to_thread(sign_in, self.sim))
        return self.current_tokens


def make_client(sim, auth=None, **overrides) -> NavienMqttClient:
    return NavienMqttClient(auth or SimAuth(sim), config=fast_config(sim.mqtt_endpoint, **overrides))


class DeviceTalk:
    """A connected client subscribed to the device's topics; ``ask`` sends one request and
    returns the device's ``response`` object."""

    def __init__(self, client: NavienMqttClient, mac: str) -> None:
        self.client, self.mac = client, mac
        self.root = f"cmd/52/navilink-{mac}"
        self.replies: asyncio.Queue = asyncio.Queue()

    async def start(self) -> "DeviceTalk":
        await asyncio.wait_for(self.client.connect(), DEADLINE)
        await asyncio.wait_for(self.client.subscribe(f"{self.root}/#", self._on), DEADLINE)
        return self

    def _on(self, topic: str, message: dict) -> None:
        if isinstance(message, dict) and "response" in message:
            self.replies.put_nowait((topic, message))

    async def ask(self, command: int, suffix: str = "ctrl", **extra) -> dict:
        cid = self.client.client_id
        request = {"command": command, "deviceType": 52, "macAddress": self.mac, "additionalValue": "5322"}
        request.update(extra)
        envelope = {"clientID": cid, "sessionID": self.client.session_id, "protocolVersion": 2,
                    "request": request, "requestTopic": f"{self.root}/{suffix}",
                    "responseTopic": f"{self.root}/{cid}/res"}
        await self.client.publish(f"{self.root}/{suffix}", envelope)
        deadline = time.monotonic() + DEADLINE
        while True:
            topic, message = await asyncio.wait_for(self.replies.get(), max(0.01, deadline - time.monotonic()))
            if message["response"].get("command") == command:
                assert topic == envelope["responseTopic"]
                assert message["clientID"] == cid and message["sessionID"] == self.client.session_id
                return message["response"]


def assert_complete_status(status: dict) -> None:
    expected = set(STATUS_INT + STATUS_FLOAT + STATUS_BOOL + STATUS_SCALED + list(STATUS_ENUM))
    assert len(expected) == 101
    assert expected <= set(status), sorted(expected - set(status))
    for key in STATUS_INT + STATUS_BOOL + STATUS_SCALED + list(STATUS_ENUM):
        assert type(status[key]) is int, (key, status[key])
    for key in STATUS_FLOAT:
        assert isinstance(status[key], (int, float)) and not isinstance(status[key], bool), key
    for key in STATUS_BOOL:
        assert status[key] in (0, 1, 2), (key, status[key])
    for key, allowed in STATUS_ENUM.items():
        assert status[key] in allowed, (key, status[key])


def raw_upgrade(sim, query: str, protocol: str = "mqtt") -> tuple[socket.socket, str, bytes]:
    """A websocket upgrade by hand; returns the socket, the response head and extra bytes."""
    port = int(sim.mqtt_endpoint.rsplit(":", 1)[1].split("/")[0])
    sock = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET /mqtt?{query} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                  f"Sec-WebSocket-Protocol: {protocol}\r\n\r\n").encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return sock, head.decode("latin-1"), rest


def signed_query(sim, creds: dict, *, secret: str | None = None) -> str:
    port = sim.mqtt_endpoint.rsplit(":", 1)[1].split("/")[0]
    return presign_websocket_query(f"127.0.0.1:{port}", "/mqtt", "us-east-1", creds["accessKeyId"],
                                   secret or creds["secretKey"], creds["sessionToken"], int(time.time()))


def read_server_frame(sock: socket.socket, buf: bytearray) -> tuple[int, bytes]:
    while True:
        if len(buf) >= 2:
            n, pos = buf[1] & 0x7F, 2
            if n == 126:
                n, pos = int.from_bytes(buf[2:4], "big"), 4
            if len(buf) >= pos + n:
                opcode, payload = buf[0] & 0x0F, bytes(buf[pos:pos + n])
                del buf[:pos + n]
                return opcode, payload
        chunk = sock.recv(4096)
        assert chunk, "connection closed"
        buf += chunk


def wait_until(predicate, timeout: float = DEADLINE, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"{what} not met within {timeout}s"
        time.sleep(0.02)


# -- lifecycle -------------------------------------------------------------------------------
def test_start_stop_fast_and_nothing_left(_mosquitto_installed):
    t0 = time.monotonic()
    sim = SimulatorThread().start()
    assert time.monotonic() - t0 < 5.0
    pid, ports = sim.broker_pid, [sim.sim.http.port, sim.sim.front.port, sim.sim.broker.port]
    assert pid_alive(pid)
    t1 = time.monotonic()
    sim.stop()
    assert time.monotonic() - t1 < 5.0
    assert not pid_alive(pid), "mosquitto still running"
    for port in ports:
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still listening"
    assert not [t for t in threading.enumerate() if t.name == "nwp500-simulator"]


def test_loopback_only(simulator):
    out = subprocess.run(["ss", "-Hltnp"], capture_output=True, text=True, check=True).stdout
    ports = {simulator.sim.http.port, simulator.sim.front.port, simulator.sim.broker.port}
    seen = set()
    for line in out.splitlines():
        fields = line.split()
        local = fields[3]
        port = int(local.rsplit(":", 1)[1])
        owners = set(map(int, re.findall(r"pid=(\d+)", line)))
        if port in ports or simulator.broker_pid in owners:
            assert local.rsplit(":", 1)[0] == "127.0.0.1", line
            seen.add(port)
    assert ports <= seen, (ports, out)


def test_cli_prints_exports_and_stops_cleanly(_mosquitto_installed):
    proc = subprocess.Popen([sys.executable, "-m", "nwp500.simulator"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(proc.stdout.readline() for _ in range(4)))
        t0 = time.monotonic()
        reader.start()
        reader.join(10)
        assert len(lines) == 4 and time.monotonic() - t0 < 10, (lines, proc.poll())
        env = dict(re.fullmatch(r"export (\w+)=(\S+)\n", line).groups() for line in lines)
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api/v2\.1", env["NWP500_API_BASE_URL"])
        assert re.fullmatch(r"ws://127\.0\.0\.1:\d+/mqtt", env["NWP500_MQTT_ENDPOINT"])
        assert (env["NAVIEN_EMAIL"], env["NAVIEN_PASSWORD"]) == ("demo@example.com", "demo-password")
        status, body, _ = http("GET", env["NWP500_API_BASE_URL"].replace("/api/v2.1", "/_sim/state"))
        pid = body["data"]["broker"]["pid"]
        assert status == 200 and pid_alive(pid)
        remote = subprocess.run([sys.executable, "-m", "nwp500.simulator", "--fault", "blackhole=1",
                                 "--control", env["NWP500_API_BASE_URL"]], capture_output=True, text=True,
                                timeout=30)
        assert remote.returncode == 0 and json.loads(remote.stdout)["data"]["seconds"] == 1.0, remote
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
        assert not pid_alive(pid)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


# -- REST ------------------------------------------------------------------------------------
def test_rest_sign_in_refresh_and_devices(simulator):
    base = simulator.api_base_url
    status, body, ctype = http("POST", f"{base}/user/sign-in", {"userId": simulator.email,
                                                               "password": simulator.password})
    assert (status, body["code"], body["msg"]) == (200, 200, "SUCCESS") and ctype == "application/json"
    data = body["data"]
    assert set(data) == {"userInfo", "token", "legal"} and data["legal"] == []
    assert set(data["userInfo"]) == {"userType", "userFirstName", "userLastName", "userStatus", "userSeq"}
    token = data["token"]
    assert set(token) == {"idToken", "accessToken", "refreshToken", "authenticationExpiresIn",
                          "accessKeyId", "secretKey", "sessionToken", "authorizationExpiresIn"}
    assert re.fullmatch(r"ASIA[A-Z0-9]{16}", token["accessKeyId"])
    assert re.fullmatch(r"[A-Za-z0-9/+]{40}", token["secretKey"]) and len(token["sessionToken"]) > 300
    assert token["authenticationExpiresIn"] == token["authorizationExpiresIn"] == 3600

    status, body, ctype = http("POST", f"{base}/user/sign-in", {"userId": simulator.email, "password": "nope"})
    assert (status, body) == (401, {"code": 401, "msg": "Invalid credentials", "data": None})
    assert ctype == "application/json"

    status, body, _ = http("POST", f"{base}/auth/refresh", {"refreshToken": token["refreshToken"]})
    assert status == 200 and body["code"] == 200
    fresh = body["data"]
    assert fresh["refreshToken"] == token["refreshToken"] and fresh["accessToken"] != token["accessToken"]
    assert {"idToken", "authenticationExpiresIn", "accessKeyId", "secretKey", "sessionToken"} <= set(fresh)
    status, body, _ = http("POST", f"{base}/auth/refresh", {"refreshToken": "bogus"})
    assert (status, body["code"], body["msg"]) == (401, 401, "Invalid refresh token")

    auth = {"authorization": fresh["accessToken"]}
    status, body, _ = http("POST", f"{base}/device/list", {"offset": 0, "count": 20, "userId": simulator.email}, auth)
    assert status == 200 and len(body["data"]) == 1
    info, location = body["data"][0]["deviceInfo"], body["data"][0]["location"]
    assert info["macAddress"] == simulator.device_mac == "04786332fca0" and info["deviceType"] == 52
    assert set(info) == {"homeSeq", "macAddress", "additionalValue", "deviceType", "deviceName",
                         "connected", "installType"}
    assert {"state", "city", "address", "latitude", "longitude", "altitude"} == set(location)
    assert http("POST", f"{base}/device/list", {"offset": 0, "count": 20})[0] == 401
    mac = {"macAddress": simulator.device_mac, "additionalValue": "5322", "userId": simulator.email}
    status, body, _ = http("POST", f"{base}/device/info", mac, auth)
    assert status == 200 and body["data"]["deviceInfo"]["macAddress"] == simulator.device_mac
    assert http("POST", f"{base}/device/info", dict(mac, macAddress="000000000000"), auth)[:2] == (
        404, {"code": 404, "msg": "NOT_FOUND", "data": None})
    status, body, _ = http("POST", f"{base}/device/firmware/info", mac, auth)
    assert status == 200 and {"curSwCode", "curVersion", "deviceGroup"} <= set(body["data"]["firmwares"][0])
    status, body, _ = http("GET", f"{base}/device/tou?macAddress={simulator.device_mac}&additionalValue=5322"
                                  f"&controllerId=x&userId=u&userType=O", None, auth)
    assert status == 200 and body["data"]["touInfo"]["schedule"][0]["interval"]
    status, body, _ = http("POST", f"{base}/app/update-push-token", {"pushToken": "t", "userId": "u"}, auth)
    assert (status, body) == (200, {"code": 200, "msg": "SUCCESS"})

    simulator.expire_tokens()
    assert http("POST", f"{base}/device/list", {"offset": 0, "count": 20}, auth)[1]["code"] == 401


# -- websocket front -----------------------------------------------------------------------------
def test_signed_upgrade_fragmentation_ping_and_close(simulator):
    creds = sign_in(simulator)
    sock, head, rest = raw_upgrade(simulator, signed_query(simulator, creds))
    with sock:
        assert head.startswith("HTTP/1.1 101 ") and "Sec-WebSocket-Protocol: mqtt" in head, head
        cid = b"raw-ws-client"
        connect = (b"\x10" + bytes([12 + len(cid)]) + b"\x00\x04MQTT\x04\x02\x00\x3c"
                   + len(cid).to_bytes(2, "big") + cid)
        mask = os.urandom(4)
        sock.sendall(encode_client_frame(OP_BINARY, connect[:5], mask, fin=False)
                     + encode_client_frame(OP_PING, b"hi", mask)
                     + encode_client_frame(OP_CONT, connect[5:], mask))
        buf = bytearray(rest)
        frames = [read_server_frame(sock, buf) for _ in range(2)]
        assert (OP_PONG, b"hi") in frames and (OP_BINARY, b"\x20\x02\x00\x00") in frames, frames
        sock.sendall(encode_client_frame(OP_CLOSE, (1000).to_bytes(2, "big"), mask))
        assert read_server_frame(sock, buf)[0] == OP_CLOSE


def test_upgrade_refused_with_403(simulator):
    creds = sign_in(simulator)
    sock, head, _ = raw_upgrade(simulator, signed_query(simulator, creds, secret="x" * 40))
    sock.close()
    assert head.startswith("HTTP/1.1 403 "), head
    assert simulator.state()["front"]["last_rejection"] == "bad_signature"
    sock, head, _ = raw_upgrade(simulator, signed_query(simulator, dict(creds, accessKeyId="ASIA" + "Z" * 16)))
    sock.close()
    assert head.startswith("HTTP/1.1 403 ") and simulator.state()["front"]["last_rejection"] == "unknown_key"
    sock, head, _ = raw_upgrade(simulator, "")
    sock.close()
    assert head.startswith("HTTP/1.1 403 ")


@pytest.mark.parametrize("simulator", [{"strict_sigv4": False}], indirect=True)
def test_lenient_mode_accepts_a_wrong_signature(simulator):
    creds = sign_in(simulator)
    sock, head, _ = raw_upgrade(simulator, signed_query(simulator, creds, secret="x" * 40))
    sock.close()
    assert head.startswith("HTTP/1.1 101 "), head


def test_client_connects_and_expired_credentials_get_403(simulator):
    async def main():
        auth = SimAuth(simulator, frozen=True)
        first = make_client(simulator, auth)
        assert await asyncio.wait_for(first.connect(), DEADLINE) is True
        simulator.expire_credentials()
        second = make_client(simulator, auth)
        with pytest.raises(ConnectionDropError) as info:
            await asyncio.wait_for(second.connect(), DEADLINE)
        assert info.value.cause == "credentials_expired", repr(info.value)
        assert simulator.state()["front"]["last_rejection"] == "expired"
        assert first.is_connected  # AWS IoT keeps connections whose credentials expire
        await second.disconnect()
        await first.disconnect()

    run(main(), 60)


def test_recovers_after_credentials_expire(simulator):
    """Expired credentials + a drop: the reconnect gets 403, refreshes, and comes back."""
    async def main():
        auth = SimAuth(simulator)
        client = make_client(simulator, auth)
        rec = EventRecorder(client)
        await asyncio.wait_for(client.connect(), DEADLINE)
        simulator.expire_credentials(drop=True)
        await rec.wait_count("connection_resumed", 1, 30)
        assert "refresh_token" in auth.calls or "re_authenticate" in auth.calls
        assert simulator.state()["front"]["stats"]["rejected"] >= 1
        await client.disconnect()

    run(main(), 60)


# -- the emulated device ------------------------------------------------------------------------------
def test_status_feature_and_controls(simulator):
    async def main():
        talk = await DeviceTalk(make_client(simulator), simulator.device_mac).start()
        response = await talk.ask(16777219, "st")
        assert response["macAddress"] == simulator.device_mac and response["deviceType"] == 52
        assert_complete_status(response["status"])
        assert response["status"]["command"] == 16777219
        feature = (await talk.ask(16777217, "st/did"))["feature"]
        assert set(FEATURE_KEYS) <= set(feature)
        assert (feature["dhwTemperatureMin"], feature["dhwTemperatureMax"]) == (70, 131)

        reply = await talk.ask(33554464, mode="dhw-temperature", param=[120], paramStr="")
        assert reply["status"]["command"] == 33554464 and reply["status"]["dhwTemperatureSetting"] == 120
        status = (await talk.ask(16777219, "st"))["status"]
        assert status["dhwTemperatureSetting"] == status["dhwTargetTemperatureSetting"] == 120  # 140 °F
        assert_complete_status(status)
        await talk.ask(33554464, mode="dhw-temperature", param=[200], paramStr="")  # out of range: ignored
        assert (await talk.ask(16777219, "st"))["status"]["dhwTemperatureSetting"] == 120

        off = (await talk.ask(33554433, mode="power-off", param=[], paramStr=""))["status"]
        assert (off["dhwOperationSetting"], off["operationMode"], off["operationBusy"]) == (6, 0, 1)
        on = (await talk.ask(33554434, mode="power-on", param=[], paramStr=""))["status"]
        assert on["dhwOperationSetting"] == 3
        vacation = (await talk.ask(33554437, mode="dhw-mode", param=[5, 7], paramStr=""))["status"]
        assert (vacation["dhwOperationSetting"], vacation["vacationDaySetting"]) == (5, 7)
        assert (await talk.ask(33554437, mode="dhw-mode", param=[1], paramStr=""))["status"]["dhwOperationSetting"] == 1
        leg = (await talk.ask(33554472, mode="anti-leg-on", param=[7], paramStr=""))["status"]
        assert (leg["antiLegionellaUse"], leg["antiLegionellaPeriod"]) == (2, 7)
        assert (await talk.ask(33554471, mode="anti-leg-off", param=[], paramStr=""))["status"]["antiLegionellaUse"] == 1
        assert_complete_status((await talk.ask(16777219, "st"))["status"])
        await talk.client.disconnect()

    run(main(), 60)


# -- faults, seen by a connected client --------------------------------------------------------------
def _interrupted_by(simulator, fault, expected_cause: str | None, *, resumes: bool = True) -> list:
    async def main():
        client = make_client(simulator)
        rec = EventRecorder(client)
        await asyncio.wait_for(client.connect(), DEADLINE)
        await asyncio.to_thread(fault)
        interrupted = await rec.wait_count("connection_interrupted", 1, 15)
        if resumes:
            await rec.wait_count("connection_resumed", 1, 20)
        await client.disconnect()
        return interrupted

    events = run(main(), 60)
    if expected_cause is not None:
        assert events[0].args[0].error.cause == expected_cause, repr(events[0].args[0].error)
    return events


def test_drop_is_tcp_closed(simulator):
    events = _interrupted_by(simulator, simulator.drop, "tcp_closed")
    assert events[0].args[0].error.name == "AWS_ERROR_MQTT_UNEXPECTED_HANGUP"  # a FIN


def test_reset_is_tcp_closed(simulator):
    events = _interrupted_by(simulator, simulator.reset, "tcp_closed")
    assert events[0].args[0].error.name == "AWS_IO_SOCKET_CLOSED"  # an RST


def test_idle_timeout_cuts_a_silent_connection(simulator):
    _interrupted_by(simulator, lambda: simulator.idle_timeout(1.0), "tcp_closed")
    assert simulator.state()["front"]["stats"]["idle_cut"] >= 1


def test_blackhole_is_keepalive_timeout(simulator):
    _interrupted_by(simulator, lambda: simulator.blackhole(4), "keepalive_timeout")


def test_takeover_interrupts(simulator):
    _interrupted_by(simulator, simulator.takeover, None)
    assert simulator.state()["front"]["stats"]["taken_over"] == 1


def test_cut_every_cuts_repeatedly(simulator):
    async def main():
        client = make_client(simulator)
        rec = EventRecorder(client)
        await asyncio.wait_for(client.connect(), DEADLINE)
        simulator.cut_every(1.0)
        await rec.wait_count("connection_resumed", 2, 20)
        simulator.cut_stop()
        await client.disconnect()

    run(main(), 60)
    assert simulator.state()["front"]["stats"]["cut"] >= 2


def test_refuse_connect_is_not_authorized(simulator):
    async def main():
        simulator.refuse_connect()
        client = make_client(simulator)
        with pytest.raises(ConnectionDropError) as info:
            await asyncio.wait_for(client.connect(), DEADLINE)
        assert info.value.cause == "not_authorized", repr(info.value)
        await client.disconnect()
        simulator.allow_connect()
        again = make_client(simulator)
        assert await asyncio.wait_for(again.connect(), DEADLINE) is True
        await again.disconnect()

    run(main(), 60)


def test_fault_endpoint_state_and_schedule(simulator):
    control = simulator.api_base_url.replace("/api/v2.1", "/_sim")
    status, body, _ = http("POST", f"{control}/fault", {"action": "blackhole", "seconds": 0.5})
    assert status == 200 and body["data"]["seconds"] == 0.5
    assert http("GET", f"{control}/state")[1]["data"]["front"]["blackholed"] is True
    assert http("POST", f"{control}/fault", {"action": "explode"})[0] == 400
    assert http("POST", f"{control}/fault", {"action": "cut_every"})[0] == 400
    assert http("POST", f"{control}/fault", {"action": "blackhole", "seconds": -1})[0] == 400
    assert http("POST", f"{control}/fault", {"action": "drop", "seconds": 1})[0] == 400
    assert http("POST", f"{control}/fault", {"action": "drop"})[0] == 200
    wait_until(lambda: not simulator.state()["front"]["blackholed"], what="blackhole over")
    items = parse_schedule("20:drop, 45:blackhole=10,70:expire_credentials,5:refuse_connect=2")
    assert [(i.at, i.action, i.params) for i in items] == [
        (5.0, "refuse_connect", {"count": 2}), (20.0, "drop", {}), (45.0, "blackhole", {"seconds": 10.0}),
        (70.0, "expire_credentials", {})]
    for bad in ("drop", "x:drop", "5:explode", "5:drop=3", "-1:drop", "5:cut_every"):
        with pytest.raises(FaultError):
            parse_schedule(bad)


def test_fault_schedule_runs(_mosquitto_installed):
    async def main():
        async with Simulator(fault_schedule="1:drop") as sim:
            client = make_client(sim, await asyncio.to_thread(SimAuth, sim))
            rec = EventRecorder(client)
            await asyncio.wait_for(client.connect(), DEADLINE)
            await rec.wait_count("connection_interrupted", 1, 10)
            await client.disconnect()
            assert sim.fault_log and sim.fault_log[0]["scheduled"]

    run(main(), 60)


def test_fault_proxy_moved_and_reexported():
    from support import FaultProxy
    from nwp500.simulator.faults import FaultProxy as Moved

    assert FaultProxy is Moved
