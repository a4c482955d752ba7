//! Why handling a request stopped: a refusal the client hears about, or a broken
//! connection.

use seam_core::messages::ErrorCode;
use seam_core::DecodeError;

use crate::wire::WireError;

/// A request that failed in a way the client should hear about.
#[derive(Debug)]
pub struct Refusal {
    /// The stable code.
    pub code: ErrorCode,
    /// The sentence for people.
    pub message: String,
    /// Whether the connection can go on (the framing is intact).
    pub fatal: bool,
}

impl Refusal {
    /// A refusal after which the connection goes on.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Refusal {
        Refusal {
            code,
            message: message.into(),
            fatal: false,
        }
    }

    /// A refusal that closes the connection.
    pub fn fatal(code: ErrorCode, message: impl Into<String>) -> Refusal {
        Refusal {
            fatal: true,
            ..Refusal::new(code, message)
        }
    }
}

/// Why handling a request stopped.
#[derive(Debug)]
pub enum Failure {
    /// Tell the client, then go on or close.
    Refused(Refusal),
    /// The connection itself broke: nothing can be said any more.
    Broken(WireError),
}

impl From<Refusal> for Failure {
    fn from(refusal: Refusal) -> Failure {
        Failure::Refused(refusal)
    }
}

impl From<WireError> for Failure {
    fn from(error: WireError) -> Failure {
        match error {
            WireError::Decode(error) => Failure::Refused(bad_frame(&error)),
            other => Failure::Broken(other),
        }
    }
}

impl From<std::io::Error> for Failure {
    fn from(error: std::io::Error) -> Failure {
        Failure::Broken(WireError::Io(error))
    }
}

fn bad_frame(error: &DecodeError) -> Refusal {
    Refusal::fatal(ErrorCode::BadFrame, error.to_string())
}
