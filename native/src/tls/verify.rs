//! How a client decides to trust a server's certificate: the pinning verifier (trust on
//! first use, or an explicit `--fingerprint`), or rustls' WebPKI verifier with `--tls-ca`.

use std::sync::{Arc, Mutex};

use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::crypto::{
    verify_tls12_signature, verify_tls13_signature, CryptoProvider,
};
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_rustls::rustls::{CertificateError, DigitallySignedStruct, Error, SignatureScheme};

use super::Fingerprint;

/// Which certificate a pinning verifier accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pin {
    /// Any (first use: nothing is known yet); the caller pins what was seen.
    FirstUse,
    /// Exactly the certificate with this fingerprint (known before, or given).
    Exactly(Fingerprint),
}

/// Accepts the one certificate its [`Pin`] names, whatever its names and dates (the pin is
/// the trust, as with ssh host keys), and checks that the server holds its key.
#[derive(Debug)]
pub struct PinningVerifier {
    pin: Pin,
    provider: Arc<CryptoProvider>,
    seen: Mutex<Option<Fingerprint>>,
}

impl PinningVerifier {
    /// A verifier for `pin`.
    pub fn new(pin: Pin, provider: Arc<CryptoProvider>) -> PinningVerifier {
        PinningVerifier {
            pin,
            provider,
            seen: Mutex::new(None),
        }
    }

    /// The fingerprint of the certificate the server presented, once it has.
    pub fn seen(&self) -> Option<Fingerprint> {
        *self.seen.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl ServerCertVerifier for PinningVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let print = Fingerprint::of(end_entity);
        *self.seen.lock().unwrap_or_else(|e| e.into_inner()) = Some(print);
        match self.pin {
            Pin::FirstUse => Ok(ServerCertVerified::assertion()),
            Pin::Exactly(pinned) if pinned == print => Ok(ServerCertVerified::assertion()),
            Pin::Exactly(_) => Err(Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            )),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
