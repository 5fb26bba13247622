//! Parsing a request head (RFC 9112), without allocating: the result borrows the buffer.

/// The request methods the server knows. Others are answered 405 (they name no resource
/// this server has), after the head is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    Other,
}

/// How the body is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    None,
    Length(u64),
    Chunked,
}

/// A parsed request head. `path` borrows the read buffer.
#[derive(Debug)]
pub struct Head<'a> {
    pub method: Method,
    pub path: &'a [u8],
    pub body: BodyKind,
    /// Whether the connection stays open after the response.
    pub keep_alive: bool,
    /// The client sent `Expect: 100-continue` and waits for a go-ahead before the body.
    pub expect_continue: bool,
    /// HTTP/1.0 (answered in kind).
    pub http10: bool,
    /// Bytes of the head, including the blank line.
    pub len: usize,
}

/// Why a head was refused; each maps to a status and closes the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadError {
    /// 400: malformed.
    BadRequest(&'static str),
    /// 431: request line and headers over the limit.
    TooLarge,
    /// 501: a transfer coding the server does not implement.
    NotImplemented(&'static str),
    /// 505: not HTTP/1.x.
    VersionNotSupported,
}

/// Parses the head at the start of `buf`: `Ok(None)` when it is not complete yet.
pub fn parse(buf: &[u8], max_head: usize) -> Result<Option<Head<'_>>, HeadError> {
    // A robust server ignores empty lines before a request line (RFC 9112 §2.2).
    let skipped = buf
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(buf.len());
    let rest = &buf[skipped..];
    let Some(end) = find_head_end(rest) else {
        return if rest.len() > max_head {
            Err(HeadError::TooLarge)
        } else {
            Ok(None)
        };
    };
    if end > max_head {
        return Err(HeadError::TooLarge);
    }
    let mut lines = rest[..end].split(|&b| b == b'\n').map(trim_cr);
    let request_line = lines.next().unwrap_or_default();
    let (method, path, http10) = parse_request_line(request_line)?;

    let mut head = Head {
        method,
        path,
        body: BodyKind::None,
        keep_alive: !http10,
        expect_continue: false,
        http10,
        len: skipped + end,
    };
    let (mut length, mut chunked, mut host) = (None::<u64>, false, false);
    for line in lines {
        if line.is_empty() {
            break;
        }
        let colon = line
            .iter()
            .position(|&b| b == b':')
            .ok_or(HeadError::BadRequest("header line without a colon"))?;
        let name = &line[..colon];
        if name.is_empty() || !name.iter().all(|&b| is_token(b)) {
            // Also catches whitespace before the colon, which RFC 9112 says to reject.
            return Err(HeadError::BadRequest("invalid header name"));
        }
        let value = trim_ows(&line[colon + 1..]);
        // Dispatch on the length first: most headers match none of these and cost one
        // comparison of lengths.
        match name.len() {
            14 if name.eq_ignore_ascii_case(b"content-length") => {
                let parsed = parse_length(value)?;
                if length.is_some_and(|l| l != parsed) {
                    return Err(HeadError::BadRequest("conflicting Content-Length headers"));
                }
                length = Some(parsed);
            }
            17 if name.eq_ignore_ascii_case(b"transfer-encoding") => {
                if !value.eq_ignore_ascii_case(b"chunked") {
                    return Err(HeadError::NotImplemented(
                        "only the chunked transfer coding is supported",
                    ));
                }
                chunked = true;
            }
            10 if name.eq_ignore_ascii_case(b"connection") => {
                for option in value.split(|&b| b == b',').map(trim_ows) {
                    if option.eq_ignore_ascii_case(b"close") {
                        head.keep_alive = false;
                    } else if option.eq_ignore_ascii_case(b"keep-alive") && http10 {
                        head.keep_alive = true;
                    }
                }
            }
            4 if name.eq_ignore_ascii_case(b"host") => host = true,
            6 if name.eq_ignore_ascii_case(b"expect") => {
                head.expect_continue = value.eq_ignore_ascii_case(b"100-continue");
            }
            _ => {}
        }
    }
    if !host && !http10 {
        return Err(HeadError::BadRequest(
            "HTTP/1.1 request without a Host header",
        ));
    }
    head.body = match (chunked, length) {
        // Both framings at once is how requests are smuggled past proxies: refuse.
        (true, Some(_)) => {
            return Err(HeadError::BadRequest(
                "both Content-Length and Transfer-Encoding",
            ))
        }
        (true, None) => BodyKind::Chunked,
        (false, Some(0)) | (false, None) => BodyKind::None,
        (false, Some(n)) => BodyKind::Length(n),
    };
    Ok(Some(head))
}

/// The offset just past the blank line that ends the head.
fn find_head_end(buf: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = buf[from..].iter().position(|&b| b == b'\n') {
        let at = from + i;
        // "\n\n" or "\n\r\n" ends the head.
        match buf.get(at + 1) {
            Some(b'\n') => return Some(at + 2),
            Some(b'\r') if buf.get(at + 2) == Some(&b'\n') => return Some(at + 3),
            Some(_) => from = at + 1,
            None => return None,
        }
    }
    None
}

fn parse_request_line(line: &[u8]) -> Result<(Method, &[u8], bool), HeadError> {
    let mut parts = line.split(|&b| b == b' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(HeadError::BadRequest("malformed request line"));
    };
    if method.is_empty() || !method.iter().all(|&b| is_token(b)) {
        return Err(HeadError::BadRequest("invalid method"));
    }
    if target.is_empty() || !target.iter().all(|&b| b.is_ascii_graphic()) {
        return Err(HeadError::BadRequest("invalid request target"));
    }
    let http10 = match version {
        b"HTTP/1.1" => false,
        b"HTTP/1.0" => true,
        v if v.starts_with(b"HTTP/") => return Err(HeadError::VersionNotSupported),
        _ => return Err(HeadError::BadRequest("invalid HTTP version")),
    };
    let method = match method {
        b"GET" => Method::Get,
        b"HEAD" => Method::Head,
        b"POST" => Method::Post,
        _ => Method::Other,
    };
    // Only the path matters for routing; a query string is ignored.
    let path = target.split(|&b| b == b'?').next().unwrap_or(target);
    Ok((method, path, http10))
}

fn parse_length(value: &[u8]) -> Result<u64, HeadError> {
    if value.is_empty() || value.len() > 19 || !value.iter().all(u8::is_ascii_digit) {
        return Err(HeadError::BadRequest("invalid Content-Length"));
    }
    Ok(value
        .iter()
        .fold(0u64, |n, &d| n * 10 + u64::from(d - b'0')))
}

/// RFC 9110 token characters (header names, methods), as a table: this runs for every
/// byte of every header name.
fn is_token(b: u8) -> bool {
    const TABLE: [bool; 256] = {
        let mut table = [false; 256];
        let mut i = 0;
        while i < 256 {
            let c = i as u8;
            table[i] = c.is_ascii_alphanumeric()
                || matches!(
                    c,
                    b'!' | b'#'
                        | b'$'
                        | b'%'
                        | b'&'
                        | b'\''
                        | b'*'
                        | b'+'
                        | b'-'
                        | b'.'
                        | b'^'
                        | b'_'
                        | b'`'
                        | b'|'
                        | b'~'
                );
            i += 1;
        }
        table
    };
    TABLE[b as usize]
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Trims optional whitespace (spaces and tabs) around a header value.
fn trim_ows(mut value: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = value {
        value = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = value {
        value = rest;
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_simple_get_parses_and_pipelined_data_stays_unread() {
        let buf = b"GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\n";
        let head = parse(buf, 8192).unwrap().unwrap();
        assert_eq!(head.method, Method::Get);
        assert_eq!(head.path, b"/plaintext");
        assert!(head.keep_alive);
        assert_eq!(&buf[head.len..], b"GET / HTTP/1.1\r\n");
    }

    #[test]
    fn incomplete_heads_wait_and_oversized_ones_fail() {
        assert!(parse(b"GET / HTTP/1.1\r\nHost: x\r\n", 8192)
            .unwrap()
            .is_none());
        let big = [b'a'; 100];
        assert_eq!(parse(&big, 64).unwrap_err(), HeadError::TooLarge);
    }

    #[test]
    fn smuggling_and_malformed_heads_are_refused() {
        let both = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert!(matches!(parse(both, 8192), Err(HeadError::BadRequest(_))));
        let space = b"GET / HTTP/1.1\r\nHost : x\r\n\r\n";
        assert!(matches!(parse(space, 8192), Err(HeadError::BadRequest(_))));
        let two = b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n";
        assert!(matches!(parse(two, 8192), Err(HeadError::BadRequest(_))));
        assert_eq!(
            parse(b"GET / HTTP/2.0\r\n\r\n", 8192).unwrap_err(),
            HeadError::VersionNotSupported
        );
        let gzip = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n";
        assert!(matches!(
            parse(gzip, 8192),
            Err(HeadError::NotImplemented(_))
        ));
        assert!(matches!(
            parse(b"GET / HTTP/1.1\r\n\r\n", 8192),
            Err(HeadError::BadRequest(_))
        ));
    }

    #[test]
    fn http10_closes_unless_asked_to_keep_alive() {
        let head = parse(b"GET / HTTP/1.0\r\n\r\n", 8192).unwrap().unwrap();
        assert!(!head.keep_alive && head.http10);
        let head = parse(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 8192)
            .unwrap()
            .unwrap();
        assert!(head.keep_alive);
    }
}
