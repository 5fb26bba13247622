//! Socket addresses, and host-name resolution that never blocks the Core.
//!
//! `getaddrinfo` blocks for as long as DNS takes, so a host name is resolved on a short-lived
//! helper thread while the Core keeps running; literal addresses are parsed in place.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
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
/// addresses, on a helper thread so the Core keeps running meanwhile. Literal IP addresses
/// are parsed without a lookup.
///
/// # Errors
///
/// What the system resolver reports (e.g. an unknown host), as an `io::Error`. No address
/// (an empty `&[SocketAddr]`) is an empty iterator, not an error, as in std and tokio.
///
/// Cancel-safe: dropping the future does not stop the helper thread, which finishes the
/// lookup; its result is discarded.
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
            on_helper_thread(move || std::net::ToSocketAddrs::to_socket_addrs(&host)).await?
        }
        Target::Host(host, port) => {
            on_helper_thread(move || std::net::ToSocketAddrs::to_socket_addrs(&(&*host, port)))
                .await?
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

/// Runs a blocking lookup on a new thread and wakes the waiting task when it is done.
fn on_helper_thread<I>(lookup: impl FnOnce() -> io::Result<I> + Send + 'static) -> HelperThread
where
    I: Iterator<Item = SocketAddr>,
{
    let state = Arc::new(Mutex::new(Lookup::Running(None)));
    let worker = Arc::clone(&state);
    // Counted as the Core's blocking work, as tokio's lookups on `spawn_blocking` are: a
    // paused clock must not jump (firing a timeout around the lookup) while DNS answers in
    // real time.
    let counted = mirage_core::task::BlockingWork::current();
    let spawned = std::thread::Builder::new()
        .name("mirage-resolver".into())
        .spawn(move || {
            let result = lookup().map(Iterator::collect);
            let previous = std::mem::replace(
                &mut *worker.lock().unwrap_or_else(PoisonError::into_inner),
                Lookup::Done(result),
            );
            if let Lookup::Running(Some(waker)) = previous {
                waker.wake();
            }
            // Over only once the waiting task is woken, so the Core sees that wake-up too.
            drop(counted);
        });
    if let Err(err) = spawned {
        *state.lock().unwrap_or_else(PoisonError::into_inner) = Lookup::Done(Err(err));
    }
    HelperThread { state }
}

enum Lookup {
    Running(Option<Waker>),
    Done(io::Result<Vec<SocketAddr>>),
    Taken,
}

/// The future of a lookup running on a helper thread.
struct HelperThread {
    state: Arc<Mutex<Lookup>>,
}

impl Future for HelperThread {
    type Output = io::Result<Vec<SocketAddr>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        match &mut *state {
            Lookup::Running(waker) => {
                if !waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                    *waker = Some(cx.waker().clone());
                }
                Poll::Pending
            }
            Lookup::Done(_) => match std::mem::replace(&mut *state, Lookup::Taken) {
                Lookup::Done(result) => Poll::Ready(result),
                _ => unreachable!(),
            },
            Lookup::Taken => panic!("lookup future polled after completion"),
        }
    }
}

impl fmt::Debug for HelperThread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HelperThread").finish_non_exhaustive()
    }
}
