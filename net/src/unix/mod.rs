//! The halves of a split [`UnixStream`], owned ones made by
//! [`into_split`](crate::UnixStream::into_split) and borrowed ones by
//! [`split`](crate::UnixStream::split), as tokio's `net::unix` has them, and Unix
//! [`pipe`]s and FIFOs. The Unix-domain sockets themselves (listeners, streams,
//! datagrams, and the `UnixSocket` that makes any of them) are at the crate root.

pub(crate) mod datagram;
pub(crate) mod listener;
pub mod pipe;
pub(crate) mod socket;
mod split;
pub(crate) mod stream;
pub(crate) mod ucred;

pub use split::{OwnedReadHalf, OwnedWriteHalf, ReuniteError};

/// `UCred`, from the crate root, under tokio's path, `tokio::net::unix::UCred`, too.
///
/// # Examples
///
/// ```
/// use mirage::net::unix::UCred;
///
/// let (a, _b) = mirage::net::UnixStream::pair()?;
/// let cred: UCred = a.peer_cred()?;
/// assert_eq!(cred.pid(), Some(std::process::id() as i32));
/// # std::io::Result::Ok(())
/// ```
#[doc(no_inline)]
pub use crate::UCred;

/// The address of a Unix socket under tokio's path, `tokio::net::unix::SocketAddr`. It is
/// `std`'s, which Mirage's Unix sockets return and take; tokio wraps it in a type of its
/// own with the same methods (`as_abstract_name` is std's through
/// `std::os::linux::net::SocketAddrExt`).
///
/// # Examples
///
/// ```
/// use mirage::net::unix::SocketAddr;
///
/// let (a, _b) = mirage::net::UnixStream::pair()?;
/// let addr: SocketAddr = a.local_addr()?;
/// assert!(addr.is_unnamed());
/// # std::io::Result::Ok(())
/// ```
#[doc(no_inline)]
pub use std::os::unix::net::SocketAddr;

use std::io;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::UnixStream;

/// The address that `path` names, read as tokio reads it: a path that starts with a NUL
/// byte names the abstract socket of the bytes after it (std refuses any NUL in a path),
/// and any other path the file there.
pub(crate) fn path_addr(path: &Path) -> io::Result<SocketAddr> {
    match path.as_os_str().as_bytes().split_first() {
        Some((0, name)) => SocketAddr::from_abstract_name(name),
        _ => SocketAddr::from_pathname(path),
    }
}

crate::borrowed_split::impl_borrowed_split!(
    UnixStream,
    SocketAddr,
    r#"
```
use mirage::io::{self, AsyncReadExt, AsyncWriteExt};
use mirage::net::UnixStream;

let (mut client, mut server) = UnixStream::pair()?;
let mut core = mirage::Core::new()?;
core.run(async move {
    let echo = mirage::spawn(async move {
        let (mut rd, mut wr) = server.split();
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
    r#"    let (mut ours, peer) = mirage::net::UnixStream::pair()?;
"#
);
