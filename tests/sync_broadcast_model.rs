//! Model-based property test of `mirage::sync::broadcast`.
//!
//! Random programs of sends, receives (`try_recv`, and `recv` futures polled by hand with
//! wakers that count their wakes), subscriptions and drops run against a reference model
//! that knows only the documented rules:
//!
//! - each receiver gets, in order, every value sent while it was subscribed, unless more
//!   than `capacity` values came after it before it read them: then its next receive
//!   reports exactly how many it missed (`Lagged`) and it goes on from the oldest value
//!   still held;
//! - `send` reports the number of receivers, and fails, handing the value back, with none;
//! - with every sender gone, receivers read what is left, then get `Closed`;
//! - a pending `recv` is woken by a send, or by the last sender leaving, and by nothing
//!   else;
//! - the channel holds a value (one copy, not a clone) exactly while some receiver has yet
//!   to read it: every copy made is dropped, and a value read by its last reader is handed
//!   over rather than cloned.

mod panic_site;
mod prop_config;

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use mirage::sync::broadcast::{
    self, Receiver, Sender,
    error::{RecvError, TryRecvError},
};
use prop_config::config;
use proptest::prelude::*;

/// Copies made and dropped of each value, by id.
#[derive(Default)]
struct Ledger {
    made: RefCell<Vec<usize>>,
    dropped: RefCell<Vec<usize>>,
}

/// A value that counts its copies: its clones and drops are recorded in the ledger.
struct Item {
    id: usize,
    ledger: Rc<Ledger>,
}

impl Item {
    fn mint(ledger: &Rc<Ledger>) -> Item {
        let mut made = ledger.made.borrow_mut();
        made.push(1);
        ledger.dropped.borrow_mut().push(0);
        Item {
            id: made.len() - 1,
            ledger: ledger.clone(),
        }
    }
}

impl Clone for Item {
    fn clone(&self) -> Item {
        self.ledger.made.borrow_mut()[self.id] += 1;
        Item {
            id: self.id,
            ledger: self.ledger.clone(),
        }
    }
}

impl Drop for Item {
    fn drop(&mut self) {
        self.ledger.dropped.borrow_mut()[self.id] += 1;
    }
}

impl std::fmt::Debug for Item {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Item({})", self.id)
    }
}

#[derive(Default)]
struct Counter(AtomicUsize);

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

type RecvFuture = Pin<Box<dyn Future<Output = (Receiver<Item>, Result<Item, RecvError>)>>>;

/// A receiver of the program: idle, or inside a pending `recv` future that owns it.
enum Handle {
    Idle(Receiver<Item>),
    Waiting {
        fut: RecvFuture,
        wakes: Arc<Counter>,
        /// Wakes the model requires by now.
        expected: usize,
        /// Whether it is still parked (a wake unparks it until its next poll).
        parked: bool,
    },
}

/// The model's view of one receiver.
struct ModelRx {
    /// The position of the next value it reads.
    next: u64,
    handle: Handle,
}

#[derive(Debug, Clone, Copy)]
enum Op {
    Send(u8),
    TryRecv(u8),
    /// Start (or poll again) a `recv` on a receiver.
    Recv(u8),
    Subscribe(u8),
    Resubscribe(u8),
    DropReceiver(u8),
    CloneSender(u8),
    DropSender(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => any::<u8>().prop_map(Op::Send),
        4 => any::<u8>().prop_map(Op::TryRecv),
        4 => any::<u8>().prop_map(Op::Recv),
        1 => any::<u8>().prop_map(Op::Subscribe),
        1 => any::<u8>().prop_map(Op::Resubscribe),
        1 => any::<u8>().prop_map(Op::DropReceiver),
        1 => any::<u8>().prop_map(Op::CloneSender),
        1 => any::<u8>().prop_map(Op::DropSender),
    ]
}

struct Harness {
    ledger: Rc<Ledger>,
    capacity: usize,
    senders: Vec<Sender<Item>>,
    receivers: Vec<ModelRx>,
    /// Ids of the values held, oldest first, from position `head`.
    held: VecDeque<usize>,
    head: u64,
    /// Clones the channel must have made of each value: one per reader but the last.
    clones: Vec<usize>,
}

impl Harness {
    fn new(capacity: usize) -> Harness {
        let (tx, rx) = broadcast::channel(capacity);
        Harness {
            ledger: Rc::default(),
            capacity,
            senders: vec![tx],
            receivers: vec![ModelRx {
                next: 0,
                handle: Handle::Idle(rx),
            }],
            held: VecDeque::new(),
            head: 0,
            clones: Vec::new(),
        }
    }

    fn tail(&self) -> u64 {
        self.head + self.held.len() as u64
    }

    fn pick<T>(items: &[T], k: u8) -> Option<usize> {
        (!items.is_empty()).then(|| usize::from(k) % items.len())
    }

    /// What the model says receiver `r` gets next, advancing it.
    fn expect_next(&mut self, r: usize) -> Result<usize, TryRecvError> {
        let next = self.receivers[r].next;
        if next < self.head {
            self.receivers[r].next = self.head;
            return Err(TryRecvError::Lagged(self.head - next));
        }
        if next == self.tail() {
            return Err(if self.senders.is_empty() {
                TryRecvError::Closed
            } else {
                TryRecvError::Empty
            });
        }
        self.receivers[r].next += 1;
        let id = self.held[(next - self.head) as usize];
        if self.receivers.iter().any(|rx| rx.next <= next) {
            self.clones[id] += 1;
        }
        self.drop_read_values();
        Ok(id)
    }

    /// Drops the oldest held values that no receiver has yet to read.
    fn drop_read_values(&mut self) {
        while !self.held.is_empty() && self.receivers.iter().all(|rx| rx.next > self.head) {
            self.held.pop_front();
            self.head += 1;
        }
    }

    fn wake_parked(&mut self) {
        for rx in &mut self.receivers {
            if let Handle::Waiting {
                expected, parked, ..
            } = &mut rx.handle
                && *parked
            {
                *expected += 1;
                *parked = false;
            }
        }
    }

    fn apply(&mut self, op: Op) {
        match op {
            Op::Send(k) => {
                let Some(s) = Self::pick(&self.senders, k) else {
                    return;
                };
                let item = Item::mint(&self.ledger);
                let id = item.id;
                self.clones.push(0);
                let result = self.senders[s].send(item);
                if self.receivers.is_empty() {
                    let back = result.expect_err("send with no receiver");
                    assert_eq!(back.0.id, id);
                    return;
                }
                assert_eq!(
                    result.unwrap(),
                    self.receivers.len(),
                    "send's receiver count"
                );
                if self.held.len() == self.capacity {
                    self.held.pop_front();
                    self.head += 1;
                }
                self.held.push_back(id);
                self.wake_parked();
            }
            Op::TryRecv(k) => {
                let Some(r) = Self::pick(&self.receivers, k) else {
                    return;
                };
                let Handle::Idle(rx) = &mut self.receivers[r].handle else {
                    return;
                };
                let got = rx.try_recv().map(|item| item.id);
                assert_eq!(got, self.expect_next(r), "try_recv");
            }
            Op::Recv(k) => {
                let Some(r) = Self::pick(&self.receivers, k) else {
                    return;
                };
                let handle = std::mem::replace(
                    &mut self.receivers[r].handle,
                    Handle::Waiting {
                        fut: Box::pin(std::future::pending()),
                        wakes: Arc::default(),
                        expected: 0,
                        parked: false,
                    },
                );
                let (mut fut, wakes, expected) = match handle {
                    Handle::Idle(mut rx) => {
                        let fut: RecvFuture = Box::pin(async move {
                            let result = rx.recv().await;
                            (rx, result)
                        });
                        (fut, Arc::default(), 0)
                    }
                    Handle::Waiting {
                        fut,
                        wakes,
                        expected,
                        ..
                    } => (fut, wakes, expected),
                };
                let waker = Waker::from(wakes.clone());
                let polled = fut.as_mut().poll(&mut Context::from_waker(&waker));
                let model = self.expect_peek(r);
                match polled {
                    Poll::Ready((rx, result)) => {
                        let expected_result = self.expect_next(r).map_err(|err| match err {
                            TryRecvError::Lagged(n) => RecvError::Lagged(n),
                            TryRecvError::Closed => RecvError::Closed,
                            TryRecvError::Empty => panic!("recv completed with nothing to read"),
                        });
                        assert_eq!(result.map(|item| item.id), expected_result, "recv");
                        self.check_wakes(&wakes, expected);
                        self.receivers[r].handle = Handle::Idle(rx);
                    }
                    Poll::Pending => {
                        assert!(!model, "recv pending with something to read");
                        self.receivers[r].handle = Handle::Waiting {
                            fut,
                            wakes,
                            expected,
                            parked: true,
                        };
                    }
                }
            }
            Op::Subscribe(k) => {
                let Some(s) = Self::pick(&self.senders, k) else {
                    return;
                };
                let rx = self.senders[s].subscribe();
                self.receivers.push(ModelRx {
                    next: self.tail(),
                    handle: Handle::Idle(rx),
                });
            }
            Op::Resubscribe(k) => {
                let Some(r) = Self::pick(&self.receivers, k) else {
                    return;
                };
                let Handle::Idle(rx) = &self.receivers[r].handle else {
                    return;
                };
                let rx = rx.resubscribe();
                self.receivers.push(ModelRx {
                    next: self.tail(),
                    handle: Handle::Idle(rx),
                });
            }
            Op::DropReceiver(k) => {
                let Some(r) = Self::pick(&self.receivers, k) else {
                    return;
                };
                let gone = self.receivers.remove(r);
                drop(gone);
                self.drop_read_values();
            }
            Op::CloneSender(k) => {
                let Some(s) = Self::pick(&self.senders, k) else {
                    return;
                };
                let clone = self.senders[s].clone();
                self.senders.push(clone);
            }
            Op::DropSender(k) => {
                let Some(s) = Self::pick(&self.senders, k) else {
                    return;
                };
                self.senders.remove(s);
                if self.senders.is_empty() {
                    self.wake_parked();
                }
            }
        }
    }

    /// Whether receiver `r` has something to read: a value, a lag report, or the end.
    fn expect_peek(&self, r: usize) -> bool {
        self.receivers[r].next != self.tail() || self.senders.is_empty()
    }

    fn check_wakes(&self, wakes: &Counter, expected: usize) {
        assert_eq!(wakes.0.load(Ordering::SeqCst), expected, "wakes of a recv");
    }

    fn check(&self, step: usize, op: &Op) {
        for rx in &self.receivers {
            if let Handle::Waiting {
                wakes, expected, ..
            } = &rx.handle
            {
                assert_eq!(
                    wakes.0.load(Ordering::SeqCst),
                    *expected,
                    "after step {step} ({op:?}): wakes of a pending recv"
                );
            }
        }
        let made = self.ledger.made.borrow();
        let dropped = self.ledger.dropped.borrow();
        for id in 0..made.len() {
            let live = made[id] - dropped[id];
            let held = usize::from(self.held.contains(&id));
            assert_eq!(
                live, held,
                "after step {step} ({op:?}): copies of value {id} alive (the channel holds \
                 {:?})",
                self.held
            );
        }
        for id in 0..made.len() {
            assert_eq!(
                made[id],
                1 + self.clones[id],
                "after step {step} ({op:?}): clones of value {id}"
            );
        }
        for tx in &self.senders {
            assert_eq!(tx.len(), self.held.len(), "after step {step} ({op:?}): len");
            assert_eq!(tx.receiver_count(), self.receivers.len());
        }
        for rx in &self.receivers {
            if let Handle::Idle(handle) = &rx.handle {
                let unread = self.tail() - rx.next; // the missed ones too, as tokio's
                assert_eq!(
                    handle.len() as u64,
                    unread,
                    "after step {step} ({op:?}): rx len"
                );
                assert_eq!(handle.is_closed(), self.senders.is_empty());
            }
        }
    }
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn broadcast_follows_the_model(
        capacity in 1..=4usize,
        ops in proptest::collection::vec(op(), 1..80),
    ) {
        let mut harness = Harness::new(capacity);
        for (step, op) in ops.iter().enumerate() {
            harness.apply(*op);
            harness.check(step, op);
        }
        drop(harness.receivers);
        drop(harness.senders);
        let made = harness.ledger.made.borrow();
        let dropped = harness.ledger.dropped.borrow();
        prop_assert_eq!(&*made, &*dropped, "every copy made was dropped");
    }
}

#[test]
fn a_zero_capacity_panics_at_the_caller_s_line() {
    let zero = || drop(mirage::sync::broadcast::channel::<()>(0));
    assert_eq!(panic_site::panic_location(zero), file!());
}
