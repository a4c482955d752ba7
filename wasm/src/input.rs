//! The page's inputs (framing options, sends, scenarios, a capture's direction) from
//! JavaScript objects, by serde through serde-wasm-bindgen: missing fields take their
//! default, unknown ones are ignored.
//!
//! Each is read through a serde *remote definition* of the Rust type (`FramingDef` for
//! core's `Framing`, `SendSpecDef` for the page model's `SendSpec`, ...): serde's derive
//! checks at compile time that it names every field or variant with its type, and tsify
//! writes the TypeScript declaration (`Framing`, `SendSpec`, ...) from the same definition,
//! so the `.d.ts` the page is checked against is what this module reads. A scenario is read
//! in the page's form (`ScenarioForm`, its cut as a spec) and built into the model's type.
//! The definitions also write values out (the presets, the defaults), so both directions
//! have one form.

use seam_capture::Side;
use seam_core::CutSpecError;
use seam_core::{ByteOrder, Framing};
use seam_page_model::{Scenario, ScenarioCut, SendMode, SendSpec};
use serde::{Deserialize, Deserializer, Serialize};
use tsify::{Ts, Tsify};

use crate::views::SideDef;
use wasm_bindgen::{JsCast, JsValue};

/// Byte order of the length prefix (core's `ByteOrder`).
#[derive(Serialize, Deserialize, Tsify)]
#[serde(remote = "ByteOrder", rename_all = "snake_case")]
#[tsify(rename = "ByteOrder")]
pub enum ByteOrderDef {
    /// `struct.pack('<I')`: the tutorials' default.
    Little,
    /// `struct.pack('!I')`: network order.
    Big,
}

/// The framing options (core's `Framing`); every field optional, default as core's.
#[derive(Serialize, Deserialize, Tsify)]
#[serde(remote = "Framing", default = "Framing::default")]
#[tsify(rename = "Framing")]
pub struct FramingDef {
    /// Byte order of the length prefix.
    #[serde(with = "ByteOrderDef")]
    pub byte_order: ByteOrder,
    /// Header fields that give the body length.
    pub size_fields: Vec<String>,
    /// Largest header accepted, in bytes.
    pub max_header_len: u32,
    /// Largest body accepted, in bytes.
    pub max_body_len: u64,
}

/// How a send becomes bytes (the page model's `SendMode`).
#[derive(Serialize, Deserialize, Tsify)]
#[serde(remote = "SendMode", rename_all = "snake_case")]
#[tsify(rename = "SendMode")]
pub enum SendModeDef {
    /// A frame whose body-length fields core sets.
    Auto,
    /// A frame whose header is sent exactly as typed.
    AsTyped,
    /// The body's bytes alone.
    Unframed,
}

/// One `send()` (the page model's `SendSpec`).
#[derive(Serialize, Deserialize, Tsify)]
#[serde(remote = "SendSpec", default = "SendSpec::default")]
#[tsify(rename = "SendSpec")]
pub struct SendSpecDef {
    /// The header's JSON text.
    pub header: String,
    /// The body, as UTF-8 text.
    pub body: String,
    /// How the send is encoded.
    #[serde(with = "SendModeDef")]
    pub mode: SendMode,
    /// The send (0-based) whose body this one describes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub describes: Option<usize>,
}

/// A whole scenario in the page's form: the page model's `Scenario`, its cut as a spec.
#[derive(Default, Deserialize, Tsify)]
#[serde(default)]
#[tsify(rename = "Scenario")]
pub struct ScenarioForm {
    /// The framing both sides use.
    #[serde(with = "FramingDef")]
    pub framing: Framing,
    /// The sender's `send()` calls.
    #[serde(deserialize_with = "send_list")]
    pub sends: Vec<SendSpec>,
    /// A cut spec (`merge:1460`, `reads:4,5`, ...), or `manual` to cut at `cuts`.
    pub cut: Option<String>,
    /// With the manual cut: the offsets where the stream is cut.
    pub cuts: Vec<u64>,
}

impl ScenarioForm {
    /// The page model's scenario (a struct literal: a field added there fails to compile
    /// here until the form has it); the cut read as the model reads its form.
    fn into_scenario(self) -> Result<Scenario, CutSpecError> {
        let cut = match self.cut {
            None => ScenarioCut::default(),
            Some(spec) => ScenarioCut::from_form(&spec, self.cuts)?,
        };
        Ok(Scenario {
            framing: self.framing,
            sends: self.sends,
            cut,
        })
    }
}

/// One send, read through [`SendSpecDef`] (for lists of sends).
#[derive(Deserialize)]
#[serde(transparent)]
struct SendIn(#[serde(with = "SendSpecDef")] SendSpec);

fn send_list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<SendSpec>, D::Error> {
    let sends = Vec::<SendIn>::deserialize(deserializer)?;
    Ok(sends.into_iter().map(|send| send.0).collect())
}

/// Framing options for JavaScript, in the form `Framing` declares (the page's defaults).
#[derive(Serialize, Tsify)]
#[serde(transparent)]
pub struct FramingView(#[serde(with = "FramingDef")] pub Framing);

/// A send for JavaScript, in the form `SendSpec` declares (the presets).
#[derive(Serialize, Tsify)]
#[serde(transparent)]
pub struct SendView(#[serde(with = "SendSpecDef")] pub SendSpec);

/// Reads `value` with `read`; `what` names the input in the error.
fn read<T>(
    value: JsValue,
    what: &str,
    read: impl FnOnce(serde_wasm_bindgen::Deserializer) -> Result<T, serde_wasm_bindgen::Error>,
) -> Result<T, String> {
    read(serde_wasm_bindgen::Deserializer::from(value)).map_err(|e| {
        // serde-wasm-bindgen's error is a JavaScript `Error`: its message is serde's.
        let js = JsValue::from(e);
        let message = js.dyn_ref::<js_sys::Error>().map(js_sys::Error::message);
        format!(
            "bad {what}: {}",
            message.map(String::from).unwrap_or_default()
        )
    })
}

/// Framing options: none (`undefined` or `null`) for the defaults.
pub fn framing(options: Option<Ts<FramingDef>>) -> Result<Framing, String> {
    match options.map(|options| options.js_value()) {
        Some(value) if !value.is_null() => read(value, "framing options", FramingDef::deserialize),
        _ => Ok(Framing::default()),
    }
}

/// A list of sends.
pub fn sends(sends: Vec<Ts<SendSpecDef>>) -> Result<Vec<SendSpec>, String> {
    sends
        .into_iter()
        .map(|send| read(send.js_value(), "sends", SendSpecDef::deserialize))
        .collect()
}

/// A scenario.
pub fn scenario(scenario: Ts<ScenarioForm>) -> Result<Scenario, String> {
    let form = read(scenario.js_value(), "scenario", ScenarioForm::deserialize)?;
    form.into_scenario().map_err(|e| e.to_string())
}

/// A direction of a captured connection: `client` or `server`.
pub fn side(side: Ts<SideDef>) -> Result<Side, String> {
    read(side.js_value(), "direction", SideDef::deserialize)
}

#[cfg(test)]
mod tests {
    //! The remote definitions against core's own serde forms: same names, same defaults.
    use super::*;
    use serde_json::json;

    #[test]
    fn framing_is_written_as_core_writes_it() {
        let framing = Framing {
            byte_order: ByteOrder::Big,
            ..Framing::default()
        };
        assert_eq!(
            serde_json::to_value(FramingView(framing.clone())).unwrap(),
            serde_json::to_value(&framing).unwrap()
        );
    }

    #[test]
    fn an_empty_object_reads_as_core_defaults() {
        assert_eq!(
            FramingDef::deserialize(json!({})).unwrap(),
            Framing::default()
        );
        assert_eq!(
            ScenarioForm::deserialize(json!({}))
                .unwrap()
                .into_scenario()
                .unwrap(),
            Scenario::default()
        );
        assert_eq!(
            SendSpecDef::deserialize(json!({})).unwrap(),
            SendSpec::default()
        );
    }

    #[test]
    fn a_scenario_reads_as_core_reads_it_and_ignores_unknown_fields() {
        let page = json!({
            "framing": {"byte_order": "big", "max_body_len": 10, "colour": "red"},
            "sends": [{"header": "{}", "body": "hi", "mode": "unframed", "describes": 0},
                      {"describes": null}, {}],
            "cut": "merge:90",
            "cuts": [3, 5],
            "step": 2,
        });
        let expected: Scenario = serde_json::from_value(page.clone()).unwrap();
        let form = ScenarioForm::deserialize(page).unwrap();
        assert_eq!(form.into_scenario().unwrap(), expected);
    }

    #[test]
    fn every_send_is_written_as_core_writes_it() {
        for send in seam_page_model::preset("file").unwrap() {
            let written = serde_json::to_value(SendView(send.clone())).unwrap();
            assert_eq!(written, serde_json::to_value(&send).unwrap());
        }
    }

    #[test]
    fn a_wrong_type_is_refused_with_what_was_expected() {
        let error = FramingDef::deserialize(json!({"byte_order": "sideways"})).unwrap_err();
        assert!(
            error.to_string().contains("unknown variant `sideways`"),
            "{error}"
        );
        let error = FramingDef::deserialize(json!({"max_header_len": -1})).unwrap_err();
        assert!(
            error.to_string().contains("invalid value: integer `-1`"),
            "{error}"
        );
    }
}
