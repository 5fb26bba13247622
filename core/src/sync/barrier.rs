//! `Barrier`: a number of tasks wait for each other, then all go on together.

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::{Notified, Notify};
use crate::coop;

/// Makes tasks wait for each other: each calls [`wait`](Barrier::wait), and the first `n - 1`
/// to arrive wait until the `n`th does; then all `n` go on, and the barrier counts the next
/// `n` afresh (a new *generation*), so one barrier marks every step of a loop. Exactly one
/// task of each generation, the last to arrive, is told it is the
/// [leader](BarrierWaitResult::is_leader), to do once what the step needs done once.
///
/// A `wait` future that is dropped before its generation is complete takes itself off the
/// count (tokio's stays counted): the `n` tasks that go on are `n` tasks that are there.
///
/// Like every `mirage::sync` type, it takes no lock and is `!Sync`; share it with
/// `Rc<Barrier>`. Tasks on several Cores (threads) share a
/// [`cross_thread::Barrier`](crate::sync::cross_thread::Barrier) instead.
///
/// # Examples
///
/// Three workers finish each step before any begins the next:
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use mirage::sync::Barrier;
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let barrier = Rc::new(Barrier::new(3));
///     let log = Rc::new(RefCell::new(Vec::new()));
///     let workers: Vec<_> = (0..3)
///         .map(|n| {
///             let (barrier, log) = (Rc::clone(&barrier), Rc::clone(&log));
///             mirage::spawn(async move {
///                 for step in 0..2 {
///                     log.borrow_mut().push(step);
///                     mirage::yield_now().await; // a step that takes a while
///                     let done = barrier.wait().await;
///                     if done.is_leader() {
///                         log.borrow_mut().push(10 + step);
///                     }
///                 }
///             })
///         })
///         .collect();
///     for worker in workers {
///         worker.await.unwrap();
///     }
///     assert_eq!(*log.borrow(), [0, 0, 0, 10, 1, 1, 1, 11]);
/// });
/// ```
pub struct Barrier {
    /// Tasks in a generation: at least 1.
    n: usize,
    /// Tasks that arrived in the current generation and wait: fewer than `n`, since the
    /// `n`th releases the generation and resets it to 0. A waiting `wait` dropped before
    /// its generation is released takes itself off again.
    arrived: Cell<usize>,
    /// Generations released so far. A waiter's generation is released once this differs
    /// from what it was when the waiter arrived.
    generation: Cell<u64>,
    /// Told by `notify_waiters` when a generation is released, which completes every
    /// `Notified` made before: each waiter makes its own as it arrives, so the whole
    /// generation, polled since or not, and no later arrival. Nothing else notifies it.
    released: Notify,
}

impl Barrier {
    /// A barrier for `n` tasks. `n == 0` counts as 1, as in `std` and tokio: every `wait`
    /// completes at once, as leader.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let alone = mirage::sync::Barrier::new(1);
    ///     assert!(alone.wait().await.is_leader());
    ///     assert!(alone.wait().await.is_leader()); // each wait is a generation of its own
    /// });
    /// ```
    pub fn new(n: usize) -> Barrier {
        Barrier {
            n: n.max(1),
            arrived: Cell::new(0),
            generation: Cell::new(0),
            released: Notify::new(),
        }
    }

    /// Waits until `n` tasks wait here, counting this one, then completes for all of them
    /// at once; the result of the last to arrive [is the leader's](BarrierWaitResult::is_leader).
    /// The task arrives when the future is first polled.
    ///
    /// Cancel-safe: dropped while it waits, it leaves, and the generation waits for one more
    /// task instead. Dropped once its generation is complete (after the last task arrived,
    /// before this one was polled again), it changes nothing: the generation went on, and
    /// only its result, which is not the leader's, is lost.
    ///
    /// The last task to arrive spends a unit of its [`coop`](crate::coop) budget; with the
    /// budget spent, it yields, and completes as the leader at its next turn: it has
    /// arrived all the same, and released its generation, as tokio's does at its first
    /// poll, so a task that arrives meanwhile waits for the next generation.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use mirage::sync::Barrier;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let barrier = Rc::new(Barrier::new(2));
    ///     let other = mirage::spawn({
    ///         let barrier = Rc::clone(&barrier);
    ///         async move { barrier.wait().await.is_leader() }
    ///     });
    ///     mirage::yield_now().await;
    ///     assert!(!other.is_finished(), "one of two arrived: it waits");
    ///     assert!(barrier.wait().await.is_leader(), "the second arrived last");
    ///     assert!(!other.await.unwrap());
    /// });
    /// ```
    pub async fn wait(&self) -> BarrierWaitResult {
        Wait {
            barrier: self,
            state: WaitState::Arriving,
        }
        .await
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier")
            .field("n", &self.n)
            .field("waiting", &self.arrived.get())
            .finish()
    }
}

/// What [`Barrier::wait`] (and
/// [`cross_thread::Barrier::wait`](crate::sync::cross_thread::Barrier::wait)) returns: whether
/// this task was its generation's leader.
///
/// # Examples
///
/// ```
/// use mirage::sync::{Barrier, BarrierWaitResult};
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let result: BarrierWaitResult = Barrier::new(1).wait().await;
///     assert!(result.is_leader());
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarrierWaitResult {
    /// Set by the local and the cross-thread `Barrier`.
    pub(in crate::sync) is_leader: bool,
}

impl BarrierWaitResult {
    /// Whether this task arrived last in its generation: exactly one task per generation is.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let barrier = Rc::new(mirage::sync::Barrier::new(2));
    ///     let other = mirage::spawn({
    ///         let barrier = Rc::clone(&barrier);
    ///         async move { barrier.wait().await.is_leader() }
    ///     });
    ///     let mine = barrier.wait().await.is_leader();
    ///     assert!(mine != other.await.unwrap(), "one of the two leads");
    /// });
    /// ```
    pub fn is_leader(&self) -> bool {
        self.is_leader
    }
}

/// The future inside [`Barrier::wait`].
struct Wait<'a> {
    barrier: &'a Barrier,
    state: WaitState<'a>,
}

enum WaitState<'a> {
    /// Not polled yet: not counted.
    Arriving,
    /// Counted in `generation`, waiting for it to be released.
    Waiting {
        generation: u64,
        released: Notified<'a>,
    },
    /// Arrived last and released its generation, but yielded for a spent budget: it
    /// returns the leader's result at its next poll.
    Led,
    Done,
}

/// One poll of the `wait` of the last task to arrive, once it has released its
/// generation: the leader's result, once it may spend a unit of its task's budget. Until
/// then it yields, arrived all the same (tokio's counts a task at its first poll), so a
/// task that arrives meanwhile belongs to the next generation. Shared with the
/// cross-thread barrier.
pub(in crate::sync) fn lead(cx: &mut Context<'_>) -> Poll<BarrierWaitResult> {
    if coop::try_spend() {
        Poll::Ready(BarrierWaitResult { is_leader: true })
    } else {
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

impl Wait<'_> {
    /// Polls as the leader, which has released its generation: done, or led and yielded.
    fn lead(&mut self, cx: &mut Context<'_>) -> Poll<BarrierWaitResult> {
        let led = lead(cx);
        self.state = if led.is_ready() {
            WaitState::Done
        } else {
            WaitState::Led
        };
        led
    }
}

impl Future for Wait<'_> {
    type Output = BarrierWaitResult;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<BarrierWaitResult> {
        let this = self.get_mut();
        let barrier = this.barrier;
        if let WaitState::Arriving = this.state {
            let arrived = barrier.arrived.get() + 1;
            if arrived == barrier.n {
                barrier.arrived.set(0);
                barrier
                    .generation
                    .set(barrier.generation.get().wrapping_add(1));
                // The next generation's count is ready before any woken code runs.
                barrier.released.notify_waiters();
                return this.lead(cx);
            }
            barrier.arrived.set(arrived);
            this.state = WaitState::Waiting {
                generation: barrier.generation.get(),
                released: barrier.released.notified(),
            };
        }
        let released = match &mut this.state {
            WaitState::Waiting { released, .. } => released,
            WaitState::Led => return this.lead(cx),
            WaitState::Arriving | WaitState::Done => {
                unreachable!("Barrier::wait polled after it completed")
            }
        };
        if Pin::new(released).poll(cx).is_pending() {
            return Poll::Pending;
        }
        this.state = WaitState::Done;
        Poll::Ready(BarrierWaitResult { is_leader: false })
    }
}

impl Drop for Wait<'_> {
    fn drop(&mut self) {
        if let WaitState::Waiting { generation, .. } = self.state {
            let barrier = self.barrier;
            if generation == barrier.generation.get() {
                // Its generation is not released: it no longer counts toward it.
                barrier.arrived.set(barrier.arrived.get() - 1);
            }
        }
        // `released`, dropped with the state, leaves the `Notify`'s queue.
    }
}

#[cfg(test)]
mod tests {
    use std::pin::pin;
    use std::rc::Rc;
    use std::task::Waker;

    use super::Barrier;
    use crate::sync::test_util::{poll_with, wake_hook_waker};

    #[test]
    fn waiters_are_woken_once_the_next_generation_s_count_is_ready() {
        let barrier = Rc::new(Barrier::new(2));
        let seen = Rc::new(std::cell::RefCell::new(String::new()));
        let waker = wake_hook_waker({
            let (barrier, seen) = (Rc::clone(&barrier), Rc::clone(&seen));
            move || *seen.borrow_mut() = format!("{barrier:?}")
        });
        let mut first = pin!(barrier.wait());
        assert!(poll_with(first.as_mut(), &waker).is_pending());
        assert_eq!(format!("{barrier:?}"), "Barrier { n: 2, waiting: 1 }");
        let second = pin!(barrier.wait());
        let led = poll_with(second, Waker::noop()).map(|result| result.is_leader());
        assert_eq!(led, std::task::Poll::Ready(true));
        assert_eq!(*seen.borrow(), "Barrier { n: 2, waiting: 0 }");
        let first = poll_with(first.as_mut(), &waker).map(|result| result.is_leader());
        assert_eq!(first, std::task::Poll::Ready(false));
    }
}
