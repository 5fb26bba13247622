//! [`cooperative`]: a future of another library made to spend the task's budget.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::{left, poll_proceed, restore};

/// Wraps `future` so that it takes part in [cooperative scheduling](crate::coop), as
/// tokio's `coop::cooperative`: each poll first spends one unit of the task's budget
/// (yielding, as any Mirage operation does, once it is spent), and gives the unit back if
/// `future` stays pending. So completing costs one unit, and waiting costs none: a loop
/// over a source that is always ready (another library's channel, say) now lets the
/// Core's other tasks run.
///
/// # Examples
///
/// ```
/// use mirage::coop::cooperative;
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let other = mirage::spawn(async {});
///     // `std::future::ready` never yields by itself; wrapped, a loop over it does.
///     let mut rounds = 0u32;
///     while !other.is_finished() {
///         cooperative(std::future::ready(())).await;
///         rounds += 1;
///     }
///     assert_eq!(rounds, u32::from(mirage::coop::BUDGET) + 1);
/// });
/// ```
pub fn cooperative<F: Future>(future: F) -> Coop<F> {
    Coop { future }
}

/// The future returned by [`cooperative`], as tokio's `coop::Coop`.
///
/// # Examples
///
/// ```
/// use mirage::coop::{cooperative, Coop};
///
/// let ready: Coop<std::future::Ready<u8>> = cooperative(std::future::ready(7));
/// let mut core = mirage::Core::new().unwrap();
/// assert_eq!(core.run(ready), 7);
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Coop<F> {
    future: F,
}

impl<F: Future> Future for Coop<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        std::task::ready!(poll_proceed(cx));
        // SAFETY: `future` is structurally pinned: `Coop` never moves it out (it has no
        // method that does, and no `Drop` impl), so a pinned `Coop` keeps it in place until
        // it is dropped there.
        let future = unsafe { self.map_unchecked_mut(|this| &mut this.future) };
        let poll = future.poll(cx);
        if poll.is_pending() {
            // Waiting costs nothing: the unit goes back, on top of whatever the inner
            // future's own operations spent meanwhile. Outside a task (or inside
            // `unconstrained`) the budget is unlimited, and nothing needs giving back.
            let now = left();
            if now < u64::from(super::BUDGET) {
                restore(now + 1);
            }
        }
        poll
    }
}

impl<F> fmt::Debug for Coop<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Coop").finish_non_exhaustive()
    }
}
