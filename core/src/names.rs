//! File names on the wire: what a server accepts as a name inside its root.

use thiserror::Error;

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
    Ok(name)
}
