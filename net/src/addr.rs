//! Socket addresses, and host-name resolution that never blocks the Core.
//!
//! `getaddrinfo` blocks for as long as DNS takes, so a host name is resolved on the blocking
//! pool (see `spawn_blocking`) while the Core keeps running, as tokio resolves one; literal
//! addresses are parsed in place.

use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::vec;

/// What can be turned into socket addresses: the same types as [`std::net::ToSocketAddrs`]
/// (`SocketAddr`, `(IpAddr, u16)`, `"host:port"`, `("host", port)`, `&[SocketAddr]`, …), but
/// resolved without blocking the Core.
///
/// This trait is sealed: it cannot be implemented outside Mirage.
///
/// # Examples
///
/// ```
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let addrs: Vec<_> = mirage::net::lookup_host("127.0.0.1:80").await.unwrap().collect();
///     assert_eq!(addrs, ["127.0.0.1:80".parse().unwrap()]);
/// });
/// ```
pub trait ToSocketAddrs: sealed::Sealed {}

pub(crate) mod sealed {
    use super::Target;

    /// Converts the address into an owned form that can cross to a resolver thread.
    pub trait Sealed {
        #[doc(hidden)]
        fn to_target(&self) -> Target;
    }
}

/// An address, resolved or still to resolve.
#[doc(hidden)]
#[derive(Debug)]
pub enum Target {
    Resolved(Vec<SocketAddr>),
    /// `"host:port"`, for `std::net::ToSocketAddrs` on another thread.
    HostPort(String),
    /// `("host", port)`.
    Host(String, u16),
}

macro_rules! resolved {
    ($($ty:ty),*) => {$(
        impl ToSocketAddrs for $ty {}
        impl sealed::Sealed for $ty {
            fn to_target(&self) -> Target {
                Target::Resolved(std::net::ToSocketAddrs::to_socket_addrs(self)
                    .map(Iterator::collect)
                    .unwrap_or_default())
            }
        }
    )*};
}

// Literal addresses: std resolves these without any lookup.
resolved!(
    SocketAddr,
    SocketAddrV4,
    SocketAddrV6,
    (IpAddr, u16),
    (Ipv4Addr, u16),
    (Ipv6Addr, u16)
);

impl ToSocketAddrs for str {}
impl sealed::Sealed for str {
    fn to_target(&self) -> Target {
        match self.parse::<SocketAddr>() {
            Ok(addr) => Target::Resolved(vec![addr]),
            Err(_) => Target::HostPort(self.to_owned()),
        }
    }
}

impl ToSocketAddrs for String {}
impl sealed::Sealed for String {
    fn to_target(&self) -> Target {
        self.as_str().to_target()
    }
}

impl ToSocketAddrs for (&str, u16) {}
impl sealed::Sealed for (&str, u16) {
    fn to_target(&self) -> Target {
        match self.0.parse::<IpAddr>() {
            Ok(ip) => Target::Resolved(vec![SocketAddr::new(ip, self.1)]),
            Err(_) => Target::Host(self.0.to_owned(), self.1),
        }
    }
}

impl ToSocketAddrs for (String, u16) {}
impl sealed::Sealed for (String, u16) {
    fn to_target(&self) -> Target {
        (self.0.as_str(), self.1).to_target()
    }
}

impl ToSocketAddrs for [SocketAddr] {}
impl sealed::Sealed for [SocketAddr] {
    fn to_target(&self) -> Target {
        Target::Resolved(self.to_vec())
    }
}

impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {}
impl<T: ToSocketAddrs + ?Sized> sealed::Sealed for &T {
    fn to_target(&self) -> Target {
        (**self).to_target()
    }
}

/// Resolves `host` (e.g. `"example.com:443"` or `("localhost", 8080)`) to socket
/// addresses, on a thread of the blocking pool (the one
/// [`spawn_blocking`](mirage_core::spawn_blocking) uses, with its thread limit) so the Core
/// keeps running meanwhile. Literal IP addresses are parsed without a lookup.
///
/// # Errors
///
/// What the system resolver reports (e.g. an unknown host), as an `io::Error`. No address
/// (an empty `&[SocketAddr]`) is an empty iterator, not an error, as in std and tokio. A
/// pool that cannot start a thread (with none of its own running), or that shut down with
/// the runtime before the lookup ran, is an error too.
///
/// Cancel-safe: dropping the future does not stop a lookup that started, which finishes on
/// its pool thread; its result is discarded.
///
/// # Examples
///
/// ```
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let addrs: Vec<_> = mirage::net::lookup_host(("localhost", 8080)).await.unwrap().collect();
///     assert!(addrs.iter().all(|addr| addr.port() == 8080 && addr.ip().is_loopback()));
/// });
/// ```
pub async fn lookup_host<A: ToSocketAddrs>(host: A) -> io::Result<vec::IntoIter<SocketAddr>> {
    // As std's `to_socket_addrs` and tokio's `lookup_host`: no addresses is no error here.
    lookup(host.to_target()).await.map(Vec::into_iter)
}

/// Resolves a target, off the Core's thread when a lookup is needed; `InvalidInput` if it
/// resolves to no address, as for std's `connect`: for the operations that need one.
pub(crate) async fn resolve(target: Target) -> io::Result<Vec<SocketAddr>> {
    at_least_one(lookup(target).await?)
}

/// The addresses `target` resolves to, perhaps none; off the Core's thread when a lookup
/// is needed.
async fn lookup(target: Target) -> io::Result<Vec<SocketAddr>> {
    Ok(match target {
        Target::Resolved(addrs) => addrs,
        Target::HostPort(host) => {
            off_the_core(move || std::net::ToSocketAddrs::to_socket_addrs(&host)).await?
        }
        Target::Host(host, port) => {
            off_the_core(move || std::net::ToSocketAddrs::to_socket_addrs(&(&*host, port))).await?
        }
    })
}

/// [`resolve`], on the calling thread: for the synchronous `bind`s, which resolve a host
/// name where they are called, as std's do.
pub(crate) fn resolve_now(target: Target) -> io::Result<Vec<SocketAddr>> {
    let addrs: Vec<SocketAddr> = match target {
        Target::Resolved(addrs) => addrs,
        Target::HostPort(host) => std::net::ToSocketAddrs::to_socket_addrs(&host)?.collect(),
        Target::Host(host, port) => {
            std::net::ToSocketAddrs::to_socket_addrs(&(&*host, port))?.collect()
        }
    };
    at_least_one(addrs)
}

/// `addrs`, or `InvalidInput` if a name resolved to none (as std says).
fn at_least_one(addrs: Vec<SocketAddr>) -> io::Result<Vec<SocketAddr>> {
    if addrs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "could not resolve to any addresses",
        ));
    }
    Ok(addrs)
}

/// Tries `op` on each address in turn, returning the first success or the last error.
pub(crate) async fn each_addr<A, T, F, Fut>(addr: A, mut op: F) -> io::Result<T>
where
    A: ToSocketAddrs,
    F: FnMut(SocketAddr) -> Fut,
    Fut: Future<Output = io::Result<T>>,
{
    let mut last_err = None;
    for addr in resolve(addr.to_target()).await? {
        match op(addr).await {
            Ok(value) => return Ok(value),
            Err(err) => last_err = Some(err),
        }
    }
    Err(last_err.expect("resolve returns at least one address"))
}

/// Runs a blocking lookup on the blocking pool and awaits its addresses. The pool counts it
/// as the current Core's blocking work, so a paused clock does not jump past it.
async fn off_the_core<I>(
    lookup: impl FnOnce() -> io::Result<I> + Send + 'static,
) -> io::Result<Vec<SocketAddr>>
where
    I: Iterator<Item = SocketAddr>,
{
    let job = mirage_core::task::try_spawn_blocking(move || lookup().map(Iterator::collect))?;
    match job.await {
        Ok(addrs) => addrs,
        Err(err) => Err(io::Error::other(format!(
            "the blocking pool lost a host-name lookup: {err}"
        ))),
    }
}
