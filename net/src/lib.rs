//! Networking: TCP, UDP and Unix sockets shaped like `std::net`, driven by the running
//! Core. Part of [Mirage](https://docs.rs/mirage), as `mirage::net`.
//!
//! Code reads like blocking `std::net` code: the same method names, borrowed (even stack)
//! buffers, `?` for errors, and timeouts set the std way (`set_read_timeout`,
//! `connect_timeout`). Each operation tries the system call first and waits for readiness
//! only when it would block.
//!
//! Sockets can be created (`bind`, `from_std`) before any Core runs; each registers with the
//! Core that first polls it, and moves to another Core once that one is dropped. Host names
//! are resolved on the blocking pool, never blocking the Core.
//!
//! Unlike tokio's, the sockets are not `Send`: one stays on its thread, with the Cores that
//! thread runs. To hand a connection to a Core on another thread (an acceptor feeding
//! workers), send what `into_std` returns, through a
//! [`cross_thread`](mirage_core::sync::cross_thread) channel, and wrap it there with
//! `from_std`.
//!
//! `into_std` hands a socket back in blocking mode, as std makes its own (with the read
//! and write timeouts set on it, for a stream or datagram socket), and Mirage's `from_std`
//! makes it non-blocking again. tokio's `into_std` leaves the socket non-blocking, and
//! tokio's `from_std` needs it so: call `set_nonblocking(true)` on what Mirage's
//! `into_std` returns before handing it to tokio (or to any other event loop).
//!
//! # Two system calls per message
//!
//! An echo server that reads into a buffer and writes back makes one `read` and one `write`
//! per message, plus a share of `epoll_wait` when it runs dry. A read that returns less than
//! its buffer shows the socket empty, so the next read waits for data without trying it.
//! When a read fills the whole buffer, the socket may hold more. A TCP stream's first read
//! that fills its buffer turns on the socket's `TCP_INQ` option (Linux 4.18 and later), and
//! from then on a read that follows a full one also brings back how many bytes are left:
//! a stream whose messages fill the buffer stays at two system calls per message, after
//! one `WouldBlock` read for the first. (A `recvmsg` made on such a socket by other means,
//! through `try_io` or the descriptor, then gets a `TCP_CM_INQ` control message, or
//! `MSG_CTRUNC` when its control buffer has no room for one. `into_std` turns the option
//! off again if Mirage turned it on.) A Unix stream has no such count: after each read that
//! fills the buffer, the next read is tried before waiting and returns `WouldBlock`, a third
//! system call. A buffer larger than the messages in flight keeps either at two.
//!
//! # Readiness
//!
//! `readable`, `writable`, `ready` and the `poll_*_ready` methods ask the kernel, as
//! `poll(2)` would, once an edge from the Core's reactor wakes them. So a stream is
//! writable once enough of its send buffer is free (the kernel's low-water mark), and
//! `writable` may wait while a `try_write` would still take a few bytes; the wait ends as
//! the peer reads. tokio answers these from the readiness it caches instead, writable
//! until a write fails. Code that waits on `writable` again after each `WouldBlock` of
//! `try_write` works the same with both. A loop that fills a socket, awaiting `writable`
//! before each `try_write` and stopping at the first `WouldBlock` (as tokio's own
//! `tcp_stream`, `uds_stream` and `uds_datagram` tests do), does not: once the send buffer
//! (or a datagram peer's queue) is full, Mirage's `writable` waits for the peer to read,
//! so with no other task reading, the loop never reaches its `WouldBlock`. Fill with
//! `try_write` (`try_send`) alone, which returns `WouldBlock` as soon as there is no room.
//!
//! # Poll-level methods
//!
//! For `Future` and `Stream` implementations written by hand, the sockets have tokio's
//! poll-level methods (`poll_accept`, `poll_read_ready`, `poll_recv_from`, …), and the
//! streams implement `AsyncRead` and `AsyncWrite`. Where tokio fills a `ReadBuf`, Mirage's
//! take a plain `&mut [u8]` and return the byte count, as `read` does.
//! `UnixDatagram` has no `poll_send_to`: Linux signals no readiness when a full receiver
//! makes room, so its `send_to` retries after growing pauses, and a poll has nowhere to
//! keep that timer (waiting for readiness instead would spin).
//!
//! A socket keeps one waker per direction for all its poll-level calls: only the task of
//! the most recent one is woken. The read direction's slot serves `poll_accept`,
//! `poll_read_ready`, `poll_recv_ready`, `poll_peek`, `poll_recv`, `poll_recv_from`,
//! `poll_peek_from`, `poll_peek_sender` and `AsyncRead::poll_read`; the write direction's
//! serves `poll_write_ready`, `poll_send_ready`, `poll_send`, `poll_send_to` and
//! `AsyncWrite::poll_write`. So two tasks polling the same direction of one socket leave the
//! first asleep, as in tokio; a reader and a writer may poll at once. The `async` methods
//! (`read().await`, `readable().await`, `accept().await`, …) keep a waker each: any number
//! of them can wait on one socket, beside the poll-level calls, and each is woken.
//!
//! A read (write) timeout applies to `AsyncRead::poll_read` (`AsyncWrite::poll_write`): a
//! read pending longer than the timeout, counted from its first pending poll after
//! `start_read`, fails with `TimedOut`. The other poll-level methods (`poll_recv`,
//! `poll_send_to`, `poll_peek`, …) and the readiness polls ignore the timeouts, as tokio's
//! have none: with no `start_*` call to mark a new operation, a deadline kept in the socket
//! would pass from a call dropped while pending to the next one.

#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

mod accept;
mod addr;
mod bind_device;
mod borrowed_split;
mod byte_stream;
mod fd;
mod interest_io;
mod peek_sender;
mod poll_datagram;
mod poll_stream;
mod source;
mod sys;
mod tclass;
pub mod tcp;
mod tos;
mod udp;
pub mod unix;

pub use addr::{ToSocketAddrs, lookup_host};
pub use tcp::listener::TcpListener;
pub use tcp::socket::TcpSocket;
pub use tcp::stream::TcpStream;
pub use udp::UdpSocket;
pub use unix::datagram::UnixDatagram;
pub use unix::listener::UnixListener;
pub use unix::socket::UnixSocket;
pub use unix::stream::UnixStream;
pub use unix::ucred::UCred;
