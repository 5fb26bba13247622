//! Model-based property test of `mirage::sync::Semaphore`.
//!
//! Random programs of acquires (of 0 to 3 permits), polls, dropped waiters, dropped and
//! forgotten permits, added permits, `try_acquire`s and a `close` drive one semaphore by hand
//! (every `acquire` future is polled with a waker that counts its wakes) and are checked
//! after every step against a model that knows only the documented rules: waiters are
//! served first come, first served, a waiter is handed its permits only when all of them
//! are free and every earlier waiter has been served, `try_acquire` never jumps the queue, a
//! dropped waiter gives back what it was handed, and `close` fails every waiter not yet
//! served. A waiter is woken exactly when it is served or the semaphore closes, never for
//! nothing, and the permits free, held and handed out always add up.

mod panic_site;
mod prop_config;

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use mirage::sync::{AcquireError, Semaphore, SemaphorePermit, TryAcquireError};
use prop_config::config;
use proptest::prelude::*;

#[derive(Default)]
struct Counter(AtomicUsize);

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[derive(Debug, Clone)]
enum Op {
    /// A new `acquire_many(n)`, polled once.
    Acquire(u32),
    /// Polls the i-th pending waiter (modulo their number).
    Poll(usize),
    /// Drops the i-th pending waiter.
    DropWaiter(usize),
    /// Drops the i-th held permit.
    Release(usize),
    /// Forgets the i-th held permit.
    Forget(usize),
    AddPermits(usize),
    TryAcquire(u32),
    Close,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u32..=3).prop_map(Op::Acquire),
        3 => any::<usize>().prop_map(Op::Poll),
        1 => any::<usize>().prop_map(Op::DropWaiter),
        3 => any::<usize>().prop_map(Op::Release),
        1 => any::<usize>().prop_map(Op::Forget),
        2 => (0usize..=3).prop_map(Op::AddPermits),
        1 => (0u32..=3).prop_map(Op::TryAcquire),
        1 => Just(Op::Close),
    ]
}

type AcquireFuture<'a> =
    Pin<Box<dyn Future<Output = Result<SemaphorePermit<'a>, AcquireError>> + 'a>>;

/// A pending `acquire` and what the model knows of it.
struct Waiter<'a> {
    id: usize,
    wants: usize,
    future: AcquireFuture<'a>,
    counter: Arc<Counter>,
    waker: Waker,
    /// Wakes counted when it was last polled.
    seen_wakes: usize,
    /// The model handed it its permits.
    served: bool,
}

/// The model: free permits, the queue of waiters not yet served (by id), and close.
struct Model {
    free: usize,
    queue: VecDeque<usize>,
    closed: bool,
}

/// Serves the waiters at the front of the queue while the free permits suffice.
fn serve(model: &mut Model, waiters: &mut [Waiter<'_>]) {
    while let Some(&id) = model.queue.front() {
        let waiter = waiters.iter_mut().find(|w| w.id == id).unwrap();
        if model.free < waiter.wants {
            break;
        }
        model.free -= waiter.wants;
        waiter.served = true;
        model.queue.pop_front();
    }
}

fn run(initial: usize, ops: &[Op]) {
    let semaphore = Semaphore::new(initial);
    let mut model = Model {
        free: initial,
        queue: VecDeque::new(),
        closed: false,
    };
    let mut waiters: Vec<Waiter<'_>> = Vec::new();
    let mut held: Vec<SemaphorePermit<'_>> = Vec::new();
    let mut next_id = 0;
    // Permits handed out for good (forgotten): they never come back.
    let mut forgotten = 0;
    let mut added = 0;
    for op in ops {
        match op {
            Op::Acquire(n) => {
                let counter = Arc::new(Counter::default());
                let waker = Waker::from(counter.clone());
                let mut future: AcquireFuture<'_> = Box::pin(semaphore.acquire_many(*n));
                let result = future.as_mut().poll(&mut Context::from_waker(&waker));
                let wants = *n as usize;
                match result {
                    Poll::Ready(Ok(permit)) => {
                        assert!(!model.closed, "acquired after close");
                        // Zero permits take nothing from the queue, so they need not wait.
                        assert!(wants == 0 || model.queue.is_empty(), "jumped the queue");
                        assert!(model.free >= wants);
                        model.free -= wants;
                        assert_eq!(permit.num_permits(), wants);
                        held.push(permit);
                    }
                    Poll::Ready(Err(_)) => assert!(model.closed, "failed while open"),
                    Poll::Pending => {
                        assert!(!model.closed, "waits after close");
                        assert!(wants > 0, "zero permits waited");
                        assert!(!model.queue.is_empty() || model.free < wants);
                        model.queue.push_back(next_id);
                        waiters.push(Waiter {
                            id: next_id,
                            wants,
                            future,
                            counter,
                            waker,
                            seen_wakes: 0,
                            served: false,
                        });
                        next_id += 1;
                    }
                }
            }
            Op::Poll(i) if !waiters.is_empty() => {
                let index = i % waiters.len();
                let waiter = &mut waiters[index];
                let result = waiter
                    .future
                    .as_mut()
                    .poll(&mut Context::from_waker(&waiter.waker));
                waiter.seen_wakes = waiter.counter.0.load(Ordering::SeqCst);
                match result {
                    Poll::Ready(Ok(permit)) => {
                        assert!(waiter.served, "a waiter got permits out of turn");
                        assert_eq!(permit.num_permits(), waiter.wants);
                        held.push(permit);
                        waiters.remove(index);
                    }
                    Poll::Ready(Err(_)) => {
                        assert!(
                            model.closed && !waiter.served,
                            "failed while open or served"
                        );
                        waiters.remove(index);
                    }
                    Poll::Pending => {
                        assert!(!waiter.served && !model.closed, "pending though served");
                    }
                }
            }
            Op::DropWaiter(i) if !waiters.is_empty() => {
                let waiter = waiters.remove(i % waiters.len());
                if waiter.served {
                    model.free += waiter.wants;
                } else if !model.closed {
                    model.queue.retain(|&id| id != waiter.id);
                }
                drop(waiter);
                if !model.closed {
                    serve(&mut model, &mut waiters);
                }
            }
            Op::Release(i) if !held.is_empty() => {
                let permit = held.remove(i % held.len());
                model.free += permit.num_permits();
                drop(permit);
                if !model.closed {
                    serve(&mut model, &mut waiters);
                }
            }
            Op::Forget(i) if !held.is_empty() => {
                let permit = held.remove(i % held.len());
                forgotten += permit.num_permits();
                permit.forget();
            }
            Op::AddPermits(n) => {
                semaphore.add_permits(*n);
                added += n;
                model.free += n;
                if !model.closed {
                    serve(&mut model, &mut waiters);
                }
            }
            Op::TryAcquire(n) => {
                let wants = *n as usize;
                match semaphore.try_acquire_many(*n) {
                    Ok(permit) => {
                        assert!(!model.closed && model.free >= wants);
                        assert!(wants == 0 || model.queue.is_empty(), "jumped the queue");
                        model.free -= wants;
                        held.push(permit);
                    }
                    Err(TryAcquireError::Closed) => assert!(model.closed),
                    Err(TryAcquireError::NoPermits) => {
                        assert!(!model.closed && wants > 0);
                        assert!(!model.queue.is_empty() || model.free < wants);
                    }
                }
            }
            Op::Close => {
                semaphore.close();
                model.closed = true;
                model.queue.clear();
            }
            _ => {}
        }
        // After every step: the free count matches, and each pending waiter was woken since
        // its last poll exactly when it can now complete.
        // Free permits gathered for a waiting acquire are its, not available (as tokio's).
        let available = if model.queue.is_empty() {
            model.free
        } else {
            0
        };
        assert_eq!(semaphore.available_permits(), available);
        for waiter in &waiters {
            let woken = waiter.counter.0.load(Ordering::SeqCst) > waiter.seen_wakes;
            let can_complete = waiter.served || model.closed;
            assert_eq!(woken, can_complete, "waiter {} woken: {woken}", waiter.id);
        }
        let handed: usize = waiters.iter().filter(|w| w.served).map(|w| w.wants).sum();
        let holding: usize = held.iter().map(SemaphorePermit::num_permits).sum();
        assert_eq!(
            model.free + handed + holding + forgotten,
            initial + added,
            "permits lost or made up"
        );
    }
    drop(waiters);
    drop(held);
    assert_eq!(semaphore.available_permits(), initial + added - forgotten);
}

proptest! {
    #![proptest_config(config(512))]

    /// A semaphore driven by a random program follows the model at every step.
    #[test]
    fn the_semaphore_follows_the_model(
        initial in 0usize..=3,
        ops in proptest::collection::vec(op(), 1..60),
    ) {
        run(initial, &ops);
    }
}

#[test]
fn merging_permits_of_two_semaphores_panics_at_the_caller_s_line() {
    let (one, other) = (Semaphore::new(1), Semaphore::new(1));
    let mut permit = one.try_acquire().unwrap();
    let stranger = other.try_acquire().unwrap();
    assert_eq!(
        panic_site::panic_location(move || permit.merge(stranger)),
        file!()
    );
}
