//! `mirage::io::{copy_buf, copy_bidirectional_with_sizes}` between in-memory streams: the
//! bytes and counts they copy, and the buffers they copy through.

use std::io::{self, ErrorKind};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use mirage::Core;
use mirage::io::{
    AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader, BufWriter, DuplexStream, copy,
    copy_bidirectional, copy_bidirectional_with_sizes, copy_buf, duplex, join,
};

/// A stream that records the size of every write it takes, and, with `fail_after`, takes
/// no more than that many bytes in all, then fails.
struct Recorder<T> {
    inner: T,
    writes: Vec<usize>,
    fail_after: Option<usize>,
}

impl<T> Recorder<T> {
    fn new(inner: T) -> Recorder<T> {
        Recorder {
            inner,
            writes: Vec::new(),
            fail_after: None,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Recorder<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Recorder<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let taken: usize = self.writes.iter().sum();
        let buf = match self.fail_after {
            Some(most) if taken >= most => return Poll::Ready(Err(io::Error::other("full"))),
            Some(most) => &buf[..buf.len().min(most - taken)],
            None => buf,
        };
        let n = std::task::ready!(Pin::new(&mut self.inner).poll_write(cx, buf))?;
        self.writes.push(n);
        Poll::Ready(Ok(n))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

#[test]
fn copy_buf_copies_and_counts_what_std_copy_does() {
    let mut core = Core::new().unwrap();
    core.run(async {
        for len in [0, 1, 6, 7, 8, 100, 100_000] {
            for capacity in [1, 7, 8192] {
                let input = data(len);
                let mut theirs = Vec::new();
                let expected = std::io::copy(&mut &input[..], &mut theirs).unwrap();
                let mut reader = BufReader::with_capacity(capacity, &input[..]);
                let mut ours = Vec::new();
                let copied = copy_buf(&mut reader, &mut ours).await.unwrap();
                assert_eq!(copied, expected, "{len} bytes through {capacity}");
                assert_eq!(ours, theirs);
            }
        }
    });
}

#[test]
fn copy_buf_writes_straight_from_the_readers_buffer() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let input = data(1000);
        let mut reader = BufReader::with_capacity(7, &input[..]);
        let mut writer = Recorder::new(Vec::new());
        assert_eq!(copy_buf(&mut reader, &mut writer).await.unwrap(), 1000);
        assert_eq!(writer.inner, input);
        assert!(
            writer.writes.iter().all(|&n| n <= 7),
            "no write larger than the reader's buffer: {:?}",
            writer.writes
        );
    });
}

#[test]
fn copy_buf_leaves_what_the_writer_refused_in_the_reader() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let input = data(100);
        let mut reader = BufReader::with_capacity(16, &input[..]);
        let mut writer = Recorder::new(Vec::new());
        writer.fail_after = Some(21);
        let err = copy_buf(&mut reader, &mut writer).await.unwrap_err();
        assert_eq!(err.to_string(), "full");
        let mut rest = Vec::new();
        reader.read_to_end(&mut rest).await.unwrap();
        assert_eq!(writer.inner, &input[..21]);
        assert_eq!(rest, &input[21..], "no byte lost");
    });
}

#[test]
fn copy_buf_fails_with_write_zero_when_the_writer_takes_nothing() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut reader = &b"stuck"[..];
        let mut full: &mut [u8] = &mut [];
        let err = copy_buf(&mut reader, &mut Recorder::new(Sliced(&mut full)))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WriteZero);
        assert_eq!(reader, b"stuck");
    });
}

/// A writer into a fixed slice, which takes nothing once it is full.
struct Sliced<'a, 'b>(&'a mut &'b mut [u8]);

impl AsyncWrite for Sliced<'_, '_> {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(io::Write::write(self.get_mut().0, buf))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[test]
fn copy_buf_flushes_a_buffering_writer_while_the_reader_waits() {
    let mut core = Core::new().unwrap();
    core.run(async {
        mirage::time::pause();
        let (mut client, relay_in) = duplex(64);
        let (relay_out, mut server) = duplex(64);
        let relaying = mirage::spawn(async move {
            let mut relay_in = BufReader::new(relay_in);
            let mut relay_out = BufWriter::new(relay_out);
            copy_buf(&mut relay_in, &mut relay_out).await
        });
        client.write_all(b"ping").await.unwrap();
        let mut request = [0; 4];
        mirage::time::timeout(Duration::from_secs(5), server.read_exact(&mut request))
            .await
            .expect("the request stayed in the relay's buffer")
            .unwrap();
        assert_eq!(&request, b"ping");
        drop(client);
        assert_eq!(relaying.await.unwrap().unwrap(), 4);
    });
}

#[test]
fn copy_bidirectional_with_sizes_reads_each_way_through_its_own_buffer() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (mut client, front) = duplex(1 << 16);
        let (back, mut server) = duplex(1 << 16);
        let proxy = mirage::spawn(async move {
            let mut front = Recorder::new(front);
            let mut back: Recorder<DuplexStream> = Recorder::new(back);
            let counts = copy_bidirectional_with_sizes(&mut front, &mut back, 3, 5).await;
            (counts, back.writes, front.writes)
        });
        let (request, reply) = (data(1000), data(777));
        client.write_all(&request).await.unwrap();
        client.shutdown().await.unwrap();
        server.write_all(&reply).await.unwrap();
        server.shutdown().await.unwrap();
        let (mut got_request, mut got_reply) = (Vec::new(), Vec::new());
        server.read_to_end(&mut got_request).await.unwrap();
        client.read_to_end(&mut got_reply).await.unwrap();
        assert_eq!((got_request, got_reply), (request, reply));
        let (counts, to_back, to_front) = proxy.await.unwrap();
        assert_eq!(counts.unwrap(), (1000, 777));
        assert!(to_back.iter().all(|&n| n <= 3), "a to b: {to_back:?}");
        assert!(to_front.iter().all(|&n| n <= 5), "b to a: {to_front:?}");
        assert!(to_front.contains(&5), "b to a used all of its buffer");
    });
}

#[test]
#[should_panic(expected = "the buffer sizes must be greater than zero")]
fn copy_bidirectional_with_a_zero_size_panics() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (mut a, mut b) = duplex(16);
        let _ = copy_bidirectional_with_sizes(&mut a, &mut b, 16, 0).await;
    });
}

/// A stream whose every other read and every other write fails with `Interrupted` before
/// reaching the stream inside, starting with the first.
struct Interrupting<T> {
    inner: T,
    read_failed: bool,
    write_failed: bool,
}

impl<T> Interrupting<T> {
    fn new(inner: T) -> Interrupting<T> {
        Interrupting {
            inner,
            read_failed: false,
            write_failed: false,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Interrupting<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.read_failed = !this.read_failed;
        if this.read_failed {
            return Poll::Ready(Err(ErrorKind::Interrupted.into()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Interrupting<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.write_failed = !this.write_failed;
        if this.write_failed {
            return Poll::Ready(Err(ErrorKind::Interrupted.into()));
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}

#[test]
fn every_copy_retries_interrupted_reads_and_writes() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let input = data(50);
        let mut reader = Interrupting::new(&input[..]);
        let mut writer = Interrupting::new(Vec::new());
        assert_eq!(copy(&mut reader, &mut writer).await.unwrap(), 50, "copy");
        assert_eq!(writer.inner, input);

        let mut reader = BufReader::with_capacity(7, Interrupting::new(&input[..]));
        let mut writer = Interrupting::new(Vec::new());
        assert_eq!(
            copy_buf(&mut reader, &mut writer).await.unwrap(),
            50,
            "copy_buf"
        );
        assert_eq!(writer.inner, input);

        let mut a = Interrupting::new(join(&b"forth"[..], Vec::new()));
        let mut b = Interrupting::new(join(&b"back"[..], Vec::new()));
        let counts = copy_bidirectional(&mut a, &mut b).await;
        assert_eq!(counts.unwrap(), (5, 4), "copy_bidirectional");
        assert_eq!(a.inner.into_inner().1, b"back");
        assert_eq!(b.inner.into_inner().1, b"forth");
    });
}
