//! Standard base64 (RFC 4648's alphabet, `=` padding required) decoded exactly as the
//! `base64` crate's `STANDARD` engine decodes it, errors and their wording included. That
//! decoder is unrolled for speed and adds about 6 KB to wasm builds; a trace is read once.

/// The padding symbol.
const PAD: u8 = b'=';

/// The 6 bits a symbol of the alphabet stands for.
fn bits(symbol: u8) -> Option<u32> {
    let value = match symbol {
        b'A'..=b'Z' => symbol - b'A',
        b'a'..=b'z' => symbol - b'a' + 26,
        b'0'..=b'9' => symbol - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    };
    Some(u32::from(value))
}

fn invalid_symbol(offset: usize, byte: u8) -> String {
    format!("Invalid symbol {byte}, offset {offset}.")
}

/// Decodes base64 text; the error is the `base64` crate's message.
pub(super) fn decode(input: &[u8]) -> Result<Vec<u8>, String> {
    let rem = input.len() % 4;
    // A lone last byte that is not a symbol (a newline, say) is reported first.
    if let (1, Some(&last)) = (rem, input.last()) {
        if last != PAD && bits(last).is_none() {
            return Err(invalid_symbol(input.len() - 1, last));
        }
    }
    // Every quad before the last one (which may hold padding) must be 4 symbols.
    let whole = input.len() - rem - if rem == 0 { input.len().min(4) } else { 0 };
    let mut out = Vec::with_capacity(input.len() / 4 * 3);
    for (quad, symbols) in input[..whole].chunks_exact(4).enumerate() {
        let mut n = 0u32;
        for (i, &symbol) in symbols.iter().enumerate() {
            n = n << 6 | bits(symbol).ok_or_else(|| invalid_symbol(quad * 4 + i, symbol))?;
        }
        out.extend_from_slice(&n.to_be_bytes()[1..]);
    }
    // The last quad: symbols, then only padding.
    let (mut n, mut symbols, mut padding, mut first_pad, mut last) = (0u32, 0, 0, 0, 0);
    for (i, &byte) in input[whole..].iter().enumerate() {
        if byte == PAD {
            if i < 2 {
                return Err(invalid_symbol(whole + i, byte));
            }
            if padding == 0 {
                first_pad = i;
            }
            padding += 1;
        } else if padding > 0 {
            return Err(invalid_symbol(whole + first_pad, PAD));
        } else {
            n |= bits(byte).ok_or_else(|| invalid_symbol(whole + i, byte))? << (26 - 6 * symbols);
            symbols += 1;
            last = byte;
        }
    }
    if !input.is_empty() && symbols < 2 {
        return Err(format!("Invalid input length: {}", whole + symbols));
    }
    if (padding + symbols) % 4 != 0 {
        return Err("Invalid padding".to_string());
    }
    // The bits of the last symbol that no byte holds must be 0.
    let bytes = symbols * 6 / 8;
    if n & (u32::MAX >> (bytes * 8)) != 0 {
        return Err(format!(
            "Invalid last symbol {last}, offset {}.",
            whole + symbols - 1
        ));
    }
    out.extend_from_slice(&n.to_be_bytes()[..bytes]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::decode;
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    use proptest::prelude::*;

    fn agrees(text: &[u8]) {
        let expected = STANDARD.decode(text).map_err(|e| e.to_string());
        assert_eq!(
            decode(text),
            expected,
            "{:?}",
            String::from_utf8_lossy(text)
        );
    }

    #[test]
    fn agrees_with_the_base64_crate_on_known_cases() {
        for text in [
            "",
            "A",
            "AA",
            "AA=",
            "AA==",
            "AQ==",
            "AB==",
            "AAA",
            "AAA=",
            "AAE=",
            "AAF=",
            "AAAA",
            "====",
            "A===",
            "AA=A",
            "AAAA====",
            "AAAAB",
            "AAAA\n",
            "AAA\n",
            "FgAAAA==",
            "aGk=",
            "aGk",
            "aGk==",
            "!!",
            "AAAA!AAA",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            "+/+/",
        ] {
            agrees(text.as_bytes());
        }
    }

    proptest! {
        #[test]
        fn agrees_with_the_base64_crate(
            text in proptest::collection::vec(
                prop::sample::select(b"AQgw+/Zz09=\n!-_ ".to_vec()),
                0..24,
            ),
        ) {
            agrees(&text);
        }

        #[test]
        fn decodes_what_the_base64_crate_encodes(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            agrees(STANDARD.encode(&bytes).as_bytes());
        }
    }
}
