//! The halves of a split [`TcpStream`](crate::TcpStream), made by
//! [`into_split`](crate::TcpStream::into_split), as tokio's `net::tcp` has them. The TCP
//! sockets themselves are at the crate root.

mod linger;
pub(crate) mod listener;
mod quickack;
pub(crate) mod socket;
mod split;
pub(crate) mod stream;

pub use split::{OwnedReadHalf, OwnedWriteHalf, ReuniteError};
