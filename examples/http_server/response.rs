//! Writing responses into the connection's output buffer.

use std::cell::RefCell;

use crate::date;

/// A status line's code and reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status(pub u16, pub &'static str);

pub const OK: Status = Status(200, "OK");
pub const BAD_REQUEST: Status = Status(400, "Bad Request");
pub const NOT_FOUND: Status = Status(404, "Not Found");
pub const METHOD_NOT_ALLOWED: Status = Status(405, "Method Not Allowed");
pub const REQUEST_TIMEOUT: Status = Status(408, "Request Timeout");
pub const PAYLOAD_TOO_LARGE: Status = Status(413, "Content Too Large");
pub const HEADERS_TOO_LARGE: Status = Status(431, "Request Header Fields Too Large");
pub const NOT_IMPLEMENTED: Status = Status(501, "Not Implemented");
pub const VERSION_NOT_SUPPORTED: Status = Status(505, "HTTP Version Not Supported");

/// What one response says, besides its body.
pub struct Response<'a> {
    pub status: Status,
    pub content_type: &'static str,
    pub body: &'a [u8],
    /// Whether the connection stays open afterwards.
    pub keep_alive: bool,
    /// Answer an HTTP/1.0 request in kind.
    pub http10: bool,
    /// A HEAD request: headers as for GET, no body.
    pub head_only: bool,
    /// An `Allow` header, for 405.
    pub allow: Option<&'static str>,
}

impl Response<'_> {
    /// Appends the response to `out`.
    ///
    /// Consecutive responses mostly have the same head (the same status, type, length and
    /// second of the date), so the last head written on this thread is kept and copied
    /// whole when the next one matches it.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        date::with_date(|date, generation| {
            let Some(date_generation) = generation else {
                // Only a date kept fresh can be compared this cheaply.
                return self.write_head(out, date);
            };
            let key = HeadKey {
                status: self.status.0,
                reason: (self.status.1.as_ptr(), self.status.1.len()),
                content_type: (self.content_type.as_ptr(), self.content_type.len()),
                length: self.body.len(),
                keep_alive: self.keep_alive,
                http10: self.http10,
                allow: self.allow.map(|allow| (allow.as_ptr(), allow.len())),
                date_generation,
            };
            LAST_HEAD.with(|last| {
                let mut last = last.borrow_mut();
                if last.0 != Some(key) {
                    last.1.clear();
                    self.write_head(&mut last.1, date);
                    last.0 = Some(key);
                }
                out.extend_from_slice(&last.1);
            });
        });
        if !self.head_only {
            out.extend_from_slice(self.body);
        }
    }

    /// Appends the status line and headers, through the blank line.
    fn write_head(&self, out: &mut Vec<u8>, date: &[u8; 29]) {
        out.extend_from_slice(if self.http10 {
            b"HTTP/1.0 "
        } else {
            b"HTTP/1.1 "
        });
        push_decimal(out, self.status.0.into());
        out.push(b' ');
        out.extend_from_slice(self.status.1.as_bytes());
        out.extend_from_slice(b"\r\nServer: mirage\r\nContent-Type: ");
        out.extend_from_slice(self.content_type.as_bytes());
        out.extend_from_slice(b"\r\nContent-Length: ");
        push_decimal(out, self.body.len() as u64);
        out.extend_from_slice(b"\r\nDate: ");
        out.extend_from_slice(date);
        if let Some(allow) = self.allow {
            out.extend_from_slice(b"\r\nAllow: ");
            out.extend_from_slice(allow.as_bytes());
        }
        match (self.keep_alive, self.http10) {
            (false, false) => out.extend_from_slice(b"\r\nConnection: close"),
            (true, true) => out.extend_from_slice(b"\r\nConnection: keep-alive"),
            _ => {}
        }
        out.extend_from_slice(b"\r\n\r\n");
    }
}

/// Everything a response head depends on. The static strings are compared by address,
/// which is cheaper and at worst misses a match.
#[derive(Clone, Copy, PartialEq, Eq)]
struct HeadKey {
    status: u16,
    reason: (*const u8, usize),
    content_type: (*const u8, usize),
    length: usize,
    keep_alive: bool,
    http10: bool,
    allow: Option<(*const u8, usize)>,
    date_generation: u64,
}

thread_local! {
    /// The last head written on this thread, and what it was written for.
    static LAST_HEAD: RefCell<(Option<HeadKey>, Vec<u8>)> = const { RefCell::new((None, Vec::new())) };
}

/// Appends `n` in decimal.
fn push_decimal(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn without_date(response: &[u8]) -> Vec<u8> {
        let at = response.windows(6).position(|w| w == b"Date: ").unwrap() + 6;
        [&response[..at], &response[at + 29..]].concat()
    }

    #[test]
    fn a_reused_head_matches_a_freshly_written_one() {
        let plain = |keep_alive, http10, body: &'static [u8]| Response {
            status: OK,
            content_type: "text/plain",
            body,
            keep_alive,
            http10,
            head_only: false,
            allow: None,
        };
        // Each response after the first either reuses the last head or writes its own;
        // either way it must equal what writing it from scratch gives.
        let responses = [
            plain(true, false, b"a"),
            plain(true, false, b"b"),
            plain(false, false, b"b"),
            plain(true, true, b"b"),
            plain(true, false, b"ab"),
            plain(true, false, b"ba"),
        ];
        let mut core = mirage::Core::new().unwrap();
        core.run(async {
            // Heads are reused only while the date is kept fresh.
            let ticker = mirage::spawn(date::keep_fresh());
            mirage::yield_now().await;
            for response in &responses {
                let mut reused = Vec::new();
                response.write_to(&mut reused);
                let mut fresh = Vec::new();
                date::with_date(|date, generation| {
                    assert!(generation.is_some());
                    response.write_head(&mut fresh, date);
                });
                fresh.extend_from_slice(response.body);
                // The date may have moved to the next second in between.
                assert_eq!(without_date(&reused), without_date(&fresh));
            }
            ticker.abort();
        });
    }

    #[test]
    fn a_response_has_length_date_and_connection_headers() {
        let mut out = Vec::new();
        Response {
            status: OK,
            content_type: "text/plain",
            body: b"hi",
            keep_alive: false,
            http10: false,
            head_only: false,
            allow: None,
        }
        .write_to(&mut out);
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
        assert!(text.contains("\r\nContent-Length: 2\r\n"), "{text}");
        assert!(text.contains("\r\nConnection: close\r\n"), "{text}");
        assert!(text.ends_with("\r\n\r\nhi"), "{text}");
    }
}
