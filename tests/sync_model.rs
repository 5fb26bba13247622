//! Model-based property tests of the channels in `mirage::sync`.
//!
//! Random programs of operations drive one channel by hand (every future is polled with a
//! waker that counts its wakes) and, after every step, are checked against a reference model
//! that knows only the documented rules:
//!
//! - `mpsc` (bounded, capacity 1 to 4, and unbounded), with several senders and the
//!   receiver: values arrive exactly once, in the order they were accepted; `try_send` and
//!   `send` take a free slot only when no earlier sender waits for one (waiting senders are
//!   served first come, first served, and a freed slot goes to the oldest of them, who alone
//!   is woken); a cancelled send drops its value at once and hands a slot already reserved
//!   for it to the next waiting sender (or frees it), so `capacity()` plus the queued values
//!   plus the reserved slots is always the capacity the channel was created with; after
//!   `close()` (or dropping the receiver) pending and new sends fail with their value handed
//!   back, `closed()` completes, and values already queued can still be received, then
//!   `None`; a send may also go through `reserve()` and its permit, and a permit may be
//!   held across steps, then used (its value queued even after `close()`, the receiver
//!   seeing the end only once no permit is held; dropped if the receiver was dropped) or
//!   given back (its slot passed on as a cancelled send's is);
//! - `cross_thread` (bounded and unbounded), which shares `mpsc`'s code behind a lock: the
//!   same model, driven from one thread (`tests/sync_cross_thread.rs` drives it from
//!   several);
//! - `oneshot`: send, receive, close and drop in any order; `try_recv`'s states;
//!   `is_closed`, `closed()`.
//!
//! Every value is an [`Item`] that records its drop: each one must be dropped exactly once
//! (received and then dropped by the test, handed back and dropped, or dropped by the
//! channel), never early, never twice, and by the end of every program all of them are.
//! No wake-up may be lost (a pending future that can make progress must have been woken
//! since its last poll) and nobody is woken for nothing: a waiting sender only when it is
//! handed a slot or the channel closes, a `closed()` future only when the channel closes.
//! The receiver may see one late wake-up on a waker it registered before a successful
//! receive (as tokio's does).

mod panic_site;
mod prop_config;

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use mirage::sync::mpsc::{
    self,
    error::{TryRecvError, TrySendError},
};
use mirage::sync::{SendError, cross_thread, oneshot};
use prop_config::config;
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------
// Values that record their drops, and wakers that count their wakes.
// ---------------------------------------------------------------------------------------

/// How often each minted [`Item`] was dropped, by id.
#[derive(Default)]
struct Ledger {
    drops: RefCell<Vec<u32>>,
}

impl Ledger {
    fn mint(self: &Rc<Self>) -> Item {
        let mut drops = self.drops.borrow_mut();
        drops.push(0);
        Item {
            id: drops.len() - 1,
            ledger: self.clone(),
        }
    }
}

/// A message: its drop is counted in its ledger.
struct Item {
    id: usize,
    ledger: Rc<Ledger>,
}

impl Drop for Item {
    fn drop(&mut self) {
        self.ledger.drops.borrow_mut()[self.id] += 1;
    }
}

impl fmt::Debug for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Item({})", self.id)
    }
}

#[derive(Default)]
struct Counter(AtomicUsize);

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Every waker a program handed out, with the number of wakes the model allows for each:
/// at least `min` (the wakes it must have had), at most `max` (plus the ones it may have).
#[derive(Default)]
struct Wakes {
    counters: Vec<Arc<Counter>>,
    min: Vec<usize>,
    max: Vec<usize>,
}

impl Wakes {
    /// A new waker's index.
    fn fresh(&mut self) -> usize {
        self.counters.push(Arc::default());
        self.min.push(0);
        self.max.push(0);
        self.counters.len() - 1
    }

    fn waker(&self, w: usize) -> Waker {
        Waker::from(self.counters[w].clone())
    }

    fn must_wake(&mut self, w: usize) {
        self.min[w] += 1;
        self.max[w] += 1;
    }

    fn may_wake(&mut self, w: usize) {
        self.max[w] += 1;
    }

    fn check(&self, at: &dyn fmt::Display) {
        for (w, counter) in self.counters.iter().enumerate() {
            let n = counter.0.load(Ordering::SeqCst);
            assert!(
                n >= self.min[w],
                "{at}: waker {w} woken {n} times, expected at least {} (lost wake-up)",
                self.min[w]
            );
            assert!(
                n <= self.max[w],
                "{at}: waker {w} woken {n} times, expected at most {} (woken for nothing)",
                self.max[w]
            );
        }
    }
}

/// Where a program is, for failure messages.
struct At<'a, O>(usize, &'a O);

impl<O: fmt::Debug> fmt::Display for At<'_, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "after step {} ({:?})", self.0, self.1)
    }
}

fn poll_once<F: Future + ?Sized>(fut: Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
    fut.poll(&mut Context::from_waker(waker))
}

// ---------------------------------------------------------------------------------------
// mpsc: both flavours behind one trait, so one harness and one model serve both.
// ---------------------------------------------------------------------------------------

type SendFuture = Pin<Box<dyn Future<Output = Result<(), SendError<Item>>>>>;

/// What a held permit does once its gate opens: queue its value, or be dropped unused
/// (its future then hands the value back, as a failed send does).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GateState {
    Shut,
    Send,
    Release,
}

type Gate = Rc<Cell<GateState>>;

/// Pending while the gate is shut. Registers no waker: the harness polls again itself.
async fn opened(gate: &Gate) -> GateState {
    poll_fn(|_| match gate.get() {
        GateState::Shut => Poll::Pending,
        open => Poll::Ready(open),
    })
    .await
}

/// The API the harness drives; the bounded-only parts answer `None` for `unbounded`.
trait Flavor {
    type Tx: Clone + 'static;
    type Rx;

    fn new(cap: Option<usize>) -> (Self::Tx, Self::Rx);
    fn try_send(tx: &Self::Tx, item: Item) -> Result<(), TrySendError<Item>>;
    /// A `send` future owning a handle to its sender.
    fn send(tx: Rc<Self::Tx>, item: Item) -> Option<SendFuture>;
    /// A send through `reserve()` and its permit; with a gate, the permit is held until
    /// the gate opens (bounded only).
    fn send_reserved(tx: Rc<Self::Tx>, item: Item, gate: Option<Gate>) -> Option<SendFuture>;
    fn closed(tx: &Self::Tx) -> impl Future<Output = ()> + '_;
    fn is_closed(tx: &Self::Tx) -> bool;
    fn same_channel(a: &Self::Tx, b: &Self::Tx) -> bool;
    /// `(capacity, max_capacity)`.
    fn capacity(tx: &Self::Tx) -> Option<(usize, usize)>;
    fn recv(rx: &mut Self::Rx) -> impl Future<Output = Option<Item>> + '_;
    fn recv_many<'a>(
        rx: &'a mut Self::Rx,
        buffer: &'a mut Vec<Item>,
        limit: usize,
    ) -> impl Future<Output = usize> + 'a;
    fn try_recv(rx: &mut Self::Rx) -> Result<Item, TryRecvError>;
    fn close(rx: &mut Self::Rx);
    fn len(rx: &Self::Rx) -> (usize, bool);
}

/// The bounded channel of `$module` (`mpsc`, or `cross_thread`, which shares its code
/// behind a lock) as a [`Flavor`].
macro_rules! bounded_flavor {
    ($name:ident, $module:ident) => {
        struct $name;

        impl Flavor for $name {
            type Tx = $module::Sender<Item>;
            type Rx = $module::Receiver<Item>;

            fn new(cap: Option<usize>) -> (Self::Tx, Self::Rx) {
                $module::channel(cap.unwrap())
            }
            fn try_send(tx: &Self::Tx, item: Item) -> Result<(), TrySendError<Item>> {
                tx.try_send(item)
            }
            fn send(tx: Rc<Self::Tx>, item: Item) -> Option<SendFuture> {
                Some(Box::pin(async move { tx.send(item).await }))
            }
            fn send_reserved(
                tx: Rc<Self::Tx>,
                item: Item,
                gate: Option<Gate>,
            ) -> Option<SendFuture> {
                Some(Box::pin(async move {
                    let Ok(permit) = tx.reserve().await else {
                        return Err(SendError(item));
                    };
                    if let Some(gate) = gate {
                        if opened(&gate).await == GateState::Release {
                            drop(permit);
                            return Err(SendError(item));
                        }
                    }
                    permit.send(item);
                    Ok(())
                }))
            }
            fn closed(tx: &Self::Tx) -> impl Future<Output = ()> + '_ {
                tx.closed()
            }
            fn is_closed(tx: &Self::Tx) -> bool {
                tx.is_closed()
            }
            fn same_channel(a: &Self::Tx, b: &Self::Tx) -> bool {
                a.same_channel(b)
            }
            fn capacity(tx: &Self::Tx) -> Option<(usize, usize)> {
                Some((tx.capacity(), tx.max_capacity()))
            }
            fn recv(rx: &mut Self::Rx) -> impl Future<Output = Option<Item>> + '_ {
                rx.recv()
            }
            fn recv_many<'a>(
                rx: &'a mut Self::Rx,
                buffer: &'a mut Vec<Item>,
                limit: usize,
            ) -> impl Future<Output = usize> + 'a {
                rx.recv_many(buffer, limit)
            }
            fn try_recv(rx: &mut Self::Rx) -> Result<Item, TryRecvError> {
                rx.try_recv()
            }
            fn close(rx: &mut Self::Rx) {
                rx.close()
            }
            fn len(rx: &Self::Rx) -> (usize, bool) {
                (rx.len(), rx.is_empty())
            }
        }
    };
}

/// The unbounded channel of `$module` as a [`Flavor`].
macro_rules! unbounded_flavor {
    ($name:ident, $module:ident) => {
        struct $name;

        impl Flavor for $name {
            type Tx = $module::UnboundedSender<Item>;
            type Rx = $module::UnboundedReceiver<Item>;

            fn new(_: Option<usize>) -> (Self::Tx, Self::Rx) {
                $module::unbounded()
            }
            fn try_send(tx: &Self::Tx, item: Item) -> Result<(), TrySendError<Item>> {
                Ok(tx.send(item)?)
            }
            fn send(_: Rc<Self::Tx>, _: Item) -> Option<SendFuture> {
                None
            }
            fn send_reserved(_: Rc<Self::Tx>, _: Item, _: Option<Gate>) -> Option<SendFuture> {
                None
            }
            fn closed(tx: &Self::Tx) -> impl Future<Output = ()> + '_ {
                tx.closed()
            }
            fn is_closed(tx: &Self::Tx) -> bool {
                tx.is_closed()
            }
            fn same_channel(a: &Self::Tx, b: &Self::Tx) -> bool {
                a.same_channel(b)
            }
            fn capacity(_: &Self::Tx) -> Option<(usize, usize)> {
                None
            }
            fn recv(rx: &mut Self::Rx) -> impl Future<Output = Option<Item>> + '_ {
                rx.recv()
            }
            fn recv_many<'a>(
                rx: &'a mut Self::Rx,
                buffer: &'a mut Vec<Item>,
                limit: usize,
            ) -> impl Future<Output = usize> + 'a {
                rx.recv_many(buffer, limit)
            }
            fn try_recv(rx: &mut Self::Rx) -> Result<Item, TryRecvError> {
                rx.try_recv()
            }
            fn close(rx: &mut Self::Rx) {
                rx.close()
            }
            fn len(rx: &Self::Rx) -> (usize, bool) {
                (rx.len(), rx.is_empty())
            }
        }
    };
}

bounded_flavor!(Bounded, mpsc);
unbounded_flavor!(Unbounded, mpsc);
bounded_flavor!(CrossThreadBounded, cross_thread);
unbounded_flavor!(CrossThreadUnbounded, cross_thread);

/// One step of an mpsc program. Sender and future indices are taken modulo the number of
/// live senders or pending futures (a step with none to pick does nothing).
#[derive(Debug, Clone, Copy)]
enum Op {
    /// `try_send` on a sender (`send` for unbounded channels).
    TrySend(u8),
    /// Start a `send` on a sender and poll it once (bounded only).
    Send(u8, Via),
    /// Poll a pending `send` again, with a new waker or with the one of its last poll.
    PollSend(u8, bool),
    /// Drop a pending `send`.
    CancelSend(u8),
    TryRecv,
    /// `recv()` polled once, with a new waker or with the one of the last `recv`.
    Recv(bool),
    /// `recv_many()` with a limit of 0 to 3, polled once, with a new waker or not.
    RecvMany(bool, u8),
    /// Drop a sender (its pending futures first).
    DropSender(u8),
    CloneSender(u8),
    /// Open the gate of a send holding its permit: use the permit, or give it back.
    OpenGate(u8, bool),
    Close,
    DropReceiver,
    /// Start `closed()` on a sender and poll it once.
    Closed(u8),
    PollClosed(u8, bool),
    DropClosed(u8),
}

/// How a `send` is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    /// `send(value)`.
    Send,
    /// `reserve()`, then the permit's `send(value)` at once.
    Reserve,
    /// `reserve()`, then the permit is held until an [`Op::OpenGate`].
    HeldPermit,
}

/// At most this many sender handles are ever made in one program.
const MAX_SENDERS: usize = 6;

fn op(bounded: bool) -> BoxedStrategy<Op> {
    let common = prop_oneof![
        6 => any::<u8>().prop_map(Op::TrySend),
        5 => Just(Op::TryRecv),
        5 => any::<bool>().prop_map(Op::Recv),
        2 => (any::<bool>(), 0..4u8).prop_map(|(fresh, limit)| Op::RecvMany(fresh, limit)),
        2 => any::<u8>().prop_map(Op::DropSender),
        2 => any::<u8>().prop_map(Op::CloneSender),
        1 => Just(Op::Close),
        1 => Just(Op::DropReceiver),
        2 => any::<u8>().prop_map(Op::Closed),
        2 => (any::<u8>(), any::<bool>()).prop_map(|(k, f)| Op::PollClosed(k, f)),
        1 => any::<u8>().prop_map(Op::DropClosed),
    ];
    if !bounded {
        return common.boxed();
    }
    let sends = prop_oneof![
        2 => (any::<u8>(), prop_oneof![Just(Via::Send), Just(Via::Reserve), Just(Via::HeldPermit)])
            .prop_map(|(k, via)| Op::Send(k, via)),
        1 => (any::<u8>(), any::<bool>()).prop_map(|(k, use_it)| Op::OpenGate(k, use_it)),
        2 => (any::<u8>(), any::<bool>()).prop_map(|(k, f)| Op::PollSend(k, f)),
        1 => any::<u8>().prop_map(Op::CancelSend),
    ];
    prop_oneof![5 => common, 3 => sends].boxed()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SendState {
    /// Queued among the waiting senders.
    Waiting,
    /// Handed a slot (and woken); its next poll pushes the value.
    Granted,
    /// Woken by the channel closing before it got a slot.
    Unlinked,
    /// Holds a permit (a slot), waiting at its gate.
    Held,
}

struct PendingSend {
    fut: SendFuture,
    /// Its item's id.
    id: usize,
    /// Its sender's slot in `Harness::senders`.
    sender: usize,
    /// The waker of its last poll.
    waker: usize,
    state: SendState,
    /// Set for a send that holds its permit until the gate opens.
    gate: Option<Gate>,
}

struct PendingClosed {
    fut: Pin<Box<dyn Future<Output = ()>>>,
    sender: usize,
    waker: usize,
    /// Already woken by the channel closing.
    woken: bool,
}

/// The reference model of an mpsc channel.
struct Model {
    /// `None` for unbounded.
    cap: Option<usize>,
    /// Ids of the queued items, oldest first.
    queue: VecDeque<usize>,
    /// Free slots nobody holds (bounded).
    permits: usize,
    /// Ids of the sends waiting for a slot, oldest first.
    waiters: VecDeque<usize>,
    rx_closed: bool,
    rx_alive: bool,
    live_senders: usize,
    /// The waker the receiver registered last, and whether the receiver still waits on it
    /// (its last poll was pending and nothing has happened that it waits for since).
    rx_waker: Option<(usize, bool)>,
    /// The waker of the last `recv` poll.
    rx_last: Option<usize>,
    /// How often each item must have been dropped by now.
    drops: Vec<u32>,
    /// Ids in the order the channel accepted them, and in the order they were received.
    accepted: Vec<usize>,
    received: Vec<usize>,
}

struct Harness<F: Flavor> {
    ledger: Rc<Ledger>,
    wakes: Wakes,
    senders: Vec<Option<Rc<F::Tx>>>,
    rx: Option<F::Rx>,
    /// A sender of another channel, for `same_channel`.
    other: F::Tx,
    _other_rx: F::Rx,
    sends: Vec<PendingSend>,
    closeds: Vec<PendingClosed>,
    model: Model,
}

impl<F: Flavor> Harness<F> {
    fn new(cap: Option<usize>, senders: usize) -> Self {
        let (tx, rx) = F::new(cap);
        let (other, _other_rx) = F::new(cap);
        let mut all = vec![Some(Rc::new(tx))];
        while all.len() < senders {
            let clone = F::Tx::clone(all[0].as_ref().unwrap());
            all.push(Some(Rc::new(clone)));
        }
        Harness {
            ledger: Rc::default(),
            wakes: Wakes::default(),
            senders: all,
            rx: Some(rx),
            other,
            _other_rx,
            sends: Vec::new(),
            closeds: Vec::new(),
            model: Model {
                cap,
                queue: VecDeque::new(),
                permits: cap.unwrap_or(0),
                waiters: VecDeque::new(),
                rx_closed: false,
                rx_alive: true,
                live_senders: senders,
                rx_waker: None,
                rx_last: None,
                drops: Vec::new(),
                accepted: Vec::new(),
                received: Vec::new(),
            },
        }
    }

    fn mint(&mut self) -> Item {
        self.model.drops.push(0);
        self.ledger.mint()
    }

    /// The slot of the `k`-th live sender, if any is live.
    fn live_sender(&self, k: u8) -> Option<usize> {
        let live: Vec<usize> = (0..self.senders.len())
            .filter(|&s| self.senders[s].is_some())
            .collect();
        (!live.is_empty()).then(|| live[usize::from(k) % live.len()])
    }

    fn tx(&self, slot: usize) -> Rc<F::Tx> {
        self.senders[slot].clone().unwrap()
    }

    fn send_index(&self, id: usize) -> usize {
        self.sends.iter().position(|s| s.id == id).unwrap()
    }

    /// Something the receiver waits for happened (a value arrived, or the last sender
    /// left): the channel wakes the receiver's registered waker, which it must if the
    /// receiver still waits on it.
    fn rx_event(&mut self) {
        if let Some((w, waiting)) = self.model.rx_waker.take() {
            if waiting {
                self.wakes.must_wake(w);
            } else {
                self.wakes.may_wake(w);
            }
        }
    }

    fn accept(&mut self, id: usize) {
        self.model.queue.push_back(id);
        self.model.accepted.push(id);
        self.rx_event();
    }

    /// A slot came free: the oldest waiting sender gets it and is woken, else it is free.
    fn release_slot(&mut self) {
        if self.model.cap.is_none() {
            return;
        }
        match self.model.waiters.pop_front() {
            Some(id) => {
                let i = self.send_index(id);
                self.sends[i].state = SendState::Granted;
                self.wakes.must_wake(self.sends[i].waker);
            }
            None => {
                self.model.permits += 1;
                // The receiver, closed, waits for the last held slot.
                if self.model.rx_closed && self.held() == 0 {
                    self.rx_event();
                }
            }
        }
    }

    /// The receiver closed (or was dropped): waiting senders and `closed()` futures are
    /// woken.
    fn close_model(&mut self) {
        let m = &mut self.model;
        m.rx_closed = true;
        if let Some((_, waiting)) = &mut m.rx_waker {
            // The receiver can make progress on its own now.
            *waiting = false;
        }
        while let Some(id) = self.model.waiters.pop_front() {
            let i = self.send_index(id);
            self.sends[i].state = SendState::Unlinked;
            self.wakes.must_wake(self.sends[i].waker);
        }
        for closed in &mut self.closeds {
            if !closed.woken {
                closed.woken = true;
                self.wakes.must_wake(closed.waker);
            }
        }
    }

    fn received(&mut self, item: Item) {
        let front = self.model.queue.pop_front();
        assert_eq!(Some(item.id), front, "received out of order");
        self.model.received.push(item.id);
        self.model.drops[item.id] += 1;
        drop(item);
        self.release_slot();
    }

    /// Nothing more can arrive: every sender is gone, or the receiver closed and no slot
    /// is still held (a held permit may still deliver after `close()`).
    fn disconnected(&self) -> bool {
        self.model.live_senders == 0 || (self.model.rx_closed && self.held() == 0)
    }

    /// Slots held by senders: granted to a waiting send, or in a permit.
    fn held(&self) -> usize {
        self.model
            .cap
            .map_or(0, |cap| cap - self.model.permits - self.model.queue.len())
    }

    fn apply(&mut self, op: Op) {
        match op {
            Op::TrySend(k) => {
                let Some(s) = self.live_sender(k) else { return };
                let item = self.mint();
                let id = item.id;
                let res = F::try_send(&self.tx(s), item);
                if self.model.rx_closed {
                    let Err(TrySendError::Closed(back)) = res else {
                        panic!("try_send on a closed channel gave {res:?}");
                    };
                    assert_eq!(back.id, id);
                    self.model.drops[id] += 1;
                } else if self.model.cap.is_some() && self.model.permits == 0 {
                    let Err(TrySendError::Full(back)) = res else {
                        panic!("try_send without a free slot gave {res:?}");
                    };
                    assert_eq!(back.id, id);
                    self.model.drops[id] += 1;
                } else {
                    assert!(res.is_ok(), "try_send with a free slot gave {res:?}");
                    if self.model.cap.is_some() {
                        self.model.permits -= 1;
                    }
                    self.accept(id);
                }
            }
            Op::Send(k, via) => {
                let Some(s) = self.live_sender(k) else { return };
                if self.model.cap.is_none() {
                    return;
                }
                let item = self.mint();
                let id = item.id;
                let gate = (via == Via::HeldPermit).then(|| Rc::new(Cell::new(GateState::Shut)));
                let fut = match via {
                    Via::Send => F::send(self.tx(s), item),
                    Via::Reserve | Via::HeldPermit => {
                        F::send_reserved(self.tx(s), item, gate.clone())
                    }
                };
                let mut fut = fut.expect("bounded channels send");
                let w = self.wakes.fresh();
                let res = poll_once(fut.as_mut(), &self.wakes.waker(w));
                if self.model.rx_closed {
                    let Poll::Ready(Err(SendError(back))) = res else {
                        panic!("send on a closed channel gave {res:?}");
                    };
                    assert_eq!(back.id, id);
                    self.model.drops[id] += 1;
                } else if self.model.permits > 0 && gate.is_some() {
                    assert!(res.is_pending(), "reserve with a free slot gave {res:?}");
                    self.model.permits -= 1;
                    self.sends.push(PendingSend {
                        fut,
                        id,
                        sender: s,
                        waker: w,
                        state: SendState::Held,
                        gate,
                    });
                } else if self.model.permits > 0 {
                    assert!(
                        matches!(res, Poll::Ready(Ok(()))),
                        "send with a free slot gave {res:?}"
                    );
                    self.model.permits -= 1;
                    self.accept(id);
                } else {
                    assert!(res.is_pending(), "send without a free slot gave {res:?}");
                    self.model.waiters.push_back(id);
                    self.sends.push(PendingSend {
                        fut,
                        id,
                        sender: s,
                        waker: w,
                        state: SendState::Waiting,
                        gate,
                    });
                }
            }
            Op::PollSend(k, fresh) => {
                if self.sends.is_empty() {
                    return;
                }
                let i = usize::from(k) % self.sends.len();
                let w = if fresh {
                    self.wakes.fresh()
                } else {
                    self.sends[i].waker
                };
                let waker = self.wakes.waker(w);
                let res = poll_once(self.sends[i].fut.as_mut(), &waker);
                let (id, state) = (self.sends[i].id, self.sends[i].state);
                let gated = self.sends[i].gate.is_some();
                if state == SendState::Held {
                    // At its gate, whatever the channel does.
                    assert!(res.is_pending(), "send {id} holding a permit gave {res:?}");
                    self.sends[i].waker = w;
                } else if self.model.rx_closed
                    && !(state == SendState::Granted && self.model.rx_alive)
                {
                    // A slot handed over before `close()` is still used, as a permit is.
                    let Poll::Ready(Err(SendError(back))) = res else {
                        panic!("pending send {id} ({state:?}) after close gave {res:?}");
                    };
                    assert_eq!(back.id, id);
                    self.sends.remove(i);
                    self.model.drops[id] += 1;
                    drop(back);
                    if state == SendState::Granted {
                        self.release_slot();
                    }
                } else if state == SendState::Granted && gated {
                    assert!(res.is_pending(), "reserve {id} granted a slot gave {res:?}");
                    self.sends[i].state = SendState::Held;
                    self.sends[i].waker = w;
                } else if state == SendState::Granted {
                    assert!(
                        matches!(res, Poll::Ready(Ok(()))),
                        "send {id} granted a slot gave {res:?}"
                    );
                    self.sends.remove(i);
                    self.accept(id);
                } else {
                    assert_eq!(state, SendState::Waiting);
                    assert!(res.is_pending(), "waiting send {id} gave {res:?}");
                    self.sends[i].waker = w;
                }
            }
            Op::OpenGate(k, use_it) => {
                let held: Vec<usize> = (0..self.sends.len())
                    .filter(|&i| self.sends[i].state == SendState::Held)
                    .collect();
                if held.is_empty() {
                    return;
                }
                let i = held[usize::from(k) % held.len()];
                let gate = self.sends[i].gate.clone().unwrap();
                gate.set(if use_it {
                    GateState::Send
                } else {
                    GateState::Release
                });
                let waker = self.wakes.waker(self.sends[i].waker);
                let res = poll_once(self.sends[i].fut.as_mut(), &waker);
                let id = self.sends.remove(i).id;
                if use_it {
                    assert!(
                        matches!(res, Poll::Ready(Ok(()))),
                        "a permit's send gave {res:?}"
                    );
                    if self.model.rx_alive {
                        // Even after `close()`: a permit taken before still delivers.
                        self.accept(id);
                    } else {
                        // The receiver is gone: the value is dropped.
                        self.model.drops[id] += 1;
                        self.release_slot();
                    }
                } else {
                    let Poll::Ready(Err(SendError(back))) = res else {
                        panic!("a released permit's future gave {res:?}");
                    };
                    assert_eq!(back.id, id);
                    self.model.drops[id] += 1;
                    drop(back);
                    self.release_slot();
                }
            }
            Op::CancelSend(k) => {
                if self.sends.is_empty() {
                    return;
                }
                let i = usize::from(k) % self.sends.len();
                self.cancel_send(i);
            }
            Op::TryRecv => {
                let Some(rx) = &mut self.rx else { return };
                let res = F::try_recv(rx);
                if self.model.queue.is_empty() {
                    let expected = if self.disconnected() {
                        TryRecvError::Disconnected
                    } else {
                        TryRecvError::Empty
                    };
                    assert_eq!(res.unwrap_err(), expected);
                } else {
                    let item = res.expect("try_recv with a queued value");
                    self.received(item);
                }
            }
            Op::Recv(fresh) => {
                let Some(rx) = &mut self.rx else { return };
                let w = match self.model.rx_last {
                    Some(w) if !fresh => w,
                    _ => self.wakes.fresh(),
                };
                self.model.rx_last = Some(w);
                let res = poll_once(pin!(F::recv(rx)), &self.wakes.waker(w));
                match res {
                    Poll::Ready(Some(item)) => {
                        assert!(!self.model.queue.is_empty(), "recv on an empty channel");
                        self.received(item);
                        if let Some((_, waiting)) = &mut self.model.rx_waker {
                            *waiting = false;
                        }
                    }
                    Poll::Ready(None) => {
                        assert!(self.model.queue.is_empty() && self.disconnected());
                        if let Some((_, waiting)) = &mut self.model.rx_waker {
                            *waiting = false;
                        }
                    }
                    Poll::Pending => {
                        assert!(self.model.queue.is_empty() && !self.disconnected());
                        self.model.rx_waker = Some((w, true));
                    }
                }
            }
            Op::RecvMany(fresh, limit) => {
                let Some(rx) = &mut self.rx else { return };
                let limit = usize::from(limit);
                let w = match self.model.rx_last {
                    Some(w) if !fresh => w,
                    _ => self.wakes.fresh(),
                };
                self.model.rx_last = Some(w);
                let mut buffer = Vec::new();
                let res = poll_once(
                    pin!(F::recv_many(rx, &mut buffer, limit)),
                    &self.wakes.waker(w),
                );
                let queued = self.model.queue.len();
                match res {
                    Poll::Ready(0) if limit == 0 => assert!(buffer.is_empty()),
                    Poll::Ready(0) => {
                        assert!(queued == 0 && self.disconnected(), "recv_many gave 0");
                        if let Some((_, waiting)) = &mut self.model.rx_waker {
                            *waiting = false;
                        }
                    }
                    Poll::Ready(n) => {
                        assert_eq!(n, limit.min(queued), "recv_many's count");
                        assert_eq!(buffer.len(), n);
                        for item in buffer {
                            self.received(item);
                        }
                        if let Some((_, waiting)) = &mut self.model.rx_waker {
                            *waiting = false;
                        }
                    }
                    Poll::Pending => {
                        assert!(limit > 0 && queued == 0 && !self.disconnected());
                        self.model.rx_waker = Some((w, true));
                    }
                }
            }
            Op::DropSender(k) => {
                let Some(s) = self.live_sender(k) else { return };
                self.drop_sender(s);
            }
            Op::CloneSender(k) => {
                let Some(s) = self.live_sender(k) else { return };
                if self.senders.len() < MAX_SENDERS {
                    let clone = F::Tx::clone(&self.tx(s));
                    self.senders.push(Some(Rc::new(clone)));
                    self.model.live_senders += 1;
                }
            }
            Op::Close => {
                let Some(rx) = &mut self.rx else { return };
                F::close(rx);
                self.close_model();
            }
            Op::DropReceiver => {
                let Some(rx) = self.rx.take() else { return };
                drop(rx);
                self.close_model();
                self.model.rx_alive = false;
                self.model.rx_waker = None;
                while let Some(id) = self.model.queue.pop_front() {
                    self.model.drops[id] += 1;
                    if self.model.cap.is_some() {
                        self.model.permits += 1;
                    }
                }
            }
            Op::Closed(k) => {
                let Some(s) = self.live_sender(k) else { return };
                let tx = self.tx(s);
                let mut fut: Pin<Box<dyn Future<Output = ()>>> =
                    Box::pin(async move { F::closed(&tx).await });
                let w = self.wakes.fresh();
                let res = poll_once(fut.as_mut(), &self.wakes.waker(w));
                assert_eq!(
                    res.is_ready(),
                    self.model.rx_closed,
                    "closed() gave {res:?}"
                );
                if res.is_pending() {
                    self.closeds.push(PendingClosed {
                        fut,
                        sender: s,
                        waker: w,
                        woken: false,
                    });
                }
            }
            Op::PollClosed(k, fresh) => {
                if self.closeds.is_empty() {
                    return;
                }
                let i = usize::from(k) % self.closeds.len();
                let w = if fresh {
                    self.wakes.fresh()
                } else {
                    self.closeds[i].waker
                };
                let res = poll_once(self.closeds[i].fut.as_mut(), &self.wakes.waker(w));
                assert_eq!(
                    res.is_ready(),
                    self.model.rx_closed,
                    "closed() gave {res:?}"
                );
                if res.is_ready() {
                    self.closeds.remove(i);
                } else {
                    self.closeds[i].waker = w;
                }
            }
            Op::DropClosed(k) => {
                if self.closeds.is_empty() {
                    return;
                }
                let i = usize::from(k) % self.closeds.len();
                self.closeds.remove(i);
            }
        }
    }

    fn cancel_send(&mut self, i: usize) {
        let send = self.sends.remove(i);
        let (id, state) = (send.id, send.state);
        let before = self.ledger.drops.borrow()[id];
        drop(send);
        assert_eq!(
            self.ledger.drops.borrow()[id],
            before + 1,
            "a cancelled send must drop its value at once"
        );
        self.model.drops[id] += 1;
        match state {
            SendState::Waiting => self.model.waiters.retain(|&w| w != id),
            SendState::Granted | SendState::Held => self.release_slot(),
            SendState::Unlinked => {}
        }
    }

    /// Drops sender slot `s`, after its pending futures (a task owning a sender dies).
    fn drop_sender(&mut self, s: usize) {
        while let Some(i) = self.sends.iter().position(|p| p.sender == s) {
            self.cancel_send(i);
        }
        self.closeds.retain(|c| c.sender != s);
        let tx = self.senders[s].take().unwrap();
        assert_eq!(Rc::strong_count(&tx), 1);
        drop(tx);
        self.model.live_senders -= 1;
        if self.model.live_senders == 0 {
            self.rx_event();
        }
    }

    fn check(&self, at: &dyn fmt::Display) {
        let m = &self.model;
        assert_eq!(
            *self.ledger.drops.borrow(),
            m.drops,
            "{at}: drops per item (expected on the right)"
        );
        self.wakes.check(at);
        if let Some(cap) = m.cap {
            let granted = self
                .sends
                .iter()
                .filter(|s| matches!(s.state, SendState::Granted | SendState::Held))
                .count();
            assert_eq!(m.permits + m.queue.len() + granted, cap, "{at}: the model");
            assert!(m.permits == 0 || m.waiters.is_empty(), "{at}: the model");
        }
        let first = self.senders.iter().flatten().next();
        for tx in self.senders.iter().flatten() {
            assert_eq!(F::is_closed(tx), m.rx_closed, "{at}: is_closed");
            assert!(F::same_channel(tx, first.unwrap()), "{at}: same_channel");
            assert!(!F::same_channel(tx, &self.other), "{at}: same_channel");
            if let Some(cap) = m.cap {
                assert_eq!(
                    F::capacity(tx),
                    Some((m.permits, cap)),
                    "{at}: (capacity, max_capacity): queued {}, reserved {}",
                    m.queue.len(),
                    cap - m.permits - m.queue.len()
                );
            }
        }
        if let Some(rx) = &self.rx {
            let n = m.queue.len();
            assert_eq!(F::len(rx), (n, n == 0), "{at}: (len, is_empty)");
        }
        assert_eq!(m.rx_alive, self.rx.is_some());
    }

    /// Runs `ops`, then drops everything (in the order `teardown` picks) and checks that
    /// every item was dropped exactly once.
    fn run(mut self, ops: &[Op], teardown: Teardown) {
        for (step, op) in ops.iter().enumerate() {
            self.apply(*op);
            self.check(&At(step, op));
        }
        let at = format!("teardown {teardown:?}");
        let drop_rx = |h: &mut Self| h.apply(Op::DropReceiver);
        if teardown == Teardown::ReceiverFirst {
            drop_rx(&mut self);
            self.check(&at);
        }
        while !self.sends.is_empty() {
            self.cancel_send(self.sends.len() - 1);
            self.check(&at);
        }
        self.closeds.clear();
        for s in 0..self.senders.len() {
            if self.senders[s].is_some() {
                self.drop_sender(s);
                self.check(&at);
            }
        }
        drop_rx(&mut self);
        self.check(&at);
        assert!(
            self.model.drops.iter().all(|&n| n == 1),
            "every item is dropped exactly once: {:?}",
            self.model.drops
        );
        let m = &self.model;
        assert_eq!(m.received[..], m.accepted[..m.received.len()]);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Teardown {
    ReceiverFirst,
    ReceiverLast,
}

fn teardown() -> impl Strategy<Value = Teardown> {
    prop_oneof![Just(Teardown::ReceiverFirst), Just(Teardown::ReceiverLast)]
}

// ---------------------------------------------------------------------------------------
// oneshot
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
enum OneshotOp {
    Send,
    DropSender,
    TryRecv,
    /// Poll the receiver (unless it completed), with a new waker or the last one.
    Poll(bool),
    Close,
    DropReceiver,
    /// Poll `closed()` (through the future, or `poll_closed`), with a new waker or not.
    Closed {
        fresh: bool,
        future: bool,
    },
}

fn oneshot_op() -> impl Strategy<Value = OneshotOp> {
    prop_oneof![
        2 => Just(OneshotOp::Send),
        1 => Just(OneshotOp::DropSender),
        2 => Just(OneshotOp::TryRecv),
        3 => any::<bool>().prop_map(OneshotOp::Poll),
        1 => Just(OneshotOp::Close),
        1 => Just(OneshotOp::DropReceiver),
        2 => (any::<bool>(), any::<bool>())
            .prop_map(|(fresh, future)| OneshotOp::Closed { fresh, future }),
    ]
}

/// Runs a oneshot program against its model.
fn run_oneshot(ops: &[OneshotOp]) {
    let ledger = Rc::<Ledger>::default();
    let mut wakes = Wakes::default();
    let (tx, rx) = oneshot::channel::<Item>();
    let (mut tx, mut rx) = (Some(tx), Some(rx));
    // The model.
    let mut drops: Vec<u32> = Vec::new();
    let mut value: Option<usize> = None;
    let mut tx_done = false;
    let mut rx_closed = false;
    let mut rx_done = false;
    // Registered wakers: (waker, still waited on).
    let mut rx_waker: Option<(usize, bool)> = None;
    let mut rx_last: Option<usize> = None;
    let mut tx_waker: Option<(usize, bool)> = None;
    let mut tx_last: Option<usize> = None;

    fn event(wakes: &mut Wakes, waker: &mut Option<(usize, bool)>) {
        if let Some((w, waiting)) = waker.take() {
            if waiting {
                wakes.must_wake(w);
            } else {
                wakes.may_wake(w);
            }
        }
    }

    for (step, op) in ops.iter().enumerate() {
        let at = At(step, op);
        match *op {
            OneshotOp::Send => {
                let Some(sender) = tx.take() else { continue };
                drops.push(0);
                let item = ledger.mint();
                let id = item.id;
                let res = sender.send(item);
                if rx_closed {
                    let Err(SendError(back)) = res else {
                        panic!("{at}: send to a closed receiver succeeded");
                    };
                    assert_eq!(back.id, id);
                    drops[id] += 1;
                } else {
                    assert!(res.is_ok(), "{at}: send failed");
                    value = Some(id);
                }
                tx_done = true;
                tx_waker = None;
                event(&mut wakes, &mut rx_waker);
            }
            OneshotOp::DropSender => {
                let Some(sender) = tx.take() else { continue };
                drop(sender);
                tx_done = true;
                tx_waker = None;
                event(&mut wakes, &mut rx_waker);
            }
            OneshotOp::TryRecv => {
                let Some(receiver) = &mut rx else { continue };
                let res = receiver.try_recv();
                if rx_done {
                    assert_eq!(res.unwrap_err(), oneshot::TryRecvError::Closed, "{at}");
                } else if let Some(id) = value.take() {
                    assert_eq!(res.map(|item| item.id), Ok(id), "{at}");
                    drops[id] += 1;
                    rx_done = true;
                } else if tx_done || rx_closed {
                    assert_eq!(res.unwrap_err(), oneshot::TryRecvError::Closed, "{at}");
                    rx_done = true;
                } else {
                    assert_eq!(res.unwrap_err(), oneshot::TryRecvError::Empty, "{at}");
                }
            }
            OneshotOp::Poll(fresh) => {
                let Some(receiver) = &mut rx else { continue };
                if rx_done {
                    continue;
                }
                let w = match rx_last {
                    Some(w) if !fresh => w,
                    _ => wakes.fresh(),
                };
                rx_last = Some(w);
                let res = poll_once(Pin::new(receiver), &wakes.waker(w));
                if let Some(id) = value.take() {
                    let Poll::Ready(Ok(item)) = res else {
                        panic!("{at}: a sent value was not received: {res:?}");
                    };
                    assert_eq!(item.id, id, "{at}");
                    drops[id] += 1;
                    rx_done = true;
                } else if tx_done || rx_closed {
                    assert!(
                        matches!(res, Poll::Ready(Err(oneshot::RecvError))),
                        "{at}: {res:?}"
                    );
                    rx_done = true;
                } else {
                    assert!(res.is_pending(), "{at}: {res:?}");
                    rx_waker = Some((w, true));
                }
                if rx_done && let Some((_, waiting)) = &mut rx_waker {
                    *waiting = false;
                }
            }
            OneshotOp::Close => {
                let Some(receiver) = &mut rx else { continue };
                receiver.close();
                rx_closed = true;
                if let Some((_, waiting)) = &mut rx_waker {
                    *waiting = false;
                }
                event(&mut wakes, &mut tx_waker);
            }
            OneshotOp::DropReceiver => {
                let Some(receiver) = rx.take() else { continue };
                drop(receiver);
                rx_closed = true;
                rx_waker = None;
                if let Some(id) = value.take() {
                    drops[id] += 1;
                }
                event(&mut wakes, &mut tx_waker);
            }
            OneshotOp::Closed { fresh, future } => {
                let Some(sender) = &mut tx else { continue };
                let w = match tx_last {
                    Some(w) if !fresh => w,
                    _ => wakes.fresh(),
                };
                tx_last = Some(w);
                let waker = wakes.waker(w);
                let res = if future {
                    poll_once(pin!(sender.closed()), &waker)
                } else {
                    sender.poll_closed(&mut Context::from_waker(&waker))
                };
                assert_eq!(res.is_ready(), rx_closed, "{at}: closed() gave {res:?}");
                if res.is_pending() {
                    // Only the most recent poller is woken.
                    tx_waker = Some((w, true));
                }
            }
        }
        assert_eq!(*ledger.drops.borrow(), drops, "{at}: drops per item");
        wakes.check(&at);
        if let Some(sender) = &tx {
            assert_eq!(sender.is_closed(), rx_closed, "{at}: is_closed");
        }
        if let Some(receiver) = &rx {
            let state = if rx_done {
                "terminated"
            } else if value.is_some() {
                "ready"
            } else if tx_done || rx_closed {
                "closed"
            } else {
                "empty"
            };
            assert_eq!(
                format!("{receiver:?}"),
                format!("Receiver {{ state: {state:?} }}"),
                "{at}"
            );
        }
    }
    drop(tx);
    drop(rx);
    if let Some(id) = value {
        drops[id] += 1;
    }
    assert_eq!(*ledger.drops.borrow(), drops, "at the end: drops per item");
    assert!(drops.iter().all(|&n| n == 1), "every item dropped once");
}

// ---------------------------------------------------------------------------------------

proptest! {
    // 512 cases: the file runs in about 1.5 s in a debug build.
    #![proptest_config(config(512))]

    /// A bounded channel with several senders follows the model: `mpsc`'s, and
    /// `cross_thread`'s (the same code behind a lock) on the same program.
    #[test]
    fn bounded_channels_follow_the_model(
        cap in 1..=4usize,
        senders in 1..=4usize,
        ops in proptest::collection::vec(op(true), 1..80),
        teardown in teardown(),
    ) {
        Harness::<Bounded>::new(Some(cap), senders).run(&ops, teardown);
        Harness::<CrossThreadBounded>::new(Some(cap), senders).run(&ops, teardown);
    }

    /// So do the unbounded channels, with several senders.
    #[test]
    fn unbounded_channels_follow_the_model(
        senders in 1..=3usize,
        ops in proptest::collection::vec(op(false), 1..40),
        teardown in teardown(),
    ) {
        Harness::<Unbounded>::new(None, senders).run(&ops, teardown);
        Harness::<CrossThreadUnbounded>::new(None, senders).run(&ops, teardown);
    }

    /// A oneshot channel follows the model, whatever the order of sends, receives, closes
    /// and drops.
    #[test]
    fn oneshot_follows_the_model(ops in proptest::collection::vec(oneshot_op(), 1..16)) {
        run_oneshot(&ops);
    }
}

#[test]
fn a_zero_capacity_bounded_channel_panics_at_the_caller_s_line() {
    let zero = || drop(mirage::sync::mpsc::channel::<()>(0));
    assert_eq!(panic_site::panic_location(zero), file!());
}
