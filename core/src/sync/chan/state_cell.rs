//! `StateCell`: where a channel's state lives, `Rc<RefCell<_>>` for the tasks of one Core
//! ([`Local`]) or `Arc<Mutex<_>>` for senders on any thread ([`Synced`]), and the weak
//! pointers a `WeakTx` keeps.

use std::cell::{RefCell, RefMut};
use std::ops::DerefMut;
use std::rc::{self, Rc};
use std::sync::{self, Arc, Mutex, MutexGuard, PoisonError};

use super::State;

/// Where a channel's state lives, shared by its handles.
pub(crate) trait StateCell: Sized {
    /// The message type.
    type Item;
    /// Exclusive access to the state while it lives.
    type Guard<'a>: DerefMut<Target = State<Self::Item>>
    where
        Self: 'a;

    fn new(state: State<Self::Item>) -> Self;
    fn lock(&self) -> Self::Guard<'_>;
    /// Another handle on the same state.
    fn share(&self) -> Self;
    fn same(&self, other: &Self) -> bool;

    /// A pointer to the state that does not keep it alive: a [`WeakTx`](super::WeakTx)'s.
    type Weak: Clone;
    fn downgrade(&self) -> Self::Weak;
    /// The state, while a strong handle (a `Tx` or the `Rx`) keeps it alive.
    fn upgrade(weak: &Self::Weak) -> Option<Self>;
    /// Weak pointers to the state; only [`WeakTx`](super::WeakTx)s make them, so it counts
    /// those.
    fn weak_count(&self) -> usize;
}

/// The state of a channel between the tasks of one Core.
pub(crate) type Local<T> = Rc<RefCell<State<T>>>;

/// The state of a channel whose senders may be on other threads. Every critical section is
/// a few queue, list or counter operations that cannot panic (short of allocation failure,
/// which aborts), so a poisoned lock still holds consistent state and is taken as it is.
pub(crate) type Synced<T> = Arc<Mutex<State<T>>>;

impl<T> StateCell for Local<T> {
    type Item = T;
    type Guard<'a>
        = RefMut<'a, State<T>>
    where
        T: 'a;

    fn new(state: State<T>) -> Self {
        Rc::new(RefCell::new(state))
    }

    #[inline]
    fn lock(&self) -> RefMut<'_, State<T>> {
        self.borrow_mut()
    }

    fn share(&self) -> Self {
        Rc::clone(self)
    }

    fn same(&self, other: &Self) -> bool {
        Rc::ptr_eq(self, other)
    }

    type Weak = rc::Weak<RefCell<State<T>>>;

    fn downgrade(&self) -> Self::Weak {
        Rc::downgrade(self)
    }

    fn upgrade(weak: &Self::Weak) -> Option<Self> {
        weak.upgrade()
    }

    fn weak_count(&self) -> usize {
        Rc::weak_count(self)
    }
}

impl<T> StateCell for Synced<T> {
    type Item = T;
    type Guard<'a>
        = MutexGuard<'a, State<T>>
    where
        T: 'a;

    fn new(state: State<T>) -> Self {
        Arc::new(Mutex::new(state))
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        Mutex::lock(self).unwrap_or_else(PoisonError::into_inner)
    }

    fn share(&self) -> Self {
        Arc::clone(self)
    }

    fn same(&self, other: &Self) -> bool {
        Arc::ptr_eq(self, other)
    }

    type Weak = sync::Weak<Mutex<State<T>>>;

    fn downgrade(&self) -> Self::Weak {
        Arc::downgrade(self)
    }

    fn upgrade(weak: &Self::Weak) -> Option<Self> {
        weak.upgrade()
    }

    /// A snapshot: other threads may make or drop weak handles meanwhile.
    fn weak_count(&self) -> usize {
        Arc::weak_count(self)
    }
}
