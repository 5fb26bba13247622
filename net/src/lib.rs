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
//! are resolved on a helper thread, never blocking the Core.
//!
//! # Two system calls per message
//!
//! An echo server that reads into a buffer and writes back makes one `read` and one `write`
//! per message, plus a share of `epoll_wait` when it runs dry. When a read fills the whole
//! buffer, the socket may hold more, so the next read is tried before waiting and it returns
//! `WouldBlock`: a third system call. A buffer larger than the messages in flight keeps it
//! at two.

#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

mod accept;
mod addr;
mod byte_stream;
mod fd;
mod source;
mod sys;
pub mod tcp;
mod udp;
pub mod unix;

pub use addr::{lookup_host, ToSocketAddrs};
pub use tcp::listener::TcpListener;
pub use tcp::socket::TcpSocket;
pub use tcp::stream::TcpStream;
pub use udp::UdpSocket;
pub use unix::datagram::UnixDatagram;
pub use unix::listener::UnixListener;
pub use unix::stream::UnixStream;
pub use unix::ucred::UCred;
