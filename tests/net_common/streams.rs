//! TCP and Unix stream pairs behind one type, so that each property runs on both, and what
//! the property tests of the byte streams share: small socket buffers, races that drop an
//! operation, paces, and a guard against hangs.

use std::future::Future;
use std::io::{self, IoSlice, IoSliceMut, Write as _};
use std::net::Shutdown;
use std::os::fd::{AsRawFd, RawFd};
use std::time::Duration;

use mirage::io::{AsyncReadExt, AsyncWriteExt};
use mirage::net::{TcpListener, TcpStream, UnixStream};
use mirage::time::timeout;
use proptest::prelude::*;

use super::{Pace, Race, set_sockopt};

/// The guard on one whole case: far beyond what a case needs, so only a hang reaches it.
pub const GUARD: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Tcp,
    Unix,
}

/// A TCP or Unix stream, so that each property runs on both.
pub enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Stream {
    pub async fn pair(kind: Kind) -> (Stream, Stream) {
        match kind {
            Kind::Tcp => {
                let listener = TcpListener::bind("127.0.0.1:0").unwrap();
                let addr = listener.local_addr().unwrap();
                let client = TcpStream::connect(addr).await.unwrap();
                let (server, _) = listener.accept().await.unwrap();
                (Stream::Tcp(client), Stream::Tcp(server))
            }
            Kind::Unix => {
                let (a, b) = UnixStream::pair().unwrap();
                (Stream::Unix(a), Stream::Unix(b))
            }
        }
    }

    /// A pair whose far end is a blocking std socket, for a peer that acts at once.
    pub async fn pair_with_std_peer(kind: Kind) -> (Stream, StdPeer) {
        match Stream::pair(kind).await {
            (ours, Stream::Tcp(peer)) => (ours, StdPeer::Tcp(peer.into_std().unwrap())),
            (ours, Stream::Unix(peer)) => (ours, StdPeer::Unix(peer.into_std().unwrap())),
        }
    }

    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf).await,
            Stream::Unix(s) => s.read(buf).await,
        }
    }

    /// A read through the poll-level `AsyncRead` impl of `&Stream`.
    pub async fn poll_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => AsyncReadExt::read(&mut &*s, buf).await,
            Stream::Unix(s) => AsyncReadExt::read(&mut &*s, buf).await,
        }
    }

    pub async fn read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read_vectored(bufs).await,
            Stream::Unix(s) => s.read_vectored(bufs).await,
        }
    }

    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.try_read(buf),
            Stream::Unix(s) => s.try_read(buf),
        }
    }

    pub async fn readable(&self) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.readable().await,
            Stream::Unix(s) => s.readable().await,
        }
    }

    /// A read the `try_read` way: tried at once, and after each `WouldBlock` tried again
    /// once `readable` says so.
    pub async fn try_read_loop(&self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.try_read(buf) {
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => self.readable().await?,
                result => return result,
            }
        }
    }

    pub async fn read_exact(&self, buf: &mut [u8]) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.read_exact(buf).await,
            Stream::Unix(s) => s.read_exact(buf).await,
        }
    }

    /// Reads until end of stream.
    pub async fn read_to_end(&self) -> io::Result<Vec<u8>> {
        let mut received = Vec::new();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            match self.read(&mut buf).await? {
                0 => return Ok(received),
                n => received.extend_from_slice(&buf[..n]),
            }
        }
    }

    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.peek(buf).await,
            Stream::Unix(s) => s.peek(buf).await,
        }
    }

    pub async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf).await,
            Stream::Unix(s) => s.write(buf).await,
        }
    }

    /// A write through the poll-level `AsyncWrite` impl of `&Stream`.
    pub async fn poll_write(&self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => AsyncWriteExt::write(&mut &*s, buf).await,
            Stream::Unix(s) => AsyncWriteExt::write(&mut &*s, buf).await,
        }
    }

    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.try_write(buf),
            Stream::Unix(s) => s.try_write(buf),
        }
    }

    pub async fn writable(&self) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.writable().await,
            Stream::Unix(s) => s.writable().await,
        }
    }

    /// A write the `try_write` way: tried at once, and after each `WouldBlock` tried again
    /// once `writable` says so.
    pub async fn try_write_loop(&self, buf: &[u8]) -> io::Result<usize> {
        loop {
            match self.try_write(buf) {
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => self.writable().await?,
                result => return result,
            }
        }
    }

    pub async fn write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write_vectored(bufs).await,
            Stream::Unix(s) => s.write_vectored(bufs).await,
        }
    }

    /// A vectored write through the poll-level `AsyncWrite` impl of `&Stream`.
    pub async fn poll_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => AsyncWriteExt::write_vectored(&mut &*s, bufs).await,
            Stream::Unix(s) => AsyncWriteExt::write_vectored(&mut &*s, bufs).await,
        }
    }

    pub async fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.write_all(buf).await,
            Stream::Unix(s) => s.write_all(buf).await,
        }
    }

    /// `write_all` through the poll-level `AsyncWrite` impl of `&Stream`.
    pub async fn poll_write_all(&self, buf: &[u8]) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => AsyncWriteExt::write_all(&mut &*s, buf).await,
            Stream::Unix(s) => AsyncWriteExt::write_all(&mut &*s, buf).await,
        }
    }

    pub fn shutdown(&self, how: Shutdown) {
        match self {
            Stream::Tcp(s) => s.shutdown(how).unwrap(),
            Stream::Unix(s) => s.shutdown(how).unwrap(),
        }
    }

    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.set_read_timeout(timeout),
            Stream::Unix(s) => s.set_read_timeout(timeout),
        }
    }

    pub fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.set_write_timeout(timeout),
            Stream::Unix(s) => s.set_write_timeout(timeout),
        }
    }

    pub fn read_timeout(&self) -> Option<Duration> {
        match self {
            Stream::Tcp(s) => s.read_timeout().unwrap(),
            Stream::Unix(s) => s.read_timeout().unwrap(),
        }
    }

    pub fn write_timeout(&self) -> Option<Duration> {
        match self {
            Stream::Tcp(s) => s.write_timeout().unwrap(),
            Stream::Unix(s) => s.write_timeout().unwrap(),
        }
    }

    pub fn fd(&self) -> RawFd {
        match self {
            Stream::Tcp(s) => s.as_raw_fd(),
            Stream::Unix(s) => s.as_raw_fd(),
        }
    }
}

/// The blocking std end of a pair: its writes are in the Mirage end's receive queue (or on
/// their way through loopback) when they return.
pub enum StdPeer {
    Tcp(std::net::TcpStream),
    Unix(std::os::unix::net::UnixStream),
}

impl StdPeer {
    pub fn write_all(&self, buf: &[u8]) {
        match self {
            StdPeer::Tcp(s) => (&*s).write_all(buf).unwrap(),
            StdPeer::Unix(s) => (&*s).write_all(buf).unwrap(),
        }
    }

    pub fn shutdown(&self, how: Shutdown) {
        match self {
            StdPeer::Tcp(s) => s.shutdown(how).unwrap(),
            StdPeer::Unix(s) => s.shutdown(how).unwrap(),
        }
    }

    pub fn fd(&self) -> RawFd {
        match self {
            StdPeer::Tcp(s) => s.as_raw_fd(),
            StdPeer::Unix(s) => s.as_raw_fd(),
        }
    }
}

/// Shrinks the socket buffers, so that modest transfers fill them. TCP keeps a 64 KiB
/// receive buffer: with less, loopback transfers crawl on zero-window probes.
pub fn small_buffers(stream: &Stream) {
    set_sockopt(stream.fd(), libc::SO_SNDBUF, 4096);
    let receive = match stream {
        Stream::Tcp(_) => 65536,
        Stream::Unix(_) => 4096,
    };
    set_sockopt(stream.fd(), libc::SO_RCVBUF, receive);
}

/// Sets `SO_LINGER` to zero seconds: closing the socket then resets the connection.
pub fn set_linger_zero(fd: RawFd) {
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: `linger` is a live `struct linger` and its size is passed with it.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            std::ptr::from_ref(&linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0, "{}", io::Error::last_os_error());
}

pub fn race_strategy() -> impl Strategy<Value = Race> {
    prop_oneof![
        1 => Just(Race::None),
        2 => (0u8..4).prop_map(Race::Yields),
        2 => (0u16..400).prop_map(Race::Micros),
    ]
}

pub fn pace_strategy() -> impl Strategy<Value = Pace> {
    prop_oneof![
        3 => (0u8..3).prop_map(Pace::Yields),
        1 => (0u16..300).prop_map(Pace::Micros),
    ]
}

/// An operation that must not wait (data, room, end of stream or an error is there
/// already): a generous bound turns a hang into a failure that names it.
pub async fn prompt<T>(what: &str, operation: impl Future<Output = T>) -> T {
    timeout(Duration::from_secs(5), operation)
        .await
        .unwrap_or_else(|_| {
            panic!("{what} hung with data, room, end of stream or an error pending")
        })
}
