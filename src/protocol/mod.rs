//! The Navien device protocol: topics, the request envelope, command codes and the unit
//! encodings, checked before anything is sent. Pure: nothing here does I/O.

mod units;

use serde_json::{json, Map, Value};

pub use units::{fahrenheit_to_half_celsius, half_celsius_to_fahrenheit, round_half_even};

pub const PROTOCOL_VERSION: i64 = 2;

/// The addressing part of a device, as the REST API reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceAddress {
    pub device_type: i64,
    pub mac_address: String,
    pub additional_value: String,
}

/// A rejected argument: the parameter, and the allowed range when there is one.
#[derive(Debug, Clone, PartialEq)]
pub enum ProtocolError {
    Range { field: &'static str, value: f64, min: f64, max: f64, message: String },
    Parameter { parameter: &'static str, message: String },
}

fn range(field: &'static str, value: f64, min: f64, max: f64, unit: &str) -> ProtocolError {
    ProtocolError::Range { field, value, min, max, message: format!("{field} must be between {min} and {max}{unit}, got {value}") }
}

fn check(field: &'static str, value: i64, min: i64, max: i64) -> Result<i64, ProtocolError> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(range(field, value as f64, min as f64, max as f64, ""))
    }
}

/// Where a command goes and where its answer comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Status,
    DeviceInfo,
    Control,
    ReservationWrite,
    ReservationRead,
    Tou,
    EnergyUsage,
}

impl Route {
    fn suffix(self) -> &'static str {
        match self {
            Route::Status => "st",
            Route::DeviceInfo => "st/did",
            Route::Control => "ctrl",
            Route::ReservationWrite => "ctrl/rsv/rd",
            Route::ReservationRead => "st/rsv/rd",
            Route::Tou => "ctrl/tou/rd",
            Route::EnergyUsage => "st/energy-usage-daily-query/rd",
        }
    }

    /// The response topic: per device for plain requests, per client for the `rd` family.
    fn response_topic(self, device: &DeviceAddress, client_id: &str) -> String {
        let dt = device.device_type;
        match self {
            Route::ReservationWrite | Route::ReservationRead => format!("cmd/{dt}/{client_id}/res/rsv/rd"),
            Route::Tou => format!("cmd/{dt}/{client_id}/res/tou/rd"),
            Route::EnergyUsage => format!("cmd/{dt}/{client_id}/res/energy-usage-daily-query/rd"),
            _ => format!("cmd/{dt}/navilink-{}/{client_id}/res", device.mac_address),
        }
    }
}

/// One command as the nwp500 client methods issue it. Temperatures are already in half-°C.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    RequestStatus,
    RequestDeviceInfo,
    SetPower(bool),
    SetDhwMode { mode_id: i64, vacation_days: Option<i64> },
    SetDhwTemperature { half_celsius: i64 },
    EnableAntiLegionella { period_days: i64 },
    DisableAntiLegionella,
    UpdateReservations { reservations: Vec<Value>, enabled: bool },
    RequestReservations,
    ConfigureTouSchedule { controller_serial_number: String, periods: Vec<Value>, enabled: bool },
    RequestTouSettings { controller_serial_number: String },
    SetTouEnabled(bool),
    SetDemandResponse(bool),
    ResetAirFilter,
    SetRecirculationMode { mode: i64 },
    TriggerRecirculationHotButton,
    RequestEnergyUsage { year: i64, months: Vec<i64> },
    /// RESERVATION_WEEKLY: `reservationUse` (as given) and the entries' six raw fields.
    UpdateWeeklyReservation { reservation_use: i64, entries: Vec<WeeklyEntry> },
    ConfigureReservationWaterProgram,
    /// RECIR_RESERVATION: the windows' seven raw fields, as `schedule`.
    ConfigureRecirculationSchedule { entries: Vec<RecirculationEntry> },
    CheckFirmwareUpdate,
    CommitFirmwareUpdate { sw_code: i64, sw_version: i64 },
    ReconnectWifi,
    ResetWifi,
    SetFreezeProtectionTemperature { half_celsius: i64 },
    RunSmartDiagnostic,
    SetIntelligentScheduling(bool),
}

/// One weekly reservation entry in wire order: enable (2 on, 1 off), week bits, hour,
/// minute, DHW mode, temperature in half-°C.
pub type WeeklyEntry = [i64; 6];
/// One recirculation window in wire order: enable, week bits, start hour, start minute,
/// end hour, end minute, recirculation mode.
pub type RecirculationEntry = [i64; 7];

/// Keys and allowed ranges of a weekly reservation entry, in wire order.
const WEEKLY_FIELDS: [(&str, i64, i64); 6] =
    [("enable", 1, 2), ("week", 0, 255), ("hour", 0, 23), ("min", 0, 59), ("mode", 1, 6), ("param", 0, 255)];
/// Keys and allowed ranges of a recirculation window, in wire order.
const RECIRCULATION_FIELDS: [(&str, i64, i64); 7] = [
    ("enable", 1, 2),
    ("week", 0, 255),
    ("startHour", 0, 23),
    ("startMin", 0, 59),
    ("endHour", 0, 23),
    ("endMin", 0, 59),
    ("mode", 1, 4),
];

/// The entries as wire objects, each field range-checked (`list[i].key` names the bad one).
fn entry_objects<const N: usize>(
    list: &'static str,
    fields: &[(&'static str, i64, i64); N],
    entries: &[[i64; N]],
) -> Result<Vec<Value>, ProtocolError> {
    let mut out = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let mut object = Map::new();
        for (&(key, min, max), &value) in fields.iter().zip(entry.iter()) {
            if !(min..=max).contains(&value) {
                return Err(ProtocolError::Range {
                    field: key,
                    value: value as f64,
                    min: min as f64,
                    max: max as f64,
                    message: format!("{list}[{i}].{key} must be between {min} and {max}, got {value}"),
                });
            }
            object.insert(key.into(), json!(value));
        }
        out.push(Value::Object(object));
    }
    Ok(out)
}

/// A `mode`/`param` control body: `{"mode": .., "param": [..], "paramStr": ""}`.
fn control(mode: &str, param: Vec<i64>) -> Vec<(&'static str, Value)> {
    vec![("mode", json!(mode)), ("param", json!(param)), ("paramStr", json!(""))]
}

/// The device's boolean convention: 2 = on, 1 = off.
fn device_bool(on: bool) -> i64 {
    if on {
        2
    } else {
        1
    }
}

impl Command {
    fn code_route_and_body(&self) -> Result<(i64, Route, Vec<(&'static str, Value)>), ProtocolError> {
        Ok(match self {
            Command::RequestStatus => (16_777_219, Route::Status, vec![]),
            Command::RequestDeviceInfo => (16_777_217, Route::DeviceInfo, vec![]),
            Command::SetPower(on) => {
                let (code, mode) = if *on { (33_554_434, "power-on") } else { (33_554_433, "power-off") };
                (code, Route::Control, control(mode, vec![]))
            }
            Command::SetDhwMode { mode_id, vacation_days } => {
                let param = if *mode_id == 5 {
                    let days = vacation_days.ok_or(ProtocolError::Parameter {
                        parameter: "vacation_days",
                        message: "vacation_days is required for vacation mode (5)".into(),
                    })?;
                    vec![5, check("vacation_days", days, 1, 30)?]
                } else {
                    vec![*mode_id]
                };
                (33_554_437, Route::Control, control("dhw-mode", param))
            }
            Command::SetDhwTemperature { half_celsius } => (33_554_464, Route::Control, control("dhw-temperature", vec![*half_celsius])),
            Command::EnableAntiLegionella { period_days } => {
                (33_554_472, Route::Control, control("anti-leg-on", vec![check("period_days", *period_days, 1, 30)?]))
            }
            Command::DisableAntiLegionella => (33_554_471, Route::Control, control("anti-leg-off", vec![])),
            Command::UpdateReservations { reservations, enabled } => (
                16_777_226,
                Route::ReservationWrite,
                vec![("reservationUse", json!(device_bool(*enabled))), ("reservation", json!(reservations))],
            ),
            Command::RequestReservations => (16_777_222, Route::ReservationRead, vec![]),
            Command::ConfigureTouSchedule { controller_serial_number, periods, enabled } => {
                if controller_serial_number.is_empty() {
                    return Err(ProtocolError::Parameter { parameter: "controller_serial_number", message: "controller_serial_number is required".into() });
                }
                if periods.is_empty() {
                    return Err(ProtocolError::Parameter { parameter: "periods", message: "at least one TOU period is required".into() });
                }
                (
                    33_554_439,
                    Route::Tou,
                    vec![
                        ("controllerSerialNumber", json!(controller_serial_number)),
                        ("reservationUse", json!(device_bool(*enabled))),
                        ("reservation", json!(periods)),
                    ],
                )
            }
            Command::RequestTouSettings { controller_serial_number } => {
                if controller_serial_number.is_empty() {
                    return Err(ProtocolError::Parameter { parameter: "controller_serial_number", message: "controller_serial_number is required".into() });
                }
                (33_554_439, Route::Tou, vec![("controllerSerialNumber", json!(controller_serial_number))])
            }
            Command::SetTouEnabled(on) => {
                let (code, mode) = if *on { (33_554_476, "tou-on") } else { (33_554_475, "tou-off") };
                (code, Route::Control, control(mode, vec![]))
            }
            Command::SetDemandResponse(on) => {
                let (code, mode) = if *on { (33_554_470, "dr-on") } else { (33_554_469, "dr-off") };
                (code, Route::Control, control(mode, vec![]))
            }
            Command::ResetAirFilter => (33_554_473, Route::Control, control("air-filter-reset", vec![])),
            Command::SetRecirculationMode { mode } => {
                (33_554_445, Route::Control, control("recirc-mode", vec![check("mode", *mode, 1, 4)?]))
            }
            Command::TriggerRecirculationHotButton => (33_554_444, Route::Control, control("recirc-hotbtn", vec![1])),
            Command::RequestEnergyUsage { year, months } => {
                (16_777_225, Route::EnergyUsage, vec![("month", json!(months)), ("year", json!(year))])
            }
            Command::UpdateWeeklyReservation { reservation_use, entries } => {
                let use_flag = check("reservation_use", *reservation_use, 1, 2)?;
                let reservation = entry_objects("reservation", &WEEKLY_FIELDS, entries)?;
                (33_554_438, Route::Control, vec![("reservationUse", json!(use_flag)), ("reservation", Value::Array(reservation))])
            }
            Command::ConfigureReservationWaterProgram => (33_554_441, Route::Control, control("reservation-mode", vec![])),
            Command::ConfigureRecirculationSchedule { entries } => {
                let schedule = entry_objects("schedule", &RECIRCULATION_FIELDS, entries)?;
                (33_554_440, Route::Control, vec![("schedule", Value::Array(schedule))])
            }
            Command::CheckFirmwareUpdate => (33_554_443, Route::Control, control("ota-check", vec![])),
            Command::CommitFirmwareUpdate { sw_code, sw_version } => {
                let mut commit = Map::new();
                commit.insert("swCode".into(), json!(check("sw_code", *sw_code, 0, i64::from(u32::MAX))?));
                commit.insert("swVersion".into(), json!(check("sw_version", *sw_version, 0, i64::from(u32::MAX))?));
                (33_554_442, Route::Control, vec![("commitOta", Value::Object(commit))])
            }
            Command::ReconnectWifi => (33_554_446, Route::Control, control("wifi-reconnect", vec![])),
            Command::ResetWifi => (33_554_447, Route::Control, control("wifi-reset", vec![])),
            Command::SetFreezeProtectionTemperature { half_celsius } => {
                (33_554_451, Route::Control, control("frez-temp", vec![check("half_celsius", *half_celsius, 0, 255)?]))
            }
            Command::RunSmartDiagnostic => (33_554_455, Route::Control, control("smart-diagnostic", vec![])),
            Command::SetIntelligentScheduling(on) => {
                let (code, mode) = if *on { (33_554_468, "intelligent-on") } else { (33_554_467, "intelligent-off") };
                (code, Route::Control, control(mode, vec![]))
            }
        })
    }

    /// The topic to publish on and the envelope, keys in the reference's order.
    pub fn envelope(&self, device: &DeviceAddress, client_id: &str, session_id: &str) -> Result<(String, Value), ProtocolError> {
        let (code, route, body) = self.code_route_and_body()?;
        let topic = format!("cmd/{}/navilink-{}/{}", device.device_type, device.mac_address, route.suffix());
        let mut request = Map::new();
        request.insert("command".into(), json!(code));
        request.insert("deviceType".into(), json!(device.device_type));
        request.insert("macAddress".into(), json!(device.mac_address));
        request.insert("additionalValue".into(), json!(device.additional_value));
        for (key, value) in body {
            request.insert(key.into(), value);
        }
        let mut envelope = Map::new();
        envelope.insert("clientID".into(), json!(client_id));
        envelope.insert("sessionID".into(), json!(session_id));
        envelope.insert("protocolVersion".into(), json!(PROTOCOL_VERSION));
        envelope.insert("request".into(), Value::Object(request));
        envelope.insert("requestTopic".into(), json!(topic));
        envelope.insert("responseTopic".into(), json!(route.response_topic(device, client_id)));
        Ok((topic, Value::Object(envelope)))
    }
}

/// The device's own topic tree, which status, feature and control replies arrive on.
pub fn device_topic_filter(device: &DeviceAddress) -> String {
    format!("cmd/{}/navilink-{}/#", device.device_type, device.mac_address)
}

/// Where replies of the per-client `rd` family arrive.
pub fn client_response_topic(device_type: i64, client_id: &str, kind: &str) -> String {
    format!("cmd/{device_type}/{client_id}/res/{kind}/rd")
}

/// `signal_app_connection`: a bare event, not a request envelope.
pub fn app_connection(device: &DeviceAddress, client_id: &str, timestamp: &str) -> (String, Value) {
    let topic = format!("evt/{}/navilink-{}/app-connection", device.device_type, device.mac_address);
    let mut payload = Map::new();
    payload.insert("clientID".into(), json!(client_id));
    payload.insert("timestamp".into(), json!(timestamp));
    (topic, Value::Object(payload))
}

#[cfg(test)]
mod tests;
