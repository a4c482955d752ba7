//! The exit codes of `seam`, and the help's lists of them, each written from one table.

use std::process::ExitCode;

/// Why `seam` exits, as the number it exits with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// Everything went as asked.
    Success = 0,
    /// The stream broke the framing rules, the peer broke the protocol, or (`seam check`)
    /// a cut broke the server under test.
    Framing = 1,
    /// The command line is wrong (clap's own code).
    Usage = 2,
    /// A local file or stream could not be read or written.
    Io = 3,
    /// The server could not be reached, or the connection was lost.
    Connection = 4,
    /// The server refused the request (its error code is printed).
    Refused = 5,
    /// An MD5 check failed; nothing was stored under the final name.
    Md5 = 6,
    /// The destination exists and `--force` was not given.
    Exists = 7,
}

impl Exit {
    /// The number the process exits with.
    pub fn code(self) -> u8 {
        self as u8
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit.code())
    }
}

/// The exit codes a command can end with, and what each means for it: the one table its
/// help's list is written from.
pub struct ExitList {
    /// What comes before the numbered codes (for `exec`, the program's own codes).
    pub lead: &'static str,
    /// Each code with its meaning, in order.
    pub codes: &'static [(Exit, &'static str)],
}

impl ExitList {
    /// The help's sentence: `Exit codes: 0 ...; 1 ....`
    pub fn help(&self) -> String {
        let list: Vec<String> = self
            .codes
            .iter()
            .map(|(exit, meaning)| format!("{} {meaning}", exit.code()))
            .collect();
        format!("Exit codes: {}{}.", self.lead, list.join("; "))
    }
}

/// `seam decode` and the file commands.
pub const COMMANDS: ExitList = ExitList {
    lead: "",
    codes: &[
        (Exit::Success, "success"),
        (
            Exit::Framing,
            "the stream or the peer broke the framing rules",
        ),
        (Exit::Usage, "bad command line"),
        (Exit::Io, "a local file could not be read or written"),
        (
            Exit::Connection,
            "the server could not be reached or the connection was lost",
        ),
        (Exit::Refused, "the server refused the request"),
        (
            Exit::Md5,
            "an MD5 check failed (nothing was stored under the final name)",
        ),
        (Exit::Exists, "the destination exists (use --force)"),
    ],
};

/// `seam exec`: the program's own code, or why it did not run.
pub const EXEC: ExitList = ExitList {
    lead: "the program's own exit code, or 128+N when signal N killed it; when the program \
           did not run or was stopped: ",
    codes: &[
        (Exit::Framing, "the server broke the protocol"),
        (Exit::Usage, "bad command line"),
        (
            Exit::Connection,
            "the server could not be reached or the connection was lost",
        ),
        (
            Exit::Refused,
            "the server refused (exec_denied, timeout, output_limit, busy: the code is printed)",
        ),
    ],
};

/// `seam udp send`.
pub const UDP_SEND: ExitList = ExitList {
    lead: "",
    codes: &[
        (Exit::Success, "the echo came back whole"),
        (
            Exit::Framing,
            "the reply was truncated (larger than --recv-buffer) or not a valid frame",
        ),
        (Exit::Usage, "bad command line"),
        (
            Exit::Connection,
            "no reply (lost, or nothing listens there)",
        ),
        (Exit::Refused, "the server answered with an error"),
    ],
};

/// `seam check`.
pub const CHECK: ExitList = ExitList {
    lead: "",
    codes: &[
        (Exit::Success, "every cut passed"),
        (
            Exit::Framing,
            "at least one cut broke the server (each is named, with the cause)",
        ),
        (Exit::Usage, "bad command line"),
        (Exit::Connection, "nothing could be reached at the address"),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_commands_list_every_exit_code_once_in_order() {
        let codes: Vec<u8> = COMMANDS.codes.iter().map(|(exit, _)| exit.code()).collect();
        assert_eq!(codes, (0..=7).collect::<Vec<u8>>());
        assert_eq!(
            COMMANDS.help(),
            "Exit codes: 0 success; 1 the stream or the peer broke the framing rules; 2 bad \
             command line; 3 a local file could not be read or written; 4 the server could not \
             be reached or the connection was lost; 5 the server refused the request; 6 an MD5 \
             check failed (nothing was stored under the final name); 7 the destination exists \
             (use --force)."
        );
    }

    #[test]
    fn exec_lists_the_programs_own_codes_before_its_failures() {
        assert_eq!(
            EXEC.help(),
            "Exit codes: the program's own exit code, or 128+N when signal N killed it; when \
             the program did not run or was stopped: 1 the server broke the protocol; 2 bad \
             command line; 4 the server could not be reached or the connection was lost; 5 the \
             server refused (exec_denied, timeout, output_limit, busy: the code is printed)."
        );
    }

    #[test]
    fn udp_send_and_check_lists_read_as_their_help_says() {
        assert_eq!(
            UDP_SEND.help(),
            "Exit codes: 0 the echo came back whole; 1 the reply was truncated (larger than \
             --recv-buffer) or not a valid frame; 2 bad command line; 4 no reply (lost, or \
             nothing listens there); 5 the server answered with an error."
        );
        assert_eq!(
            CHECK.help(),
            "Exit codes: 0 every cut passed; 1 at least one cut broke the server (each is \
             named, with the cause); 2 bad command line; 4 nothing could be reached at the \
             address."
        );
    }

    #[test]
    fn every_list_is_in_increasing_order_without_repeats() {
        for list in [COMMANDS, EXEC, UDP_SEND, CHECK] {
            let codes: Vec<u8> = list.codes.iter().map(|(exit, _)| exit.code()).collect();
            assert!(codes.windows(2).all(|pair| pair[0] < pair[1]), "{codes:?}");
        }
    }
}
