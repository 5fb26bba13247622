//! `RemoteAbort`: a request, made from any thread, that work running elsewhere stop, and
//! whether that work is over; `Reply`, the end through which the work reports.

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Poll, Waker};

use super::id::Id;
use crate::sync::cross_thread::{Notify, oneshot};

/// Shared by a [`RemoteJoinHandle`](super::RemoteJoinHandle) and its
/// [`RemoteAbortHandle`](super::RemoteAbortHandle)s (which request) and the work they join
/// (which checks): a flag that is set once, a wake-up for a task waiting on another Core,
/// and whether the work has reported (see [`Reply`]).
#[derive(Debug, Default)]
pub(crate) struct RemoteAbort {
    requested: AtomicBool,
    wake: Notify,
    finished: AtomicBool,
}

impl RemoteAbort {
    /// The work's [`Id`], which its join and abort handles report: the address of this
    /// state, which lives as long as any of them.
    pub(crate) fn id(self: &Arc<Self>) -> Id {
        Id::from_addr(Arc::as_ptr(self) as usize)
    }

    /// Whether the work is over: its outcome sent, or its [`Reply`] dropped unsent.
    pub(crate) fn is_finished(&self) -> bool {
        // Acquire: pairs with the Release in `finish`.
        self.finished.load(Ordering::Acquire)
    }

    /// Marks the work over, just before its [`Reply`] settles the channel: the join handle
    /// that has the outcome then has this too (the channel's own synchronisation carries it).
    fn finish(&self) {
        self.finished.store(true, Ordering::Release);
    }

    /// Asks the work to stop; it sees the request at its next check, or is woken for it.
    pub(crate) fn request(&self) {
        // Release: pairs with the Acquire in `is_requested`.
        self.requested.store(true, Ordering::Release);
        self.wake.notify_one();
    }

    /// Whether a stop was asked for.
    pub(crate) fn is_requested(&self) -> bool {
        self.requested.load(Ordering::Acquire)
    }

    /// Runs `future` to completion (`Some` of its output) unless a stop is asked for first
    /// (`None`): then the future is dropped, at the latest at the task's next turn, before
    /// this returns. A request made before the first poll stops it unpolled.
    pub(crate) async fn run_unless_aborted<F: Future>(&self, future: F) -> Option<F::Output> {
        let mut future = pin!(future);
        let mut woken = pin!(self.wake.notified());
        // The waker `woken` holds. A poll with the same one only reads the flag: a request
        // sets it before it wakes that waker. A new waker is registered first.
        let mut registered: Option<Waker> = None;
        poll_fn(|cx| {
            let current = matches!(&registered, Some(waker) if waker.will_wake(cx.waker()));
            if current {
                if self.is_requested() {
                    return Poll::Ready(None);
                }
            } else {
                if woken.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(None);
                }
                registered = Some(cx.waker().clone());
            }
            future.as_mut().poll(cx).map(Some)
        })
        .await
    }
}

/// The end through which remote work reports its outcome to its
/// [`RemoteJoinHandle`](super::RemoteJoinHandle), with the request to stop it. Sent or
/// dropped unsent (the work aborted, or dropped unrun), it marks the work finished just
/// before the outcome goes out: whoever has the outcome (or the cancellation) from the
/// join handle then sees the work finished through an abort handle too.
pub(crate) struct Reply<T> {
    tx: Option<oneshot::Sender<T>>,
    abort: Arc<RemoteAbort>,
}

impl<T> Reply<T> {
    pub(crate) fn new(tx: oneshot::Sender<T>, abort: Arc<RemoteAbort>) -> Reply<T> {
        Reply {
            tx: Some(tx),
            abort,
        }
    }

    /// The request to stop, for the work to check.
    pub(crate) fn abort(&self) -> &RemoteAbort {
        &self.abort
    }

    /// The [`Id`] the work reports as its [`task::id`](crate::task::id): its handle's.
    pub(crate) fn task_id(&self) -> Id {
        self.abort.id()
    }

    /// Reports `outcome`; dropped here if the join handle is gone.
    pub(crate) fn send(mut self, outcome: T) {
        if let Some(tx) = self.tx.take() {
            self.abort.finish();
            let _ = tx.send(outcome);
        }
    }
}

impl<T> Drop for Reply<T> {
    fn drop(&mut self) {
        // Unsent: dropping the sender reports the work cancelled.
        if let Some(tx) = self.tx.take() {
            self.abort.finish();
            drop(tx);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::future::{pending, poll_fn};
    use std::rc::Rc;
    use std::sync::Arc;
    use std::task::Poll;

    use super::RemoteAbort;
    use crate::Core;

    #[test]
    fn a_request_before_the_first_poll_stops_the_future_unpolled() {
        let abort = RemoteAbort::default();
        abort.request();
        let polled = std::cell::Cell::new(false);
        let out = Core::new()
            .unwrap()
            .run(abort.run_unless_aborted(poll_fn(|_| {
                polled.set(true);
                Poll::Ready(1)
            })));
        assert_eq!(out, None);
        assert!(!polled.get());
    }

    #[test]
    fn a_request_from_another_thread_wakes_the_task_and_drops_the_future() {
        let abort = Arc::new(RemoteAbort::default());
        let alive = Rc::new(());
        let held = Rc::clone(&alive);
        let from_a_thread = Arc::clone(&abort);
        let mut core = Core::new().unwrap();
        let out = core.run(async {
            let waiting = abort.run_unless_aborted(async move {
                let _held = held;
                pending::<u32>().await
            });
            let requester = std::thread::spawn(move || from_a_thread.request());
            let out = waiting.await;
            requester.join().unwrap();
            out
        });
        assert_eq!(out, None);
        assert_eq!(Rc::strong_count(&alive), 1, "the future was dropped");
    }

    #[test]
    fn without_a_request_the_output_comes_through() {
        let abort = RemoteAbort::default();
        let out = Core::new().unwrap().run(abort.run_unless_aborted(async {
            crate::yield_now().await;
            7
        }));
        assert_eq!(out, Some(7));
    }
}
