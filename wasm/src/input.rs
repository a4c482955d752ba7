//! Core's inputs (framing options, sends, scenarios) read from JavaScript values.
//!
//! A value goes through its JSON text into serde_json's `Value` (which the decoder carries
//! anyway) and is read here field by field, with the names and defaults of core's serde
//! forms (unknown fields are ignored, missing ones take their default). Typed serde
//! deserializers would bring serde's float formatting and error machinery into the module,
//! several times this file's weight.

use seam_core::{ByteOrder, Framing};
use seam_page_model::{Scenario, ScenarioCut, SendMode, SendSpec};
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
    let what = "framing options";
    read_framing(&json(options, what)?).map_err(|e| format!("bad {what}: {e}"))
}

/// A list of core's `SendSpec`s (`{header, body, mode, describes}`, each optional).
pub fn sends(sends: &JsValue) -> Result<Vec<SendSpec>, String> {
    let what = "sends";
    list(&json(sends, what)?, what, read_send).map_err(|e| format!("bad {what}: {e}"))
}

/// Core's `Scenario`: `{framing, sends, cut, cuts}`, each optional.
pub fn scenario(scenario: &JsValue) -> Result<Scenario, String> {
    let what = "scenario";
    read_scenario(&json(scenario, what)?).map_err(|e| format!("bad {what}: {e}"))
}

fn read_scenario(value: &Value) -> Result<Scenario, String> {
    let mut scenario = Scenario::default();
    let (mut cut, mut cuts) = (String::from("sent"), Vec::new());
    for (key, value) in object(value, "a scenario")? {
        match key.as_str() {
            "framing" => scenario.framing = read_framing(value)?,
            "sends" => scenario.sends = list(value, key, read_send)?,
            "cut" => cut = text(value, key)?,
            "cuts" => cuts = list(value, key, |n| whole(n, key, u64::MAX))?,
            _ => {}
        }
    }
    scenario.cut = ScenarioCut::from_form(&cut, cuts).map_err(|e| e.to_string())?;
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
                    _ => return Err(wrong(key, "\"little\" or \"big\"", value)),
                }
            }
            "size_fields" => framing.size_fields = list(value, key, |f| text(f, key))?,
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
                    _ => return Err(wrong(key, "\"auto\", \"as_typed\" or \"unframed\"", value)),
                }
            }
            "describes" if value.is_null() => send.describes = None,
            "describes" => send.describes = Some(whole(value, key, usize::MAX as u64)? as usize),
            _ => {}
        }
    }
    Ok(send)
}

/// The error for a value that is not what `key` takes.
fn wrong(key: &str, expected: &str, value: &Value) -> String {
    // JSON text as `to_string` writes it (`Display` would add a second JSON writer).
    let shown = serde_json::to_string(value).unwrap_or_default();
    format!("{key} must be {expected}, not {shown}")
}

fn object<'v>(value: &'v Value, what: &str) -> Result<&'v Map<String, Value>, String> {
    value
        .as_object()
        .ok_or_else(|| wrong(what, "an object", value))
}

fn list<T>(
    value: &Value,
    key: &str,
    item: impl Fn(&Value) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    let items = value
        .as_array()
        .ok_or_else(|| wrong(key, "a list", value))?;
    let mut list = Vec::with_capacity(items.len());
    for value in items {
        list.push(item(value)?);
    }
    Ok(list)
}

fn text(value: &Value, key: &str) -> Result<String, String> {
    match value {
        Value::String(text) => Ok(text.clone()),
        _ => Err(wrong(key, "a string", value)),
    }
}

fn whole(value: &Value, key: &str, max: u64) -> Result<u64, String> {
    value
        .as_u64()
        .filter(|&n| n <= max)
        .ok_or_else(|| wrong(key, &format!("a whole number from 0 to {max}"), value))
}
