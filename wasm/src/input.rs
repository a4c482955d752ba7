//! Core's inputs (framing options, sends, scenarios) read from JavaScript values.
//!
//! The value goes through its JSON text into serde_json's `Value` (which the decoder already
//! carries) and is read field by field here, with the names, defaults and rules of core's
//! serde forms: a typed serde deserializer would bring serde's float formatting and error
//! machinery into the module, several times this file's weight.

use seam_core::{ByteOrder, Framing, Scenario, SendMode, SendSpec};
use serde_json::{Map, Value};
use wasm_bindgen::JsValue;

/// A JavaScript value as JSON data; `what` names it in the error.
pub fn json(value: &JsValue, what: &str) -> Result<Value, String> {
    let text: String = js_sys::JSON::stringify(value)
        .ok()
        .and_then(|text| text.as_string())
        .ok_or_else(|| format!("bad {what}: not JSON data"))?;
    serde_json::from_str(&text).map_err(|e| format!("bad {what}: {e}"))
}

/// Framing options: core's `Framing` fields, each optional; `undefined` or `null` for the
/// defaults.
pub fn framing(options: &JsValue) -> Result<Framing, String> {
    if options.is_undefined() || options.is_null() {
        return Ok(Framing::default());
    }
    read_framing(&json(options, "framing options")?).map_err(|e| format!("bad framing options: {e}"))
}

/// A list of core's `SendSpec`s.
pub fn sends(sends: &JsValue) -> Result<Vec<SendSpec>, String> {
    list(&json(sends, "sends")?, "sends", read_send).map_err(|e| format!("bad sends: {e}"))
}

/// Core's `Scenario`: `{framing, sends, cut, cuts}`, each optional.
pub fn scenario(scenario: &JsValue) -> Result<Scenario, String> {
    read_scenario(&json(scenario, "scenario")?).map_err(|e| format!("bad scenario: {e}"))
}

fn read_scenario(value: &Value) -> Result<Scenario, String> {
    let mut scenario = Scenario::default();
    for (key, value) in object(value, "a scenario")? {
        match key.as_str() {
            "framing" => scenario.framing = read_framing(value)?,
            "sends" => scenario.sends = list(value, key, read_send)?,
            "cut" => scenario.cut = text(value, key)?,
            "cuts" => scenario.cuts = list(value, key, |n| whole(n, "cuts", u64::MAX))?,
            _ => {}
        }
    }
    Ok(scenario)
}

fn read_framing(value: &Value) -> Result<Framing, String> {
    let mut framing = Framing::default();
    for (key, value) in object(value, "framing")? {
        match key.as_str() {
            "byte_order" => {
                framing.byte_order = match value.as_str() {
                    Some("little") => ByteOrder::Little,
                    Some("big") => ByteOrder::Big,
                    _ => {
                        return Err(format!(
                            "byte_order must be \"little\" or \"big\", not {}",
                            shown(value)
                        ))
                    }
                }
            }
            "size_fields" => framing.size_fields = list(value, key, |f| text(f, "size_fields"))?,
            "max_header_len" => framing.max_header_len = whole(value, key, u32::MAX.into())? as u32,
            "max_body_len" => framing.max_body_len = whole(value, key, u64::MAX)?,
            _ => {}
        }
    }
    Ok(framing)
}

fn read_send(value: &Value) -> Result<SendSpec, String> {
    let mut send = SendSpec::default();
    for (key, value) in object(value, "a send")? {
        match key.as_str() {
            "header" => send.header = text(value, key)?,
            "body" => send.body = text(value, key)?,
            "mode" => {
                send.mode = match value.as_str() {
                    Some("auto") => SendMode::Auto,
                    Some("as_typed") => SendMode::AsTyped,
                    Some("unframed") => SendMode::Unframed,
                    _ => {
                        return Err(format!(
                            "mode must be \"auto\", \"as_typed\" or \"unframed\", not {}",
                            shown(value)
                        ))
                    }
                }
            }
            "describes" if value.is_null() => send.describes = None,
            "describes" => send.describes = Some(whole(value, key, usize::MAX as u64)? as usize),
            _ => {}
        }
    }
    Ok(send)
}

fn object<'v>(value: &'v Value, what: &str) -> Result<&'v Map<String, Value>, String> {
    value
        .as_object()
        .ok_or_else(|| format!("{what} must be an object, not {}", shown(value)))
}

fn list<T>(
    value: &Value,
    key: &str,
    item: impl Fn(&Value) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    value
        .as_array()
        .ok_or_else(|| format!("{key} must be a list, not {}", shown(value)))?
        .iter()
        .map(item)
        .collect()
}

fn text(value: &Value, key: &str) -> Result<String, String> {
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("{key} must be a string, not {}", shown(value)))
}

fn whole(value: &Value, key: &str, max: u64) -> Result<u64, String> {
    value
        .as_u64()
        .filter(|&n| n <= max)
        .ok_or_else(|| format!("{key} must be a whole number from 0 to {max}, not {}", shown(value)))
}

/// A value as JSON text, for messages (`Value`'s `Display` would add a second JSON writer).
fn shown(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}
