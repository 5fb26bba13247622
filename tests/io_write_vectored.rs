//! `AsyncWrite::is_write_vectored`: `true` exactly for the writers whose
//! `poll_write_vectored` takes bytes from more than the first buffer, and passed through by
//! the wrappers.

use std::io::{self, Cursor, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};

use mirage::Core;
use mirage::io::{
    AsyncRead, AsyncWrite, AsyncWriteExt, BufReader, BufStream, BufWriter, duplex, empty, join,
    simplex, sink, split,
};
use mirage::net::unix::pipe;
use mirage::net::{TcpListener, TcpStream, UnixStream};

/// A writer with only `poll_write`: the provided `poll_write_vectored` writes the first
/// non-empty buffer. It reads nothing, so that it can be split and buffered as a stream.
struct Plain(Vec<u8>);

impl AsyncRead for Plain {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        _buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(0))
    }
}

impl AsyncWrite for Plain {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().0.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Checks that `writer` says it writes vectored, and does: one write of two buffers takes
/// bytes from both (each writer here has room for all four).
async fn writes_vectored(what: &str, mut writer: impl AsyncWrite + Unpin) {
    assert!(writer.is_write_vectored(), "{what}");
    let bufs = [IoSlice::new(b"ab"), IoSlice::new(b"cd")];
    let n = writer.write_vectored(&bufs).await.unwrap();
    assert_eq!(n, 4, "{what} wrote from one buffer only");
}

#[test]
fn the_writers_that_say_so_write_from_several_buffers() {
    Core::new().unwrap().run(async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let mut tcp = TcpStream::connect(addr).await.unwrap();
        let (_tcp_peer, _) = listener.accept().await.unwrap();
        let owned_tcp = TcpStream::connect(addr).await.unwrap();
        let (_owned_tcp_peer, _) = listener.accept().await.unwrap();
        let (mut unix, _unix_peer) = UnixStream::pair().unwrap();
        let (owned_unix, _owned_unix_peer) = UnixStream::pair().unwrap();
        let (sender, _receiver) = pipe::pipe().unwrap();
        let (mut ours, _theirs) = duplex(64);
        let (buffered, _buffered_peer) = duplex(64);
        let (to_split, _to_split_peer) = duplex(64);
        let (_simplex_read, simplex_write) = simplex(64);

        writes_vectored("&TcpStream", &tcp).await;
        writes_vectored("tcp WriteHalf", tcp.split().1).await;
        writes_vectored("tcp OwnedWriteHalf", owned_tcp.into_split().1).await;
        writes_vectored("&UnixStream", &unix).await;
        writes_vectored("unix WriteHalf", unix.split().1).await;
        writes_vectored("unix OwnedWriteHalf", owned_unix.into_split().1).await;
        writes_vectored("&pipe::Sender", &sender).await;
        writes_vectored("Vec", Vec::new()).await;
        writes_vectored("Cursor", Cursor::new([0u8; 8])).await;
        writes_vectored("&mut DuplexStream", &mut ours).await;
        writes_vectored("simplex WriteHalf", simplex_write).await;
        writes_vectored("Sink", sink()).await;
        writes_vectored("Empty", empty()).await;
        writes_vectored("BufWriter<Plain>", BufWriter::new(Plain(Vec::new()))).await;
        writes_vectored("Box<BufReader<Vec>>", Box::new(BufReader::new(Vec::new()))).await;
        writes_vectored("BufStream", BufStream::new(buffered)).await;
        writes_vectored("io::split WriteHalf", split(to_split).1).await;
        writes_vectored("Join", join(empty(), Vec::new())).await;
        writes_vectored("Pin<Box<Vec>>", Box::pin(Vec::new())).await;
    });
}

#[test]
fn a_writer_without_a_vectored_write_says_so_through_every_wrapper() {
    fn says_vectored(writer: impl AsyncWrite) -> bool {
        writer.is_write_vectored()
    }
    let plain = || Plain(Vec::new());
    assert!(!says_vectored(plain()));
    let mut inner = plain();
    let by_ref: &mut Plain = &mut inner;
    assert!(!says_vectored(by_ref));
    assert!(!says_vectored(Box::new(plain())));
    assert!(!says_vectored(Box::pin(plain())));
    assert!(!says_vectored(BufReader::new(plain())));
    assert!(!says_vectored(join(empty(), plain())));
    assert!(!says_vectored(split(plain()).1));
    assert!(
        says_vectored(BufStream::new(plain())),
        "the write buffer gathers the buffers"
    );

    // And its provided vectored write indeed takes the first non-empty buffer only.
    let mut writer = plain();
    let bufs = [IoSlice::new(b""), IoSlice::new(b"ab"), IoSlice::new(b"cd")];
    let n = Core::new()
        .unwrap()
        .run(writer.write_vectored(&bufs))
        .unwrap();
    assert_eq!((n, writer.0.as_slice()), (2, &b"ab"[..]));
}
