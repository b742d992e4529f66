use super::*;
use serde_json::{json, Value};

fn device() -> DeviceAddress {
    DeviceAddress { device_type: 52, mac_address: "04786332fca0".into(), additional_value: "5322".into() }
}

const CID: &str = "navien-client-1a2b3c4d";
const SID: &str = "0123456789abcdef0123456789abcdef";

fn wire(cmd: Command) -> (String, String) {
    let (topic, value) = cmd.envelope(&device(), CID, SID).unwrap();
    (topic, value.to_string())
}

#[test]
fn status_request_matches_the_reference_bytes() {
    let (topic, text) = wire(Command::RequestStatus);
    assert_eq!(topic, "cmd/52/navilink-04786332fca0/st");
    assert_eq!(
        text,
        r#"{"clientID":"navien-client-1a2b3c4d","sessionID":"0123456789abcdef0123456789abcdef","protocolVersion":2,"request":{"command":16777219,"deviceType":52,"macAddress":"04786332fca0","additionalValue":"5322"},"requestTopic":"cmd/52/navilink-04786332fca0/st","responseTopic":"cmd/52/navilink-04786332fca0/navien-client-1a2b3c4d/res"}"#
    );
}

#[test]
fn dhw_temperature_140f_is_param_120() {
    let (topic, text) = wire(Command::SetDhwTemperature { half_celsius: fahrenheit_to_half_celsius(140.0) });
    assert_eq!(topic, "cmd/52/navilink-04786332fca0/ctrl");
    assert!(text.contains(r#""request":{"command":33554464,"deviceType":52,"macAddress":"04786332fca0","additionalValue":"5322","mode":"dhw-temperature","param":[120],"paramStr":""}"#));
}

#[test]
fn half_even_table() {
    let table = [(95.0, 70), (100.0, 76), (110.0, 87), (115.0, 92), (120.0, 98), (125.0, 103), (130.0, 109), (135.0, 114), (140.0, 120), (145.0, 126), (150.0, 131), (120.5, 98), (141.0, 121)];
    for (f, raw) in table {
        assert_eq!(fahrenheit_to_half_celsius(f), raw, "{f} °F");
    }
    assert!((half_celsius_to_fahrenheit(120.0) - 140.0).abs() < 1e-9);
    assert_eq!(round_half_even(2.5), 2);
    assert_eq!(round_half_even(3.5), 4);
    assert_eq!(round_half_even(-0.5), 0);
}

#[test]
fn vacation_needs_days_in_range() {
    assert!(matches!(Command::SetDhwMode { mode_id: 5, vacation_days: None }.envelope(&device(), CID, SID), Err(ProtocolError::Parameter { parameter: "vacation_days", .. })));
    assert!(matches!(Command::SetDhwMode { mode_id: 5, vacation_days: Some(31) }.envelope(&device(), CID, SID), Err(ProtocolError::Range { field: "vacation_days", .. })));
    let (_, text) = wire(Command::SetDhwMode { mode_id: 5, vacation_days: Some(7) });
    assert!(text.contains(r#""mode":"dhw-mode","param":[5,7]"#));
}

#[test]
fn rd_family_answers_per_client() {
    let (topic, text) = wire(Command::RequestReservations);
    assert_eq!(topic, "cmd/52/navilink-04786332fca0/st/rsv/rd");
    assert!(text.ends_with(r#""responseTopic":"cmd/52/navien-client-1a2b3c4d/res/rsv/rd"}"#));
    let (topic, _) = wire(Command::RequestTouSettings { controller_serial_number: "SN".into() });
    assert_eq!(topic, "cmd/52/navilink-04786332fca0/ctrl/tou/rd");
    let (_, text) = wire(Command::RequestEnergyUsage { year: 2026, months: vec![1, 2] });
    assert!(text.contains(r#""month":[1,2],"year":2026"#));
}

#[test]
fn reservation_use_is_the_device_polarity() {
    let (_, on) = wire(Command::UpdateReservations { reservations: vec![], enabled: true });
    let (_, off) = wire(Command::UpdateReservations { reservations: vec![], enabled: false });
    assert!(on.contains(r#""reservationUse":2"#) && off.contains(r#""reservationUse":1"#));
}

#[test]
fn range_checks() {
    assert!(Command::EnableAntiLegionella { period_days: 0 }.envelope(&device(), CID, SID).is_err());
    assert!(Command::SetRecirculationMode { mode: 5 }.envelope(&device(), CID, SID).is_err());
    assert!(Command::ConfigureTouSchedule { controller_serial_number: "SN".into(), periods: vec![], enabled: true }.envelope(&device(), CID, SID).is_err());
}

/// The `request` object of a command's envelope, and the envelope's topics.
fn request_of(cmd: Command) -> (String, Value, String) {
    let (topic, value) = cmd.envelope(&device(), CID, SID).unwrap();
    let request = value["request"].clone();
    assert_eq!(value["requestTopic"], json!(topic));
    (topic, request, value["responseTopic"].as_str().unwrap().to_string())
}

const CTRL: &str = "cmd/52/navilink-04786332fca0/ctrl";
const CTRL_RES: &str = "cmd/52/navilink-04786332fca0/navien-client-1a2b3c4d/res";

/// The keys of a request after the four addressing ones, in order.
fn body_keys(request: &Value) -> Vec<String> {
    request.as_object().unwrap().keys().skip(4).cloned().collect()
}

#[test]
fn mode_commands_of_930() {
    let cases = [
        (Command::ConfigureReservationWaterProgram, 33_554_441, "reservation-mode"),
        (Command::CheckFirmwareUpdate, 33_554_443, "ota-check"),
        (Command::ReconnectWifi, 33_554_446, "wifi-reconnect"),
        (Command::ResetWifi, 33_554_447, "wifi-reset"),
        (Command::RunSmartDiagnostic, 33_554_455, "smart-diagnostic"),
        (Command::SetIntelligentScheduling(true), 33_554_468, "intelligent-on"),
        (Command::SetIntelligentScheduling(false), 33_554_467, "intelligent-off"),
    ];
    for (cmd, code, mode) in cases {
        let (topic, request, response) = request_of(cmd);
        assert_eq!(topic, CTRL, "{mode}");
        assert_eq!(response, CTRL_RES, "{mode}");
        assert_eq!(request["command"], json!(code), "{mode}");
        assert_eq!(body_keys(&request), ["mode", "param", "paramStr"], "{mode}");
        assert_eq!(request["mode"], json!(mode));
        assert_eq!(request["param"], json!([]), "{mode}");
        assert_eq!(request["paramStr"], json!(""), "{mode}");
    }
}

#[test]
fn freeze_protection_temperature_is_half_celsius() {
    // 43 °F = 6.1 °C -> 12 half-degrees
    let (topic, text) = wire(Command::SetFreezeProtectionTemperature { half_celsius: fahrenheit_to_half_celsius(43.0) });
    assert_eq!(topic, CTRL);
    assert!(text.contains(r#""request":{"command":33554451,"deviceType":52,"macAddress":"04786332fca0","additionalValue":"5322","mode":"frez-temp","param":[12],"paramStr":""}"#), "{text}");
    assert!(matches!(
        Command::SetFreezeProtectionTemperature { half_celsius: 256 }.envelope(&device(), CID, SID),
        Err(ProtocolError::Range { field: "half_celsius", .. })
    ));
}

#[test]
fn weekly_reservation_sends_flat_raw_entries() {
    let (topic, request, response) = request_of(Command::UpdateWeeklyReservation {
        reservation_use: 2,
        entries: vec![[2, 124, 6, 30, 3, 120], [1, 130, 22, 15, 1, 98]],
    });
    assert_eq!(topic, CTRL);
    assert_eq!(response, CTRL_RES);
    assert_eq!(request["command"], json!(33_554_438));
    assert_eq!(body_keys(&request), ["reservationUse", "reservation"]);
    assert_eq!(request["reservationUse"], json!(2));
    assert_eq!(
        request["reservation"],
        json!([
            {"enable": 2, "week": 124, "hour": 6, "min": 30, "mode": 3, "param": 120},
            {"enable": 1, "week": 130, "hour": 22, "min": 15, "mode": 1, "param": 98}
        ])
    );
    let keys: Vec<&String> = request["reservation"][0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["enable", "week", "hour", "min", "mode", "param"]);
    let (_, off, _) = request_of(Command::UpdateWeeklyReservation { reservation_use: 1, entries: vec![] });
    assert_eq!(off["reservationUse"], json!(1));
    assert_eq!(off["reservation"], json!([]));
}

#[test]
fn weekly_reservation_range_checks() {
    let bad = |reservation_use: i64, entry: WeeklyEntry| {
        Command::UpdateWeeklyReservation { reservation_use, entries: vec![[2, 64, 6, 0, 1, 100], entry] }.envelope(&device(), CID, SID)
    };
    assert!(bad(2, [2, 64, 6, 0, 1, 100]).is_ok());
    assert!(matches!(bad(0, [2, 64, 6, 0, 1, 100]), Err(ProtocolError::Range { field: "reservation_use", .. })));
    assert!(matches!(bad(2, [2, 64, 24, 0, 1, 100]), Err(ProtocolError::Range { field: "hour", .. })));
    assert!(matches!(bad(2, [2, 64, 6, 60, 1, 100]), Err(ProtocolError::Range { field: "min", .. })));
    assert!(matches!(bad(2, [2, 64, 6, 0, 7, 100]), Err(ProtocolError::Range { field: "mode", .. })));
    assert!(matches!(bad(2, [3, 64, 6, 0, 1, 100]), Err(ProtocolError::Range { field: "enable", .. })));
    match bad(2, [2, 256, 6, 0, 1, 100]) {
        Err(ProtocolError::Range { field: "week", message, .. }) => assert!(message.starts_with("reservation[1].week"), "{message}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn recirculation_schedule_sends_its_windows() {
    let (topic, request, response) = request_of(Command::ConfigureRecirculationSchedule {
        entries: vec![[2, 62, 6, 0, 8, 30, 3], [1, 128, 17, 15, 21, 45, 1]],
    });
    assert_eq!(topic, CTRL);
    assert_eq!(response, CTRL_RES);
    assert_eq!(request["command"], json!(33_554_440));
    assert_eq!(body_keys(&request), ["schedule"]);
    assert_eq!(
        request["schedule"],
        json!([
            {"enable": 2, "week": 62, "startHour": 6, "startMin": 0, "endHour": 8, "endMin": 30, "mode": 3},
            {"enable": 1, "week": 128, "startHour": 17, "startMin": 15, "endHour": 21, "endMin": 45, "mode": 1}
        ])
    );
    let keys: Vec<&String> = request["schedule"][0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["enable", "week", "startHour", "startMin", "endHour", "endMin", "mode"]);
    let bad = Command::ConfigureRecirculationSchedule { entries: vec![[2, 62, 6, 0, 24, 0, 3]] };
    assert!(matches!(bad.envelope(&device(), CID, SID), Err(ProtocolError::Range { field: "endHour", .. })));
    let bad = Command::ConfigureRecirculationSchedule { entries: vec![[2, 62, 6, 0, 8, 0, 5]] };
    assert!(matches!(bad.envelope(&device(), CID, SID), Err(ProtocolError::Range { field: "mode", .. })));
}

#[test]
fn firmware_commit_carries_commit_ota_only() {
    let (topic, text) = wire(Command::CommitFirmwareUpdate { sw_code: 1, sw_version: 184_614_913 });
    assert_eq!(topic, CTRL);
    assert!(text.contains(r#""request":{"command":33554442,"deviceType":52,"macAddress":"04786332fca0","additionalValue":"5322","commitOta":{"swCode":1,"swVersion":184614913}},"#), "{text}");
    assert!(text.ends_with(r#""responseTopic":"cmd/52/navilink-04786332fca0/navien-client-1a2b3c4d/res"}"#));
    assert!(Command::CommitFirmwareUpdate { sw_code: -1, sw_version: 1 }.envelope(&device(), CID, SID).is_err());
}
