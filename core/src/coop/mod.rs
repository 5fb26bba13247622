//! Cooperative scheduling: a task that always finds its sockets ready still gives the
//! others a turn.
//!
//! A Core runs one task at a time, and a task runs until it awaits something that is not
//! ready. A connection whose peer sends without pause keeps every `read` ready, so its task
//! could loop for as long as the peer keeps up, and every other connection on the Core would
//! wait. The same holds for a channel that is never empty, a burst of timers already due,
//! or a loop over finished tasks. To prevent that, each task gets a budget of [`BUDGET`]
//! operations each time it is polled, and every operation that can complete without
//! waiting spends one unit when it would:
//!
//! - each attempt of a socket operation, and each wait for readiness of an
//!   [`AsyncFd`](crate::io::AsyncFd) or a socket's `readable()`/`writable()`;
//! - a value received from an [`mpsc`](crate::sync::mpsc),
//!   [`oneshot`](crate::sync::oneshot), [`broadcast`](crate::sync::broadcast) or
//!   [`cross_thread`](crate::sync::cross_thread) channel, and a bounded send that finds
//!   room;
//! - a [`watch`](crate::sync::watch) change seen, and permits taken from a
//!   [`Semaphore`](crate::sync::Semaphore) that had them free, and a
//!   [`Barrier`](crate::sync::Barrier) wait that arrives last and so completes at once;
//! - the error of a receive, send or acquire that finds its channel or semaphore closed,
//!   so that a loop that ignores it still yields;
//! - a [`JoinHandle`](crate::JoinHandle) that finds its task finished (and a
//!   [`RemoteJoinHandle`](crate::RemoteJoinHandle) its work over, or cancelled), and so a
//!   [`JoinSet`](crate::JoinSet) that returns one;
//! - a [`Sleep`](crate::time::Sleep) that finds its deadline passed, and an
//!   [`Interval`](crate::time::Interval) tick;
//! - each chunk that [`io::copy`](crate::io::copy), [`copy_buf`](crate::io::copy_buf) or
//!   [`copy_bidirectional`](crate::io::copy_bidirectional) moves, so that a copy between
//!   in-memory streams, which spend nothing themselves, yields too.
//!
//! Once the budget is spent, the next such operation returns `Pending` after waking its
//! task, which goes to the back of the run queue, and proceeds when the task runs again.
//! Nothing is lost: the operation had not started, and a value stays in its channel. A
//! task with nothing ready never reaches its budget. A [`Timeout`](crate::time::Timeout)
//! checks its own deadline without spending, so a future that spends the whole budget at
//! every poll still times out.
//!
//! Futures polled while no Core runs on the thread (by another executor, or by hand) are
//! never held back; one polled by hand inside a task shares that task's budget. Code with
//! its own ready-or-not operations can take part with [`poll_proceed`], a future of another
//! library with [`cooperative`], and a busy loop that awaits nothing that can be pending
//! with [`consume_budget`]; [`unconstrained`] opts a future out.

mod cooperative;
mod unconstrained;

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

pub use cooperative::{Coop, cooperative};
pub use unconstrained::{Unconstrained, unconstrained};

/// Operations a task may complete in one poll before it yields to the others. The figure
/// tokio uses: large enough that a task rarely notices (a pipelined HTTP connection spends
/// two or three per batch of requests), small enough that one turn stays short.
///
/// # Examples
///
/// ```
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let other = mirage::spawn(async {});
///     let mut spent = 0;
///     while !other.is_finished() {
///         mirage::coop::consume_budget().await;
///         spent += 1;
///     }
///     // A budget's worth, then a yield to the other task, then the unit that waited.
///     assert_eq!(spent, u32::from(mirage::coop::BUDGET) + 1);
/// });
/// ```
pub const BUDGET: u8 = 128;

/// The budget of a poll that is not a Core's task: 2^64 operations, never spent.
const UNCONSTRAINED: u64 = u64::MAX;

thread_local! {
    /// What is left of the running task's budget. `const`-initialised and without a
    /// destructor, so reading it is a plain thread-local load.
    static LEFT: Cell<u64> = const { Cell::new(UNCONSTRAINED) };
}

/// Gives the task about to be polled (or the future given to `Core::run`) a full budget.
/// Called before every such poll, so no restore is needed after it: the polls in between
/// belong to tasks too. What the Core runs between its turns of polls (its park hooks) is
/// no task's: it [`lift`]s the budget first.
#[inline]
pub(crate) fn refill() {
    LEFT.with(|left| left.set(u64::from(BUDGET)));
}

/// Lifts what is left of the last poll's budget, as a Core's turn of polls ends: code run
/// outside a task is never held back (as in tokio).
#[inline]
pub(crate) fn lift() {
    LEFT.with(|left| left.set(UNCONSTRAINED));
}

/// What is left of the running task's budget, to [`restore`] after a nested Core's drop.
pub(crate) fn left() -> u64 {
    LEFT.with(Cell::get)
}

/// Puts back a budget read by [`left`].
pub(crate) fn restore(budget: u64) {
    LEFT.with(|left| left.set(budget));
}

/// Spends one unit of the running task's budget: `Ready` if there was one left, otherwise
/// wakes the task and returns `Pending`, so that it runs again after the other ready tasks.
///
/// Call it at the start of an operation that may complete without waiting (before any
/// side effect), and return `Pending` when it does.
///
/// # Examples
///
/// ```
/// use std::future::poll_fn;
/// use std::task::{ready, Context, Poll};
///
/// /// Numbers, always ready: a good citizen all the same.
/// struct Counter(u64);
///
/// impl Counter {
///     fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<u64> {
///         ready!(mirage::coop::poll_proceed(cx));
///         self.0 += 1;
///         Poll::Ready(self.0)
///     }
/// }
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let other = mirage::spawn(async {});
///     let mut counter = Counter(0);
///     let mut last = 0;
///     while !other.is_finished() {
///         last = poll_fn(|cx| counter.poll_next(cx)).await;
///     }
///     // The loop gave the other task a turn once its budget was spent.
///     assert_eq!(last, u64::from(mirage::coop::BUDGET) + 1);
/// });
/// ```
#[inline]
pub fn poll_proceed(cx: &mut Context<'_>) -> Poll<()> {
    if try_spend() {
        Poll::Ready(())
    } else {
        spent(cx)
    }
}

/// Spends one unit of the running task's budget if one is left; false, with nothing
/// spent and nobody woken, if not. For operations that must release a borrow before they
/// wake their task: the caller wakes it and returns `Pending`.
#[inline]
pub(crate) fn try_spend() -> bool {
    LEFT.with(|left| {
        let n = left.get();
        if n == 0 {
            return false;
        }
        left.set(n - 1);
        true
    })
}

/// The rare end of [`poll_proceed`], out of line so that the common one stays a few
/// instructions.
#[cold]
#[inline(never)]
fn spent(cx: &mut Context<'_>) -> Poll<()> {
    cx.waker().wake_by_ref();
    Poll::Pending
}

/// Whether the running task has budget left: an operation that spends it would now proceed
/// instead of yielding. Always true outside a task (and inside [`unconstrained`]).
///
/// # Examples
///
/// ```
/// use mirage::coop::{consume_budget, has_budget_remaining};
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let mut spent = 0;
///     while has_budget_remaining() {
///         consume_budget().await;
///         spent += 1;
///     }
///     assert_eq!(spent, mirage::coop::BUDGET); // a full budget per poll
/// });
/// ```
pub fn has_budget_remaining() -> bool {
    left() > 0
}

/// Spends one unit of the running task's budget, yielding first if it is spent: for a loop
/// that awaits only things that never spend it (a future of another library that is
/// always ready, or none at all) and would otherwise keep the Core to itself.
///
/// # Examples
///
/// ```
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let other = mirage::spawn(async {});
///     // A busy loop that spends its budget lets the other task run.
///     while !other.is_finished() {
///         mirage::coop::consume_budget().await;
///     }
/// });
/// ```
pub fn consume_budget() -> ConsumeBudget {
    ConsumeBudget { _private: () }
}

/// The future returned by [`consume_budget`].
///
/// # Examples
///
/// ```
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let spend: mirage::coop::ConsumeBudget = mirage::coop::consume_budget();
///     spend.await; // a full budget: ready at once
/// });
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct ConsumeBudget {
    _private: (),
}

impl Future for ConsumeBudget {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        poll_proceed(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::task::{Wake, Waker};

    struct CountWakes(std::sync::atomic::AtomicUsize);

    impl Wake for CountWakes {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }

    fn wakes(counter: &Arc<CountWakes>) -> usize {
        counter.0.load(std::sync::atomic::Ordering::Relaxed)
    }

    #[test]
    fn outside_a_task_the_budget_is_never_spent() {
        let counter = Arc::new(CountWakes(0.into()));
        let waker = Waker::from(counter.clone());
        let mut cx = Context::from_waker(&waker);
        for _ in 0..10 * usize::from(BUDGET) {
            assert!(poll_proceed(&mut cx).is_ready());
        }
        assert_eq!(wakes(&counter), 0);
    }

    #[test]
    fn a_spent_budget_wakes_the_task_and_returns_pending_until_the_next_poll() {
        let counter = Arc::new(CountWakes(0.into()));
        let waker = Waker::from(counter.clone());
        let mut cx = Context::from_waker(&waker);
        refill();
        for _ in 0..BUDGET {
            assert!(poll_proceed(&mut cx).is_ready());
        }
        assert!(poll_proceed(&mut cx).is_pending());
        assert!(poll_proceed(&mut cx).is_pending());
        assert_eq!(wakes(&counter), 2);
        // The next poll of a task starts with a full budget.
        refill();
        assert!(poll_proceed(&mut cx).is_ready());
        // Once the Core stops, none is spent.
        restore(UNCONSTRAINED);
        for _ in 0..10 * usize::from(BUDGET) {
            assert!(poll_proceed(&mut cx).is_ready());
        }
        assert_eq!(wakes(&counter), 2);
    }

    #[test]
    fn unconstrained_neither_yields_nor_spends_and_restores_the_budget_after_a_panic() {
        let counter = Arc::new(CountWakes(0.into()));
        let waker = Waker::from(counter.clone());
        let mut cx = Context::from_waker(&waker);
        refill();
        let mut free = std::pin::pin!(unconstrained(std::future::poll_fn(|cx| {
            for _ in 0..10 * usize::from(BUDGET) {
                assert!(poll_proceed(cx).is_ready());
            }
            Poll::Ready(())
        })));
        assert!(free.as_mut().poll(&mut cx).is_ready());
        assert_eq!((left(), wakes(&counter)), (u64::from(BUDGET), 0));
        let panicking = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut boom = std::pin::pin!(unconstrained(async { panic!("inside") }));
            let _ = boom.as_mut().poll(&mut cx);
        }));
        assert!(panicking.is_err());
        assert_eq!(left(), u64::from(BUDGET), "restored on the way out");
        restore(UNCONSTRAINED);
    }

    /// The wrappers project their pin onto a future that borrows from itself across an
    /// await (an `async` block, `!Unpin`): under Miri this checks the projection.
    #[test]
    fn the_wrappers_poll_a_self_borrowing_future_in_place() {
        let counter = Arc::new(CountWakes(0.into()));
        let waker = Waker::from(counter.clone());
        let mut cx = Context::from_waker(&waker);
        let self_borrowing = |start: u8| async move {
            let bytes = [start; 8];
            let first = &bytes[0];
            crate::yield_now().await;
            *first + bytes[7]
        };
        refill();
        let mut free = std::pin::pin!(unconstrained(self_borrowing(2)));
        let mut counted = std::pin::pin!(cooperative(self_borrowing(3)));
        // Pending once each (the yield), spending nothing while pending.
        assert!(free.as_mut().poll(&mut cx).is_pending());
        assert!(counted.as_mut().poll(&mut cx).is_pending());
        assert_eq!(left(), u64::from(BUDGET), "pending polls spend nothing");
        assert_eq!(free.as_mut().poll(&mut cx), Poll::Ready(4));
        assert_eq!(counted.as_mut().poll(&mut cx), Poll::Ready(6));
        assert_eq!(
            left(),
            u64::from(BUDGET) - 1,
            "the completed cooperative poll spent one"
        );
        restore(UNCONSTRAINED);
    }
}
