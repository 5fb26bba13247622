//! `Shared`: the logic of a `OnceCell`, written once for both flavours. It holds the value
//! in a [`Slot`] (the standard library's `OnceCell` for [`OnceCell`](super::OnceCell),
//! `OnceLock` for [`cross_thread::OnceCell`](crate::sync::cross_thread::OnceCell)) and the
//! turn to initialize as the one permit of a semaphore's [`State`] behind a [`Lock`] (a
//! `RefCell` or a `Mutex`), as the two semaphores do.

use std::convert::Infallible;
use std::fmt;
use std::future::{Future, poll_fn};

use crate::sync::semaphore::state::{self, State, Waiting};
use crate::sync::slot::Slot;
use crate::sync::state_lock::Lock;
use crate::sync::{SetError, TryAcquireError};

/// The value and the turn to initialize it. The public cells wrap it and reach `value`
/// directly for what needs no turn (`get`, `get_mut`, `into_inner`).
pub(crate) struct Shared<V, L> {
    /// Stored once, by the holder of the turn; from then on only read, until a `&mut`
    /// method of the public cell takes it out.
    pub(crate) value: V,
    /// A semaphore with one permit, the turn: held by the task whose initializer runs; a
    /// task that wants to initialize waits for it. The holder that stores the value forgets
    /// the permit and then closes the semaphore, which wakes every waiter to read the value.
    /// So the semaphore is closed only once `value` is set, and an acquire that fails as
    /// closed synchronizes (through the lock) with the close, hence finds the value. Only
    /// `&mut self`, which no waiter can hold at the same time, empties the cell again, with
    /// a fresh semaphore.
    turn: L,
}

/// The permit of a [`Shared`]'s semaphore: given back when dropped (the initializer failed,
/// panicked or was dropped), so that the next task in line takes its turn.
struct Turn<'a, L: Lock<State>> {
    lock: &'a L,
}

impl<L: Lock<State>> Drop for Turn<'_, L> {
    fn drop(&mut self) {
        state::release(self.lock, 1);
    }
}

impl<V: Slot, L: Lock<State>> Shared<V, L> {
    /// A cell over `value`, empty, and `turn`, an open semaphore state with one permit:
    /// the public cells' `const fn new` passes both, built in its own flavour.
    pub(crate) const fn new(value: V, turn: L) -> Shared<V, L> {
        Shared { value, turn }
    }

    /// Fills a new, empty cell with `value`, if any.
    pub(crate) fn with_value(self, value: Option<V::Value>) -> Shared<V, L> {
        if let Some(value) = value {
            let turn = self.try_turn().expect("a new cell's permit is free");
            self.store(value, turn);
        }
        self
    }

    pub(crate) fn initialized(&self) -> bool {
        self.value.get().is_some()
    }

    pub(crate) fn set(&self, value: V::Value) -> Result<(), SetError<V::Value>> {
        if self.initialized() {
            return Err(SetError::AlreadyInitializedError(value));
        }
        match self.try_turn() {
            Ok(turn) => {
                self.store(value, turn);
                Ok(())
            }
            // Another task holds the permit, or was just handed it: its initializer runs.
            Err(TryAcquireError::NoPermits) => Err(SetError::InitializingError(value)),
            // Closed only once a value is stored (maybe since the check above).
            Err(TryAcquireError::Closed) => Err(SetError::AlreadyInitializedError(value)),
        }
    }

    pub(crate) async fn get_or_init<F, Fut>(&self, f: F) -> &V::Value
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = V::Value>,
    {
        let init = || async { Ok::<V::Value, Infallible>(f().await) };
        match self.get_or_try_init(init).await {
            Ok(value) => value,
            Err(never) => match never {},
        }
    }

    pub(crate) async fn get_or_try_init<E, F, Fut>(&self, f: F) -> Result<&V::Value, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V::Value, E>>,
    {
        if let Some(value) = self.value.get() {
            return Ok(value);
        }
        let mut waiting = Waiting::new(&self.turn, 1);
        let Ok(()) = poll_fn(|cx| waiting.poll(cx)).await else {
            // Closed: another task stored the value while this one waited.
            let value = self.value.get();
            return Ok(value.expect("the semaphore closes only once the value is stored"));
        };
        let turn = Turn { lock: &self.turn };
        debug_assert!(!self.initialized(), "stored without the permit");
        // On an error, a panic in `f`, or this future dropped while `f` runs, the turn
        // drops with it and passes to the task that has waited longest.
        let value = f().await?;
        Ok(self.store(value, turn))
    }

    /// Takes the permit now, if it is free and nobody waits for it.
    fn try_turn(&self) -> Result<Turn<'_, L>, TryAcquireError> {
        self.turn.with(|state| state.take_now(1))?;
        Ok(Turn { lock: &self.turn })
    }

    /// Stores the value of the initializer that holds `turn`, then wakes every waiter.
    fn store(&self, value: V::Value, turn: Turn<'_, L>) -> &V::Value {
        // Never given back: no task initializes this cell again.
        std::mem::forget(turn);
        let stored = self.value.set(value).is_ok();
        assert!(stored, "only the holder of the permit stores a value");
        // Wakes after the value is in place, so whatever a wake-up runs finds it.
        state::close(&self.turn);
        self.value.get().expect("stored above")
    }

    /// The public cells' `Debug`, under the name `name`.
    pub(crate) fn fmt_as(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result
    where
        V::Value: fmt::Debug,
    {
        let mut d = f.debug_struct(name);
        match self.value.get() {
            Some(value) => d.field("value", value),
            // The permit is held, or handed to the next task in line.
            None if self.turn.with(|state| state.permits()) == 0 => {
                d.field("value", &format_args!("<initializing>"))
            }
            None => d.field("value", &format_args!("<uninitialized>")),
        };
        d.finish()
    }
}
