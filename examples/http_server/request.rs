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
    /// 505: a well-formed HTTP version other than 1.x.
    VersionNotSupported,
}

/// Parses the head at the start of `buf`: `Ok(None)` when it is not complete yet.
///
/// One pass over the bytes, each looked up once in a table of character classes; a
/// malformed head is refused as soon as its first bad byte arrives.
pub fn parse(buf: &[u8], max_head: usize) -> Result<Option<Head<'_>>, HeadError> {
    // A robust server ignores empty lines before a request line (RFC 9112 §2.2). They count
    // toward `max_head`, so a flood of them gets 431 like any other oversized head.
    let skipped = empty_lines(buf);
    let parsed = if buf[skipped..] == *b"\r" {
        // Maybe the CR of one more.
        Err(Stop::Partial)
    } else {
        parse_head(buf, skipped)
    };
    match parsed {
        Ok(head) if head.len > max_head => Err(HeadError::TooLarge),
        Ok(head) => Ok(Some(head)),
        Err(Stop::Partial) if buf.len() > max_head => Err(HeadError::TooLarge),
        Err(Stop::Partial) => Ok(None),
        Err(Stop::Refused(err)) => Err(err),
    }
}

/// Whether `buf` holds nothing but empty lines (and maybe the CR of one more): no request
/// has started, so a connection with only these pending is still idle.
pub fn is_blank(buf: &[u8]) -> bool {
    matches!(&buf[empty_lines(buf)..], [] | [b'\r'])
}

/// Whether the request at the start of `buf` is a HEAD request, by its first word: so that
/// the error response to a head refused after its method was read has no body either.
pub fn is_head(buf: &[u8]) -> bool {
    buf[empty_lines(buf)..].starts_with(b"HEAD ")
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

/// A version other than `HTTP/1.1` and `HTTP/1.0`: a later 1.x minor version is answered as
/// HTTP/1.1, the highest this server speaks (RFC 9110 §6.2), so its `http10` is false; any
/// other is refused. Out of line, so that the two common versions stay two compares.
#[cold]
#[inline(never)]
fn other_version(version: &[u8]) -> Result<bool, Stop> {
    match version {
        [b'H', b'T', b'T', b'P', b'/', b'1', b'.', minor] if minor.is_ascii_digit() => Ok(false),
        // Well-formed (`HTTP/` DIGIT `.` DIGIT, RFC 9112 §2.3) but another major version.
        [b'H', b'T', b'T', b'P', b'/', major, b'.', minor]
            if major.is_ascii_digit() && minor.is_ascii_digit() =>
        {
            Err(HeadError::VersionNotSupported.into())
        }
        // Anything else (`HTTP/1.10`, `HTTP/2`, `HTTP/x.y`) is not an HTTP version at all.
        _ => Err(bad("invalid HTTP version")),
    }
}

/// The refusal of a request with a transfer coding other than chunked (`chunked`: chunked is
/// the final one). Without chunked last, the body's length cannot be known (RFC 9112 §6.3:
/// 400), nor with a Content-Length beside it (400, as for chunked alone); else the framing
/// is sound, but the other coding is not implemented (§6.1: 501). Out of line: such
/// requests are rare.
#[cold]
#[inline(never)]
fn other_coding_error(chunked: bool, length: Option<u64>) -> HeadError {
    match (chunked, length) {
        (true, None) => HeadError::NotImplemented("only the chunked transfer coding is supported"),
        (true, Some(_)) => HeadError::BadRequest("both Content-Length and Transfer-Encoding"),
        (false, _) => HeadError::BadRequest("chunked is not the final transfer coding"),
    }
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
        other => other_version(other)?,
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
    // A transfer coding other than chunked: 501 if chunked frames the body after it, else
    // 400. Which, only the last Transfer-Encoding field can tell.
    let mut other_coding = false;
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
            at = skip_host_and_port(buf, at)?;
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
                // cannot be known (§6.3: 400). Other codings are not implemented (501).
                let mut codings = 0;
                for coding in value.split(|&b| b == b',').map(trim_ows) {
                    if coding.is_empty() {
                        continue;
                    }
                    if chunked {
                        return Err(bad("chunked is not the final transfer coding, once"));
                    }
                    if coding.eq_ignore_ascii_case(b"chunked") {
                        chunked = true;
                    } else {
                        other_coding = true;
                    }
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
                // A list (RFC 9110 §10.1.1), possibly over several fields; other
                // expectations are ignored, which the RFC allows.
                head.expect_continue |= value
                    .split(|&b| b == b',')
                    .map(trim_ows)
                    .any(|member| member.eq_ignore_ascii_case(b"100-continue"));
            }
            _ => {}
        }
    }
    if other_coding {
        return Err(other_coding_error(chunked, length).into());
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
/// present, with a host that is not empty (RFC 9110 §4.2.1), and, like a `Host` value, a
/// host and port (RFC 9110 §4.2, §7.2): no user
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
    // The scan of a host name or a port runs off the end of a whole authority; that of an
    // IP literal does so only when its bracket is left open.
    let whole = match skip_host_and_port(authority, 0) {
        Ok(end) => end == authority.len(),
        Err(Stop::Partial) => authority.first() != Some(&b'[') || authority.contains(&b']'),
        Err(_) => false,
    };
    // An empty host (`http://:80/`) makes the URI invalid (RFC 9110 §4.2.1).
    if !whole || matches!(authority.first(), None | Some(b':')) {
        return Err(bad("invalid authority in the request target"));
    }
    Ok(path)
}

/// Past the host and optional port at `at` (RFC 9110 §7.2, RFC 3986 §3.2.2): a name of
/// [`HOST`] characters or an IP literal in brackets, then `:` and digits or nothing. What
/// follows is the caller's to check: RFC 9112 §3.2 asks for 400 for anything but the line
/// end, as for `x:abc` or `[::1`.
#[inline(always)]
fn skip_host_and_port(buf: &[u8], at: usize) -> Result<usize, Stop> {
    let mut at = match buf.get(at) {
        Some(b'[') => skip_ip_literal(buf, at)?,
        _ => skip_words(buf, at, HOST, host_stops)?,
    };
    if buf.get(at) == Some(&b':') {
        at = skip_words(buf, at + 1, DIGIT, digit_stops)?;
    }
    Ok(at)
}

/// Past the bracketed IP literal (`[::1]`) at `at`, which is rare in a Host value.
#[cold]
fn skip_ip_literal(buf: &[u8], at: usize) -> Result<usize, Stop> {
    let end = skip(buf, at + 1, IP_LITERAL)?;
    match buf[end] {
        b']' => Ok(end + 1),
        _ => Err(bad("invalid Host header")),
    }
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

/// The bytes that end the fast scan of a host name: all those outside [`HOST`] and, to keep
/// the test cheap, some inside it, which the class table then lets through. Those it passes
/// are the characters of most hosts: letters, digits, `-` and `.`.
fn host_stops(word: u64) -> u64 {
    // Upper-case letters to lower case; the control characters this moves into the
    // visible range are flagged by the first test.
    let folded = word | (ONES * 0x20);
    below(word, b'-') | equal(word, b'/') | between(folded, b'9', b'a') | above(folded, b'z')
}

/// The bytes that end a port: all but digits.
fn digit_stops(word: u64) -> u64 {
    below(word, b'0') | above(word, b'9')
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
/// Characters of a host name outside brackets (RFC 3986 §3.2.2: a registered name or an
/// IPv4 address): unreserved, percent-encoded and sub-delims.
const HOST: u8 = 32;
/// Characters inside the brackets of an IP literal: those of [`HOST`] and `:`.
const IP_LITERAL: u8 = 64;
/// Digits, as in a port.
const DIGIT: u8 = 128;

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
        // RFC 3986: unreserved, percent-encoding and sub-delims.
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
            )
        {
            class |= HOST | IP_LITERAL;
        }
        if c == b':' {
            class |= IP_LITERAL;
        }
        if c.is_ascii_digit() {
            class |= DIGIT;
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
#[path = "request_tests.rs"]
mod tests;
