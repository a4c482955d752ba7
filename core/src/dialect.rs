//! The tutorials' own protocols ("dialects"): the exact bytes each side of a tutorial
//! program sends, so that Seam can talk to those programs unchanged, in both directions.
//!
//! Each dialect's framed parts go through the [`crate::Decoder`] and [`crate::Encoder`]
//! like everything else; the unframed parts (a bare command, `200`, an MD5 in hex,
//! `recv_ready`) are handled by the small sans-IO state machines in the submodules.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

pub mod client;
pub mod python_json;
pub mod server;

/// One tutorial protocol, named as on Seam's command line (`--tutorial NAME=ADDR`,
/// `--dialect NAME`, `seam check NAME`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// Bare bytes in, the same bytes back (the echo tutorial).
    Echo,
    /// Bare bytes in, the bytes upper-cased back (the TCP upper-casing tutorial).
    EchoUpper,
    /// One datagram of bare bytes in, one datagram upper-cased back, never larger.
    UdpUpper,
    /// A bare command; the reply is `i(len(h))` + `{"data_size": N}` + N bytes of output.
    Cmd,
    /// A bare command; the reply is `i(len(h))` + `{"filename": "cls.txt", "len": N}` + N bytes.
    CmdLen,
    /// A bare command; the reply is `i(N)` + N bytes of output.
    CmdStruct,
    /// A bare command; the reply is N in ASCII digits, then N bytes after `recv_ready`.
    CmdReady,
    /// A framed `put` + body; `200`; the client's MD5 in hex; `100` (match) or `10000`.
    UploadMd5,
    /// Framed `{"cmd": "put", "filename", "filesize"}` + body, several per connection, no reply.
    Ftp,
    /// Framed `{"size", "filename"}` + body, several per connection, no reply.
    Movie,
}

impl Dialect {
    /// Every dialect, in the order the manual lists them.
    pub const ALL: [Dialect; 10] = [
        Dialect::Echo,
        Dialect::EchoUpper,
        Dialect::UdpUpper,
        Dialect::Cmd,
        Dialect::CmdLen,
        Dialect::CmdStruct,
        Dialect::CmdReady,
        Dialect::UploadMd5,
        Dialect::Ftp,
        Dialect::Movie,
    ];

    /// The dialect's name on the command line.
    pub const fn as_str(self) -> &'static str {
        match self {
            Dialect::Echo => "echo",
            Dialect::EchoUpper => "echo-upper",
            Dialect::UdpUpper => "udp-upper",
            Dialect::Cmd => "cmd",
            Dialect::CmdLen => "cmd-len",
            Dialect::CmdStruct => "cmd-struct",
            Dialect::CmdReady => "cmd-ready",
            Dialect::UploadMd5 => "upload-md5",
            Dialect::Ftp => "ftp",
            Dialect::Movie => "movie",
        }
    }

    /// Whether the dialect runs over UDP rather than TCP.
    pub const fn is_datagram(self) -> bool {
        matches!(self, Dialect::UdpUpper)
    }

    /// Whether the dialect runs commands (and so needs `--allow-exec`, never `--insecure`).
    pub const fn runs_commands(self) -> bool {
        matches!(
            self,
            Dialect::Cmd | Dialect::CmdLen | Dialect::CmdStruct | Dialect::CmdReady
        )
    }

    /// Whether the dialect uploads files.
    pub const fn uploads(self) -> bool {
        matches!(self, Dialect::UploadMd5 | Dialect::Ftp | Dialect::Movie)
    }

    /// Whether the server ever answers the client.
    pub const fn has_replies(self) -> bool {
        !matches!(self, Dialect::Ftp | Dialect::Movie)
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A dialect name that Seam does not know.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown dialect {0:?}; the dialects are: echo, echo-upper, udp-upper, cmd, cmd-len, cmd-struct, cmd-ready, upload-md5, ftp, movie")]
pub struct UnknownDialect(pub String);

impl FromStr for Dialect {
    type Err = UnknownDialect;

    fn from_str(name: &str) -> Result<Dialect, UnknownDialect> {
        Dialect::ALL
            .into_iter()
            .find(|dialect| dialect.as_str() == name)
            .ok_or_else(|| UnknownDialect(name.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dialect_parses_back_from_its_name() {
        for dialect in Dialect::ALL {
            assert_eq!(dialect.as_str().parse::<Dialect>(), Ok(dialect));
        }
    }

    #[test]
    fn an_unknown_name_lists_the_known_ones() {
        let error = "ftp2".parse::<Dialect>().unwrap_err();
        assert!(error.to_string().contains("upload-md5"));
    }
}
