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
    /// The path of the target, without its query; `/` for an absolute-form target without
    /// one.
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
///
/// One pass over the bytes, each looked up once in a table of character classes; a
/// malformed head is refused as soon as its first bad byte arrives.
pub fn parse(buf: &[u8], max_head: usize) -> Result<Option<Head<'_>>, HeadError> {
    // A robust server ignores empty lines before a request line (RFC 9112 §2.2).
    let skipped = empty_lines(buf);
    if buf[skipped..] == *b"\r" {
        // Maybe the CR of one more.
        return Ok(None);
    }
    match parse_head(buf, skipped) {
        Ok(head) if head.len - skipped > max_head => Err(HeadError::TooLarge),
        Ok(head) => Ok(Some(head)),
        Err(Stop::Partial) if buf.len() - skipped > max_head => Err(HeadError::TooLarge),
        Err(Stop::Partial) => Ok(None),
        Err(Stop::Refused(err)) => Err(err),
    }
}

/// The length of the empty lines at the start of `buf`: CRLFs and bare LFs. A bare CR ends
/// no line (RFC 9112 §2.2): it is left to the request line, which refuses it.
fn empty_lines(buf: &[u8]) -> usize {
    let mut at = 0;
    loop {
        match &buf[at..] {
            [b'\n', ..] => at += 1,
            [b'\r', b'\n', ..] => at += 2,
            _ => return at,
        }
    }
}

/// Why [`parse_head`] stopped short of a head.
enum Stop {
    /// The bytes so far are a valid beginning: wait for more.
    Partial,
    Refused(HeadError),
}

impl From<HeadError> for Stop {
    fn from(err: HeadError) -> Stop {
        Stop::Refused(err)
    }
}

fn bad(why: &'static str) -> Stop {
    Stop::Refused(HeadError::BadRequest(why))
}

/// Parses the head that starts at `buf[at..]`.
#[inline]
fn parse_head(buf: &[u8], mut at: usize) -> Result<Head<'_>, Stop> {
    // The request line: method SP request-target SP HTTP-version CRLF.
    let start = at;
    at = skip(buf, at, TOKEN)?;
    let method = &buf[start..at];
    if method.is_empty() || buf[at] != b' ' {
        return Err(bad("invalid method"));
    }
    at += 1;
    let start = at;
    // Only the path matters for routing; a query string is ignored.
    at = skip_words(buf, at, PATH, path_stops)?;
    let mut path = &buf[start..at];
    if buf[at] == b'?' {
        at = skip_words(buf, at, TARGET, target_stops)?;
    }
    if path.is_empty() || buf[at] != b' ' {
        return Err(bad("invalid request target"));
    }
    if path[0] != b'/' {
        path = absolute_path(path)?;
    }
    at += 1;
    let start = at;
    at = skip_words(buf, at, TARGET, target_stops)?;
    let http10 = match &buf[start..at] {
        b"HTTP/1.1" => false,
        b"HTTP/1.0" => true,
        // A later 1.x minor version is answered as HTTP/1.1, its highest version this server
        // speaks (RFC 9110 §6.2, RFC 9112 §2.3).
        [b'H', b'T', b'T', b'P', b'/', b'1', b'.', minor] if minor.is_ascii_digit() => false,
        v if v.starts_with(b"HTTP/") => return Err(HeadError::VersionNotSupported.into()),
        _ => return Err(bad("invalid HTTP version")),
    };
    at = line_end(buf, at, "malformed request line")?;

    let mut head = Head {
        method: match method {
            b"GET" => Method::Get,
            b"HEAD" => Method::Head,
            b"POST" => Method::Post,
            _ => Method::Other,
        },
        path,
        body: BodyKind::None,
        keep_alive: !http10,
        expect_continue: false,
        http10,
        len: 0,
    };
    let (mut length, mut chunked, mut host, mut close) = (None::<u64>, false, false, false);
    // Header fields up to the blank line: field-name ":" OWS field-value OWS CRLF.
    loop {
        match buf.get(at) {
            None => return Err(Stop::Partial),
            Some(b'\r' | b'\n') => {
                at = line_end(buf, at, "malformed blank line")?;
                break;
            }
            Some(_) => {}
        }
        let start = at;
        at = skip(buf, at, TOKEN)?;
        let name = &buf[start..at];
        match buf[at] {
            b':' if !name.is_empty() => {}
            b'\r' | b'\n' => return Err(bad("header line without a colon")),
            // Also whitespace before the colon, and obsolete line folding: RFC 9112
            // says to reject both.
            _ => return Err(bad("invalid header name")),
        }
        at = skip(buf, at + 1, SPACE)?;
        let start = at;
        if is_host(name) {
            // RFC 9112 §3.2: 400 for more than one Host, or an invalid one. Its value is
            // checked as it is scanned: a host and port, then only optional whitespace.
            if host {
                return Err(bad("more than one Host header"));
            }
            host = true;
            at = skip_words(buf, at, HOST, host_stops)?;
            at = skip(buf, at, SPACE)?;
            at = line_end(buf, at, "invalid Host header")?;
            continue;
        }
        at = skip_words(buf, at, VALUE, value_stops)?;
        let value = trim_trailing_ows(&buf[start..at]);
        at = line_end(buf, at, "invalid character in a header value")?;

        // Dispatch on the length first: most headers match none of these and cost one
        // comparison of lengths.
        match name.len() {
            14 if name.eq_ignore_ascii_case(b"content-length") => {
                let parsed = parse_length(value)?;
                if length.is_some_and(|l| l != parsed) {
                    return Err(bad("conflicting Content-Length headers"));
                }
                length = Some(parsed);
            }
            17 if name.eq_ignore_ascii_case(b"transfer-encoding") => {
                // A list of codings, maybe over several lines (RFC 9112 §6.1), of which
                // chunked must be the last and is applied once; else the body's length
                // cannot be known (§6.3: 400). Other codings are not implemented.
                let mut codings = 0;
                for coding in value.split(|&b| b == b',').map(trim_ows) {
                    if coding.is_empty() {
                        continue;
                    }
                    if chunked {
                        return Err(bad("chunked is not the final transfer coding, once"));
                    }
                    if !coding.eq_ignore_ascii_case(b"chunked") {
                        return Err(HeadError::NotImplemented(
                            "only the chunked transfer coding is supported",
                        )
                        .into());
                    }
                    chunked = true;
                    codings += 1;
                }
                if codings == 0 {
                    return Err(bad("empty Transfer-Encoding"));
                }
            }
            10 if name.eq_ignore_ascii_case(b"connection") => {
                for option in value.split(|&b| b == b',').map(trim_ows) {
                    if option.eq_ignore_ascii_case(b"close") {
                        close = true;
                    } else if option.eq_ignore_ascii_case(b"keep-alive") && http10 {
                        head.keep_alive = true;
                    }
                }
            }
            6 if name.eq_ignore_ascii_case(b"expect") => {
                head.expect_continue = value.eq_ignore_ascii_case(b"100-continue");
            }
            _ => {}
        }
    }
    if !host && !http10 {
        return Err(bad("HTTP/1.1 request without a Host header"));
    }
    if close {
        // Whatever else the Connection fields say (RFC 9112 §9.6): in HTTP/1.0, a
        // `keep-alive` beside it does not undo it.
        head.keep_alive = false;
    }
    if chunked && http10 {
        // HTTP/1.0 has no transfer codings: RFC 9112 §6.1 says to treat the framing as
        // faulty and close after the response. The body is still decoded and answered.
        head.keep_alive = false;
    }
    head.body = match (chunked, length) {
        // Both framings at once is how requests are smuggled past proxies: refuse.
        (true, Some(_)) => return Err(bad("both Content-Length and Transfer-Encoding")),
        (true, None) => BodyKind::Chunked,
        (false, Some(0)) | (false, None) => BodyKind::None,
        (false, Some(n)) => BodyKind::Length(n),
    };
    head.len = at;
    Ok(head)
}

/// The path of an absolute-form target (`http://authority/path`, RFC 9112 §3.2.2, as sent
/// to proxies, and which a server must accept too), without its query: `/` if it has none.
/// The authority is not checked against `Host` (the server has one name), but it must be
/// present and, like a `Host` value, a host and port (RFC 9110 §4.2, §7.2): no user
/// information, and no `#`, which would end it (RFC 3986 §3.2) and make the path after it a
/// fragment to other parsers. Other targets that do not start with `/` (`*`, `host:port`)
/// are returned as they are, and match no route.
fn absolute_path(target: &[u8]) -> Result<&[u8], Stop> {
    let scheme = match target.iter().position(|&b| b == b':') {
        Some(colon) => &target[..colon],
        None => return Ok(target),
    };
    if !scheme.eq_ignore_ascii_case(b"http") && !scheme.eq_ignore_ascii_case(b"https") {
        return Ok(target);
    }
    let Some(rest) = target[scheme.len() + 1..].strip_prefix(b"//") else {
        return Err(bad("invalid absolute-form request target"));
    };
    let (authority, path) = match rest.iter().position(|&b| b == b'/') {
        Some(slash) => (&rest[..slash], &rest[slash..]),
        None => (rest, &b"/"[..]),
    };
    if authority.is_empty() || !authority.iter().all(|&b| CLASSES[b as usize] & HOST != 0) {
        return Err(bad("invalid authority in the request target"));
    }
    Ok(path)
}

/// The index of the first byte from `at` on that is not in `class`; `Partial` if the
/// buffer ends first.
#[inline]
fn skip(buf: &[u8], at: usize, class: u8) -> Result<usize, Stop> {
    let rest = buf.get(at..).unwrap_or_default();
    match rest.iter().position(|&b| CLASSES[b as usize] & class == 0) {
        Some(i) => Ok(at + i),
        None => Err(Stop::Partial),
    }
}

/// [`skip`] for a class whose complement `stops` can find eight bytes at a time: it
/// returns a mask with the high bit of each byte outside the class set, exact at least for
/// the lowest such byte. It may also flag bytes the class allows (a tab in a header value),
/// which the class table then lets through.
#[inline(always)]
fn skip_words(
    buf: &[u8],
    mut at: usize,
    class: u8,
    stops: impl Fn(u64) -> u64,
) -> Result<usize, Stop> {
    while let Some(word) = buf.get(at..at + 8) {
        let mask = stops(u64::from_le_bytes(word.try_into().expect("eight bytes")));
        if mask == 0 {
            at += 8;
            continue;
        }
        at += (mask.trailing_zeros() / 8) as usize;
        if CLASSES[buf[at] as usize] & class == 0 {
            return Ok(at);
        }
        at += 1;
    }
    skip(buf, at, class)
}

// Byte-wise comparisons of all eight bytes of a little-endian word at once: each sets the
// high bit of the bytes that match, exactly for the lowest one (a borrow or carry can only
// spread from a matching byte to the bytes above it).
const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// The bytes of `word` below `n` (`n` <= 128).
#[inline]
fn below(word: u64, n: u8) -> u64 {
    word.wrapping_sub(ONES * u64::from(n)) & !word & HIGH_BITS
}

/// The bytes of `word` above `n` (`n` <= 127).
#[inline]
fn above(word: u64, n: u8) -> u64 {
    (word.wrapping_add(ONES * u64::from(127 - n)) | word) & HIGH_BITS
}

/// The bytes of `word` strictly between `low` and `high` (`high` <= 128), exactly: the high
/// bits are cleared first, so nothing carries between bytes.
#[inline]
fn between(word: u64, low: u8, high: u8) -> u64 {
    let low_bits = word & !HIGH_BITS;
    (ONES * (127 + u64::from(high)) - low_bits)
        & !word
        & (low_bits + ONES * u64::from(127 - low))
        & HIGH_BITS
}

/// The bytes of `word` equal to `b`.
#[inline]
fn equal(word: u64, b: u8) -> u64 {
    below(word ^ (ONES * u64::from(b)), 1)
}

/// The bytes outside visible ASCII: those that end a request target.
fn target_stops(word: u64) -> u64 {
    below(word, 0x21) | above(word, 0x7e)
}

/// The bytes that end a path: those that end a target, and `?`.
fn path_stops(word: u64) -> u64 {
    target_stops(word) | equal(word, b'?')
}

/// The control characters, which end a header value (and tabs, which do not).
fn value_stops(word: u64) -> u64 {
    below(word, 0x20) | equal(word, 0x7f)
}

/// The bytes that end the fast scan of a Host value: all those outside [`HOST`] and, to keep
/// the test cheap, some inside it, which the class table then lets through. Those it passes
/// are the characters of most hosts: letters, digits, `-`, `.` and `:`.
fn host_stops(word: u64) -> u64 {
    // Upper-case letters to lower case; the control characters this moves into the
    // visible range are flagged by the first test.
    let folded = word | (ONES * 0x20);
    below(word, b'-') | equal(word, b'/') | between(folded, b':', b'a') | above(folded, b'z')
}

/// Whether a field name is `Host`, in any case, with one comparison: a name is made of
/// token characters, and among them `| 0x20` only turns upper-case letters to lower case.
#[inline]
fn is_host(name: &[u8]) -> bool {
    match <[u8; 4]>::try_from(name) {
        Ok(four) => u32::from_le_bytes(four) | 0x2020_2020 == u32::from_le_bytes(*b"host"),
        Err(_) => false,
    }
}

/// Past the CRLF (or bare LF, RFC 9112 §2.2) at `at`; anything else is refused with `why`.
#[inline]
fn line_end(buf: &[u8], at: usize, why: &'static str) -> Result<usize, Stop> {
    if let Some(b"\r\n") = buf.get(at..at + 2) {
        return Ok(at + 2);
    }
    match buf.get(at..) {
        Some([b'\n', ..]) => Ok(at + 1),
        Some([] | [b'\r']) | None => Err(Stop::Partial),
        _ => Err(bad(why)),
    }
}

fn parse_length(value: &[u8]) -> Result<u64, Stop> {
    if value.is_empty() || value.len() > 19 || !value.iter().all(u8::is_ascii_digit) {
        return Err(bad("invalid Content-Length"));
    }
    Ok(value
        .iter()
        .fold(0u64, |n, &d| n * 10 + u64::from(d - b'0')))
}

/// RFC 9110 token characters: methods and header names.
const TOKEN: u8 = 1;
/// Characters of a request target (visible ASCII)...
const TARGET: u8 = 2;
/// ...and of its path: the target's characters but `?`.
const PATH: u8 = 4;
/// Characters of a header value: visible ASCII, space, tab and obs-text (RFC 9110 §5.5);
/// no control characters, so no bare CR.
const VALUE: u8 = 8;
/// Optional whitespace: space and tab.
const SPACE: u8 = 16;
/// Characters of a Host value (RFC 9110 §7.2): those of a URI's host (a registered name,
/// an IPv4 address or a bracketed IP literal) and `:` before a port.
const HOST: u8 = 32;

/// The classes of every byte, as a table: parsing looks up each byte of a head once.
const CLASSES: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        let token = c.is_ascii_alphanumeric()
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
        let visible = c.is_ascii_graphic();
        let mut class = 0;
        if token {
            class |= TOKEN;
        }
        if visible {
            class |= TARGET;
        }
        if visible && c != b'?' {
            class |= PATH;
        }
        if visible || c == b' ' || c == b'\t' || c >= 0x80 {
            class |= VALUE;
        }
        if c == b' ' || c == b'\t' {
            class |= SPACE;
        }
        // RFC 3986: unreserved, percent-encoding, sub-delims, and `:`, `[`, `]`.
        if c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'%'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b':'
                    | b'['
                    | b']'
            )
        {
            class |= HOST;
        }
        table[i] = class;
        i += 1;
    }
    table
};

/// Whether `bytes` are all token characters (RFC 9110 §5.6.2), as a field name's are.
pub fn is_token(bytes: &[u8]) -> bool {
    bytes.iter().all(|&b| CLASSES[b as usize] & TOKEN != 0)
}

/// Whether `bytes` are all characters of a field value: no control characters but HTAB.
pub fn is_field_value(bytes: &[u8]) -> bool {
    bytes.iter().all(|&b| CLASSES[b as usize] & VALUE != 0)
}

/// Trims trailing optional whitespace (spaces and tabs) off a header value.
fn trim_trailing_ows(mut value: &[u8]) -> &[u8] {
    while let [rest @ .., b' ' | b'\t'] = value {
        value = rest;
    }
    value
}

/// Trims optional whitespace (spaces and tabs) around a list element.
fn trim_ows(mut value: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = value {
        value = rest;
    }
    trim_trailing_ows(value)
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
        let later_minor = parse(b"GET / HTTP/1.2\r\nHost: x\r\n\r\n", 8192)
            .unwrap()
            .expect("a complete head");
        assert!(!later_minor.http10 && later_minor.keep_alive);
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
    fn every_prefix_of_a_valid_head_waits_for_more() {
        let buf = b"\r\nPOST /echo?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length:  5 \t\r\n\r\n";
        for end in 0..buf.len() {
            assert!(parse(&buf[..end], 8192).unwrap().is_none(), "prefix {end}");
        }
        let head = parse(buf, 8192).unwrap().unwrap();
        assert_eq!(head.method, Method::Post);
        assert_eq!(head.path, b"/echo");
        assert_eq!(head.body, BodyKind::Length(5));
        assert_eq!(head.len, buf.len());
        // Bare LFs end lines too (RFC 9112 §2.2).
        let head = parse(b"GET / HTTP/1.1\nHost: a\n\n", 8192)
            .unwrap()
            .unwrap();
        assert_eq!(head.len, 24);
    }

    #[test]
    fn control_characters_and_folded_lines_are_refused() {
        for bad in [
            &b"GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n"[..],
            b"GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
            b"GET / HTTP/1.1\r\nNo colon\r\n\r\n",
            b"GET /a b HTTP/1.1\r\nHost: a\r\n\r\n",
            b"G(T / HTTP/1.1\r\nHost: a\r\n\r\n",
        ] {
            assert!(
                matches!(parse(bad, 8192), Err(HeadError::BadRequest(_))),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        // Refused as soon as the bad byte arrives, before the head ends.
        assert!(parse(b"GET / HTTP/1.1\r\nHo\x01", 8192).is_err());
    }

    /// A bare CR is no line end (RFC 9112 §2.2), so no empty line to skip before a request
    /// line: `\rGET` was skipped to, and read as a request.
    #[test]
    fn a_bare_cr_before_the_request_line_is_refused() {
        for bad in [
            &b"\rGET / HTTP/1.1\r\nHost: x\r\n\r\n"[..],
            b"\r\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
            b"\r\n\rGET / HTTP/1.1\r\nHost: x\r\n\r\n",
        ] {
            assert!(
                matches!(parse(bad, 8192), Err(HeadError::BadRequest(_))),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        // CRLFs and bare LFs are skipped, and a CR at the end waits for its LF.
        let buf = b"\r\n\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n";
        assert_eq!(parse(buf, 8192).unwrap().unwrap().len, buf.len());
        assert!(parse(b"\r\n\r", 8192).unwrap().is_none());
    }

    #[test]
    fn a_complete_head_over_the_limit_is_too_large() {
        let buf = b"GET / HTTP/1.1\r\nHost: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
        assert_eq!(parse(buf, 32).unwrap_err(), HeadError::TooLarge);
        assert!(parse(buf, buf.len()).unwrap().is_some());
    }

    #[test]
    fn word_tests_find_the_first_byte_outside_the_class() {
        type Stops = fn(u64) -> u64;
        let outside = |class: u8| move |b: u8| CLASSES[b as usize] & class == 0;
        // What each test flags: the bytes outside its class, and a few inside, which the
        // class table then lets through (a tab in a header value; a Host value's uncommon
        // characters).
        let host_fast = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b':');
        let tests: [(Stops, &dyn Fn(u8) -> bool); 4] = [
            (target_stops, &outside(TARGET)),
            (path_stops, &outside(PATH)),
            (value_stops, &|b| outside(VALUE)(b) || b == b'\t'),
            (host_stops, &|b| !host_fast(b)),
        ];
        assert!((0..=255u8).all(|b| !host_fast(b) || !outside(HOST)(b)));
        for (i, (stops, flagged)) in tests.into_iter().enumerate() {
            // Any byte value at any position, then a second one anywhere above it.
            for first in 0..=255u8 {
                for pos in 0..8 {
                    for second in [
                        b'a', 0, b'\r', b' ', b'?', b'/', b'.', b'A', b'[', 0x7f, 0x80, 0xff, first,
                    ] {
                        for above in pos + 1..=8 {
                            let mut bytes = *b"abcdefgh";
                            bytes[pos] = first;
                            if above < 8 {
                                bytes[above] = second;
                            }
                            let found =
                                (stops(u64::from_le_bytes(bytes)).trailing_zeros() / 8) as usize;
                            let expected = bytes.iter().position(|&b| flagged(b));
                            assert_eq!(found, expected.unwrap_or(8), "{bytes:?} test {i}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn absolute_form_targets_are_routed_on_their_path() {
        for (target, path) in [
            (&b"http://x/plaintext"[..], &b"/plaintext"[..]),
            (b"HTTP://x:8080/echo?a=b", b"/echo"),
            (b"https://[::1]:443/", b"/"),
            (b"http://x", b"/"),
            (b"http://x?q", b"/"),
            // Not absolute form: left as it is, to match no route.
            (b"*", b"*"),
            (b"x:443", b"x:443"),
        ] {
            let head = [&b"GET "[..], target, b" HTTP/1.1\r\nHost: x\r\n\r\n"].concat();
            let parsed = parse(&head, 8192).unwrap().unwrap();
            assert_eq!(parsed.path, path, "{}", String::from_utf8_lossy(target));
        }
        for bad in [&b"http:/x/"[..], b"http:///plaintext", b"http://user@x/"] {
            let head = [&b"GET "[..], bad, b" HTTP/1.1\r\nHost: x\r\n\r\n"].concat();
            assert!(
                matches!(parse(&head, 8192), Err(HeadError::BadRequest(_))),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    /// An absolute-form target's authority ends at a `#` (RFC 3986 §3.2), where other parsers
    /// read a fragment: `http://x#/plaintext` was routed to `/plaintext`, `#` taken for part
    /// of the host. The authority is now held to a Host value's characters.
    #[test]
    fn an_absolute_form_authority_is_a_host_and_port() {
        for bad in [
            &b"http://x#/plaintext"[..],
            b"http://#x/",
            b"http://x\"y/",
            b"http://x{y}/",
            b"https://x\\y/",
        ] {
            let head = [&b"GET "[..], bad, b" HTTP/1.1\r\nHost: x\r\n\r\n"].concat();
            assert!(
                matches!(parse(&head, 8192), Err(HeadError::BadRequest(_))),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        // A `#` after the authority stays in the path, as in an origin-form target.
        let head = b"GET http://x/a#b HTTP/1.1\r\nHost: x\r\n\r\n";
        assert_eq!(parse(head, 8192).unwrap().unwrap().path, b"/a#b");
    }

    #[test]
    fn host_is_required_once_and_valid() {
        let with_host = |host: &[u8]| [&b"GET / HTTP/1.1\r\n"[..], host, b"\r\n"].concat();
        for good in [
            &b"Host: x\r\n"[..],
            b"HOST: Example.COM:8080 \t\r\n",
            b"host: 127.0.0.1:8080\r\n",
            b"Host: [::1]:80\r\n",
            b"Host: a-b_c~d%20!$&'()*+,;=\r\n",
            b"Host:\r\n",
            b"Hostname: a b\r\nHost: x\r\n",
        ] {
            let head = with_host(good);
            assert!(
                parse(&head, 8192).unwrap().is_some(),
                "{}",
                String::from_utf8_lossy(good)
            );
        }
        for bad in [
            &b""[..],
            b"Host: x\r\nHost: x\r\n",
            b"Host: x\r\nhost: y\r\n",
            b"Host: a b\r\n",
            b"Host: a\tb\r\n",
            b"Host: a/b\r\n",
            b"Host: user@a\r\n",
            b"Host: a?b\r\n",
            b"Host: a#b\r\n",
            b"Host: a\\b\r\n",
            b"Host: \"a\"\r\n",
            b"Host: a{b}\r\n",
            b"Host: caf\xc3\xa9\r\n",
            b"Host: a\x7f\r\n",
        ] {
            let head = with_host(bad);
            assert!(
                matches!(parse(&head, 8192), Err(HeadError::BadRequest(_))),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        // Optional in HTTP/1.0, but checked when sent.
        assert!(parse(b"GET / HTTP/1.0\r\n\r\n", 8192).unwrap().is_some());
        assert!(parse(b"GET / HTTP/1.0\r\nHost: a b\r\n\r\n", 8192).is_err());
    }

    #[test]
    fn chunked_must_be_the_one_final_transfer_coding() {
        let with_te = |lines: &[u8]| {
            let head = [&b"POST / HTTP/1.1\r\nHost: x\r\n"[..], lines, b"\r\n"].concat();
            parse(&head, 8192).map(|head| head.map(|head| head.body))
        };
        for good in [
            &b"Transfer-Encoding: chunked\r\n"[..],
            b"Transfer-Encoding: CHUNKED , \r\n",
            b"Transfer-Encoding: ,chunked\r\n",
        ] {
            assert_eq!(with_te(good), Ok(Some(BodyKind::Chunked)));
        }
        for bad in [
            &b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"[..],
            b"Transfer-Encoding: chunked, chunked\r\n",
            b"Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n",
            b"Transfer-Encoding: chunked, gzip\r\n",
            b"Transfer-Encoding: \r\n",
            b"Transfer-Encoding: ,\r\n",
        ] {
            assert!(
                matches!(with_te(bad), Err(HeadError::BadRequest(_))),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        assert!(matches!(
            with_te(b"Transfer-Encoding: gzip, chunked\r\n"),
            Err(HeadError::NotImplemented(_))
        ));
        // HTTP/1.0 has no transfer codings: the connection closes after the response.
        let head = parse(
            b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n",
            8192,
        )
        .unwrap()
        .unwrap();
        assert_eq!((head.body, head.keep_alive), (BodyKind::Chunked, false));
    }

    /// `close` ends the connection whatever else the Connection fields say (RFC 9112 §9.6):
    /// an HTTP/1.0 `keep-alive` after it kept the connection open.
    #[test]
    fn close_wins_over_an_http10_keep_alive() {
        for fields in [
            &b"Connection: close, keep-alive\r\n"[..],
            b"Connection: close\r\nConnection: keep-alive\r\n",
            b"Connection: keep-alive\r\nConnection: Close\r\n",
        ] {
            let head = [&b"GET / HTTP/1.0\r\n"[..], fields, b"\r\n"].concat();
            let parsed = parse(&head, 8192).unwrap().unwrap();
            assert!(!parsed.keep_alive, "{}", String::from_utf8_lossy(fields));
        }
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
