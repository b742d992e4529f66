"""The cloud records (``nwp500.models``): camelCase API data and snake_case stored data both
read, round trips, the five-minute expiry margin, and reprs that hide secrets and MACs.
Pure Python: no network, no extension module needed beyond what ``import nwp500`` loads."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from nwp500.models import (
    AuthenticationResponse,
    AuthTokens,
    Device,
    DeviceInfo,
    FirmwareInfo,
    Location,
    TOUInfo,
    TOUSchedule,
    UserInfo,
)

MAC = "04786332fca0"
SECRETS = {
    "idToken": "eyJID-TOKEN-SECRET",
    "accessToken": "eyJACCESS-TOKEN-SECRET",
    "refreshToken": "eyJREFRESH-TOKEN-SECRET",
    "accessKeyId": "ASIAKEYIDSECRET00001",
    "secretKey": "AWS-SECRET-KEY-abcdefghijklmnopqrstuvwxyz",
    "sessionToken": "IQoJSESSION-TOKEN-SECRET",
}
API_TOKEN = dict(SECRETS, authenticationExpiresIn=3600, authorizationExpiresIn=3600)
USER_INFO = {"userType": "O", "userFirstName": "John", "userLastName": "Doe",
             "userStatus": "NORMAL", "userSeq": 36283}
SIGN_IN_BODY = {"code": 200, "msg": "SUCCESS",
                "data": {"userInfo": USER_INFO, "token": API_TOKEN, "legal": []}}
DEVICE = {
    "deviceInfo": {"homeSeq": 25004, "macAddress": MAC, "additionalValue": "5322",
                   "deviceType": 52, "deviceName": "NWP500", "connected": 2, "installType": "R"},
    "location": {"state": "California", "city": "Anytown", "address": "123 Main Street",
                 "latitude": 34.052235, "longitude": -118.243683, "altitude": None},
}
FIRMWARE = {"macAddress": MAC, "additionalValue": "5322", "deviceType": 52, "curSwCode": 1,
            "curVersion": 184614912, "downloadedVersion": None, "deviceGroup": "NWP500"}
INTERVAL = {"week": 62, "startHour": 9, "startMinute": 0, "endHour": 17, "endMinute": 0,
            "priceMin": 10, "priceMax": 25, "decimalPoint": 2}
TOU = {"registerPath": "wifi", "sourceType": "openei",
       "touInfo": {"controllerId": "56496061BT22230408", "manufactureId": "56496061BT22230408",
                   "name": "E-TOU-C", "utility": "PG&E", "zipCode": 94103,
                   "schedule": [{"season": 448, "interval": [INTERVAL]}]}}


def tokens(lifetime: int = 3600, aws: int | None = 3600, age: float = 0.0, **kw) -> AuthTokens:
    return AuthTokens(access_token="acc", refresh_token="ref", authentication_expires_in=lifetime,
                      access_key_id="ASIAX" if aws else None, secret_key="sec" if aws else None,
                      authorization_expires_in=aws,
                      issued_at=datetime.now(UTC) - timedelta(seconds=age), **kw)


def assert_no_secret(text: str) -> None:
    for value in SECRETS.values():
        assert value not in text
    assert MAC not in text.lower()


# -- UserInfo ------------------------------------------------------------------------------------

def test_user_info_camel_snake_defaults_and_full_name():
    u = UserInfo.from_dict(dict(USER_INFO, unknownKey=1))
    assert (u.user_type, u.user_first_name, u.user_last_name, u.user_status, u.user_seq) == \
        ("O", "John", "Doe", "NORMAL", 36283)
    assert u.full_name == "John Doe"
    assert UserInfo.model_validate(u.model_dump()) == u
    assert u.model_dump() == {"user_type": "O", "user_first_name": "John", "user_last_name": "Doe",
                              "user_status": "NORMAL", "user_seq": 36283}
    assert u.model_dump(by_alias=True) == USER_INFO
    empty = UserInfo()
    assert (empty.user_type, empty.user_seq, empty.full_name) == ("", 0, "")
    assert UserInfo(user_first_name="Ann").full_name == "Ann"
    assert UserInfo.from_dict({"userSeq": "42"}).user_seq == 42


# -- AuthTokens ----------------------------------------------------------------------------------

def test_tokens_from_api_and_defaults():
    before = datetime.now(UTC)
    t = AuthTokens.from_dict(dict(API_TOKEN, extra="ignored"))
    assert t.id_token == SECRETS["idToken"] and t.access_token == SECRETS["accessToken"]
    assert t.refresh_token == SECRETS["refreshToken"] and t.access_key_id == SECRETS["accessKeyId"]
    assert t.secret_key == SECRETS["secretKey"] and t.session_token == SECRETS["sessionToken"]
    assert (t.authentication_expires_in, t.authorization_expires_in) == (3600, 3600)
    assert t.issued_at.tzinfo is not None and t.issued_at.utcoffset() == timedelta(0)
    assert before <= t.issued_at <= datetime.now(UTC)
    assert t.expires_at == t.issued_at + timedelta(seconds=3600)
    assert t.aws_expires_at == t.issued_at + timedelta(seconds=3600)
    assert t.bearer_token == "Bearer " + SECRETS["accessToken"]

    d = AuthTokens()
    assert (d.id_token, d.access_token, d.refresh_token) == ("", "", "")
    assert d.authentication_expires_in == 3600
    assert (d.access_key_id, d.secret_key, d.session_token, d.authorization_expires_in) == (None,) * 4
    assert d.aws_expires_at is None and d.are_aws_credentials_expired is False
    assert d.issued_at.utcoffset() == timedelta(0)


def test_tokens_to_dict_is_snake_case_with_z_and_round_trips():
    t = AuthTokens.from_dict(API_TOKEN)
    d = t.to_dict()
    assert list(d) == ["id_token", "access_token", "refresh_token", "authentication_expires_in",
                       "access_key_id", "secret_key", "session_token", "authorization_expires_in",
                       "issued_at"]
    assert d["issued_at"].endswith("Z") and "+00:00" not in d["issued_at"]
    assert datetime.fromisoformat(d["issued_at"].replace("Z", "+00:00")) == t.issued_at
    json.dumps(d)  # storable as is
    back = AuthTokens.from_dict(json.loads(json.dumps(d)))
    assert back == t
    assert (back.expires_at, back.aws_expires_at) == (t.expires_at, t.aws_expires_at)
    assert AuthTokens.model_validate(t.model_dump()) == t
    assert t.model_dump(mode="python")["issued_at"] == t.issued_at
    assert t.model_dump(by_alias=True)["accessToken"] == SECRETS["accessToken"]


def test_tokens_read_stored_issued_at_naive_as_utc_and_convert_offsets():
    naive = AuthTokens.from_dict({"access_token": "a", "issued_at": "2025-11-19T08:51:00"})
    assert naive.issued_at == datetime(2025, 11, 19, 8, 51, tzinfo=UTC)
    z = AuthTokens.from_dict({"issued_at": "2025-11-19T08:51:00.250000Z"})
    assert z.issued_at == datetime(2025, 11, 19, 8, 51, 0, 250000, tzinfo=UTC)
    offset = AuthTokens.from_dict({"issuedAt": "2025-11-19T10:51:00+02:00"})
    assert offset.issued_at == datetime(2025, 11, 19, 8, 51, tzinfo=UTC)
    assert offset.issued_at.utcoffset() == timedelta(0)
    obj = AuthTokens(issued_at=datetime(2025, 1, 1, 12, tzinfo=timezone(timedelta(hours=-5))))
    assert obj.issued_at == datetime(2025, 1, 1, 17, tzinfo=UTC)
    assert obj.to_dict()["issued_at"] == "2025-01-01T17:00:00Z"
    with pytest.raises(ValueError):
        AuthTokens.from_dict({"issued_at": "yesterday"})


def test_tokens_empty_camel_key_yields_to_snake_key():
    t = AuthTokens.from_dict({"accessToken": "", "access_token": "snake-acc",
                              "accessKeyId": None, "access_key_id": "snake-akid",
                              "refreshToken": "camel-ref", "refresh_token": "snake-ref",
                              "authorizationExpiresIn": 0, "authorization_expires_in": 900})
    assert t.access_token == "snake-acc"
    assert t.access_key_id == "snake-akid"
    assert t.refresh_token == "camel-ref"  # non-empty camelCase wins
    assert t.authorization_expires_in == 900
    # An empty camelCase value with no snake_case fallback stays empty.
    assert AuthTokens.from_dict({"accessToken": ""}).access_token == ""
    assert AuthTokens.from_dict({"sessionToken": None}).session_token is None
    # Numbers given as strings are read as numbers.
    assert AuthTokens.from_dict({"authenticationExpiresIn": "1800"}).authentication_expires_in == 1800


@pytest.mark.parametrize("lifetime, age, expired", [
    (300, 0, True),      # <= 300 s: expired from the moment it is issued
    (200, 0, True),
    (301, 0, False),     # one second of validity
    (311, 10, False),    # 1 s left before the margin
    (309, 10, True),     # 1 s into the margin
    (3600, 3299, False),
    (3600, 3301, True),
    (3600, 4000, True),
])
def test_access_token_expiry_has_a_five_minute_margin(lifetime, age, expired):
    t = tokens(lifetime=lifetime, age=age)
    assert t.is_expired is expired
    assert t.expires_at == t.issued_at + timedelta(seconds=lifetime)
    remaining = t.time_until_expiry.total_seconds()
    assert lifetime - age - 2 < remaining <= lifetime - age


@pytest.mark.parametrize("aws, age, expired", [
    (None, 10**6, False),  # unknown AWS lifetime: never counted as expired
    (0, 10**6, False),     # 0 reads as unknown (as in the reference)
    (300, 0, True),
    (301, 0, False),
    (3600, 3301, True),
    (3600, 100, False),
])
def test_aws_credential_expiry(aws, age, expired):
    t = tokens(lifetime=3600, aws=aws, age=age)
    assert t.are_aws_credentials_expired is expired
    if aws:
        assert t.aws_expires_at == t.issued_at + timedelta(seconds=aws)
    else:
        assert t.aws_expires_at is None


def test_aws_clock_can_be_kept_across_a_refresh():
    old = tokens(aws=3600, age=3400)
    assert old.are_aws_credentials_expired
    # A refresh that returned no AWS credentials: new JWT clock, old AWS clock.
    refreshed = AuthTokens(access_token="new", refresh_token="ref", authentication_expires_in=3600,
                           access_key_id=old.access_key_id, secret_key=old.secret_key,
                           authorization_expires_in=old.authorization_expires_in,
                           aws_expires_at=old.aws_expires_at)
    assert not refreshed.is_expired
    assert refreshed.aws_expires_at == old.aws_expires_at
    assert refreshed.are_aws_credentials_expired
    copy = refreshed.model_copy(update={"access_token": "newer"})
    assert copy.access_token == "newer" and copy.aws_expires_at == old.aws_expires_at
    assert "aws_expires_at" not in refreshed.to_dict()
    # Without the override the AWS clock runs from issued_at.
    assert not AuthTokens(authorization_expires_in=3600).are_aws_credentials_expired


def test_tokens_reject_unreadable_values_without_echoing_them():
    with pytest.raises(ValueError) as info:
        AuthTokens.from_dict({"authenticationExpiresIn": "SECRET-NOT-A-NUMBER"})
    assert "SECRET-NOT-A-NUMBER" not in str(info.value)
    with pytest.raises(ValueError):
        AuthTokens.from_dict({"accessToken": {"nested": "x"}})
    with pytest.raises(ValueError):
        AuthTokens.from_dict(["not", "a", "mapping"])


def test_token_reprs_hide_every_secret():
    t = AuthTokens.from_dict(API_TOKEN)
    for text in (repr(t), str(t), f"{t}", repr([t])):
        assert_no_secret(text)
        assert "AuthTokens(" in text
    assert "authentication_expires_in=3600" in repr(t)
    # Empty values are shown as such (nothing to hide).
    assert "access_key_id=None" in repr(AuthTokens())


# -- AuthenticationResponse ---------------------------------------------------------------------

def test_authentication_response_from_sign_in_body():
    r = AuthenticationResponse.from_dict(SIGN_IN_BODY)
    assert (r.code, r.message, r.legal) == (200, "SUCCESS", [])
    assert r.user_info.full_name == "John Doe" and r.user_info.user_seq == 36283
    assert r.tokens.access_token == SECRETS["accessToken"]
    assert r.tokens.secret_key == SECRETS["secretKey"]
    assert_no_secret(repr(r))
    dumped = r.model_dump()
    assert set(dumped) == {"user_info", "tokens", "legal", "code", "message"}
    assert dumped["tokens"]["issued_at"].endswith("Z")
    assert AuthenticationResponse.model_validate(dumped) == r
    assert r.model_dump(by_alias=True)["msg"] == "SUCCESS"


def test_authentication_response_missing_parts_read_as_empty():
    r = AuthenticationResponse.from_dict({"code": 200, "msg": "SUCCESS", "data": {"userInfo": USER_INFO}})
    assert r.tokens.access_token == "" and r.tokens.access_key_id is None
    assert r.tokens.aws_expires_at is None
    r = AuthenticationResponse.from_dict({"data": None})
    assert (r.code, r.message, r.user_info, r.legal) == (200, "SUCCESS", UserInfo(), [])
    r = AuthenticationResponse.from_dict({"code": 200, "msg": "OK",
                                          "data": {"legal": [{"type": "tos", "agreed": True}]}})
    assert r.legal == [{"type": "tos", "agreed": True}] and r.message == "OK"
    with pytest.raises(ValueError):
        AuthenticationResponse.from_dict({"data": "nope"})
    with pytest.raises(ValueError):
        AuthenticationResponse.model_validate({"code": 200})  # flat form needs user_info + tokens


# -- devices -------------------------------------------------------------------------------------

def test_device_from_api_and_round_trip():
    d = Device.from_dict(dict(DEVICE, installer={"name": "x"}, alarmInfo=None, descaling={}))
    i, loc = d.device_info, d.location
    assert (i.home_seq, i.mac_address, i.additional_value, i.device_type, i.device_name,
            i.connected, i.install_type) == (25004, MAC, "5322", 52, "NWP500", 2, "R")
    assert (loc.state, loc.city, loc.address) == ("California", "Anytown", "123 Main Street")
    assert (loc.latitude, loc.longitude, loc.altitude) == (34.052235, -118.243683, None)
    dumped = d.model_dump()
    assert dumped["device_info"]["mac_address"] == MAC
    assert set(dumped) == {"device_info", "location"}
    assert Device.from_dict(dumped) == d
    assert Device.model_validate(json.loads(json.dumps(dumped))) == d
    assert d.model_dump(by_alias=True) == DEVICE


def test_device_info_and_location_defaults():
    i = DeviceInfo()
    assert (i.home_seq, i.mac_address, i.additional_value, i.device_type, i.device_name,
            i.connected, i.install_type) == (0, "", "", 52, "Unknown", 0, None)
    assert Location() == Location(None, None, None, None, None, None)
    d = Device.from_dict({"deviceInfo": {}, "location": {}})
    assert d.device_info == DeviceInfo() and d.location == Location()
    assert DeviceInfo.from_dict({"deviceType": "52", "deviceName": None}).device_type == 52
    assert DeviceInfo.from_dict({"deviceName": None}).device_name == "Unknown"
    assert Location.from_dict({"latitude": "1.5"}).latitude == 1.5


@pytest.mark.parametrize("body", [
    {"deviceInfo": DEVICE["deviceInfo"]},
    {"location": DEVICE["location"]},
    {"deviceInfo": DEVICE["deviceInfo"], "location": None},
    {"deviceInfo": None, "location": DEVICE["location"]},
    {"deviceInfo": "x", "location": DEVICE["location"]},
    {},
])
def test_device_needs_device_info_and_location(body):
    with pytest.raises(ValueError):
        Device.from_dict(body)


def test_device_reprs_hide_the_mac():
    d = Device.from_dict(DEVICE)
    assert_no_secret(repr(d))
    assert_no_secret(str(d.device_info))
    assert "NWP500" in repr(d)
    fw = FirmwareInfo.from_dict(FIRMWARE)
    assert_no_secret(repr(fw))


def test_firmware_info():
    fw = FirmwareInfo.from_dict(FIRMWARE)
    assert (fw.mac_address, fw.additional_value, fw.device_type, fw.cur_sw_code, fw.cur_version,
            fw.downloaded_version, fw.device_group) == (MAC, "5322", 52, 1, 184614912, None, "NWP500")
    assert FirmwareInfo.from_dict(fw.model_dump()) == fw
    assert fw.model_dump(by_alias=True) == FIRMWARE
    d = FirmwareInfo()
    assert (d.mac_address, d.device_type, d.cur_sw_code, d.cur_version, d.downloaded_version,
            d.device_group) == ("", 52, 0, 0, None, None)


# -- time of use ---------------------------------------------------------------------------------

def test_tou_schedule_interval_alias():
    s = TOUSchedule.from_dict({"season": 448, "interval": [INTERVAL]})
    assert s.season == 448 and s.intervals == [INTERVAL]
    assert TOUSchedule.from_dict({"season": 448, "intervals": [INTERVAL]}) == s
    assert s.model_dump() == {"season": 448, "intervals": [INTERVAL]}
    assert s.model_dump(by_alias=True) == {"season": 448, "interval": [INTERVAL]}
    assert TOUSchedule() == TOUSchedule(0, [])
    assert TOUSchedule().intervals is not TOUSchedule().intervals  # no shared default
    with pytest.raises(ValueError):
        TOUSchedule.from_dict({"interval": ["not an object"]})


def test_tou_info_flattens_tou_info():
    t = TOUInfo.from_dict(TOU)
    assert (t.register_path, t.source_type, t.controller_id, t.manufacture_id, t.name, t.utility,
            t.zip_code) == ("wifi", "openei", "56496061BT22230408", "56496061BT22230408", "E-TOU-C",
                            "PG&E", 94103)
    assert t.schedule == [TOUSchedule(season=448, intervals=[INTERVAL])]
    dumped = t.model_dump()
    assert "tou_info" not in dumped and dumped["schedule"][0]["intervals"] == [INTERVAL]
    assert TOUInfo.from_dict(dumped) == t
    assert TOUInfo.model_validate(json.loads(json.dumps(dumped))) == t
    empty = TOUInfo()
    assert (empty.register_path, empty.controller_id, empty.zip_code, empty.schedule) == (None, None, None, [])
    assert TOUInfo.from_dict({"registerPath": "wifi"}).register_path == "wifi"


def test_from_dict_and_model_validate_accept_instances_and_reject_non_mappings():
    d = Device.from_dict(DEVICE)
    assert Device.model_validate(d) is d
    for cls in (UserInfo, AuthTokens, DeviceInfo, Location, Device, FirmwareInfo, TOUSchedule, TOUInfo):
        with pytest.raises(ValueError):
            cls.model_validate(None)
        with pytest.raises(ValueError):
            cls.from_dict("text")
