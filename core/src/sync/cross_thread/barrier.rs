//! `Barrier` across threads: tasks on several Cores wait for each other, then all go on
//! together.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};

use super::{Notified, Notify};
use crate::sync::BarrierWaitResult;
use crate::sync::state_lock::Lock;

/// Makes tasks on any Cores wait for each other, like [`sync::Barrier`](crate::sync::Barrier),
/// shared between threads (`Send + Sync`, behind an `Arc` or in a `static`): each task calls
/// [`wait`](Barrier::wait), and the first `n - 1` to arrive wait until the `n`th does; then
/// all `n` go on, and the barrier counts the next `n` afresh (a new *generation*). Exactly one
/// task of each generation, the last to arrive, is told it is the
/// [leader](BarrierWaitResult::is_leader). For example, one Core per thread of a server
/// finishes its setup before any starts to accept.
///
/// The semantics are those of the local `Barrier`, Mirage's on purpose: a `wait` future
/// dropped before its generation is complete takes itself off the count (tokio's stays
/// counted), so the `n` tasks that go on are `n` tasks that are there. The count is behind
/// a `Mutex` held for a few counter operations, never while a waker runs.
///
/// # Examples
///
/// Four Cores finish each step before any begins the next:
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
/// use mirage::sync::cross_thread::Barrier;
///
/// let barrier = Arc::new(Barrier::new(4));
/// let done = Arc::new(AtomicUsize::new(0));
/// let cores: Vec<_> = (0..4)
///     .map(|_| {
///         let (barrier, done) = (Arc::clone(&barrier), Arc::clone(&done));
///         std::thread::spawn(move || {
///             mirage::Core::new().unwrap().run(async move {
///                 let mut led = 0;
///                 for step in 0..3 {
///                     done.fetch_add(1, Ordering::SeqCst);
///                     if barrier.wait().await.is_leader() {
///                         led += 1;
///                     }
///                     // Every Core finished this step before any got here.
///                     assert!(done.load(Ordering::SeqCst) >= 4 * (step + 1));
///                 }
///                 led
///             })
///         })
///     })
///     .collect();
/// let leaders: usize = cores.into_iter().map(|core| core.join().unwrap()).sum();
/// assert_eq!(leaders, 3, "one leader per step");
/// ```
pub struct Barrier {
    /// Tasks in a generation: at least 1.
    n: usize,
    state: Mutex<State>,
    /// Told by `notify_waiters` after a generation is released. A waiter makes its
    /// `Notified` under `state`'s lock as it arrives, so the notification that follows the
    /// release completes it. A `Notified` made by a task of the next generation, between the
    /// release and the notification, completes too early: the waiter then sees its own
    /// generation still current and waits again. Nothing else notifies it.
    released: Notify,
}

/// The count of the current generation.
#[derive(Debug)]
struct State {
    /// Tasks that arrived in the current generation and wait: fewer than `n`, since the
    /// `n`th releases the generation and resets it to 0. A waiting `wait` dropped before its
    /// generation is released takes itself off again.
    arrived: usize,
    /// Generations released so far. A waiter's generation is released once this differs
    /// from what it was when the waiter arrived.
    generation: u64,
}

impl Barrier {
    /// A barrier for `n` tasks. `n == 0` counts as 1, as in `std` and tokio: every `wait`
    /// completes at once, as leader. A `const fn` (tokio's is not), so a barrier can be a
    /// `static`.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::Barrier;
    ///
    /// static ALONE: Barrier = Barrier::new(1);
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     assert!(ALONE.wait().await.is_leader());
    ///     assert!(ALONE.wait().await.is_leader()); // each wait is a generation of its own
    /// });
    /// ```
    pub const fn new(n: usize) -> Barrier {
        Barrier {
            n: if n == 0 { 1 } else { n },
            state: Mutex::new(State {
                arrived: 0,
                generation: 0,
            }),
            released: Notify::const_new(),
        }
    }

    /// Waits until `n` tasks, on any Cores, wait here, counting this one, then completes for
    /// all of them; the result of the last to arrive
    /// [is the leader's](BarrierWaitResult::is_leader). The task arrives when the future is
    /// first polled.
    ///
    /// Cancel-safe: dropped while it waits, it leaves, and the generation waits for one more
    /// task instead. Dropped once its generation is complete, it changes nothing: the
    /// generation went on, and only its result, which is not the leader's, is lost.
    ///
    /// The last task to arrive spends a unit of its [`coop`](crate::coop) budget; with the
    /// budget spent, it yields, and completes as the leader at its next turn: it has
    /// arrived all the same, and released its generation, as tokio's does at its first
    /// poll, so a task that arrives meanwhile waits for the next generation.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use mirage::sync::cross_thread::Barrier;
    ///
    /// let barrier = Arc::new(Barrier::new(2));
    /// let other = std::thread::spawn({
    ///     let barrier = Arc::clone(&barrier);
    ///     move || mirage::Core::new().unwrap().run(async move { barrier.wait().await })
    /// });
    /// let mine = mirage::Core::new().unwrap().run(barrier.wait());
    /// let other = other.join().unwrap();
    /// assert!(mine.is_leader() != other.is_leader(), "one of the two leads");
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
        let waiting = self.state.with(|state| state.arrived);
        f.debug_struct("cross_thread::Barrier")
            .field("n", &self.n)
            .field("waiting", &waiting)
            .finish()
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

/// What a task finds as it arrives.
enum Arrival<'a> {
    /// The last: it released the generation, and leads.
    Leads,
    /// Counted in this generation, with the `Notified` its release completes.
    Waits(u64, Notified<'a>),
}

impl Wait<'_> {
    /// Polls as the leader, which has released its generation: done, or led and yielded.
    fn lead(&mut self, cx: &mut Context<'_>) -> Poll<BarrierWaitResult> {
        let led = crate::sync::barrier::lead(cx);
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
            let arrival = barrier.state.with(|state| {
                if state.arrived + 1 == barrier.n {
                    state.arrived = 0;
                    state.generation = state.generation.wrapping_add(1);
                    return Arrival::Leads;
                }
                state.arrived += 1;
                // Made under the lock: the release of this generation comes after it.
                Arrival::Waits(state.generation, barrier.released.notified())
            });
            match arrival {
                Arrival::Leads => {
                    // The next generation's count is ready before any woken code runs.
                    barrier.released.notify_waiters();
                    return this.lead(cx);
                }
                Arrival::Waits(generation, released) => {
                    this.state = WaitState::Waiting {
                        generation,
                        released,
                    };
                }
            }
        }
        let (generation, released) = match &mut this.state {
            WaitState::Waiting {
                generation,
                released,
            } => (generation, released),
            WaitState::Led => return this.lead(cx),
            WaitState::Arriving | WaitState::Done => {
                unreachable!("Barrier::wait polled after it completed")
            }
        };
        loop {
            if Pin::new(&mut *released).poll(cx).is_pending() {
                return Poll::Pending;
            }
            let next = barrier.state.with(|state| {
                // Still this generation: woken by the release of the one before it, which
                // came after this task arrived. Waits again, with a `Notified` made under
                // the lock, as on arrival.
                (state.generation == *generation).then(|| barrier.released.notified())
            });
            match next {
                Some(notified) => *released = notified,
                None => break,
            }
        }
        this.state = WaitState::Done;
        Poll::Ready(BarrierWaitResult { is_leader: false })
    }
}

impl Drop for Wait<'_> {
    fn drop(&mut self) {
        if let WaitState::Waiting { generation, .. } = self.state {
            self.barrier.state.with(|state| {
                if generation == state.generation {
                    // Its generation is not released: it no longer counts toward it.
                    state.arrived -= 1;
                }
            });
        }
        // `released`, dropped with the state, leaves the `Notify`'s line.
    }
}

#[cfg(test)]
mod tests {
    use std::pin::pin;
    use std::task::{Poll, Waker};
    use std::thread;

    use super::Barrier;
    use crate::sync::test_util::{counting_waker, poll_with};

    #[test]
    fn it_and_its_wait_may_move_to_another_thread() {
        fn send_sync<T: Send + Sync>() {}
        fn send<T: Send>(_: &T) {}
        send_sync::<Barrier>();
        send(&Barrier::new(2).wait());
    }

    #[test]
    fn the_last_to_arrive_on_another_thread_leads_and_wakes_the_waiters() {
        let barrier = Barrier::new(3);
        let wakers: Vec<_> = (0..2).map(|_| counting_waker()).collect();
        let mut waits: Vec<_> = (0..2).map(|_| Box::pin(barrier.wait())).collect();
        for (wait, (_, waker)) in waits.iter_mut().zip(&wakers) {
            assert!(poll_with(wait.as_mut(), waker).is_pending());
        }
        assert_eq!(
            format!("{barrier:?}"),
            "cross_thread::Barrier { n: 3, waiting: 2 }"
        );
        let led = thread::scope(|s| {
            s.spawn(|| poll_with(pin!(barrier.wait()), Waker::noop()))
                .join()
                .unwrap()
        });
        assert!(matches!(led, Poll::Ready(result) if result.is_leader()));
        assert_eq!(
            format!("{barrier:?}"),
            "cross_thread::Barrier { n: 3, waiting: 0 }",
            "the next generation counts afresh"
        );
        for (wait, (counter, waker)) in waits.iter_mut().zip(&wakers) {
            assert_eq!(counter.count(), 1, "woken once, by the release");
            let result = poll_with(wait.as_mut(), waker);
            assert!(matches!(result, Poll::Ready(result) if !result.is_leader()));
        }
    }

    #[test]
    fn a_wait_dropped_before_its_generation_is_released_leaves_the_count() {
        let barrier = Barrier::new(2);
        let mut dropped = Box::pin(barrier.wait());
        assert!(poll_with(dropped.as_mut(), Waker::noop()).is_pending());
        thread::scope(|s| s.spawn(move || drop(dropped)).join().unwrap());
        assert_eq!(
            format!("{barrier:?}"),
            "cross_thread::Barrier { n: 2, waiting: 0 }"
        );
        let mut first = pin!(barrier.wait());
        assert!(
            poll_with(first.as_mut(), Waker::noop()).is_pending(),
            "the dropped wait does not count: this one waits"
        );
        let second = poll_with(pin!(barrier.wait()), Waker::noop());
        assert!(matches!(second, Poll::Ready(result) if result.is_leader()));
        let first = poll_with(first.as_mut(), Waker::noop());
        assert!(matches!(first, Poll::Ready(result) if !result.is_leader()));
    }

    #[test]
    fn a_wait_of_the_next_generation_woken_by_the_last_release_waits_on() {
        let barrier = Barrier::new(2);
        // A waiter of generation 0 whose `Notified` a release would complete.
        let (counter, waker) = counting_waker();
        let mut early = pin!(barrier.wait());
        assert!(poll_with(early.as_mut(), &waker).is_pending());
        // What a release does between its count and its notification, for a waiter that
        // arrived in the next generation: the generation is still the waiter's own.
        barrier.released.notify_waiters();
        assert_eq!(counter.count(), 1);
        assert!(
            poll_with(early.as_mut(), &waker).is_pending(),
            "its generation is not released: it waits again"
        );
        assert_eq!(
            format!("{barrier:?}"),
            "cross_thread::Barrier { n: 2, waiting: 1 }"
        );
        let led = poll_with(pin!(barrier.wait()), Waker::noop());
        assert!(matches!(led, Poll::Ready(result) if result.is_leader()));
        assert_eq!(counter.count(), 2, "the real release wakes it");
        let early = poll_with(early.as_mut(), &waker);
        assert!(matches!(early, Poll::Ready(result) if !result.is_leader()));
    }
}
