//! Tests of a connection (`connection.rs`): the idle deadline, the chunked body decoder
//! driven over loopback, by examples and by property tests against a reference reader, and
//! the buffers an idle connection keeps.

use super::*;

#[test]
fn the_idle_deadline_follows_the_latest_possible_start_of_the_wait() {
    let t0 = Instant::now();
    let at = |millis: u64| t0 + Duration::from_millis(millis);
    let lag = date::COARSE_LAG.as_millis() as u64;
    // A request right after the connection opened (times in ms): the wait stamped 0
    // began before the coarse clock's next reading, at most COARSE_LAG later. The
    // timer armed at 0 fires at 60 s and is re-armed for 60 s + COARSE_LAG (not pushed
    // a whole idle period on, to 120 s), when it closes.
    let idle = Duration::from_secs(60);
    assert_eq!(
        idle_deadline(t0, Some(at(59_600)), at(60_000), idle),
        Some(at(60_000 + lag))
    );
    assert_eq!(
        idle_deadline(t0, Some(at(60_600)), at(60_000 + lag), idle),
        None
    );

    // A short timeout: until the coarse clock moves, only `now` bounds the start of
    // the wait; then its new reading does.
    let idle = Duration::from_millis(200);
    assert_eq!(idle_deadline(t0, Some(t0), at(200), idle), Some(at(400)));
    assert_eq!(
        idle_deadline(t0, Some(at(300)), at(400), idle),
        Some(at(500))
    );
    assert_eq!(idle_deadline(t0, Some(at(300)), at(500), idle), None);

    // Without a coarse clock the stamp is an exact reading.
    let idle = Duration::from_secs(60);
    assert_eq!(idle_deadline(t0, None, at(60_000), idle), None);
    assert_eq!(
        idle_deadline(at(1_000), None, at(60_000), idle),
        Some(at(61_000))
    );
}

/// What the chunked body decoder made of a body: the body and the bytes it left unread
/// after it, or the status it refused the body with.
#[derive(Debug, PartialEq)]
enum Decoded {
    Body { body: Vec<u8>, rest: Vec<u8> },
    Refused(u16),
}

fn limits(max_head: usize, max_body: usize) -> Config {
    Config {
        max_head,
        max_body,
        // A decoder that waits for bytes that never come fails the test, late.
        body_timeout: Duration::from_secs(10),
        ..Config::default()
    }
}

/// Decodes a chunked body with [`Connection::read_body`], from `pieces` sent over a
/// loopback connection, each once the server has read the one before (so that each
/// arrives in a read of its own), then the end of the stream.
fn decode_chunked(pieces: &[&[u8]], config: Config) -> Decoded {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    // The same socket, to peek at whether the server has read all that was sent.
    let unread = server.try_clone().unwrap();
    unread.set_nonblocking(true).unwrap();
    let waiting = || match unread.peek(&mut [0]) {
        Ok(n) => n > 0,
        Err(err) if err.kind() == io::ErrorKind::WouldBlock => false,
        Err(err) => panic!("peek: {err}"),
    };
    let send = |piece: &[u8]| io::Write::write_all(&mut &client, piece).unwrap();
    let sent = std::cell::Cell::new(0);
    let mut core = mirage::Core::new().unwrap();
    core.run(async {
        let stream = TcpStream::from_std(server).unwrap();
        let mut conn = Connection::new(stream, Rc::new(config), Shutdown::default());
        let outcome = {
            let mut read = pin!(conn.read_body(BodyKind::Chunked, false, false));
            let mut write = pin!(async {
                for piece in pieces {
                    send(piece);
                    sent.set(sent.get() + 1);
                    while waiting() {
                        mirage::yield_now().await;
                    }
                }
                client.shutdown(HalfClose::Write).unwrap();
                std::future::pending::<()>().await;
            });
            poll_fn(|cx| {
                if let Poll::Ready(outcome) = read.as_mut().poll(cx) {
                    return Poll::Ready(outcome);
                }
                let _ = write.as_mut().poll(cx);
                Poll::Pending
            })
            .await
        };
        if let Err(Status(code, _)) = outcome.unwrap() {
            return Decoded::Refused(code);
        }
        // What is left: what the server buffered, then the rest of the stream.
        let mut rest = conn.buf[conn.start..conn.end].to_vec();
        pieces[sent.get()..].iter().for_each(|piece| send(piece));
        let _ = client.shutdown(HalfClose::Write);
        let mut buf = [0; 4096];
        loop {
            match conn.stream.read(&mut buf).await.unwrap() {
                0 => break,
                n => rest.extend_from_slice(&buf[..n]),
            }
        }
        Decoded::Body {
            body: conn.body.clone(),
            rest,
        }
    })
}

/// The trailer section may be as large as a head, whose limit counts its blank line:
/// four bytes more were accepted, each trailer line's limit leaving out its own CRLF and
/// the blank line's.
#[test]
fn the_trailer_limit_counts_the_blank_line() {
    // A section of 10 bytes: "X: abc" CRLF CRLF.
    let body = &[&b"1\r\na\r\n0\r\nX: abc\r\n\r\nnext"[..]];
    let whole = Decoded::Body {
        body: b"a".to_vec(),
        rest: b"next".to_vec(),
    };
    assert_eq!(decode_chunked(body, limits(10, 100)), whole);
    assert_eq!(decode_chunked(body, limits(9, 100)), Decoded::Refused(431));
    assert_eq!(decode_chunked(body, limits(6, 100)), Decoded::Refused(431));
    // And so does a section of 16 bytes, in two fields, in two reads.
    let body = &[&b"0\r\nX: abc\r\nY: "[..], b"d\r\n\r\n"];
    let empty = Decoded::Body {
        body: Vec::new(),
        rest: Vec::new(),
    };
    assert_eq!(decode_chunked(body, limits(16, 100)), empty);
    assert_eq!(decode_chunked(body, limits(15, 100)), Decoded::Refused(431));
    assert_eq!(decode_chunked(body, limits(12, 100)), Decoded::Refused(431));
}

/// Property tests of the chunked body decoder: bodies encoded at random, sent in random
/// pieces, and checked against a byte-at-a-time reading of RFC 9112 §7.1 with the limits
/// [`Connection::read_chunked`] documents.
mod chunked_properties {
    use proptest::collection::vec;
    use proptest::prelude::*;
    use proptest::sample::{Index, select};

    use super::*;

    /// `input` cut at `cuts` (indexes into it), in order.
    fn pieces<'a>(input: &'a [u8], cuts: &[Index]) -> Vec<&'a [u8]> {
        let mut at: Vec<usize> = cuts.iter().map(|i| i.index(input.len() + 1)).collect();
        at.extend([0, input.len()]);
        at.sort_unstable();
        at.windows(2).map(|w| &input[w[0]..w[1]]).collect()
    }

    /// The next line, from `at` up to its CRLF, as the decoder reads one: refused with
    /// `too_long` once it holds more than `limit` bytes, with 400 if it ends in a bare
    /// LF; 408 if the input ends first.
    fn line<'a>(
        input: &'a [u8],
        at: &mut usize,
        limit: usize,
        too_long: u16,
    ) -> Result<&'a [u8], u16> {
        let rest = &input[*at..];
        let Some(lf) = rest.iter().position(|&b| b == b'\n') else {
            return Err(if rest.len() > limit + 1 {
                too_long
            } else {
                408
            });
        };
        if lf > limit + 1 {
            return Err(too_long);
        }
        let line = rest[..lf].strip_suffix(b"\r").ok_or(400u16)?;
        *at += lf + 1;
        Ok(line)
    }

    fn field_value_byte(b: &u8) -> bool {
        matches!(b, b'\t' | b' '..=b'~' | 0x80..)
    }

    /// A chunked body read byte by byte (RFC 9112 §7.1), as if all of `input` arrived
    /// and then the end of the stream: the body and the bytes it took, or the status to
    /// refuse it with. The limits are those `read_chunked` documents: extensions count
    /// toward `max_body` (413), a chunk-size line is at most `max_head` bytes (400), and
    /// the trailer section, blank line included, as large as a head: `max_head` (431).
    fn reference(input: &[u8], max_head: usize, max_body: usize) -> Result<(Vec<u8>, usize), u16> {
        let (mut at, mut body, mut extensions) = (0, Vec::new(), 0);
        loop {
            let size_line = line(input, &mut at, max_head, 400)?;
            let digits = size_line
                .iter()
                .take_while(|b| b.is_ascii_hexdigit())
                .count();
            if digits == 0 || digits > 16 {
                return Err(400);
            }
            let hex = std::str::from_utf8(&size_line[..digits]).unwrap();
            let size = u64::from_str_radix(hex, 16).unwrap();
            let ext = &size_line[digits..];
            let mut after_bws = ext.iter().skip_while(|&&b| b == b' ' || b == b'\t');
            if !ext.is_empty()
                && (after_bws.next() != Some(&b';') || !ext.iter().all(field_value_byte))
            {
                return Err(400);
            }
            extensions += ext.len();
            if (body.len() + extensions) as u128 + u128::from(size) > max_body as u128 {
                return Err(413);
            }
            if size == 0 {
                break;
            }
            let data = input.get(at..at + size as usize).ok_or(408u16)?;
            body.extend_from_slice(data);
            at += data.len();
            if !line(input, &mut at, 0, 400)?.is_empty() {
                return Err(400);
            }
        }
        let mut section = 0;
        loop {
            // Room for the field, its CRLF and the blank line's.
            let field = line(input, &mut at, max_head.saturating_sub(section + 4), 431)?;
            if field.is_empty() {
                return Ok((body, at));
            }
            let colon = field.iter().position(|&b| b == b':').ok_or(400u16)?;
            let name = &field[..colon];
            let tchar = |b: &u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(b);
            if name.is_empty()
                || !name.iter().all(tchar)
                || !field[colon + 1..].iter().all(field_value_byte)
            {
                return Err(400);
            }
            section += field.len() + 2;
        }
    }

    /// A chunked body and its encoding: chunks of random sizes, each size in hex of
    /// either case, maybe with leading zeros and extensions; the last chunk; trailer
    /// fields; the blank line.
    fn encoded() -> impl Strategy<Value = (Vec<u8>, Vec<u8>)> {
        let extensions: &[&[u8]] = &[
            b"",
            b"",
            b"",
            b";a",
            b";a=b",
            b" ;a=\"b c\"",
            b"\t; x=1;y",
            b";e=\x80\xff",
        ];
        let trailers: &[&[u8]] = &[b"X-T: a", b"Trailer:", b"x:\tb\tc\x80", b"Y-Long: abcdef"];
        let chunk = (any::<bool>(), 0usize..3, select(extensions));
        (
            vec(any::<u8>(), 0..120),
            vec(any::<Index>(), 0..6),
            vec(chunk, 7),
            (1usize..3, select(extensions)),
            vec(select(trailers), 0..4),
        )
            .prop_map(|(body, cuts, chunks, (zeros, last), trailers)| {
                let mut ends: Vec<usize> = cuts.iter().map(|i| i.index(body.len() + 1)).collect();
                ends.push(body.len());
                ends.sort_unstable();
                ends.dedup();
                let mut encoded = Vec::new();
                let mut start = 0;
                for (end, (upper, zeros, ext)) in ends.into_iter().zip(chunks) {
                    if end == start {
                        continue;
                    }
                    let zeros = "0".repeat(zeros);
                    let size = match upper {
                        true => format!("{zeros}{:X}", end - start),
                        false => format!("{zeros}{:x}", end - start),
                    };
                    let data = &body[start..end];
                    encoded.extend([size.as_bytes(), ext, b"\r\n", data, b"\r\n"].concat());
                    start = end;
                }
                encoded.extend(["0".repeat(zeros).as_bytes(), last, b"\r\n"].concat());
                for field in trailers {
                    encoded.extend([field, b"\r\n"].concat());
                }
                encoded.extend(b"\r\n");
                (body, encoded)
            })
    }

    /// Bytes after the body: the next request, or anything.
    fn next_request() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            Just(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec()),
            vec(any::<u8>(), 0..8),
        ]
    }

    /// Random changes to an input: bytes replaced, inserted or removed, and maybe
    /// the input cut short.
    fn damage() -> impl Strategy<Value = (Vec<(u8, Index, u8)>, Option<Index>)> {
        let byte = prop_oneof![select(&b"\r\n;: \t0aF\x00\x7f\x80"[..]), any::<u8>()];
        let edits = vec((0u8..3, any::<Index>(), byte), 0..4);
        (edits, proptest::option::weighted(0.25, any::<Index>()))
    }

    fn damaged(mut input: Vec<u8>, (edits, end): (Vec<(u8, Index, u8)>, Option<Index>)) -> Vec<u8> {
        for (kind, at, byte) in edits {
            let at = at.index(input.len() + 1);
            match kind {
                0 if at < input.len() => input[at] = byte,
                1 => input.insert(at, byte),
                _ if at < input.len() => {
                    input.remove(at);
                }
                _ => input.push(byte),
            }
        }
        if let Some(end) = end {
            input.truncate(end.index(input.len() + 1));
        }
        input
    }

    fn expected(reading: Result<(Vec<u8>, usize), u16>, input: &[u8]) -> Decoded {
        match reading {
            Ok((body, used)) => Decoded::Body {
                body,
                rest: input[used..].to_vec(),
            },
            Err(status) => Decoded::Refused(status),
        }
    }

    proptest! {
        #![proptest_config(crate::prop_config::config(128))]

        /// A body comes out whole however its encoding is cut up, and the decoder
        /// stops right after the blank line that ends it.
        #[test]
        fn chunked_bodies_decode_however_they_arrive(
            (body, encoded) in encoded(),
            next in next_request(),
            cuts in vec(any::<Index>(), 0..24),
        ) {
            let input = [&encoded[..], &next].concat();
            let decoded = decode_chunked(&pieces(&input, &cuts), limits(8192, 1 << 20));
            prop_assert_eq!(decoded, Decoded::Body { body, rest: next });
        }

        /// With small limits, a body is refused exactly where the documented limits
        /// say.
        #[test]
        fn chunked_bodies_are_held_to_the_limits(
            (_, encoded) in encoded(),
            cuts in vec(any::<Index>(), 0..24),
            max_head in 0usize..40,
            max_body in 0usize..200,
        ) {
            let decoded = decode_chunked(&pieces(&encoded, &cuts), limits(max_head, max_body));
            let reading = reference(&encoded, max_head, max_body);
            prop_assert_eq!(decoded, expected(reading, &encoded));
        }

        /// A damaged encoding is decoded or refused as the reference reads it, the same
        /// however it arrives: no panic, no endless wait, nothing read past its end.
        #[test]
        fn damaged_chunked_bodies_are_read_as_the_reference_reads_them(
            (_, encoded) in encoded(),
            next in next_request(),
            damage in damage(),
            cuts in vec(any::<Index>(), 0..24),
        ) {
            let input = damaged([&encoded[..], &next].concat(), damage);
            let decoded = decode_chunked(&pieces(&input, &cuts), limits(64, 256));
            let reading = reference(&input, 64, 256);
            prop_assert_eq!(
                &decoded,
                &expected(reading, &input),
                "{:?}",
                String::from_utf8_lossy(&input)
            );
            prop_assert_eq!(decode_chunked(&[&input], limits(64, 256)), decoded);
        }
    }
}

/// A connection kept its largest body and response buffers for as long as it lived: after
/// one large echo, an idle keep-alive connection held twice the body in memory, and a client
/// could pin that on every connection it keeps open with a small request now and then.
#[test]
fn an_idle_connection_does_not_keep_a_large_body_or_response() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    let answered = Arc::new(AtomicBool::new(false));
    let body_len = 1 << 20;
    let client = {
        let answered = Arc::clone(&answered);
        std::thread::spawn(move || {
            let head =
                format!("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: {body_len}\r\n\r\n");
            io::Write::write_all(&mut &client, head.as_bytes()).unwrap();
            io::Write::write_all(&mut &client, &vec![b'x'; body_len]).unwrap();
            // The whole response: more than the body echoed.
            let (mut got, mut buf) = (0, vec![0; 64 * 1024]);
            while got <= body_len {
                let n = io::Read::read(&mut &client, &mut buf).unwrap();
                assert!(n > 0, "the connection closed before the response ended");
                got += n;
            }
            answered.store(true, Ordering::SeqCst);
            client
        })
    };
    let mut core = mirage::Core::new().unwrap();
    core.run(async {
        let stream = TcpStream::from_std(server).unwrap();
        let mut conn = Connection::new(stream, Rc::new(Config::default()), Shutdown::default());
        let answered = async {
            let limit = Instant::now() + Duration::from_secs(10);
            while !answered.load(Ordering::SeqCst) {
                assert!(Instant::now() < limit, "no response");
                sleep(Duration::from_millis(1)).await;
            }
            // The connection is waiting for the next request by now; let it settle.
            for _ in 0..10 {
                mirage::yield_now().await;
            }
        };
        mirage::select! {
            served = conn.serve() => panic!("the connection ended: {served:?}"),
            () = answered => {}
        }
        let kept = conn.body.capacity() + conn.out.capacity();
        assert!(
            kept <= 2 * FLUSH_AT,
            "an idle connection keeps {kept} bytes of buffers"
        );
    });
    drop(client.join().unwrap());
}
