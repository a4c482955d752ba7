//! Names from the network: what a server accepts as a file name inside its root, and when
//! two chat names are too alike to share a room.
//!
//! One name means one file: names are compared and stored in Unicode's composed form (NFC),
//! so the composed and decomposed spellings of `café` are one file (a server normalises a
//! request's name with [`normalize_name`]; [`validate_name`] refuses any other form). Characters that change
//! how a name looks without being seen (format characters such as U+202E RIGHT-TO-LEFT
//! OVERRIDE or U+200B ZERO WIDTH SPACE) and trailing spaces are refused.

use std::borrow::Cow;

use thiserror::Error;
use unicode_normalization::{is_nfc, is_nfc_quick, IsNormalized, UnicodeNormalization};
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
use unicode_security::MixedScript;

/// Longest file name accepted, in bytes: the common file-system limit of 255, less room for
/// the [`partial_name`] around it.
pub const MAX_NAME_LEN: usize = 240;

/// The hidden name a transfer of `name` is written to until it is verified (a leading dot
/// keeps it out of listings and out of reach of requests, which refuse such names).
pub fn partial_name(name: &str) -> String {
    format!(".{name}.seam-part")
}

/// Why a file name from the network was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NameError {
    /// The name is empty.
    #[error("the name is empty")]
    Empty,
    /// The name is longer than [`MAX_NAME_LEN`] bytes.
    #[error("the name is {0} bytes long; at most {MAX_NAME_LEN} are allowed")]
    TooLong(usize),
    /// The name holds a path separator (so it is a path, maybe absolute).
    #[error("the name holds a path separator; give a plain file name")]
    Separator,
    /// The name is `.` or `..`, or starts with a dot.
    #[error("names starting with a dot (such as . and ..) are not allowed")]
    Dot,
    /// The name holds NUL or another control character.
    #[error("the name holds a control character")]
    Control,
    /// The name holds an invisible format character (Unicode category Cf), such as a
    /// right-to-left override or a zero-width space.
    #[error("the name holds an invisible format character (U+{0:04X}), which could disguise it")]
    Format(u32),
    /// The name ends with white space, which cannot be seen.
    #[error("the name ends with white space")]
    TrailingSpace,
    /// The name is not in Unicode's composed form (NFC); [`normalize_name`] gives it.
    #[error("the name is not in Unicode's composed form (NFC)")]
    NotComposed,
}

/// A name in Unicode's composed form (NFC): the form names are stored and compared in, so
/// that the composed and decomposed spellings of one name are one name.
pub fn normalize_name(name: &str) -> Cow<'_, str> {
    match is_nfc_quick(name.chars()) {
        IsNormalized::Yes => Cow::Borrowed(name),
        IsNormalized::No | IsNormalized::Maybe => {
            let composed: String = name.nfc().collect();
            if composed == name {
                Cow::Borrowed(name)
            } else {
                Cow::Owned(composed)
            }
        }
    }
}

/// The first invisible format character (Unicode category Cf) in `text`, if any.
pub(crate) fn format_character(text: &str) -> Option<char> {
    text.chars()
        .find(|c| c.general_category() == GeneralCategory::Format)
}

/// Why two chat names may not share a room: `None` when `name` is fine on its own, else the
/// reason. A name must be written in one script (a Latin `bob` with a Cyrillic `о` is
/// refused) and hold no format character.
pub(crate) fn chat_name_look_problem(name: &str) -> Option<String> {
    if let Some(c) = format_character(name) {
        return Some(format!(
            "a chat name must not hold invisible format characters (U+{:04X})",
            u32::from(c)
        ));
    }
    if !name.is_single_script() {
        return Some(
            "a chat name must be written in one script: mixing alphabets (such as a Cyrillic \
             letter among Latin ones) makes look-alike names"
                .into(),
        );
    }
    None
}

/// What a chat name looks like, for comparing names: the Unicode confusable skeleton
/// (UTS #39) of its lowercase NFC form. Two names with the same key look alike (`Bob` and
/// `bob`; Latin `ape` and Cyrillic `аре`), so they may not be in one room together.
pub fn chat_name_key(name: &str) -> String {
    let lower = normalize_name(name).to_lowercase();
    unicode_security::skeleton(&lower)
        .collect::<String>()
        .to_lowercase()
}

/// Checks that a name from the network is a plain file name inside the root.
pub fn validate_name(name: &str) -> Result<&str, NameError> {
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if name.len() > MAX_NAME_LEN {
        return Err(NameError::TooLong(name.len()));
    }
    if name.contains(['/', '\\']) {
        return Err(NameError::Separator);
    }
    if name.starts_with('.') {
        return Err(NameError::Dot);
    }
    if name.chars().any(char::is_control) {
        return Err(NameError::Control);
    }
    if let Some(c) = format_character(name) {
        return Err(NameError::Format(u32::from(c)));
    }
    if name.ends_with(char::is_whitespace) {
        return Err(NameError::TrailingSpace);
    }
    // Stored names are composed, so that one name is one file: a request's name is
    // normalised with [`normalize_name`] before it gets here.
    if !is_nfc(name) {
        return Err(NameError::NotComposed);
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_a_right_to_left_override() {
        assert_eq!(
            validate_name("invoice\u{202e}fdp.exe"),
            Err(NameError::Format(0x202e))
        );
    }

    #[test]
    fn refuses_zero_width_characters() {
        assert_eq!(
            validate_name("re\u{200b}port"),
            Err(NameError::Format(0x200b))
        );
        assert_eq!(
            validate_name("\u{feff}report"),
            Err(NameError::Format(0xfeff))
        );
    }

    #[test]
    fn refuses_a_trailing_space() {
        assert_eq!(validate_name("report "), Err(NameError::TrailingSpace));
        assert_eq!(
            validate_name("report\u{3000}"),
            Err(NameError::TrailingSpace)
        );
        assert_eq!(validate_name("my report.txt"), Ok("my report.txt"));
    }

    #[test]
    fn composed_and_decomposed_spellings_normalise_to_one_name() {
        let composed = "caf\u{e9}.txt";
        let decomposed = "cafe\u{301}.txt";
        assert_ne!(composed, decomposed);
        assert_eq!(normalize_name(decomposed), composed);
        assert!(matches!(normalize_name(composed), Cow::Borrowed(_)));
        assert_eq!(validate_name(composed), Ok(composed));
        assert_eq!(validate_name(decomposed), Err(NameError::NotComposed));
    }

    #[test]
    fn refuses_a_chat_name_mixing_scripts() {
        // "bob" with a Cyrillic o (U+043E).
        assert!(chat_name_look_problem("b\u{43e}b").is_some());
        assert_eq!(chat_name_look_problem("bob"), None);
        assert_eq!(chat_name_look_problem("\u{432}\u{430}\u{441}\u{44f}"), None);
        assert_eq!(chat_name_look_problem("bob-2"), None);
    }

    #[test]
    fn look_alike_chat_names_have_one_key() {
        assert_eq!(chat_name_key("Bob"), chat_name_key("bob"));
        // All-Cyrillic "аре" (a, er, ie) reads as Latin "ape".
        assert_eq!(chat_name_key("\u{430}\u{440}\u{435}"), chat_name_key("ape"));
        assert_ne!(chat_name_key("bob"), chat_name_key("bill"));
    }
}
