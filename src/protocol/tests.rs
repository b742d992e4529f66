use super::*;

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
