//! `mirage::io::AsyncReadExt` against `std::io::Read` where a read fails part way.

use std::io::{self, Read};
use std::pin::Pin;
use std::task::{Context, Poll};

use mirage::Core;
use mirage::io::{AsyncRead, AsyncReadExt};

/// Gives `data`, then fails with `ConnectionReset`.
struct ThenReset<'a> {
    data: &'a [u8],
}

impl AsyncRead for ThenReset<'_> {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Read::read(self.get_mut(), buf))
    }
}

impl Read for ThenReset<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.data.is_empty() {
            return Err(io::ErrorKind::ConnectionReset.into());
        }
        Read::read(&mut self.data, buf)
    }
}

#[test]
fn read_to_string_keeps_the_text_read_before_an_error_as_std_does() {
    for (data, kept) in [(&b"one\ntwo"[..], "> one\ntwo"), (b"bad \xe2\x82", "> ")] {
        let mut std_text = String::from("> ");
        let std_err = Read::read_to_string(&mut ThenReset { data }, &mut std_text).unwrap_err();
        assert_eq!(std_text, kept, "std keeps the text only if it is UTF-8");
        let mut core = Core::new().unwrap();
        let mut text = String::from("> ");
        let err = core
            .run(AsyncReadExt::read_to_string(
                &mut ThenReset { data },
                &mut text,
            ))
            .unwrap_err();
        assert_eq!(err.kind(), std_err.kind());
        assert_eq!(text, std_text);
    }
}
