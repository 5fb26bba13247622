//! Waiting for a cross-thread channel on a thread with no Core: `blocking_send`,
//! `blocking_recv` and `blocking_recv_many` park the thread until the channel wakes it.
//! The receivers' `blocking_recv_many` is here, each the blocking form of its `recv_many`.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

use super::{Receiver, UnboundedReceiver};
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
#[track_caller]
pub(crate) fn block_on<F: Future>(operation: &str, future: F) -> F::Output {
    assert!(
        !context::is_running_any(),
        "{operation} called on a thread running a Core, which it would block: \
         use the async form (`.await`) there"
    );
    park_on(future)
}

/// Runs `future` to completion on this thread, parking it while the future is pending, even
/// on a thread running a Core: for a wait that must end before a value is gone (the drop of
/// a standard stream's writer, whose last write runs on a pool thread), where stalling the
/// Core's other tasks for that long is the lesser harm. The future must not need this
/// thread's Core to complete.
pub(crate) fn park_on<F: Future>(future: F) -> F::Output {
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

impl<T> Receiver<T> {
    /// The blocking form of [`recv_many`](Receiver::recv_many), for a thread with no Core:
    /// parks the thread until a message is queued, then appends up to `limit` messages to
    /// `buffer` and returns how many. Returns 0 only when `limit` is 0 or once the channel
    /// is closed and drained.
    ///
    /// # Panics
    ///
    /// Panics on a thread that is running a Core: use `recv_many(..).await` there.
    ///
    /// # Examples
    ///
    /// A worker thread that takes its jobs in batches of at most 4:
    ///
    /// ```
    /// let (tx, mut rx) = mirage::sync::cross_thread::channel(16);
    /// let worker = std::thread::spawn(move || {
    ///     let (mut batch, mut batches) = (Vec::new(), 0);
    ///     while rx.blocking_recv_many(&mut batch, 4) > 0 {
    ///         batches += 1;
    ///     }
    ///     (batch, batches)
    /// });
    /// mirage::Core::new().unwrap().run(async move {
    ///     for job in 0..10 {
    ///         tx.send(job).await.unwrap();
    ///     }
    /// });
    /// let (jobs, batches) = worker.join().unwrap();
    /// assert_eq!(jobs, (0..10).collect::<Vec<_>>());
    /// assert!(batches >= 3, "at most 4 jobs a batch");
    /// ```
    #[track_caller]
    pub fn blocking_recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
        block_on(
            "cross_thread::Receiver::blocking_recv_many",
            self.recv_many(buffer, limit),
        )
    }
}

impl<T> UnboundedReceiver<T> {
    /// The blocking form of [`recv_many`](UnboundedReceiver::recv_many), for a thread with
    /// no Core: parks the thread until a message is queued, then appends up to `limit`
    /// messages to `buffer` and returns how many. Returns 0 only when `limit` is 0 or once
    /// the channel is closed and drained.
    ///
    /// # Panics
    ///
    /// Panics on a thread that is running a Core: use `recv_many(..).await` there.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = mirage::sync::cross_thread::unbounded();
    /// for job in 0..5 {
    ///     tx.send(job).unwrap();
    /// }
    /// drop(tx);
    /// let mut batch = Vec::new();
    /// assert_eq!(rx.blocking_recv_many(&mut batch, 3), 3);
    /// assert_eq!(rx.blocking_recv_many(&mut batch, 3), 2);
    /// assert_eq!(rx.blocking_recv_many(&mut batch, 3), 0, "closed and drained");
    /// assert_eq!(batch, [0, 1, 2, 3, 4]);
    /// ```
    #[track_caller]
    pub fn blocking_recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
        block_on(
            "cross_thread::UnboundedReceiver::blocking_recv_many",
            self.recv_many(buffer, limit),
        )
    }
}
