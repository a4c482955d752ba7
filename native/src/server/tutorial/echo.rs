//! `echo` and `echo-upper`: every byte comes back as it arrives (upper-cased for
//! `echo-upper`), by `seam_core::dialect::server::echo_reply`.

use seam_core::dialect::server::echo_reply;
use seam_core::dialect::Dialect;

use super::stream::{Filled, TutorialStream};

/// Echoes until the client closes.
pub async fn serve(stream: &mut TutorialStream, dialect: Dialect) -> anyhow::Result<()> {
    let idle = stream.idle();
    loop {
        match stream.input.fill(idle, true).await? {
            Filled::Bytes => {}
            Filled::End => return Ok(()),
            Filled::Quiet => anyhow::bail!("no data for {} s", idle.as_secs()),
        }
        let input = &mut stream.input;
        let reply = echo_reply(dialect, &input.buf[input.start..input.end]);
        stream.output.write_all(&reply).await?;
        input.start = input.end;
    }
}
