//! The halves of a split [`TcpStream`], owned ones made by
//! [`into_split`](crate::TcpStream::into_split) and borrowed ones by
//! [`split`](crate::TcpStream::split), as tokio's `net::tcp` has them. The TCP sockets
//! themselves are at the crate root.

mod linger;
pub(crate) mod listener;
mod quickack;
pub(crate) mod socket;
mod split;
pub(crate) mod stream;

pub use split::{OwnedReadHalf, OwnedWriteHalf, ReuniteError};

use crate::TcpStream;

crate::borrowed_split::impl_borrowed_split!(
    TcpStream,
    std::net::SocketAddr,
    r#"
```
use mirage::io::{self, AsyncReadExt, AsyncWriteExt};
use mirage::net::{TcpListener, TcpStream};

let listener = TcpListener::bind("127.0.0.1:0")?;
let addr = listener.local_addr()?;
let mut core = mirage::Core::new()?;
core.run(async move {
    let mut client = TcpStream::connect(addr).await?;
    let (mut socket, _) = listener.accept().await?;
    // An echo server's connection, as tokio's examples write it.
    let echo = mirage::spawn(async move {
        let (mut rd, mut wr) = socket.split();
        io::copy(&mut rd, &mut wr).await
    });
    client.write_all(b"ping").await?;
    client.shutdown(std::net::Shutdown::Write)?;
    let mut echoed = Vec::new();
    client.read_to_end(&mut echoed).await?;
    assert_eq!(echoed, b"ping");
    assert_eq!(echo.await.unwrap()?, 4);
    std::io::Result::Ok(())
})?;
# std::io::Result::Ok(())
```
"#,
    r#"    let listener = mirage::net::TcpListener::bind("127.0.0.1:0")?;
    let mut ours = mirage::net::TcpStream::connect(listener.local_addr()?).await?;
    let (peer, _) = listener.accept().await?;
"#
);

impl ReadHalf<'_> {
    /// Polls to read into `buf` without consuming what it reads, as
    /// [`TcpStream::poll_peek`], for a hand-written future. Only the task of the most
    /// recent poll is woken.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use mirage::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let mut ours = TcpStream::connect(addr).await?;
    ///     let (peer, _) = listener.accept().await?;
    ///     peer.write_all(b"hi").await?;
    ///     let (rd, _wr) = ours.split();
    ///     let mut buf = [0; 2];
    ///     let n = poll_fn(|cx| rd.poll_peek(cx, &mut buf)).await?;
    ///     assert_eq!(&buf[..n], b"hi");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poll_peek(
        &self,
        cx: &mut std::task::Context<'_>,
        buf: &mut [u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        self.0.poll_peek(cx, buf)
    }
}
