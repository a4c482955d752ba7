//! A certificate's SHA-256 fingerprint, as `SHA256:` and 64 hex digits.

use std::fmt;
use std::str::FromStr;

use tokio_rustls::rustls::pki_types::CertificateDer;

/// The SHA-256 of a certificate's DER bytes: what a client pins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    /// The fingerprint of a certificate.
    pub fn of(cert: &CertificateDer<'_>) -> Fingerprint {
        let digest = ring::digest::digest(&ring::digest::SHA256, cert.as_ref());
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(digest.as_ref());
        Fingerprint(bytes)
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SHA256:")?;
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

/// Why a fingerprint given by a person or a file could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{0:?} is not a SHA-256 fingerprint: give SHA256: and 64 hex digits (colons allowed, as openssl prints them)")]
pub struct BadFingerprint(String);

impl FromStr for Fingerprint {
    type Err = BadFingerprint;

    /// Reads `SHA256:` and 64 hex digits; colons between digit pairs and upper case are
    /// accepted, so `openssl x509 -fingerprint -sha256` output can be pasted.
    fn from_str(text: &str) -> Result<Fingerprint, BadFingerprint> {
        let bad = || BadFingerprint(text.to_string());
        let trimmed = text.trim();
        let digits = trimmed
            .get(..7)
            .filter(|prefix| prefix.eq_ignore_ascii_case("sha256:"))
            .map(|_| &trimmed[7..])
            .or_else(|| {
                // openssl: "sha256 Fingerprint=AB:CD:..."
                trimmed.split_once("Fingerprint=").map(|(_, digits)| digits)
            })
            .ok_or_else(bad)?;
        let hex: Vec<u8> = digits.bytes().filter(|b| *b != b':').collect();
        if hex.len() != 64 {
            return Err(bad());
        }
        let mut bytes = [0u8; 32];
        for (byte, pair) in bytes.iter_mut().zip(hex.chunks(2)) {
            let pair = std::str::from_utf8(pair).map_err(|_| bad())?;
            *byte = u8::from_str_radix(pair, 16).map_err(|_| bad())?;
        }
        Ok(Fingerprint(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_it_prints_and_openssl_style() {
        let print = Fingerprint::of(&CertificateDer::from(vec![1, 2, 3]));
        assert_eq!(print.to_string().parse::<Fingerprint>().unwrap(), print);
        let openssl: String = print.to_string()[7..]
            .to_uppercase()
            .as_bytes()
            .chunks(2)
            .map(|pair| std::str::from_utf8(pair).unwrap())
            .collect::<Vec<_>>()
            .join(":");
        let pasted = format!("sha256 Fingerprint={openssl}");
        assert_eq!(pasted.parse::<Fingerprint>().unwrap(), print);
    }

    #[test]
    fn refuses_short_or_unprefixed_fingerprints() {
        assert!("SHA256:abcd".parse::<Fingerprint>().is_err());
        assert!("ab".repeat(32).parse::<Fingerprint>().is_err());
        assert!(format!("SHA256:{}", "zz".repeat(32))
            .parse::<Fingerprint>()
            .is_err());
    }
}
