//! The halves of a split [`UnixStream`](crate::UnixStream), made by
//! [`into_split`](crate::UnixStream::into_split), as tokio's `net::unix` has them. The
//! Unix-domain sockets themselves (listeners, streams and datagrams) are at the crate root.

pub(crate) mod datagram;
pub(crate) mod listener;
mod split;
pub(crate) mod stream;
pub(crate) mod ucred;

pub use split::{OwnedReadHalf, OwnedWriteHalf, ReuniteError};
