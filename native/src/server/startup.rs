//! The checks `seam serve` makes before its main listener listens: who could reach it,
//! and whether the token keeps them out. These rules live here, in one function.

use anyhow::bail;
use tracing::warn;

use super::config::Config;

/// Shortest token accepted on a listener that is not loopback, in bytes: 16 random bytes
/// (or 22 characters of base64) are beyond guessing over a network.
pub const MIN_TOKEN_LEN: usize = 16;

/// Refuses a configuration that would expose the server more than it seems to: an empty or
/// blank token (it would turn authentication on and admit anyone), a short token on a
/// non-loopback listener, no token on one (without `--insecure`), and `--allow-exec` on one
/// without a token; a non-loopback listener without `--tls` (or with `--udp`) unless
/// `--insecure`. Warns when `--max-chat` leaves chat members (exempt from the idle
/// timeout) room to hold every connection.
pub fn check_exposure(args: &Config) -> anyhow::Result<()> {
    if args.max_chat >= args.max_conns {
        warn!(
            max_chat = args.max_chat,
            max_conns = args.max_conns,
            "--max-chat is not below --max-conns: chat members could hold every connection"
        );
    }
    let loopback = args.listen.ip().is_loopback();
    if let Some(token) = &args.token {
        if token.trim().is_empty() {
            bail!(
                "refusing an empty token (--token or SEAM_TOKEN is set but blank): it would \
                 admit anyone. Give a real token of at least {MIN_TOKEN_LEN} bytes (e.g. \
                 `openssl rand -hex 16`), or unset SEAM_TOKEN to serve loopback without one"
            );
        }
        if !loopback && token.len() < MIN_TOKEN_LEN {
            bail!(
                "refusing a token of {} bytes on {}, which is not a loopback address: a token \
                 there needs at least {MIN_TOKEN_LEN} bytes (e.g. `openssl rand -hex 16`)",
                token.len(),
                args.listen
            );
        }
    }
    if args.token.is_none() && !loopback && !args.insecure {
        bail!(
            "refusing to listen on {} without a token: anyone who can reach it could read and \
             write your files. Give --token (or SEAM_TOKEN) of at least {MIN_TOKEN_LEN} bytes, \
             or --insecure if you mean it",
            args.listen
        );
    }
    if !args.allow_exec.is_empty() && args.token.is_none() && !loopback {
        bail!(
            "refusing --allow-exec on {} without a token, even with --insecure: anyone who can \
             reach the port could run those programs. Give --token (or SEAM_TOKEN)",
            args.listen
        );
    }
    check_tls_rules(args)
}

/// A listener off loopback must encrypt and authenticate: `--tls` and a token, unless
/// `--insecure` (which is said at every start). UDP is never encrypted: loopback only.
fn check_tls_rules(args: &Config) -> anyhow::Result<()> {
    let tls = args.tls || args.tls_cert.is_some();
    if args.listen.ip().is_loopback() {
        return Ok(());
    }
    if args.insecure {
        if !tls || args.token.is_none() || args.udp {
            warn!(listen = %args.listen, tls, token = args.token.is_some(), udp = args.udp, "--insecure: files and the token may cross the network in clear text, readable and changeable by anyone on the way");
        }
        return Ok(());
    }
    if !tls {
        bail!(
            "refusing to listen on {} without --tls: the token and every file would cross the \
             network in clear text. Add --tls (and give clients --tls), or --insecure if you \
             mean it",
            args.listen
        );
    }
    if args.udp {
        bail!(
            "refusing --udp on {}: UDP echo is never encrypted, so it stays on loopback \
             addresses (or give --insecure)",
            args.listen
        );
    }
    Ok(())
}
