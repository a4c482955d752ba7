//! Plays one cut of a TCP dialect against the learner's server: writes the requests cut as
//! the plan says, reads every reply through seam-core's `ReplyReader`, and judges them.

use std::path::PathBuf;
use std::time::Duration;

use seam_core::dialect::client::{expected_echo, md5_message, ReplyEvent, ReplyReader, RECV_READY};
use seam_core::dialect::Dialect;

use super::cuts::{CutPlan, Writes};
use super::report::Verdict;
use super::stored::wait_stored;
use super::workload::{self, Upload, BIG_FILE, SECOND_FILE, SMALL_FILE};
use crate::client::dialect::conn::{ConnError, DialectConn};

/// The most command output kept to compare one cut's with another's.
const MAX_OUTPUT: usize = 16 << 20;

/// What every cut of one run shares.
pub struct Ctx {
    /// The dialect played.
    pub dialect: Dialect,
    /// The learner's server.
    pub addr: String,
    /// The bound on every wait.
    pub timeout: Duration,
    /// Where the server stores uploads (`ftp`, `movie`).
    pub stored: Option<PathBuf>,
    /// The command of the command dialects.
    pub command: String,
    /// The run's seed.
    pub seed: u64,
    /// The output of the first cut that passed, which every other cut must give too.
    pub reference: Option<Vec<u8>>,
}

/// Plays one cut. `Err` only when the server cannot be reached at all.
pub async fn play(ctx: &mut Ctx, plan: &CutPlan) -> Result<Verdict, ConnError> {
    let mut conn = DialectConn::connect(&ctx.addr, None, ctx.timeout).await?;
    if let Writes::Cut(cut) = &plan.writes {
        conn.set_nodelay(true);
        conn.set_cut(Some(cut.clone()), plan.pause);
    }
    let result = match ctx.dialect {
        Dialect::Echo | Dialect::EchoUpper => echo(ctx, plan, &mut conn).await,
        Dialect::UploadMd5 => upload_md5(ctx, plan, &mut conn).await,
        Dialect::Ftp | Dialect::Movie => silent_uploads(ctx, plan, &mut conn).await,
        _ => commands(ctx, plan, &mut conn).await,
    };
    Ok(match result {
        Ok(()) => Verdict::Pass,
        Err(cause) => Verdict::Fail(cause),
    })
}

/// Writes the requests (each a list of the seed client's sends) as the plan says.
async fn write_requests(
    conn: &mut DialectConn,
    plan: &CutPlan,
    requests: Vec<Vec<Vec<u8>>>,
) -> Result<(), ConnError> {
    match plan.writes {
        Writes::AsSent => {
            let mut sends: Vec<Vec<u8>> = Vec::new();
            for request in requests {
                let mut request = request.into_iter();
                // Back to back: the end of one request and the start of the next leave in
                // one write, as Nagle's algorithm would send them.
                match (sends.last_mut(), request.next()) {
                    (Some(last), Some(first)) => last.extend_from_slice(&first),
                    (None, Some(first)) => sends.push(first),
                    (_, None) => {}
                }
                sends.extend(request);
            }
            for send in sends {
                conn.write(&send).await?;
            }
            Ok(())
        }
        Writes::Merged | Writes::Cut(_) => {
            let all: Vec<u8> = requests.into_iter().flatten().flatten().collect();
            conn.write(&all).await
        }
    }
}

fn upload_sizes(plan: &CutPlan) -> Vec<usize> {
    if plan.back_to_back {
        vec![BIG_FILE, SECOND_FILE]
    } else if plan.small {
        vec![SMALL_FILE]
    } else {
        vec![BIG_FILE]
    }
}

fn request_error(error: impl std::fmt::Display) -> String {
    format!("seam check could not make its request: {error}")
}

async fn echo(ctx: &Ctx, plan: &CutPlan, conn: &mut DialectConn) -> Result<(), String> {
    let count = if plan.back_to_back { 2 } else { 1 };
    let requests = workload::echo_requests(ctx.dialect, count).map_err(request_error)?;
    write_requests(
        conn,
        plan,
        requests.iter().map(|r| vec![r.clone()]).collect(),
    )
    .await
    .map_err(|e| e.to_string())?;
    for (index, request) in requests.iter().enumerate() {
        let mut reader = ReplyReader::echo(request.len() as u64);
        let mut reply = Vec::new();
        conn.read_reply(&mut reader, plan.read_piece, |event| {
            if let ReplyEvent::Output(bytes) = event {
                reply.extend_from_slice(bytes);
            }
            None
        })
        .await
        .map_err(|e| e.to_string())?;
        let expected = expected_echo(ctx.dialect, request);
        if reply != expected {
            return Err(format!(
                "reply {} was {:?}, expected {:?}",
                index + 1,
                String::from_utf8_lossy(&reply),
                String::from_utf8_lossy(&expected)
            ));
        }
    }
    Ok(())
}

async fn commands(ctx: &mut Ctx, plan: &CutPlan, conn: &mut DialectConn) -> Result<(), String> {
    let request = workload::command(ctx.dialect, &ctx.command).map_err(request_error)?;
    let count = if plan.back_to_back { 2 } else { 1 };
    for index in 0..count {
        conn.write(&request).await.map_err(|e| e.to_string())?;
        let mut reader = ReplyReader::command(ctx.dialect).ok_or("not a command dialect")?;
        let mut output = Vec::new();
        conn.read_reply(&mut reader, plan.read_piece, |event| match event {
            ReplyEvent::Announced { .. } => Some(RECV_READY.to_vec()),
            ReplyEvent::Output(bytes) => {
                let room = MAX_OUTPUT.saturating_sub(output.len());
                output.extend_from_slice(&bytes[..bytes.len().min(room)]);
                None
            }
            _ => None,
        })
        .await
        .map_err(|e| match index {
            0 => e.to_string(),
            _ => format!("on the second request: {e}"),
        })?;
        match &ctx.reference {
            None => ctx.reference = Some(output),
            Some(reference) if *reference == output => {}
            Some(reference) => {
                return Err(format!(
                    "the output of {:?} was {} bytes ({:?}), but {} bytes ({:?}) in the first cut",
                    ctx.command,
                    output.len(),
                    preview(&output),
                    reference.len(),
                    preview(reference)
                ))
            }
        }
    }
    Ok(())
}

fn preview(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(60)]).into_owned();
    if bytes.len() > 60 {
        text + "…"
    } else {
        text
    }
}

async fn upload_md5(ctx: &Ctx, plan: &CutPlan, conn: &mut DialectConn) -> Result<(), String> {
    let uploads = workload::uploads(ctx.seed, plan.name, &upload_sizes(plan));
    let mut requests = Vec::new();
    for upload in &uploads {
        requests.push(workload::upload_sends(ctx.dialect, upload).map_err(request_error)?);
    }
    let mut requests = requests.into_iter();
    let first = requests.next().into_iter().collect();
    write_requests(conn, plan, first)
        .await
        .map_err(|e| e.to_string())?;
    for (index, upload) in uploads.iter().enumerate() {
        let mut md5 = md5_message(&upload.md5).map_err(request_error)?;
        // Back to back: the MD5 and the next request leave in one write, so the MD5 sticks
        // to the next header (the tutorial's server reads the MD5 with recv(1024)).
        if let Some(next) = requests.next() {
            md5.extend(next.into_iter().flatten());
        }
        let mut reader = ReplyReader::upload_md5();
        let mut verdict = None;
        let mut message = Some(md5);
        conn.read_reply(&mut reader, plan.read_piece, |event| match event {
            ReplyEvent::BodyReceived => message.take(),
            ReplyEvent::Md5Verdict { matched } => {
                verdict = Some(matched);
                None
            }
            _ => None,
        })
        .await
        .map_err(|e| {
            format!(
                "{} (upload {} of {}, {})",
                e,
                index + 1,
                uploads.len(),
                upload.name
            )
        })?;
        if verdict != Some(true) {
            return Err(format!(
                "the server answered 10000 (MD5 mismatch) for {}, though the file and its MD5 were right: it did not read exactly the file's bytes and then exactly the 32 bytes of the MD5 (one recv may return part of the MD5, or the MD5 with what follows it)",
                upload.name
            ));
        }
    }
    Ok(())
}

async fn silent_uploads(ctx: &Ctx, plan: &CutPlan, conn: &mut DialectConn) -> Result<(), String> {
    let Some(dir) = &ctx.stored else {
        return Err("--stored DIR is needed for a dialect that never replies".into());
    };
    let uploads: Vec<Upload> = workload::uploads(ctx.seed, plan.name, &upload_sizes(plan));
    let mut requests = Vec::new();
    for upload in &uploads {
        requests.push(workload::upload_sends(ctx.dialect, upload).map_err(request_error)?);
    }
    let sent = async {
        write_requests(conn, plan, requests).await?;
        conn.finish_silent(ctx.timeout.min(Duration::from_secs(1)))
            .await
    }
    .await;
    let connection = match sent {
        Ok(extra) if extra.is_empty() => None,
        Ok(extra) => Some(format!(
            "the server answered {} bytes ({:?}), though the {} dialect never replies",
            extra.len(),
            preview(&extra),
            ctx.dialect
        )),
        Err(error) => Some(error.to_string()),
    };
    let stored = wait_stored(dir, &uploads, ctx.timeout).await;
    if stored.is_ok() {
        // Whole and right: nothing to look at, so the folder is left as it was.
        for upload in &uploads {
            let _ = std::fs::remove_file(dir.join(&upload.name));
        }
    }
    match (connection, stored) {
        (None, Ok(())) => Ok(()),
        (Some(cause), Ok(())) | (None, Err(cause)) => Err(cause),
        (Some(connection), Err(stored)) => Err(format!("{stored}; and {connection}")),
    }
}
