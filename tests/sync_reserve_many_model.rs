//! A model-based property test of `reserve_many` and `try_reserve_many` on the bounded
//! channels (`mpsc` and `cross_thread`): random programs of reserves (several slots at
//! once, waiting in line), permit use, cancellation, receives, `close()` and receiver drops,
//! checked after every step against a reference model of the documented rules:
//!
//! - waiting reserves are served first come, first served, each handed all the slots it
//!   wants at once; the slots freed while the oldest waits gather for it, and no one else
//!   may take them (`capacity()` is 0 while any reserve waits);
//! - slots are conserved: free + queued + granted to a waiting reserve + left in permit
//!   iterators is the capacity, whatever is cancelled, dropped part-used, or closed;
//! - a waiting reserve is woken when it is handed its slots or the channel closes, and
//!   not otherwise; a cancelled one passes on slots already granted to it.

mod prop_config;

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use mirage::sync::mpsc::error::{TryRecvError, TrySendError};
use prop_config::config;
use proptest::prelude::*;

struct Counter(AtomicUsize);

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[derive(Debug, Clone, Copy)]
enum Op {
    /// `reserve_many(n)` polled once.
    Reserve(usize),
    /// Poll a pending reserve again.
    Poll(u8),
    /// Drop a pending reserve.
    Cancel(u8),
    /// `try_reserve_many(n)`.
    TryReserve(usize),
    /// Take one permit of a held iterator and send with it (or drop it unused).
    Use(u8, bool),
    /// Drop a held iterator, with what is left in it.
    DropIter(u8),
    TryRecv,
    Close,
    DropReceiver,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..=5usize).prop_map(Op::Reserve),
        3 => any::<u8>().prop_map(Op::Poll),
        1 => any::<u8>().prop_map(Op::Cancel),
        2 => (0..=5usize).prop_map(Op::TryReserve),
        4 => (any::<u8>(), any::<bool>()).prop_map(|(k, send)| Op::Use(k, send)),
        1 => any::<u8>().prop_map(Op::DropIter),
        4 => Just(Op::TryRecv),
        1 => Just(Op::Close),
        1 => Just(Op::DropReceiver),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Waiting,
    /// Handed its slots; its next poll returns them.
    Granted,
    /// Woken by the channel closing before it got its slots.
    Unlinked,
}

/// The model: what the channel must hold.
struct Model {
    cap: usize,
    free: usize,
    queue: VecDeque<u32>,
    rx_closed: bool,
    rx_alive: bool,
    next_value: u32,
}

/// One flavour's harness, written once for both through a macro: the futures and permit
/// iterators borrow the sender, so they live in one function with it.
macro_rules! run_program {
    ($name:ident, $module:path) => {
        fn $name(cap: usize, ops: &[Op]) {
            use $module as chan;
            let (tx, rx) = chan::channel::<u32>(cap);
            let mut rx = Some(rx);
            type Fut<'a> = Pin<
                Box<
                    dyn Future<
                            Output = Result<
                                chan::PermitIterator<'a, u32>,
                                mirage::sync::SendError<()>,
                            >,
                        > + 'a,
                >,
            >;
            // Pending reserves: future, wanted slots, state, wake counter, wakes at last poll.
            let mut pending: Vec<(Fut<'_>, usize, State, Arc<Counter>, usize)> = Vec::new();
            let mut waiters: VecDeque<usize> = VecDeque::new(); // indices by a stable id
            let mut ids: Vec<usize> = Vec::new(); // id of each pending entry
            let mut next_id = 0;
            let mut iters: Vec<chan::PermitIterator<'_, u32>> = Vec::new();
            let mut m = Model {
                cap,
                free: cap,
                queue: VecDeque::new(),
                rx_closed: false,
                rx_alive: true,
                next_value: 0,
            };

            // Hands the oldest waiters their slots while enough are free.
            macro_rules! regrant {
                () => {{
                    while let Some(&id) = waiters.front() {
                        let i = ids.iter().position(|&x| x == id).unwrap();
                        if m.free < pending[i].1 {
                            break;
                        }
                        m.free -= pending[i].1;
                        pending[i].2 = State::Granted;
                        waiters.pop_front();
                    }
                }};
            }
            macro_rules! release {
                ($n:expr) => {{
                    m.free += $n;
                    regrant!();
                }};
            }

            for (step, op) in ops.iter().enumerate() {
                let at = format!("step {step} ({op:?})");
                match *op {
                    Op::Reserve(n) => {
                        let counter = Arc::new(Counter(AtomicUsize::new(0)));
                        let waker = Waker::from(counter.clone());
                        let mut fut: Fut<'_> = Box::pin(tx.reserve_many(n));
                        let res = fut.as_mut().poll(&mut Context::from_waker(&waker));
                        if n > cap || m.rx_closed {
                            assert!(matches!(res, Poll::Ready(Err(_))), "{at}");
                        } else if n == 0 {
                            let Poll::Ready(Ok(iter)) = res else {
                                panic!("{at}")
                            };
                            assert_eq!(iter.len(), 0, "{at}");
                        } else if waiters.is_empty() && m.free >= n {
                            let Poll::Ready(Ok(iter)) = res else {
                                panic!("{at}")
                            };
                            assert_eq!(iter.len(), n, "{at}");
                            m.free -= n;
                            iters.push(iter);
                        } else {
                            assert!(res.is_pending(), "{at}");
                            pending.push((fut, n, State::Waiting, counter, 0));
                            ids.push(next_id);
                            waiters.push_back(next_id);
                            next_id += 1;
                        }
                    }
                    Op::Poll(k) => {
                        if pending.is_empty() {
                            continue;
                        }
                        let i = usize::from(k) % pending.len();
                        let waker = Waker::from(pending[i].3.clone());
                        let res = pending[i].0.as_mut().poll(&mut Context::from_waker(&waker));
                        pending[i].4 = pending[i].3.0.load(Ordering::SeqCst);
                        let (n, state) = (pending[i].1, pending[i].2);
                        let granted_usable = state == State::Granted && m.rx_alive;
                        if m.rx_closed && !granted_usable {
                            assert!(matches!(res, Poll::Ready(Err(_))), "{at}: {state:?}");
                            drop(pending.remove(i));
                            ids.remove(i);
                            if state == State::Granted {
                                release!(n);
                            }
                        } else if state == State::Granted {
                            let Poll::Ready(Ok(iter)) = res else {
                                panic!("{at}")
                            };
                            assert_eq!(iter.len(), n, "{at}");
                            drop(pending.remove(i));
                            ids.remove(i);
                            iters.push(iter);
                        } else {
                            assert!(res.is_pending(), "{at}: {state:?}");
                        }
                    }
                    Op::Cancel(k) => {
                        if pending.is_empty() {
                            continue;
                        }
                        let i = usize::from(k) % pending.len();
                        let (_, n, state, _, _) = pending.remove(i);
                        let id = ids.remove(i);
                        match state {
                            State::Waiting => {
                                waiters.retain(|&w| w != id);
                                regrant!();
                            }
                            State::Granted => release!(n),
                            State::Unlinked => {}
                        }
                    }
                    Op::TryReserve(n) => {
                        let res = tx.try_reserve_many(n);
                        if m.rx_closed {
                            assert!(matches!(res, Err(TrySendError::Closed(()))), "{at}");
                        } else if n == 0 {
                            assert_eq!(res.expect("zero slots").len(), 0, "{at}");
                        } else if n > cap || m.free < n || !waiters.is_empty() {
                            assert!(matches!(res, Err(TrySendError::Full(()))), "{at}");
                        } else {
                            let iter = res.expect("free slots");
                            assert_eq!(iter.len(), n, "{at}");
                            m.free -= n;
                            iters.push(iter);
                        }
                    }
                    Op::Use(k, send) => {
                        if iters.is_empty() {
                            continue;
                        }
                        let i = usize::from(k) % iters.len();
                        let Some(permit) = iters[i].next() else {
                            drop(iters.remove(i));
                            continue;
                        };
                        if send {
                            let value = m.next_value;
                            m.next_value += 1;
                            permit.send(value);
                            if m.rx_alive {
                                m.queue.push_back(value);
                            } else {
                                release!(1);
                            }
                        } else {
                            drop(permit);
                            release!(1);
                        }
                    }
                    Op::DropIter(k) => {
                        if iters.is_empty() {
                            continue;
                        }
                        let i = usize::from(k) % iters.len();
                        let left = iters.remove(i).len();
                        release!(left);
                    }
                    Op::TryRecv => {
                        let Some(rx) = &mut rx else { continue };
                        match m.queue.pop_front() {
                            Some(value) => {
                                assert_eq!(rx.try_recv(), Ok(value), "{at}");
                                release!(1);
                            }
                            None => {
                                let res = rx.try_recv();
                                assert!(
                                    matches!(
                                        res,
                                        Err(TryRecvError::Empty | TryRecvError::Disconnected)
                                    ),
                                    "{at}"
                                );
                            }
                        }
                    }
                    Op::Close | Op::DropReceiver => {
                        let Some(receiver) = &mut rx else { continue };
                        if matches!(op, Op::Close) {
                            receiver.close();
                        } else {
                            rx = None;
                            m.rx_alive = false;
                            m.free += m.queue.len();
                            m.queue.clear();
                        }
                        m.rx_closed = true;
                        for id in waiters.drain(..) {
                            let i = ids.iter().position(|&x| x == id).unwrap();
                            pending[i].2 = State::Unlinked;
                        }
                    }
                }
                // Conservation, the gathering rule, and the wakes.
                let granted: usize = pending
                    .iter()
                    .filter(|p| p.2 == State::Granted)
                    .map(|p| p.1)
                    .sum();
                let left: usize = iters.iter().map(|it| it.len()).sum();
                assert_eq!(
                    m.free + m.queue.len() + granted + left,
                    m.cap,
                    "{at}: model"
                );
                let expected = if waiters.is_empty() { m.free } else { 0 };
                assert_eq!(tx.capacity(), expected, "{at}: capacity");
                if let Some(rx) = &rx {
                    assert_eq!(rx.len(), m.queue.len(), "{at}: len");
                }
                for (_, _, state, counter, seen) in &pending {
                    let now = counter.0.load(Ordering::SeqCst);
                    match state {
                        State::Waiting => assert_eq!(now, *seen, "{at}: woken for nothing"),
                        _ => assert!(now > *seen, "{at}: {state:?} not woken (lost wake-up)"),
                    }
                }
            }
            // Everything given back: the channel is whole again.
            pending.clear();
            iters.clear();
            if let Some(mut rx) = rx {
                while rx.try_recv().is_ok() {}
                if !m.rx_closed {
                    assert_eq!(tx.capacity(), cap, "at the end: every slot free");
                }
            }
        }
    };
}

run_program!(run_mpsc, mirage::sync::mpsc);
run_program!(run_cross_thread, mirage::sync::cross_thread);

proptest! {
    #![proptest_config(config(512))]

    /// `reserve_many` on both bounded channels follows the model.
    #[test]
    fn reserve_many_follows_the_model(
        cap in 1..=4usize,
        ops in proptest::collection::vec(op(), 1..60),
    ) {
        run_mpsc(cap, &ops);
        run_cross_thread(cap, &ops);
    }
}
