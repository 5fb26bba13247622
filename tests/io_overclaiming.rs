//! Readers and writers that claim more bytes than they were given (`Ok(n)` with `n` over
//! the slice's length): a broken implementation, but Mirage's buffers, adapters and copies
//! trust no more than the slice, rather than panic deep inside or spin.

mod guard;

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use guard::within_guard;
use mirage::io::{
    AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader, copy,
    copy_bidirectional, duplex,
};

/// Fills what it is given, once, claiming twice as many bytes and one more; then the end.
struct Overclaiming {
    done: bool,
}

impl AsyncRead for Overclaiming {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if self.done {
            return Poll::Ready(Ok(0));
        }
        self.get_mut().done = true;
        buf.fill(b'x');
        Poll::Ready(Ok(buf.len() * 2 + 1))
    }
}

fn overclaiming() -> Overclaiming {
    Overclaiming { done: false }
}

/// Takes every write, claiming one byte more than it was given; reads nothing.
struct OverclaimingSink;

impl AsyncWrite for OverclaimingSink {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(buf.len() + 1))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for OverclaimingSink {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        _: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(0))
    }
}

fn run<T>(body: impl std::future::Future<Output = T>) -> T {
    mirage::Core::new().unwrap().run(body)
}

#[test]
fn buf_reader_buffers_only_what_fits() {
    run(async {
        let mut reader = BufReader::with_capacity(4, overclaiming());
        assert_eq!(reader.fill_buf().await.unwrap(), b"xxxx");
    });
}

#[test]
fn take_counts_only_what_it_allowed() {
    run(async {
        let mut take = overclaiming().take(3);
        let mut buf = [0; 8];
        assert_eq!(take.read(&mut buf).await.unwrap(), 3);
        assert_eq!(take.limit(), 0);
    });
}

#[test]
fn read_to_end_appends_only_what_was_read() {
    run(async {
        let mut got = Vec::new();
        let n = overclaiming().read_to_end(&mut got).await.unwrap();
        assert!(n > 0);
        assert_eq!(n, got.len());
        assert!(got.iter().all(|&byte| byte == b'x'));
    });
}

#[test]
fn copy_copies_only_what_was_read() {
    run(async {
        let mut out = Vec::new();
        let n = copy(&mut overclaiming(), &mut out).await.unwrap();
        assert!(n > 0);
        assert_eq!(n, out.len() as u64);
    });
}

#[test]
fn write_all_ends_at_the_end_of_its_buffer() {
    run(async {
        OverclaimingSink.write_all(b"abc").await.unwrap();
    });
}

#[test]
fn copy_bidirectional_counts_only_what_it_gave_and_does_not_spin() {
    within_guard(|| {
        run(async {
            let (mut a, mut peer) = duplex(64);
            peer.write_all(b"hello").await.unwrap();
            peer.shutdown().await.unwrap();
            let copied = copy_bidirectional(&mut a, &mut OverclaimingSink).await;
            assert_eq!(copied.unwrap(), (5, 0));
        })
    });
}
