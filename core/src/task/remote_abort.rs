//! `RemoteAbort`: a request, made from any thread, that work running elsewhere stop.

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Poll, Waker};

use crate::sync::cross_thread::Notify;

/// Shared by a [`RemoteJoinHandle`](super::RemoteJoinHandle) (which requests) and the work
/// it joins (which checks): a flag that is set once, and a wake-up for a task waiting on
/// another Core.
#[derive(Debug, Default)]
pub(crate) struct RemoteAbort {
    requested: AtomicBool,
    wake: Notify,
}

impl RemoteAbort {
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
