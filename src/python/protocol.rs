//! `build_command`: the Python door to the device protocol. The client's device methods call
//! it and publish what it returns, so the wire format lives in one place (`crate::protocol`).

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use serde_json::Value;

use super::callables;
use super::errors::nwp_error;
use crate::protocol::{app_connection, Command, DeviceAddress, ProtocolError};

fn protocol_error(py: Python<'_>, e: ProtocolError) -> PyErr {
    let kwargs = PyDict::new(py);
    let (class, message) = match e {
        ProtocolError::Range { field, value, min, max, message } => {
            let _ = kwargs.set_item("field", field);
            let _ = kwargs.set_item("value", value);
            let _ = kwargs.set_item("min_value", min);
            let _ = kwargs.set_item("max_value", max);
            ("RangeValidationError", message)
        }
        ProtocolError::Parameter { parameter, message } => {
            let _ = kwargs.set_item("parameter", parameter);
            ("ParameterValidationError", message)
        }
    };
    nwp_error(py, class, &message, Some(&kwargs))
}

fn arg<'py, T>(params: &Bound<'py, PyDict>, name: &str) -> PyResult<T>
where
    T: for<'a> FromPyObject<'a, 'py>,
    for<'a> <T as FromPyObject<'a, 'py>>::Error: Into<PyErr>,
{
    match params.get_item(name)? {
        Some(v) => v.extract::<T>().map_err(|e| {
            let err: PyErr = e.into();
            pyo3::exceptions::PyTypeError::new_err(format!("{name}: {err}"))
        }),
        None => Err(pyo3::exceptions::PyTypeError::new_err(format!("missing argument {name:?}"))),
    }
}

fn json_list(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<Vec<Value>> {
    let text: String = callables::json_dumps(py)?.call1((PyList::new(py, value.try_iter()?.collect::<PyResult<Vec<_>>>()?)?,))?.extract()?;
    serde_json::from_str(&text).map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))
}

/// `build_command(name, device_type, mac_address, additional_value, client_id, session_id,
/// **params) -> (topic, payload_json)`; raises the nwp500 validation errors.
#[pyfunction]
#[pyo3(signature = (name, device_type, mac_address, additional_value, client_id, session_id, **params))]
pub fn build_command(
    py: Python<'_>,
    name: &str,
    device_type: i64,
    mac_address: String,
    additional_value: String,
    client_id: &str,
    session_id: &str,
    params: Option<Bound<'_, PyDict>>,
) -> PyResult<(String, String)> {
    let params = params.unwrap_or_else(|| PyDict::new(py));
    let device = DeviceAddress { device_type, mac_address, additional_value };
    let command = match name {
        "request_device_status" => Command::RequestStatus,
        "request_device_info" => Command::RequestDeviceInfo,
        "set_power" => Command::SetPower(arg(&params, "power_on")?),
        "set_dhw_mode" => Command::SetDhwMode { mode_id: arg(&params, "mode_id")?, vacation_days: arg(&params, "vacation_days")? },
        "set_dhw_temperature" => Command::SetDhwTemperature { half_celsius: arg(&params, "half_celsius")? },
        "enable_anti_legionella" => Command::EnableAntiLegionella { period_days: arg(&params, "period_days")? },
        "disable_anti_legionella" => Command::DisableAntiLegionella,
        "update_reservations" => Command::UpdateReservations {
            reservations: json_list(py, &arg::<Bound<'_, PyAny>>(&params, "reservations")?)?,
            enabled: arg(&params, "enabled")?,
        },
        "request_reservations" => Command::RequestReservations,
        "configure_tou_schedule" => Command::ConfigureTouSchedule {
            controller_serial_number: arg(&params, "controller_serial_number")?,
            periods: json_list(py, &arg::<Bound<'_, PyAny>>(&params, "periods")?)?,
            enabled: arg(&params, "enabled")?,
        },
        "request_tou_settings" => Command::RequestTouSettings { controller_serial_number: arg(&params, "controller_serial_number")? },
        "set_tou_enabled" => Command::SetTouEnabled(arg(&params, "enabled")?),
        "set_demand_response" => Command::SetDemandResponse(arg(&params, "enabled")?),
        "reset_air_filter" => Command::ResetAirFilter,
        "set_recirculation_mode" => Command::SetRecirculationMode { mode: arg(&params, "mode")? },
        "trigger_recirculation_hot_button" => Command::TriggerRecirculationHotButton,
        "request_energy_usage" => Command::RequestEnergyUsage { year: arg(&params, "year")?, months: arg(&params, "months")? },
        "update_weekly_reservation" => Command::UpdateWeeklyReservation {
            reservation_use: arg(&params, "reservation_use")?,
            entries: arg(&params, "entries")?,
        },
        "configure_reservation_water_program" => Command::ConfigureReservationWaterProgram,
        "configure_recirculation_schedule" => Command::ConfigureRecirculationSchedule { entries: arg(&params, "entries")? },
        "check_firmware_update" => Command::CheckFirmwareUpdate,
        "commit_firmware_update" => {
            Command::CommitFirmwareUpdate { sw_code: arg(&params, "sw_code")?, sw_version: arg(&params, "sw_version")? }
        }
        "reconnect_wifi" => Command::ReconnectWifi,
        "reset_wifi" => Command::ResetWifi,
        "set_freeze_protection_temperature" => {
            Command::SetFreezeProtectionTemperature { half_celsius: arg(&params, "half_celsius")? }
        }
        "run_smart_diagnostic" => Command::RunSmartDiagnostic,
        "set_intelligent_scheduling" => Command::SetIntelligentScheduling(arg(&params, "enabled")?),
        "signal_app_connection" => {
            let (topic, payload) = app_connection(&device, client_id, &arg::<String>(&params, "timestamp")?);
            return Ok((topic, payload.to_string()));
        }
        other => return Err(pyo3::exceptions::PyValueError::new_err(format!("unknown command {other:?}"))),
    };
    let (topic, envelope) = command.envelope(&device, client_id, session_id).map_err(|e| protocol_error(py, e))?;
    Ok((topic, envelope.to_string()))
}

#[pyfunction]
pub fn fahrenheit_to_half_celsius(f: f64) -> i64 {
    crate::protocol::fahrenheit_to_half_celsius(f)
}
