//! A connection to a server, past the hello: requests out, replies in.

use seam_core::messages::{Reply, Request};
use seam_core::Framing;

use super::connect::connect;
use super::error::ClientError;
use super::options::ClientOptions;
use crate::tls::{ReadHalf, WriteHalf};
use crate::traced::{TraceSink, Traced};
use crate::wire::{FrameReader, FrameWriter, Head, WireError};

/// A connection to a server, past the hello.
pub struct Session {
    /// Reads replies.
    pub reader: FrameReader<Traced<ReadHalf>>,
    /// Writes requests.
    pub writer: FrameWriter<Traced<WriteHalf>>,
}

impl Session {
    /// Connects (over TLS with `--tls`: the hello and its token go only after the
    /// handshake), says hello (with the token, if any) and waits for the welcome.
    pub async fn connect(args: &ClientOptions) -> Result<Session, ClientError> {
        let trace = match &args.trace {
            Some(path) => Some(TraceSink::create(path).map_err(|e| ClientError::local(path, e))?),
            None => None,
        };
        let stream = connect(args).await?;
        let tls = stream.is_tls();
        if tls && trace.is_some() && !args.quiet {
            eprintln!("seam: the trace records the plaintext frames, as decrypted from TLS");
        }
        let (read, write) = stream.split();
        let mut session = Session {
            reader: FrameReader::new(Traced::new(read, trace.clone(), 0), Framing::default()),
            writer: FrameWriter::new(Traced::new(write, trace, 0), Framing::default()),
        };
        session
            .send(&Request::Hello {
                token: args.token.clone(),
                client: format!("seam {}", env!("CARGO_PKG_VERSION")),
            })
            .await?;
        let head = match session.reader.next_header().await {
            // A TLS server's record read as a Seam length prefix: say what it is.
            Err(WireError::Decode(error)) if !tls && crate::tls::decode_error_is_tls(&error) => {
                return Err(ClientError::Tls(format!(
                    "{} speaks TLS: add --tls (or SEAM_TLS=1)",
                    args.server
                )));
            }
            head => head?,
        };
        match reply_of(head) {
            Err(ClientError::Refused { message, .. })
                if !tls && message == crate::tls::server::PLAIN_ON_TLS =>
            {
                Err(ClientError::Tls(format!(
                    "{} speaks TLS: add --tls (or SEAM_TLS=1)",
                    args.server
                )))
            }
            other => match other? {
                Reply::Welcome { .. } => Ok(session),
                other => Err(ClientError::unexpected("welcome", &other)),
            },
        }
    }

    /// Sends a request without a body.
    pub async fn send(&mut self, request: &Request) -> Result<(), ClientError> {
        self.writer.send(request).await?;
        self.writer.flush().await?;
        Ok(())
    }

    /// The next reply; an `error` reply becomes [`ClientError::Refused`].
    pub async fn reply(&mut self) -> Result<Reply, ClientError> {
        reply_of(self.reader.next_header().await?)
    }

    /// Says goodbye: closes the writing side so the server sees a clean end.
    pub async fn close(mut self) {
        let _ = self.writer.shutdown().await;
    }
}

/// The reply a header read gives; an `error` reply becomes [`ClientError::Refused`].
fn reply_of(head: Option<Head>) -> Result<Reply, ClientError> {
    let Some(head) = head else {
        return Err(ClientError::Closed);
    };
    let reply =
        Reply::from_header(&head.header).map_err(|e| ClientError::Protocol(e.to_string()))?;
    match reply {
        Reply::Error { code, message } => Err(ClientError::Refused { code, message }),
        reply => Ok(reply),
    }
}
