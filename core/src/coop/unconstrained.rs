//! [`unconstrained`]: a future polled with no budget.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::{UNCONSTRAINED, left, restore};

/// Polls `future` with no budget: the operations inside it never yield for fairness, and
/// spend none of the task's budget. For a future that must not be held back (a shutdown
/// sequence, a latency-critical section), at the price of the other tasks' turns: a future
/// that keeps finding work ready then keeps the Core to itself.
///
/// # Examples
///
/// ```
/// use mirage::coop::{has_budget_remaining, unconstrained};
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let (tx, mut rx) = mirage::sync::mpsc::unbounded();
///     for i in 0..1_000 {
///         tx.send(i).unwrap();
///     }
///     // A thousand receives in one poll, more than a budget allows.
///     let sum = unconstrained(async {
///         let mut sum = 0;
///         for _ in 0..1_000 {
///             sum += rx.recv().await.unwrap();
///         }
///         sum
///     })
///     .await;
///     assert_eq!(sum, 499_500);
///     assert!(has_budget_remaining(), "the task's own budget was not spent");
/// });
/// ```
pub fn unconstrained<F: Future>(future: F) -> Unconstrained<F> {
    Unconstrained { future }
}

/// The future returned by [`unconstrained`]: `future`, polled with no budget, as tokio's
/// `task::Unconstrained`.
///
/// # Examples
///
/// ```
/// use mirage::coop::{unconstrained, Unconstrained};
///
/// // The type can be named, to store one in a struct.
/// struct Shutdown {
///     steps: Unconstrained<std::future::Ready<u32>>,
/// }
///
/// let shutdown = Shutdown { steps: unconstrained(std::future::ready(3)) };
/// let mut core = mirage::Core::new().unwrap();
/// assert_eq!(core.run(shutdown.steps), 3);
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Unconstrained<F> {
    future: F,
}

impl<F: Future> Future for Unconstrained<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `future` is structurally pinned: `Unconstrained` never moves it out (it
        // has no method that does, and no `Drop` impl), so a pinned `Unconstrained` keeps
        // it in place until it is dropped there.
        let future = unsafe { self.map_unchecked_mut(|this| &mut this.future) };
        let _restore = Restore(left());
        restore(UNCONSTRAINED);
        future.poll(cx)
    }
}

impl<F> fmt::Debug for Unconstrained<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Unconstrained").finish_non_exhaustive()
    }
}

/// Puts a budget back when dropped, even if the poll it wraps panics.
struct Restore(u64);

impl Drop for Restore {
    fn drop(&mut self) {
        restore(self.0);
    }
}
