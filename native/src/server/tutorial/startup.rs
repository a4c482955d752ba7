//! The start-up rules of `--tutorial`, all in one place: tutorial clients cannot send a
//! token, so their listeners bind loopback addresses only; `--insecure` may open other
//! addresses to dialects that run no commands, never to command dialects; and a command
//! dialect needs `--allow-exec`.

use anyhow::bail;

use crate::server::config::TutorialListen;

/// Refuses, with a sentence saying why and what to do, any `--tutorial` the rules forbid.
pub fn check(listens: &[TutorialListen], insecure: bool, exec_allowed: bool) -> anyhow::Result<()> {
    for listen in listens {
        let dialect = listen.dialect;
        let loopback = listen.addr.ip().is_loopback();
        if dialect.runs_commands() && !loopback {
            bail!(
                "refusing --tutorial {listen}: the {dialect} dialect runs commands and tutorial \
                 clients send no token, so it listens on loopback addresses only (such as \
                 127.0.0.1 or [::1]), even with --insecure"
            );
        }
        if !loopback && !insecure {
            bail!(
                "refusing --tutorial {listen}: tutorial clients send no token, so a tutorial \
                 listener binds loopback addresses only (such as 127.0.0.1 or [::1]); add \
                 --insecure if you mean anyone who can reach {} to use it",
                listen.addr
            );
        }
        if dialect.runs_commands() && !exec_allowed {
            bail!(
                "--tutorial {listen}: the {dialect} dialect runs commands; name the programs it \
                 may run with --allow-exec PROG..."
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listen(text: &str) -> TutorialListen {
        text.parse().unwrap()
    }

    #[test]
    fn loopback_listeners_are_allowed() {
        let all = [
            listen("ftp=127.0.0.1:0"),
            listen("cmd=[::1]:0"),
            listen("udp-upper=127.0.0.2:0"),
        ];
        assert!(check(&all, false, true).is_ok());
    }

    #[test]
    fn refuses_a_non_loopback_tutorial_listener() {
        let error = check(&[listen("ftp=0.0.0.0:8080")], false, false).unwrap_err();
        assert!(error.to_string().contains("loopback"), "{error}");
    }

    #[test]
    fn insecure_opens_other_addresses_to_non_exec_dialects_only() {
        assert!(check(&[listen("movie=0.0.0.0:8080")], true, false).is_ok());
        let error = check(&[listen("cmd-ready=0.0.0.0:8080")], true, true).unwrap_err();
        assert!(
            error.to_string().contains("even with --insecure"),
            "{error}"
        );
    }

    #[test]
    fn refuses_a_command_dialect_without_allow_exec() {
        let error = check(&[listen("cmd=127.0.0.1:0")], false, false).unwrap_err();
        assert!(error.to_string().contains("--allow-exec"), "{error}");
    }
}
