//! What `seam check` sends: the requests of each dialect, and the seed client's `send()` calls.

use seam_core::dialect::client::{command_request, echo_request, upload_head, RequestError};
use seam_core::dialect::Dialect;
use seam_core::md5_hex;

/// The first file of an upload cut, in bytes.
pub const BIG_FILE: usize = 1_000_000;
/// The second file of the back-to-back cut, in bytes.
pub const SECOND_FILE: usize = 2_000;
/// The file of the cuts that write a chunk at a time.
pub const SMALL_FILE: usize = 300;

/// The messages of the echo dialects.
pub const ECHO_TEXTS: [&str; 2] = [
    "Hello from seam check: sticky and split packets!",
    "And a second message, right behind the first.",
];

/// One file to upload.
#[derive(Debug, Clone)]
pub struct Upload {
    /// Its name on the server.
    pub name: String,
    /// Its bytes.
    pub body: Vec<u8>,
    /// Their MD5.
    pub md5: String,
}

/// The files of one cut: names made of the run's seed and the cut, so that no earlier run's
/// file can pass for this one's.
pub fn uploads(seed: u64, cut: &str, sizes: &[usize]) -> Vec<Upload> {
    sizes
        .iter()
        .enumerate()
        .map(|(index, &size)| {
            let body = pattern(seed ^ (index as u64 + 1).wrapping_mul(0x9E37_79B9), size);
            Upload {
                name: format!("seam-check-{seed}-{cut}-{}.bin", index + 1),
                md5: md5_hex(&body),
                body,
            }
        })
        .collect()
}

/// Deterministic bytes with a line break every so often (the seed clients send a file
/// line by line, `for line in f: sock.send(line)`).
fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as u8
        })
        .collect()
}

/// The seed client's `send()` calls for one upload: the 4-byte length, the JSON header,
/// then the file line by line.
pub fn upload_sends(dialect: Dialect, upload: &Upload) -> Result<Vec<Vec<u8>>, RequestError> {
    let head = upload_head(dialect, &upload.name, upload.body.len() as u64)?;
    let (prefix, json) = head.split_at(4);
    let mut sends = vec![prefix.to_vec(), json.to_vec()];
    sends.extend(
        upload
            .body
            .split_inclusive(|&b| b == b'\n')
            .map(<[u8]>::to_vec),
    );
    Ok(sends)
}

/// The echo requests of a cut: one, or two back to back.
pub fn echo_requests(dialect: Dialect, count: usize) -> Result<Vec<Vec<u8>>, RequestError> {
    ECHO_TEXTS[..count]
        .iter()
        .map(|text| echo_request(dialect, text.as_bytes()))
        .collect()
}

/// The command request.
pub fn command(dialect: Dialect, text: &str) -> Result<Vec<u8>, RequestError> {
    command_request(dialect, text)
}

/// Writes a whole number with thousands separators, as the reports say sizes.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_said_with_thousands_separators() {
        assert_eq!(grouped(1_001_571), "1,001,571");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
    }

    #[test]
    fn the_sends_of_an_upload_cover_its_bytes_exactly() {
        let upload = &uploads(7, "t", &[5000])[0];
        let sends = upload_sends(Dialect::Ftp, upload).unwrap();
        let all: Vec<u8> = sends.concat();
        let head = upload_head(Dialect::Ftp, &upload.name, 5000).unwrap();
        assert_eq!(&all[..head.len()], &head[..]);
        assert_eq!(&all[head.len()..], &upload.body[..]);
        assert!(sends.len() > 3, "the body goes line by line");
    }
}
