//! The cuts `seam check` plays, each a different way of cutting the same requests, built on
//! seam-core's [`Cut`].

use std::time::Duration;

use seam_core::dialect::Dialect;
use seam_core::Cut;

/// How the bytes of the requests are written.
#[derive(Debug, Clone)]
pub enum Writes {
    /// As the seed's client writes them: one write per `send()` it makes.
    AsSent,
    /// Everything in one write.
    Merged,
    /// The whole stream cut by a [`Cut`], each chunk written on its own.
    Cut(Cut),
}

/// One cut of the check.
#[derive(Debug, Clone)]
pub struct CutPlan {
    /// Its number in the list (1 to 7).
    pub number: u8,
    /// A short name, for scripts.
    pub name: &'static str,
    /// What it does, in a sentence.
    pub what: String,
    /// How the requests are written.
    pub writes: Writes,
    /// The pause after each written chunk (with `TCP_NODELAY`, each chunk is then a segment).
    pub pause: Duration,
    /// Two requests back to back on one connection, the end of the first and the start of
    /// the second in one write, instead of one request.
    pub back_to_back: bool,
    /// The most bytes read from a reply at once.
    pub read_piece: usize,
    /// Small requests (cuts that write one chunk at a time with a pause).
    pub small: bool,
    /// Why the cut does not apply to this dialect, if it does not.
    pub skip: Option<&'static str>,
}

/// The pause after each chunk of the cuts that pace their writes.
pub const PAUSE: Duration = Duration::from_millis(1);

/// The size of the pieces of cut 4.
pub const PIECE: usize = 7;

/// The largest random piece of cut 5.
pub const RANDOM_MAX: usize = 64;

/// The size of the reads of cut 7.
pub const SMALL_READ: usize = 3;

const BARE_COMMAND: &str = "a bare command has no framing, so no server could find its end once cut (Seam sends a command in one write)";
const DATAGRAM: &str = "UDP keeps each datagram whole: there is nothing to cut";
const NO_REPLIES: &str = "this dialect never replies";

/// The seven cuts for `dialect`, random ones from `seed`.
pub fn plan(dialect: Dialect, seed: u64) -> Vec<CutPlan> {
    let base = CutPlan {
        number: 0,
        name: "",
        what: String::new(),
        writes: Writes::AsSent,
        pause: Duration::ZERO,
        back_to_back: false,
        read_piece: usize::MAX,
        small: false,
        skip: None,
    };
    let request_cut = if dialect.is_datagram() {
        Some(DATAGRAM)
    } else if dialect.runs_commands() {
        Some(BARE_COMMAND)
    } else {
        None
    };
    let paced = |number, name, what: String, cut| CutPlan {
        number,
        name,
        what,
        writes: Writes::Cut(cut),
        pause: PAUSE,
        small: true,
        skip: request_cut,
        ..base.clone()
    };
    vec![
        CutPlan {
            number: 1,
            name: "as-sent",
            what: "as the seed's client sends them".into(),
            ..base.clone()
        },
        CutPlan {
            number: 2,
            name: "merged",
            what: "everything merged into one write (sticky packets)".into(),
            writes: Writes::Merged,
            skip: request_cut,
            ..base.clone()
        },
        paced(
            3,
            "bytes",
            format!(
                "one byte per write, TCP_NODELAY, {} ms apart",
                PAUSE.as_millis()
            ),
            Cut::Bytes,
        ),
        paced(
            4,
            "pieces",
            format!("fixed pieces of {PIECE} bytes"),
            Cut::Reads { sizes: vec![PIECE] },
        ),
        paced(
            5,
            "random",
            format!("random pieces of 1 to {RANDOM_MAX} bytes from seed {seed}"),
            Cut::Random {
                seed,
                max: RANDOM_MAX,
            },
        ),
        CutPlan {
            number: 6,
            name: "back-to-back",
            what: if dialect.runs_commands() {
                "two requests on one connection, the second as soon as the first is answered".into()
            } else {
                "two requests back to back on one connection, no pause".into()
            },
            back_to_back: true,
            ..base.clone()
        },
        CutPlan {
            number: 7,
            name: "small-reads",
            what: format!("the replies read {SMALL_READ} bytes at a time"),
            read_piece: SMALL_READ,
            skip: if dialect.is_datagram() {
                Some(DATAGRAM)
            } else if dialect.has_replies() {
                None
            } else {
                Some(NO_REPLIES)
            },
            ..base
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skipped(dialect: Dialect) -> Vec<u8> {
        plan(dialect, 1)
            .iter()
            .filter(|cut| cut.skip.is_some())
            .map(|cut| cut.number)
            .collect()
    }

    #[test]
    fn every_cut_applies_to_an_upload_with_replies() {
        assert_eq!(skipped(Dialect::UploadMd5), Vec::<u8>::new());
        assert_eq!(skipped(Dialect::Echo), Vec::<u8>::new());
    }

    #[test]
    fn a_dialect_that_never_replies_skips_only_the_small_reads() {
        assert_eq!(skipped(Dialect::Ftp), [7]);
        assert_eq!(skipped(Dialect::Movie), [7]);
    }

    #[test]
    fn a_bare_command_is_never_cut() {
        assert_eq!(skipped(Dialect::CmdReady), [2, 3, 4, 5]);
    }

    #[test]
    fn a_datagram_is_sent_whole_once_or_twice() {
        assert_eq!(skipped(Dialect::UdpUpper), [2, 3, 4, 5, 7]);
    }

    #[test]
    fn the_random_cut_is_seeded_from_the_run() {
        let cuts = plan(Dialect::Echo, 99);
        assert!(matches!(
            cuts[4].writes,
            Writes::Cut(Cut::Random { seed: 99, .. })
        ));
        assert!(cuts[4].what.contains("seed 99"));
    }
}
