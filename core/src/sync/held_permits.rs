//! `HeldPermits`: the permits a lock guard took from its lock's semaphore and forgot, given
//! back when it drops.
//!
//! The guards that reach their value through a pointer (the owned guards, which cannot
//! borrow from the lock they own, the cross-thread guards, and every mapped guard) hold
//! their permits in one of these instead of giving them back in a `Drop` of their own.
//! Narrowing such a guard (`map`) then moves its `HeldPermits` into the narrowed guard: the
//! permits are given back once, when the last guard drops, with no `mem::forget`; and if
//! the closure passed to `map` panics, the guard drops and unlocks as usual.

/// What a guard holds its permits on: a lock (by reference, `Rc` or `Arc`) or its semaphore.
pub(crate) trait GiveBack {
    /// Gives `permits` permits back to the lock's semaphore, letting waiters in.
    fn give_back(&self, permits: u32);
}

impl<S: GiveBack + ?Sized> GiveBack for &S {
    fn give_back(&self, permits: u32) {
        (**self).give_back(permits);
    }
}

impl<S: GiveBack + ?Sized> GiveBack for std::rc::Rc<S> {
    fn give_back(&self, permits: u32) {
        (**self).give_back(permits);
    }
}

impl<S: GiveBack + ?Sized> GiveBack for std::sync::Arc<S> {
    fn give_back(&self, permits: u32) {
        (**self).give_back(permits);
    }
}

/// `count` permits of `lock`'s semaphore, taken and forgotten by whoever made this; given
/// back when it drops. While it lives, no writer but its holder reaches the lock's value,
/// and if `count` is every permit, nobody but its holder does.
pub(crate) struct HeldPermits<L: GiveBack> {
    lock: L,
    count: u32,
}

impl<L: GiveBack> HeldPermits<L> {
    /// # Safety
    ///
    /// The caller took `count` permits (at least one) from `lock`'s semaphore and forgot
    /// them, so that the semaphore counts them as held until this gives them back.
    pub(crate) unsafe fn new(lock: L, count: u32) -> HeldPermits<L> {
        HeldPermits { lock, count }
    }

    /// What the permits are held on: for an owned guard, the lock it keeps alive.
    pub(crate) fn lock(&self) -> &L {
        &self.lock
    }

    /// Gives back every permit but one, at once: a writer, which held them all, becomes a
    /// reader, and no other writer can get in between.
    pub(crate) fn keep_one(mut self) -> HeldPermits<L> {
        self.lock.give_back(self.count - 1);
        self.count = 1;
        self
    }
}

impl<L: GiveBack> Drop for HeldPermits<L> {
    fn drop(&mut self) {
        self.lock.give_back(self.count);
    }
}

impl GiveBack for crate::sync::cross_thread::Semaphore {
    fn give_back(&self, permits: u32) {
        self.add_permits(permits as usize);
    }
}
