//! Unix-domain sockets: listeners, streams and datagrams.

mod datagram;
mod listener;
mod stream;
mod ucred;

pub use datagram::UnixDatagram;
pub use listener::UnixListener;
pub use stream::UnixStream;
pub use ucred::UCred;
