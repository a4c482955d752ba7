//! The client side: a TCP connection to the server, then (with `--tls`) the TLS handshake,
//! trusting the server's certificate as the flags say, with a clear error for each way
//! this goes wrong. Nothing is sent before the handshake has succeeded.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{CertificateError, ClientConfig, Error as TlsError, RootCertStore};
use tokio_rustls::{TlsConnector, TlsStream};

use super::error::ClientError;
use super::options::ClientOptions;
use crate::tls::known_servers::{self, KnownServers};
use crate::tls::verify::{Pin, PinningVerifier};
use crate::tls::{provider, transport, Fingerprint, Stream};

/// How this connection decides to trust the server, kept to explain a refusal and to pin
/// a first-use certificate afterwards.
enum Trust {
    /// Against a CA file, by name and date.
    Ca(String),
    /// The certificate given with `--fingerprint`.
    Given(Arc<PinningVerifier>, Fingerprint),
    /// The known-servers file: pinned there, or pinned now (first use).
    Known(Arc<PinningVerifier>, KnownServers),
}

/// Connects to `args.server`: plain TCP, or TLS with `--tls`, `--fingerprint`, `--tls-ca`
/// or `SEAM_TLS=1`.
pub async fn connect(args: &ClientOptions) -> Result<Stream, ClientError> {
    let server = &args.server;
    let tcp = TcpStream::connect(server)
        .await
        .map_err(|e| ClientError::Connect(server.clone(), e))?;
    let _ = tcp.set_nodelay(true);
    let tls = &args.secure;
    if !tls.enabled() {
        let peer = tcp
            .peer_addr()
            .map_err(|e| ClientError::Connect(server.clone(), e))?;
        if args.token.is_some() && !clear_text_allowed(peer.ip(), tls.insecure) {
            return Err(ClientError::Usage(format!(
                "refusing to send the token in clear text to {server}, off this machine: add \
                 --tls (or SEAM_TLS=1), or --insecure if you mean it"
            )));
        }
        return Ok(Stream::Plain(tcp));
    }
    let host = host_of(server);
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| ClientError::Tls(format!("TLS set-up failed: {e}")))?;
    let (config, trust) = if let Some(ca) = &tls.tls_ca {
        let roots = load_roots(ca)?;
        let config = builder.with_root_certificates(roots).with_no_client_auth();
        (config, Trust::Ca(ca.display().to_string()))
    } else {
        let known = match tls.fingerprint {
            Some(print) => Err(print),
            None => {
                let path = known_servers::default_path().ok_or_else(|| {
                    ClientError::Tls(
                        "no place for the known-servers file: set XDG_CONFIG_HOME or HOME, \
                         or pin the certificate with --fingerprint"
                            .into(),
                    )
                })?;
                Ok(KnownServers::load(&path).map_err(|e| ClientError::Tls(e.to_string()))?)
            }
        };
        // `Ok`: the known-servers file; `Err`: the fingerprint given instead.
        let pin = match &known {
            Ok(known) => known.get(server).map_or(Pin::FirstUse, Pin::Exactly),
            Err(print) => Pin::Exactly(*print),
        };
        let verifier = Arc::new(PinningVerifier::new(pin, provider));
        let config = builder
            .dangerous()
            .with_custom_certificate_verifier(verifier.clone())
            .with_no_client_auth();
        let trust = match known {
            Ok(known) => Trust::Known(verifier, known),
            Err(print) => Trust::Given(verifier, print),
        };
        (config, trust)
    };
    let name = match ServerName::try_from(host.to_string()) {
        Ok(name) => name,
        Err(_) if !matches!(trust, Trust::Ca(_)) => ServerName::try_from("localhost").unwrap(),
        Err(_) => {
            return Err(ClientError::Tls(format!(
                "{host:?} is not a host name or address a certificate can be checked against"
            )))
        }
    };
    let connector = TlsConnector::from(Arc::new(config));
    let limit = Duration::from_secs_f64(tls.handshake_timeout);
    let stream = match tokio::time::timeout(limit, connector.connect(name, transport(tcp))).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(error)) => return Err(explain(server, host, &trust, error)),
        Err(_) => {
            return Err(ClientError::Tls(format!(
                "no TLS handshake from {server} within {} s: it accepted the connection but \
                 never answered",
                limit.as_secs_f64()
            )))
        }
    };
    if let Trust::Known(verifier, mut known) = trust {
        if let (Some(print), None) = (verifier.seen(), known.get(server)) {
            known
                .pin(server, print)
                .map_err(|e| ClientError::Tls(format!("cannot pin the certificate: {e}")))?;
            eprintln!(
                "seam: first TLS connection to {server}: its certificate {print} is now pinned \
                 in {}; check it against what `seam serve --tls` printed",
                known.path().display()
            );
        }
    }
    Ok(Stream::Tls(Box::new(TlsStream::Client(stream))))
}

/// Whether a secret may be sent without TLS to `peer`: on loopback, or with `--insecure`.
fn clear_text_allowed(peer: std::net::IpAddr, insecure: bool) -> bool {
    insecure || peer.is_loopback()
}

/// The host part of `HOST:PORT` (brackets of an IPv6 address removed).
fn host_of(server: &str) -> &str {
    let host = server.rsplit_once(':').map_or(server, |(host, _)| host);
    host.trim_start_matches('[').trim_end_matches(']')
}

/// The certificates of a CA file (PEM).
fn load_roots(path: &Path) -> Result<RootCertStore, ClientError> {
    let bad = |message: String| ClientError::Tls(format!("{}: {message}", path.display()));
    let mut roots = RootCertStore::empty();
    let certs = CertificateDer::pem_file_iter(path).map_err(|e| bad(e.to_string()))?;
    for cert in certs {
        let cert = cert.map_err(|e| bad(e.to_string()))?;
        roots.add(cert).map_err(|e| bad(e.to_string()))?;
    }
    if roots.is_empty() {
        return Err(bad("no PEM certificate in it".into()));
    }
    Ok(roots)
}

/// Says why a handshake failed, in the user's terms.
fn explain(server: &str, host: &str, trust: &Trust, error: std::io::Error) -> ClientError {
    let pinned = match trust {
        Trust::Given(verifier, print) => Some((verifier, *print, None)),
        Trust::Known(verifier, known) => known
            .get(server)
            .map(|print| (verifier, print, Some(known.path()))),
        Trust::Ca(_) => None,
    };
    if let Some((verifier, expected, file)) = pinned {
        if let Some(seen) = verifier.seen().filter(|seen| *seen != expected) {
            return ClientError::Tls(match file {
                Some(file) => format!(
                    "the certificate of {server} has CHANGED since it was pinned: it was \
                     {expected}, it is now {seen}. Someone may be intercepting the connection, \
                     or the server made a new certificate. If you know the new one is right, \
                     remove the line for {server} from {} (e.g. sed -i '/^{} /d' {}) and \
                     connect again",
                    file.display(),
                    server
                        .replace('[', "\\[")
                        .replace(']', "\\]")
                        .replace('.', "\\."),
                    file.display()
                ),
                None => format!(
                    "the certificate of {server} is {seen}, not the {expected} given with \
                     --fingerprint; refusing the connection"
                ),
            });
        }
    }
    let ca = match trust {
        Trust::Ca(file) => file.as_str(),
        _ => "",
    };
    let tls_error = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<TlsError>());
    let message = match tls_error {
        Some(TlsError::InvalidCertificate(
            CertificateError::Expired | CertificateError::ExpiredContext { .. },
        )) => format!("the certificate of {server} has expired (checked with --tls-ca {ca})"),
        Some(TlsError::InvalidCertificate(
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. },
        )) => format!("the certificate of {server} is not valid yet (checked with --tls-ca {ca})"),
        Some(TlsError::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        )) => format!(
            "the certificate of {server} is not valid for the name {host:?} (checked with \
             --tls-ca {ca}); connect with a name the certificate holds"
        ),
        Some(TlsError::InvalidCertificate(
            CertificateError::UnknownIssuer | CertificateError::BadSignature,
        )) => format!("the certificate of {server} is not signed by the CA in {ca}"),
        Some(TlsError::InvalidCertificate(other)) => {
            format!("the certificate of {server} is not acceptable: {other:?}")
        }
        Some(TlsError::InvalidMessage(_)) => format!(
            "{server} did not answer in TLS: it seems to speak plain Seam; drop --tls \
             (and SEAM_TLS), or start the server with --tls"
        ),
        Some(TlsError::AlertReceived(alert)) => {
            format!("{server} refused the TLS handshake (alert: {alert:?})")
        }
        Some(other) => format!("TLS handshake with {server} failed: {other}"),
        None if matches!(
            error.kind(),
            std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset
        ) =>
        {
            format!(
                "{server} closed the connection during the TLS handshake: it may not speak \
                 TLS (drop --tls), or it refused us"
            )
        }
        None => format!("TLS handshake with {server} failed: {error}"),
    };
    ClientError::Tls(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_goes_in_clear_text_only_on_loopback_or_with_insecure() {
        let loopback = "127.0.0.1".parse().unwrap();
        let lan = "192.168.1.20".parse().unwrap();
        assert!(clear_text_allowed(loopback, false));
        assert!(clear_text_allowed("::1".parse().unwrap(), false));
        assert!(!clear_text_allowed(lan, false));
        assert!(clear_text_allowed(lan, true));
    }

    #[test]
    fn the_host_is_the_address_without_its_port() {
        assert_eq!(host_of("localhost:8800"), "localhost");
        assert_eq!(host_of("[::1]:8800"), "::1");
        assert_eq!(host_of("10.0.0.2:1"), "10.0.0.2");
    }
}
