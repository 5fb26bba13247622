//! Waiting for a cross-thread channel on a thread with no Core: `blocking_send` and
//! `blocking_recv` park the thread until the channel wakes it.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

use crate::context;

/// Wakes a parked thread.
struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Runs `future` to completion on this thread, parking it while the future is pending.
///
/// # Panics
///
/// Panics, naming `operation`, on a thread that is running a Core: blocking it would stop
/// every task of that Core, including, perhaps, the one that would end the wait.
pub(crate) fn block_on<F: Future>(operation: &str, future: F) -> F::Output {
    assert!(
        context::with_current(|_| ()).is_none(),
        "{operation} called on a thread running a Core, which it would block: \
         use the async form (`.await`) there"
    );
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        // A wake between the poll and here leaves a token: `park` returns at once.
        thread::park();
    }
}
