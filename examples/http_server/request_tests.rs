//! Tests of the request-head parser (`request.rs`): examples of every rule, and property
//! tests against `httparse` and against byte-at-a-time versions of the word tests.

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
    assert!(
        parse(b"GET / HTTP/1.1\r\nHost: x\r\n", 8192)
            .unwrap()
            .is_none()
    );
    let big = [b'a'; 100];
    assert_eq!(parse(&big, 64).unwrap_err(), HeadError::TooLarge);
}

#[test]
fn smuggling_and_malformed_heads_are_refused() {
    let both =
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n";
    assert!(matches!(parse(both, 8192), Err(HeadError::BadRequest(_))));
    let space = b"GET / HTTP/1.1\r\nHost : x\r\n\r\n";
    assert!(matches!(parse(space, 8192), Err(HeadError::BadRequest(_))));
    let two = b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n";
    assert!(matches!(parse(two, 8192), Err(HeadError::BadRequest(_))));
    assert_eq!(
        parse(b"GET / HTTP/2.0\r\n\r\n", 8192).unwrap_err(),
        HeadError::VersionNotSupported
    );
    // Not HTTP-version's grammar (one digit each side of the dot): malformed, not 505.
    for version in [
        &b"HTTP/1.10"[..],
        b"HTTP/10.1",
        b"HTTP/2",
        b"HTTP/1.x",
        b"HTTP/",
        b"HTTP/1.",
    ] {
        let mut request = b"GET / ".to_vec();
        request.extend_from_slice(version);
        request.extend_from_slice(b"\r\nHost: x\r\n\r\n");
        assert!(
            matches!(parse(&request, 8192), Err(HeadError::BadRequest(_))),
            "{:?}",
            String::from_utf8_lossy(version)
        );
    }
    let later_minor = parse(b"GET / HTTP/1.2\r\nHost: x\r\n\r\n", 8192)
        .unwrap()
        .expect("a complete head");
    assert!(!later_minor.http10 && later_minor.keep_alive);
    let gzip = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n";
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

/// Empty lines before a request line count toward the head limit: a flood of them filled
/// the connection's buffer, which then closed with no response.
#[test]
fn empty_lines_before_a_request_count_toward_the_head_limit() {
    let request = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    let max_head = request.len() + 5;
    let mut buf = b"\r\n\n\r\n".to_vec();
    buf.extend_from_slice(request);
    assert_eq!(parse(&buf, max_head).unwrap().unwrap().len, buf.len());
    buf.insert(0, b'\n');
    assert!(matches!(parse(&buf, max_head), Err(HeadError::TooLarge)));
    let flood = b"\r\n".repeat(max_head);
    assert!(matches!(parse(&flood, max_head), Err(HeadError::TooLarge)));
    assert!(matches!(parse(&flood[..max_head], max_head), Ok(None)));
    assert!(matches!(
        parse(&flood[..=max_head], max_head),
        Err(HeadError::TooLarge)
    ));
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
    let host_fast = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.');
    let tests: [(Stops, &dyn Fn(u8) -> bool); 5] = [
        (target_stops, &outside(TARGET)),
        (path_stops, &outside(PATH)),
        (value_stops, &|b| outside(VALUE)(b) || b == b'\t'),
        (host_stops, &|b| !host_fast(b)),
        (digit_stops, &outside(DIGIT)),
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
    for bad in [
        &b"http:/x/"[..],
        b"http:///plaintext",
        b"http://user@x/",
        b"http://:80/plaintext",
    ] {
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
        b"http://x:abc/",
        b"http://[::1/",
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
        b"Host: [::1]\r\n",
        b"Host: x:\r\n",
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
        b"Host: x:abc\r\n",
        b"Host: x:80:81\r\n",
        b"Host: [::1\r\n",
        b"Host: [::1]x\r\n",
        b"Host: a]b\r\n",
        b"Host: [a[b]]\r\n",
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
        // Without chunked last, the body's length cannot be known (RFC 9112 §6.3).
        b"Transfer-Encoding: gzip\r\n",
        b"Transfer-Encoding: xchunked\r\n",
        b"Transfer-Encoding: gzip, chunked\r\nContent-Length: 3\r\n",
        b"Transfer-Encoding: \r\n",
        b"Transfer-Encoding: ,\r\n",
    ] {
        assert!(
            matches!(with_te(bad), Err(HeadError::BadRequest(_))),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
    for unimplemented in [
        &b"Transfer-Encoding: gzip, chunked\r\n"[..],
        b"Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n",
    ] {
        assert!(
            matches!(with_te(unimplemented), Err(HeadError::NotImplemented(_))),
            "{}",
            String::from_utf8_lossy(unimplemented)
        );
    }
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

/// `Expect` is a list, and may come in several fields (RFC 9110 §10.1.1): `100-continue`
/// anywhere in it asks for the go-ahead. Only the last field's whole value counted before.
#[test]
fn expect_100_continue_is_found_in_any_member_of_any_field() {
    for (fields, expected) in [
        (&b"Expect: 100-continue\r\n"[..], true),
        (b"Expect: foo, 100-Continue\r\n", true),
        (b"Expect: 100-continue\r\nExpect: foo\r\n", true),
        (b"Expect: foo\r\n", false),
        (b"Expect: 100-continue=1\r\n", false),
    ] {
        let head = [&b"POST /echo HTTP/1.1\r\nHost: x\r\n"[..], fields, b"\r\n"].concat();
        let parsed = parse(&head, 8192).unwrap().unwrap();
        assert_eq!(
            parsed.expect_continue,
            expected,
            "{}",
            String::from_utf8_lossy(fields)
        );
    }
}

/// Property tests: the parser against httparse and against its own prefixes, and the
/// word tests against byte-at-a-time definitions of their classes.
mod properties {
    use super::super::*;
    use proptest::collection::vec;
    use proptest::prelude::*;
    use proptest::sample::{Index, select};

    /// Large enough that no generated head is too large, unless a test says otherwise.
    const ROOMY: usize = 1 << 16;

    const TCHARS: &[u8] =
        b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    const SEPARATORS: &[u8] = b"()<>@,;:\\\"/[]?={}";
    /// RFC 3986's characters of a host and port: unreserved, `%`, sub-delims, `:`,
    /// `[` and `]`.
    const HOST_CHARS: &[u8] =
        b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~%!$&'()*+,;=:[]";

    fn cat(parts: &[&[u8]]) -> Vec<u8> {
        parts.concat()
    }

    /// `clean` mostly, now and then `dirty`: a generated head is then valid but for a
    /// few places, where parsers may disagree.
    fn mostly<T: std::fmt::Debug + 'static>(
        clean: impl Strategy<Value = T> + 'static,
        dirty: impl Strategy<Value = T> + 'static,
    ) -> BoxedStrategy<T> {
        prop_oneof![20 => clean, 1 => dirty].boxed()
    }

    /// One character of a field value: token characters, separators, whitespace and
    /// obs-text.
    fn value_piece() -> BoxedStrategy<Vec<u8>> {
        prop_oneof![
            8 => select(TCHARS).prop_map(|b| vec![b]),
            2 => select(SEPARATORS).prop_map(|b| vec![b]),
            1 => Just(b" ".to_vec()),
            1 => Just(b"\t".to_vec()),
            1 => (0x80u8..=0xff).prop_map(|b| vec![b]),
        ]
        .boxed()
    }

    /// One "character" of an adversarial field: those of [`value_piece`], and the
    /// control characters, DEL, bare CR, bare LF and CRLF.
    fn any_piece() -> BoxedStrategy<Vec<u8>> {
        prop_oneof![
            6 => value_piece(),
            1 => (0u8..0x20).prop_map(|b| vec![b]),
            1 => Just(vec![0x7f]),
            1 => Just(b"\r".to_vec()),
            1 => Just(b"\n".to_vec()),
            1 => Just(b"\r\n".to_vec()),
        ]
        .boxed()
    }

    fn pieces(len: std::ops::Range<usize>) -> BoxedStrategy<Vec<u8>> {
        vec(any_piece(), len).prop_map(|p| p.concat()).boxed()
    }

    /// A field value, with a bad byte now and then.
    fn field_value() -> BoxedStrategy<Vec<u8>> {
        vec(mostly(value_piece(), any_piece()), 0..10)
            .prop_map(|p| p.concat())
            .boxed()
    }

    /// `word` in a random mix of cases.
    fn cased(word: &'static [u8]) -> impl Strategy<Value = Vec<u8>> {
        vec(any::<bool>(), word.len()).prop_map(move |upper| {
            let case = |(&b, up): (&u8, bool)| {
                if up {
                    b.to_ascii_uppercase()
                } else {
                    b.to_ascii_lowercase()
                }
            };
            word.iter().zip(upper).map(case).collect()
        })
    }

    fn line_end() -> BoxedStrategy<&'static [u8]> {
        let bad: &[&[u8]] = &[b"\r", b"\r\r\n", b" \r\n", b"\n\r"];
        mostly(
            prop_oneof![3 => Just(&b"\r\n"[..]), 1 => Just(&b"\n"[..])],
            select(bad),
        )
    }

    fn method() -> BoxedStrategy<Vec<u8>> {
        let known: &[&[u8]] = &[b"GET", b"HEAD", b"POST", b"PUT", b"OPTIONS", b"M-SEARCH"];
        let clean = prop_oneof![
            6 => select(known).prop_map(<[u8]>::to_vec),
            2 => vec(select(TCHARS), 1..8),
            1 => cased(b"get"),
        ];
        mostly(clean, pieces(0..5))
    }

    /// A path or query: mostly characters valid there, then anything.
    fn path_chars() -> BoxedStrategy<Vec<u8>> {
        let valid = b"abcXYZ0189-._~%!$&'()*+,;=:@/?#";
        let piece = prop_oneof![60 => select(&valid[..]).prop_map(|b| vec![b]), 1 => any_piece()];
        vec(piece, 0..10).prop_map(|p| p.concat()).boxed()
    }

    fn authority() -> BoxedStrategy<Vec<u8>> {
        let piece = prop_oneof![
            12 => select(HOST_CHARS).prop_map(|b| vec![b]),
            1 => Just(b"#".to_vec()),
            1 => select(&b"@?/\"{"[..]).prop_map(|b| vec![b]),
            1 => any_piece(),
        ];
        vec(piece, 0..8).prop_map(|p| p.concat()).boxed()
    }

    fn target() -> BoxedStrategy<Vec<u8>> {
        let scheme: &[&[u8]] = &[b"http", b"HTTP", b"https", b"hTtPs", b"ftp", b"http:"];
        let slashes: &[&[u8]] = &[b"://", b"://", b"://", b":/", b":", b"//"];
        let clean = prop_oneof![
            6 => path_chars().prop_map(|p| cat(&[b"/", &p])),
            3 => (select(scheme), select(slashes), authority(), path_chars())
                .prop_map(|(s, sl, a, p)| cat(&[s, sl, &a, &p])),
            1 => Just(b"*".to_vec()),
            1 => authority().prop_map(|a| cat(&[&a, b":443"])),
        ];
        mostly(clean, pieces(0..6))
    }

    fn version() -> BoxedStrategy<&'static [u8]> {
        let good: &[&[u8]] = &[
            b"HTTP/1.1",
            b"HTTP/1.1",
            b"HTTP/1.0",
            b"HTTP/1.0",
            b"HTTP/1.2",
        ];
        let odd: &[&[u8]] = &[
            b"HTTP/2.0",
            b"HTTP/0.9",
            b"http/1.1",
            b"HTTP/1.10",
            b"HTTP/1.",
            b"HTTP/11",
            b"HTTP/1.1 ",
            b"HTTP/1.x",
            b"",
        ];
        mostly(select(good), select(odd))
    }

    /// One of `valid` mostly, else one of `invalid` or any field value.
    fn value_of(
        valid: &'static [&'static [u8]],
        invalid: &'static [&'static [u8]],
    ) -> BoxedStrategy<Vec<u8>> {
        prop_oneof![
            6 => select(valid).prop_map(<[u8]>::to_vec),
            1 => select(invalid).prop_map(<[u8]>::to_vec),
            1 => field_value(),
        ]
        .boxed()
    }

    fn host_value() -> BoxedStrategy<Vec<u8>> {
        prop_oneof![
            4 => vec(select(HOST_CHARS), 0..12),
            1 => value_of(&[b"x", b"example.com:8080", b"[::1]:80"], &[b"a b", b"user@x"]),
        ]
        .boxed()
    }

    /// A header field: a name, the colon and whitespace, a value, trailing whitespace
    /// and a line end.
    fn header() -> impl Strategy<Value = Vec<u8>> {
        let field = prop_oneof![
            1 => (cased(b"host"), host_value()),
            2 => (cased(b"content-length"), value_of(
                &[b"0", b"5", b"05", b"123"],
                &[b"18446744073709551616", b"99999999999999999999", b"1,1", b"+5", b"5 5",
                  b"", b"0x5"],
            )),
            2 => (cased(b"transfer-encoding"), value_of(
                &[b"chunked", b"CHUNKED", b", chunked", b"chunked,", b" chunked\t"],
                &[b"gzip, chunked", b"chunked, chunked", b"chunked;q=1", b"", b"identity"],
            )),
            3 => (cased(b"connection"), value_of(
                &[b"close", b"keep-alive", b"Close, Keep-Alive", b"keep-alive, close",
                  b"upgrade", b"keep-alive,close", b"", b"x,\tclose\t, Keep-Alive"],
                &[b"close;x", b"\"close\""],
            )),
            1 => (cased(b"expect"), value_of(
                &[b"100-continue", b"100-Continue", b"100-continue, foo", b""],
                &[b"100-continue;x", b"\"100-continue\""],
            )),
            1 => (cased(b"hostname"), field_value()),
            4 => (vec(select(TCHARS), 1..10), field_value()),
            1 => (pieces(0..4), field_value()),
        ];
        let colon: &[&[u8]] = &[b":", b": ", b":\t", b": \t "];
        let bad_colon: &[&[u8]] = &[b" :", b"\t:", b"", b"::"];
        let ows: &[&[u8]] = &[b"", b"", b"", b" ", b"\t", b" \t "];
        (
            field,
            mostly(select(colon), select(bad_colon)),
            select(ows),
            line_end(),
        )
            .prop_map(|((name, value), colon, ows, end)| cat(&[&name, colon, &value, ows, end]))
    }

    /// A request head, often malformed, then a few bytes of the next request.
    fn request() -> impl Strategy<Value = Vec<u8>> {
        let leading: &[&[u8]] = &[b"\r\n", b"\n", b"\r\n\r\n", b"\r", b"\n\r\n", b"\r\r\n"];
        let bad_space: &[&[u8]] = &[b"  ", b"\t", b""];
        let space = || mostly(Just(&b" "[..]), select(bad_space));
        (
            (
                prop_oneof![8 => Just(&b""[..]), 1 => select(leading)],
                method(),
                space(),
            ),
            (target(), space(), version(), line_end()),
            (
                proptest::option::weighted(0.8, "x|example.com|h:80"),
                any::<bool>(),
            ),
            vec(header(), 0..6),
            (line_end(), vec(any::<u8>(), 0..6)),
        )
            .prop_map(
                |((lead, m, sp1), (t, sp2, v, eol), (host, first), headers, (end, rest))| {
                    let host = host.map(|h| format!("Host: {h}\r\n").into_bytes());
                    let host = host.as_deref().unwrap_or_default();
                    let (before, after) = if first {
                        (host, &[][..])
                    } else {
                        (&[][..], host)
                    };
                    cat(&[
                        lead,
                        &m,
                        sp1,
                        &t,
                        sp2,
                        v,
                        eol,
                        before,
                        &headers.concat(),
                        after,
                        end,
                        &rest,
                    ])
                },
            )
    }

    /// A request valid under RFC 9112 and this server's rules: what it must accept.
    fn valid_request() -> impl Strategy<Value = Vec<u8>> {
        let tchars = || vec(select(TCHARS), 1..8);
        let vchar = prop_oneof![
            8 => 0x21u8..=0x7e,
            1 => Just(b' '),
            1 => Just(b'\t'),
            1 => 0x80u8..=0xff,
        ];
        // Field values neither start nor end with whitespace.
        let value = (select(TCHARS), vec(vchar, 0..12), select(TCHARS))
            .prop_map(|(first, middle, last)| cat(&[&[first], &middle, &[last]]));
        let other = (tchars(), value).prop_filter("not a framing header", |(name, _)| {
            let known: [&[u8]; 5] = [
                b"host",
                b"content-length",
                b"transfer-encoding",
                b"connection",
                b"expect",
            ];
            !known.iter().any(|k| name.eq_ignore_ascii_case(k))
        });
        let framing = prop_oneof![
            Just(String::new()),
            (0u64..100_000).prop_map(|n| format!("Content-Length: {n}\r\n")),
            Just("Transfer-Encoding: chunked\r\n".to_string()),
            Just("Connection: close\r\n".to_string()),
            Just("Connection: keep-alive\r\nExpect: 100-continue\r\n".to_string()),
        ];
        let target = prop_oneof![
            vec(select(&b"abcXYZ0189-._~%!$&'()*+,;=:@/"[..]), 0..12)
                .prop_map(|p| cat(&[b"/", &p])),
            (
                vec(
                    select(HOST_CHARS).prop_filter("no user information", |&b| b != b'@'),
                    1..10
                )
                .prop_filter("a host, not empty, and a port", |a| {
                    host_and_port(a) && a[0] != b':'
                }),
                vec(select(&b"abc/"[..]), 0..6)
            )
                .prop_map(|(a, p)| cat(&[b"http://", &a, b"/", &p])),
        ];
        (
            tchars(),
            (
                target,
                proptest::option::of(vec(select(&b"a=b&/?:@"[..]), 0..8)),
            ),
            (any::<bool>(), any::<bool>()),
            vec(other, 0..5),
            framing,
            vec(
                select(HOST_CHARS).prop_filter("no user information", |&b| b != b'@'),
                1..12,
            )
            .prop_filter("a host and port", |h| host_and_port(h)),
        )
            .prop_map(
                |(method, (target, query), (http10, lf), fields, framing, host)| {
                    let eol: &[u8] = if lf { b"\n" } else { b"\r\n" };
                    let query = query.map(|q| cat(&[b"?", &q])).unwrap_or_default();
                    let version: &[u8] = if http10 { b"HTTP/1.0" } else { b"HTTP/1.1" };
                    let mut head = cat(&[&method, b" ", &target, &query, b" ", version, eol]);
                    head.extend_from_slice(&cat(&[b"Host: ", &host, eol]));
                    for (name, value) in fields {
                        head.extend_from_slice(&cat(&[&name, b": ", &value, eol]));
                    }
                    head.extend_from_slice(framing.as_bytes());
                    head.extend_from_slice(eol);
                    head
                },
            )
    }

    /// `request` with some bytes changed, inserted or removed.
    fn mutated(request: impl Strategy<Value = Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
        let byte = prop_oneof![
            select(&b"\r\n \t:;,?/#@0aZ\x00\x7f\x80\xff"[..]),
            any::<u8>(),
        ];
        let edit = (0u8..3, any::<Index>(), byte);
        (request, vec(edit, 1..4)).prop_map(|(mut buf, edits)| {
            for (kind, at, byte) in edits {
                let at = at.index(buf.len() + 1);
                match kind {
                    0 if at < buf.len() => buf[at] = byte,
                    1 => buf.insert(at, byte),
                    _ if at < buf.len() => {
                        buf.remove(at);
                    }
                    _ => buf.push(byte),
                }
            }
            buf
        })
    }

    /// What a head accepted by `parse` must be by httparse's reading of the same
    /// bytes, and how it must behave when it arrives in parts.
    fn check(buf: &[u8]) -> Result<(), TestCaseError> {
        let Ok(Some(head)) = parse(buf, ROOMY) else {
            return Ok(());
        };
        let text = String::from_utf8_lossy(buf);
        // Every strict prefix waits for more; longer buffers give the same head.
        for end in 0..head.len {
            prop_assert!(
                matches!(parse(&buf[..end], ROOMY), Ok(None)),
                "prefix {} of {:?}: {:?}",
                end,
                text,
                parse(&buf[..end], ROOMY)
            );
        }
        for end in head.len..buf.len() {
            let again = parse(&buf[..end], ROOMY).map(|h| h.map(|h| h.len));
            prop_assert_eq!(again, Ok(Some(head.len)));
        }

        // httparse reads only HTTP/1.0 and 1.1; the parser answers a later 1.x as 1.1
        // on purpose (RFC 9110 §6.2), so the oracle is shown 1.1.
        let mut request = buf.to_vec();
        let skipped = buf.iter().position(|&b| b != b'\r' && b != b'\n').unwrap();
        let lf = skipped + buf[skipped..].iter().position(|&b| b == b'\n').unwrap();
        let end = lf - usize::from(buf[lf - 1] == b'\r');
        if !head.http10 && buf[..end - 1].ends_with(b"HTTP/1.") {
            request[end - 1] = b'1';
        }
        let mut fields = [httparse::EMPTY_HEADER; 32];
        let mut oracle = httparse::Request::new(&mut fields);
        let status = oracle.parse(&request);
        prop_assert_eq!(
            status,
            Ok(httparse::Status::Complete(head.len)),
            "{:?}",
            text
        );

        let method = oracle.method.unwrap().as_bytes();
        let expected = match method {
            b"GET" => Method::Get,
            b"HEAD" => Method::Head,
            b"POST" => Method::Post,
            _ => Method::Other,
        };
        prop_assert_eq!(head.method, expected, "{:?}", text);
        prop_assert_eq!(oracle.version, Some(u8::from(!head.http10)), "{:?}", text);
        let target = oracle.path.unwrap().as_bytes();
        prop_assert_eq!(Some(head.path), routed_path(target), "{:?}", text);

        let meaning = meaning(oracle.headers, head.http10);
        prop_assert_eq!(
            Ok((head.body, head.keep_alive, head.expect_continue)),
            meaning,
            "{:?}",
            text
        );
        // The limit counts the head with the empty lines before its request line.
        let exact = head.len;
        prop_assert!(parse(buf, exact).unwrap().is_some());
        prop_assert_eq!(parse(buf, exact - 1).unwrap_err(), HeadError::TooLarge);
        Ok(())
    }

    /// The path a request target is routed on, by RFC 9112 §3.2 and RFC 3986 §3:
    /// `None` if the target must be refused.
    fn routed_path(target: &[u8]) -> Option<&[u8]> {
        let path = target.split(|&b| b == b'?').next().unwrap();
        let Some(colon) = path.iter().position(|&b| b == b':') else {
            return Some(path);
        };
        let (scheme, rest) = (&path[..colon], &path[colon + 1..]);
        if path.starts_with(b"/")
            || !(scheme.eq_ignore_ascii_case(b"http") || scheme.eq_ignore_ascii_case(b"https"))
        {
            return Some(path);
        }
        // The authority runs to the first "/", "?" or "#" (RFC 3986 §3.2); a request
        // target has no fragment, and its authority is a host and port, the host not
        // empty (RFC 9110 §4.2.1).
        let rest = rest.strip_prefix(b"//")?;
        let end = rest
            .iter()
            .position(|&b| matches!(b, b'/' | b'#'))
            .unwrap_or(rest.len());
        let authority = &rest[..end];
        if matches!(authority.first(), None | Some(b':'))
            || !host_and_port(authority)
            || rest.get(end) == Some(&b'#')
        {
            return None;
        }
        Some(if end == rest.len() {
            b"/"
        } else {
            &rest[end..]
        })
    }

    /// Whether `value` is a host and an optional port (RFC 3986 §3.2.2-3): a name of host
    /// characters other than brackets, or an IP literal `[...]`; then nothing, or `:` and
    /// digits. The reference for the parser's check, written for plainness.
    fn host_and_port(value: &[u8]) -> bool {
        if !value.iter().all(|b| HOST_CHARS.contains(b)) {
            return false;
        }
        let (host, port) = if value.starts_with(b"[") {
            let Some(close) = value.iter().position(|&b| b == b']') else {
                return false;
            };
            (value[1..close].to_vec(), value[close + 1..].to_vec())
        } else {
            let colon = value.iter().position(|&b| b == b':').unwrap_or(value.len());
            (value[..colon].to_vec(), value[colon..].to_vec())
        };
        let port_ok =
            port.is_empty() || (port[0] == b':' && port[1..].iter().all(|b| b.is_ascii_digit()));
        port_ok && !host.contains(&b'[') && !host.contains(&b']')
    }

    /// `value` without optional whitespace around it.
    fn trimmed(value: &[u8]) -> Vec<u8> {
        let ows = |b: &u8| *b == b' ' || *b == b'\t';
        let start = value.iter().position(|b| !ows(b)).unwrap_or(value.len());
        let end = value.iter().rposition(|b| !ows(b)).map_or(start, |e| e + 1);
        value[start..end].to_vec()
    }

    /// What the header fields mean for the framing and the connection, by RFC 9110 and
    /// 9112, read from httparse's fields: the body, keep-alive and 100-continue, or why
    /// the head must be refused.
    fn meaning(
        fields: &[httparse::Header<'_>],
        http10: bool,
    ) -> Result<(BodyKind, bool, bool), &'static str> {
        let named = |name: &'static str| {
            fields
                .iter()
                .filter(move |f| f.name.eq_ignore_ascii_case(name))
                .map(|f| f.value)
        };
        let hosts: Vec<_> = named("host").map(trimmed).collect();
        if hosts.len() > 1 || (hosts.is_empty() && !http10) {
            return Err("one Host");
        }
        if hosts.iter().any(|host| !host_and_port(host)) {
            return Err("invalid Host");
        }
        let mut length = None;
        for value in named("content-length").map(trimmed) {
            if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
                return Err("invalid Content-Length");
            }
            let n = std::str::from_utf8(&value).unwrap().parse::<u64>();
            let n = n.map_err(|_| "Content-Length overflows")?;
            if length.is_some_and(|l| l != n) {
                return Err("different Content-Lengths");
            }
            length = Some(n);
        }
        let te: Vec<_> = named("transfer-encoding").collect();
        let codings: Vec<Vec<u8>> = te
            .iter()
            .flat_map(|v| v.split(|&b| b == b','))
            .map(trimmed)
            .filter(|c| !c.is_empty())
            .collect();
        let chunked = match codings.as_slice() {
            [] if te.is_empty() => false,
            [only] if only.eq_ignore_ascii_case(b"chunked") => true,
            _ => return Err("chunked is not the one transfer coding"),
        };
        let body = match (chunked, length) {
            (true, Some(_)) => return Err("two framings"),
            (true, None) => BodyKind::Chunked,
            (false, None | Some(0)) => BodyKind::None,
            (false, Some(n)) => BodyKind::Length(n),
        };
        let options: Vec<Vec<u8>> = named("connection")
            .flat_map(|v| v.split(|&b| b == b','))
            .map(trimmed)
            .collect();
        let has = |o: &[u8]| options.iter().any(|x| x.eq_ignore_ascii_case(o));
        // "close" wins over anything else (RFC 9112 §9.3, §9.6).
        let keep_alive = match http10 {
            false => !has(b"close"),
            // HTTP/1.0 has no transfer codings: chunked framing closes (RFC 9112 §6.1).
            true => !has(b"close") && has(b"keep-alive") && !chunked,
        };
        // Any member of any Expect field (RFC 9110 §10.1.1).
        let expect = named("expect")
            .flat_map(|v| v.split(|&b| b == b','))
            .map(trimmed)
            .any(|member| member.eq_ignore_ascii_case(b"100-continue"));
        Ok((body, keep_alive, expect))
    }

    proptest! {
        #![proptest_config(crate::prop_config::config(512))]

        /// Whatever `parse` accepts, httparse reads the same way.
        #[test]
        fn accepted_heads_read_as_httparse_reads_them(buf in request()) {
            check(&buf)?;
        }

        /// The same for valid requests with bytes changed.
        #[test]
        fn accepted_mutants_read_as_httparse_reads_them(buf in mutated(valid_request())) {
            check(&buf)?;
        }

        /// A plainly valid request is accepted, whole.
        #[test]
        fn valid_requests_are_accepted(buf in valid_request()) {
            let head = parse(&buf, ROOMY);
            prop_assert!(
                matches!(head, Ok(Some(ref h)) if h.len == buf.len()),
                "{:?}: {:?}",
                String::from_utf8_lossy(&buf),
                head
            );
            check(&buf)?;
        }

        /// No input makes it panic, whatever the limit.
        #[test]
        fn any_bytes_are_parsed_or_refused(
            buf in prop_oneof![vec(any::<u8>(), 0..64), pieces(0..40)],
            max_head in 0usize..80,
        ) {
            let _ = parse(&buf, max_head);
            check(&buf)?;
        }
    }

    /// A byte at an edge of the classes the word tests tell apart, or any byte.
    fn edgy_byte() -> BoxedStrategy<u8> {
        let edges = b"\0\x01\t\n\r\x1f !\"#,-./09:;?@AZ[\\]^_`az{|}~\x7f\x80\x81\xfe\xff";
        prop_oneof![select(&edges[..]), any::<u8>()].boxed()
    }

    /// The bytes of `word` a word test flags, as a byte-at-a-time test would: the high
    /// bit of each byte for which `flag` holds.
    fn flags(bytes: [u8; 8], flag: impl Fn(u8) -> bool) -> u64 {
        let bits = bytes.map(|b| if flag(b) { 0x80 } else { 0 });
        u64::from_le_bytes(bits)
    }

    /// The index of the lowest byte flagged in `mask`; 8 for none.
    fn lowest(mask: u64) -> usize {
        (mask.trailing_zeros() / 8) as usize
    }

    /// A word test, the byte-at-a-time test of what it flags (or of its class), and the
    /// class.
    type WordTest<'a> = (fn(u64) -> u64, &'a dyn Fn(u8) -> bool, u8);

    /// Eight bytes, each an edge, any byte, or next to one of the `near` values.
    fn word_near(near: Vec<u8>) -> impl Strategy<Value = [u8; 8]> {
        let around: Vec<u8> = near
            .iter()
            .flat_map(|&n| [n.wrapping_sub(1), n, n.wrapping_add(1)])
            .collect();
        proptest::array::uniform8(prop_oneof![edgy_byte(), select(around)])
    }

    /// Characters of the request target's, header values' and Host values' classes,
    /// in runs long enough for whole words, and now and then a byte outside them.
    fn runs() -> impl Strategy<Value = Vec<u8>> {
        vec(
            prop_oneof![12 => select(&b"abcXYZ019-.:"[..]), 1 => edgy_byte()],
            0..48,
        )
    }

    proptest! {
        #![proptest_config(crate::prop_config::config(1024))]

        /// `below`, `above` and `equal` flag first the first byte they should, and
        /// `between` flags exactly the bytes it should.
        #[test]
        fn word_comparisons_agree_with_byte_comparisons(
            ((n, low, high, b), bytes) in (0u8..=128, 0u8..=127, 0u8..=128, any::<u8>())
                .prop_flat_map(|p| (Just(p), word_near(vec![p.0, p.1, p.2, p.3]))),
        ) {
            let word = u64::from_le_bytes(bytes);
            let above_n = n.min(127);
            let masks = [below(word, n), above(word, above_n), equal(word, b)];
            for mask in masks {
                prop_assert_eq!(mask & !HIGH_BITS, 0);
            }
            prop_assert_eq!(lowest(masks[0]), lowest(flags(bytes, |x| x < n)));
            prop_assert_eq!(lowest(masks[1]), lowest(flags(bytes, |x| x > above_n)));
            prop_assert_eq!(lowest(masks[2]), lowest(flags(bytes, |x| x == b)));
            let exact = flags(bytes, |x| low < x && x < high);
            prop_assert_eq!(between(word, low, high), exact);
        }

        /// Each stop test flags first the first byte of the set it documents, and that
        /// set holds every byte outside its class.
        #[test]
        fn stop_tests_agree_with_byte_tests(
            bytes in proptest::array::uniform8(edgy_byte())
        ) {
            let word = u64::from_le_bytes(bytes);
            let visible = |b: u8| (0x21..=0x7e).contains(&b);
            let host_fast = |b: u8| b.is_ascii_alphanumeric() || b"-.".contains(&b);
            let tests: [WordTest<'_>; 5] = [
                (target_stops, &|b| !visible(b), TARGET),
                (path_stops, &|b| !visible(b) || b == b'?', PATH),
                (value_stops, &|b| b < 0x20 || b == 0x7f, VALUE),
                (host_stops, &|b| !host_fast(b), HOST),
                (digit_stops, &|b| !b.is_ascii_digit(), DIGIT),
            ];
            for (stops, flagged, class) in tests {
                prop_assert_eq!(lowest(stops(word)), lowest(flags(bytes, flagged)));
                for b in bytes {
                    prop_assert!(CLASSES[b as usize] & class != 0 || flagged(b));
                }
            }
        }

        /// `skip_words` finds what `skip`, and a byte-at-a-time definition of the class,
        /// find, from any start (and `skip` does for tokens too).
        #[test]
        fn skip_words_agrees_with_a_byte_loop(buf in runs(), at in any::<Index>()) {
            let at = at.index(buf.len() + 1);
            let found = Result::<usize, Stop>::ok;
            let visible = |b: u8| (0x21..=0x7e).contains(&b);
            let tests: [WordTest<'_>; 5] = [
                (target_stops, &visible, TARGET),
                (path_stops, &|b| visible(b) && b != b'?', PATH),
                (value_stops, &|b| visible(b) || b == b' ' || b == b'\t' || b >= 0x80, VALUE),
                (host_stops, &|b| HOST_CHARS.contains(&b) && !b":[]".contains(&b), HOST),
                (digit_stops, &|b| b.is_ascii_digit(), DIGIT),
            ];
            for (stops, member, class) in tests {
                let bytewise = buf[at..].iter().position(|&b| !member(b)).map(|i| at + i);
                prop_assert_eq!(found(skip(&buf, at, class)), bytewise);
                prop_assert_eq!(found(skip_words(&buf, at, class, stops)), bytewise);
            }
            let token = buf[at..].iter().position(|b| !TCHARS.contains(b)).map(|i| at + i);
            prop_assert_eq!(found(skip(&buf, at, TOKEN)), token);
        }

        /// `is_host` is a comparison with "host" that ignores case, for any token.
        #[test]
        fn is_host_ignores_case_only(
            name in vec(prop_oneof![3 => select(&b"hostHOST"[..]), 1 => select(TCHARS)], 3..6)
        ) {
            prop_assert_eq!(is_host(&name), name.eq_ignore_ascii_case(b"host"));
        }
    }
}
