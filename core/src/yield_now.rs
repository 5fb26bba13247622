//! Giving other tasks a turn.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Lets other ready tasks run before the current one continues.
///
/// A spawned task goes to the back of the run queue, so every task that was ready before it
/// runs first. The future passed to [`Core::run`](crate::Core::run) is polled again after at
/// most one turn of the loop (128 tasks). Mirage's sockets yield on their own once a task
/// has spent its [cooperative budget](crate::coop); a loop that awaits nothing that can be
/// pending should call this (or [`consume_budget`](crate::coop::consume_budget)) now and
/// then, or it starves the rest of the Core.
///
/// # Examples
///
/// ```
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let other = mirage::spawn(async { "ran" });
///     mirage::yield_now().await;
///     assert!(other.is_finished());
/// });
/// ```
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future returned by [`yield_now`].
///
/// # Examples
///
/// ```
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let yielding: mirage::YieldNow = mirage::yield_now();
///     yielding.await; // the other ready tasks run first
/// });
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
