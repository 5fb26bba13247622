//! Runtime support for `mirage::select!`. Not a public API: the macro's expansion reaches it
//! through `mirage::__private`, and it may change with any release.
//!
//! A `select!` expands to an async block that pins its branch futures on its own stack and
//! drives them with a [`Select`], which knows which branches were woken since it last ran:
//!
//! - [`Select`] (`select.rs`): the state machine. The first poll polls every enabled branch;
//!   after that a poll polls only the branches whose own waker fired, found by iterating the
//!   set bits of one `u64`, so a wake-up costs the same with 2 branches or 64 (a waker
//!   left behind by an earlier `select!` may add a spurious poll: see `pool.rs`).
//! - `WakeSet` (`wake_set.rs`): the shared half, behind an `Arc` because branch wakers are
//!   `Send + Sync` and may outlive the `select!` (a losing future may have left its waker in
//!   a channel, or handed it to another thread). It holds the woken bits (in two words: one
//!   that the set's own thread sets without a read-modify-write, one for other threads) and
//!   the task to wake (in a `ParentSlot`, `parent.rs`).
//! - `branch_waker.rs`: the waker of branch `i`, a tagged pointer to the `WakeSet`.
//! - `pool.rs`: a per-thread free list of `WakeSet`s, so a `select!` in a loop allocates
//!   nothing once warm.
//! - `fairness.rs`: which branch a pass starts from, without a random number generator.
//!
//! The `unsafe` code is in `branch_waker.rs` (the `RawWaker` functions) and `parent.rs` (the
//! slot's lock, which a wake never waits for); everything else is safe code on top of them.

mod branch_waker;
mod fairness;
mod parent;
mod pool;
mod select;
mod wake_set;

#[cfg(test)]
mod tests;

pub use select::{Branch, Select, branch_poller};

pub(crate) use pool::forget_parents;
