//! TCP: listeners and streams.

mod listener;
mod stream;

pub use listener::TcpListener;
pub use stream::TcpStream;
