//! `seam ls` and `seam rm`.

use seam_core::messages::{clean_text, Reply, Request};
use serde_json::json;

use super::error::ClientError;
use super::session::Session;
use crate::client::options::{LsOptions, RmOptions};

/// Prints the server's files: name and size, or one JSON line each with `--json`.
pub async fn ls(args: &LsOptions) -> Result<(), ClientError> {
    let mut session = Session::connect(&args.client).await?;
    let request = if args.partial {
        Request::ListPartial
    } else {
        Request::List
    };
    session.send(&request).await?;
    let files = match session.reply().await? {
        Reply::Listing { files } => files,
        other => return Err(ClientError::unexpected("listing", &other)),
    };
    session.close().await;
    for file in &files {
        if args.client.json {
            println!("{}", json!({"name": file.name, "bytes": file.bytes}));
        } else {
            // A hostile server may send any name: its control characters are not printed.
            println!("{:>14}  {}", file.bytes, clean_text(&file.name));
        }
    }
    Ok(())
}

/// Deletes one file on the server.
pub async fn rm(args: &RmOptions) -> Result<(), ClientError> {
    let mut session = Session::connect(&args.client).await?;
    let name = args.name.clone();
    let request = if args.partial {
        Request::DeletePartial { name }
    } else {
        Request::Delete { name }
    };
    session.send(&request).await?;
    match session.reply().await? {
        Reply::Deleted { name } => {
            session.close().await;
            super::print_result(
                &args.client,
                json!({"ok": true, "op": "rm", "name": name, "partial": args.partial}),
                || {
                    let what = if args.partial {
                        "the partial upload of "
                    } else {
                        ""
                    };
                    format!("deleted {what}{name}")
                },
            );
            Ok(())
        }
        other => Err(ClientError::unexpected("deleted", &other)),
    }
}
