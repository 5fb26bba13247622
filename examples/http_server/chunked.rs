//! The lines of a chunked body (RFC 9112 §7.1): chunk sizes and trailer fields.
//!
//! Stricter than the head's syntax on purpose. A head's lines may end in a bare LF, but
//! chunked framing that two parsers read differently is how requests are smuggled past a
//! proxy, so the connection asks for CRLF, and these refuse anything outside the grammar:
//! whitespace before a size, control characters in an extension, a trailer line without a
//! colon.

use crate::request::{is_field_value, is_token};

/// A chunk-size line (without its CRLF): `1*HEXDIG [ BWS ";" chunk-ext ]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SizeLine {
    /// The size of the chunk that follows.
    pub size: u64,
    /// Bytes of the line after the size: its extensions, which are skipped.
    pub extensions: usize,
}

/// Parses a chunk-size line; `None` if it is malformed. Extensions are not interpreted, so
/// only their characters are checked: those of a field value (no control characters but
/// HTAB).
pub fn size_line(line: &[u8]) -> Option<SizeLine> {
    let digits = line
        .iter()
        .position(|b| !b.is_ascii_hexdigit())
        .unwrap_or(line.len());
    // Sixteen hex digits fit a u64; a longer size is refused even with leading zeros.
    if digits == 0 || digits > 16 {
        return None;
    }
    let size = line[..digits].iter().fold(0u64, |n, &b| {
        let digit = (b as char).to_digit(16).expect("a hex digit");
        n << 4 | u64::from(digit)
    });
    let extensions = &line[digits..];
    let after_bws = extensions
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(extensions.len());
    let well_formed = extensions.is_empty()
        || (extensions.get(after_bws) == Some(&b';') && is_field_value(extensions));
    well_formed.then_some(SizeLine {
        size,
        extensions: extensions.len(),
    })
}

/// Whether `line` (without its CRLF) is a trailer field: `field-name ":" field-value`, the
/// same syntax as a header field (RFC 9112 §7.1.2). Trailers are then skipped.
pub fn is_trailer_field(line: &[u8]) -> bool {
    match line.iter().position(|&b| b == b':') {
        Some(colon) => colon > 0 && is_token(&line[..colon]) && is_field_value(&line[colon + 1..]),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_sizes_and_extensions_parse() {
        let parsed = |line: &[u8]| size_line(line).map(|s| (s.size, s.extensions));
        assert_eq!(parsed(b"0"), Some((0, 0)));
        assert_eq!(parsed(b"1aF"), Some((0x1af, 0)));
        assert_eq!(parsed(b"ffffffffffffffff"), Some((u64::MAX, 0)));
        assert_eq!(parsed(b"5;ext=1"), Some((5, 6)));
        assert_eq!(parsed(b"5 \t; a=\"b c\"\t;d"), Some((5, 14)));
        for bad in [
            &b""[..],
            b" 3",
            b"\t3",
            b"-3",
            b"0x3",
            b"3 ",
            b"3 x",
            b"3x",
            b"3;a=\x01",
            b"3;a=\rb",
            b"3;a\x7f",
            b"3;a\n",
            b"10000000000000000",
            b"00000000000000003",
        ] {
            assert_eq!(size_line(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn trailer_fields_need_a_name_and_a_colon() {
        assert!(is_trailer_field(b"Trailer: x"));
        assert!(is_trailer_field(b"X-Empty:"));
        assert!(is_trailer_field(b"X-Tab:\ta\tb\x80"));
        for bad in [
            &b"bad trailer no colon"[..],
            b": no name",
            b"Bad Name: x",
            b" folded: x",
            b"X: a\rb",
            b"X: a\0b",
        ] {
            assert!(!is_trailer_field(bad), "{}", String::from_utf8_lossy(bad));
        }
    }
}
