//! A number for the calling thread, cheap enough for hot paths: the address of a
//! thread-local byte.
//!
//! Two threads alive at once never share a number. A thread started after another one
//! ended may get that one's number; the users here only ever compare the number of the
//! calling thread with one stored by a thread that is still using it (a lock's holder, a
//! `select!` wake set's home), or accept that reuse (see `select_support/wake_set.rs`).

thread_local! {
    /// Its address tells the threads apart.
    static THREAD: u8 = const { 0 };
}

/// No thread, or one that cannot be told apart (in its thread-local teardown; a `u8` with a
/// `const` initialiser has no destructor, so that does not happen on the platforms Mirage
/// runs on).
pub(crate) const NO_THREAD: usize = 0;

/// A number for this thread, unique among the live threads; never [`NO_THREAD`] in practice.
#[inline]
pub(crate) fn this_thread() -> usize {
    THREAD
        .try_with(|byte| std::ptr::from_ref(byte).addr())
        .unwrap_or(NO_THREAD)
}
