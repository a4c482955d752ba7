//! Values handed to JavaScript: written as JSON text, member by member, and turned into plain
//! objects by JavaScript's `JSON.parse`. One small writer instead of a serde serializer
//! instantiated for every view keeps the module small; core's own JSON forms (events,
//! decoding errors, headers) are still written by serde_json, as `seam decode` prints them.
//!
//! Numbers become JavaScript numbers, so integers above 2^53 arrive rounded.

use serde::Serialize;
use wasm_bindgen::JsValue;

/// JSON text under construction. Commas are written as needed: a value or key that follows
/// anything but an opening bracket or a key gets one.
#[derive(Default)]
pub struct Json(Vec<u8>);

impl Json {
    /// Nothing written yet.
    pub fn new() -> Json {
        Json::default()
    }

    fn separate(&mut self) {
        if !matches!(self.0.last(), None | Some(b'{' | b'[' | b':')) {
            self.0.push(b',');
        }
    }

    fn push(&mut self, text: &str) -> &mut Json {
        self.0.extend_from_slice(text.as_bytes());
        self
    }

    /// Opens an object; its members are written with [`Json::key`] and a value each.
    pub fn open(&mut self) -> &mut Json {
        self.separate();
        self.push("{")
    }

    /// Closes the object opened last.
    pub fn close(&mut self) -> &mut Json {
        self.push("}")
    }

    /// Reopens the object just written (by [`Json::value`], say) to add members to it.
    pub fn reopen(&mut self) -> &mut Json {
        debug_assert_eq!(self.0.last(), Some(&b'}'));
        self.0.pop();
        self
    }

    /// Opens a list; its items are written one after the other.
    pub fn list(&mut self) -> &mut Json {
        self.separate();
        self.push("[")
    }

    /// Closes the list opened last.
    pub fn end_list(&mut self) -> &mut Json {
        self.push("]")
    }

    /// A member's key (a plain name: nothing in it needs escaping).
    pub fn key(&mut self, key: &str) -> &mut Json {
        self.separate();
        self.push("\"").push(key).push("\":")
    }

    /// A whole number.
    pub fn num(&mut self, n: u64) -> &mut Json {
        self.value(&n)
    }

    /// A string.
    pub fn str(&mut self, text: &str) -> &mut Json {
        self.value(text)
    }

    /// `true` or `false`.
    pub fn bool(&mut self, b: bool) -> &mut Json {
        self.separate();
        self.push(if b { "true" } else { "false" })
    }

    /// `null`.
    pub fn null(&mut self) -> &mut Json {
        self.separate();
        self.push("null")
    }

    /// Any value in its serde JSON form (a float, a header, one of core's records).
    pub fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> &mut Json {
        self.separate();
        // Writing to a Vec cannot fail, and these values always serialize.
        let _ = serde_json::to_writer(&mut self.0, value);
        self
    }

    /// The value written, for JavaScript.
    pub fn to_js(&self) -> JsValue {
        std::str::from_utf8(&self.0)
            .ok()
            .and_then(|text| js_sys::JSON::parse(text).ok())
            .unwrap_or(JsValue::NULL)
    }
}
