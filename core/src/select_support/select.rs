//! `Select`: the state machine behind one `select!`.

use std::fmt;
use std::hint;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use super::branch_waker::BranchWaker;
use super::wake_set::{ParentId, WakeSet, parent_id};
use super::{fairness, pool};
use crate::coop;

/// The most branches one `select!` takes: one bit each in a `u64`.
pub(crate) const MAX_BRANCHES: usize = 64;

/// What polling one branch gave, as the expansion reports it to [`Select::poll`].
///
/// # Examples
///
/// ```
/// use mirage::__private::Branch;
///
/// // A branch with the pattern `Some(_)` whose future completed with `output`:
/// let output = Some(3);
/// let branch = if let Some(_) = output { Branch::Won(output) } else { Branch::Mismatched };
/// assert!(matches!(branch, Branch::Won(Some(3))));
/// ```
#[derive(Debug)]
pub enum Branch<O> {
    /// The branch's future is pending.
    Pending,
    /// The future completed and its output matched the branch's pattern: this branch wins.
    Won(O),
    /// The future completed but its output did not match: the branch is disabled and the
    /// others keep racing.
    Mismatched,
}

/// The state of one `select!` while it runs: which branches still race, where each pass
/// starts, and the wake set (`wake_set.rs`) their wakers point to.
///
/// The branch futures themselves live in the expansion (pinned on its stack); [`Select::poll`]
/// gets a closure that polls branch `i` with the context it is given and tests the pattern.
///
/// # Examples
///
/// What `select! { a = fut_a => .., b = fut_b => .. }` does, by hand:
///
/// ```
/// use std::future::{poll_fn, Future};
/// use std::pin::pin;
/// use mirage::__private::{Branch, Select};
///
/// let mut core = mirage::Core::new().unwrap();
/// let winner = core.run(async {
///     let mut select = Select::new(2, 0b11, false);
///     let mut a = pin!(std::future::pending::<u32>());
///     let mut b = pin!(async { 7u32 });
///     poll_fn(|cx| {
///         select.poll(cx, &mut |i, cx| {
///             let poll = if i == 0 { a.as_mut().poll(cx) } else { b.as_mut().poll(cx) };
///             match poll {
///                 std::task::Poll::Ready(v) => Branch::Won((i, v)),
///                 std::task::Poll::Pending => Branch::Pending,
///             }
///         })
///     })
///     .await
/// });
/// assert_eq!(winner, Some((1, 7)));
/// ```
pub struct Select {
    /// Bit `i` set: branch `i` still races. Cleared for a false precondition (before the
    /// first poll), for a completion whose pattern did not match and for the winner; a
    /// cleared branch is never polled again.
    enabled: u64,
    /// The branch the next pass starts from; passes go round from there in index order. A
    /// value of `len` or more starts at branch 0.
    pub(super) start: u32,
    /// Every pass starts at branch 0.
    biased: bool,
    /// Leased from the pool at the first poll, given back on drop.
    set: Option<Arc<WakeSet>>,
    /// `(data, vtable)` of the parent waker stored in `set` (possibly by an earlier lease of
    /// the same set), to skip storing it again while the task's waker stays the same. It is
    /// the stored clone's, which keeps those addresses in use, so no other waker can have
    /// them meanwhile.
    parent: Option<ParentId>,
    /// Whether the first poll (which polls every enabled branch) happened.
    polled: bool,
}

impl Select {
    /// A `select!` over `len` branches, of which those whose bit is set in `enabled` race.
    /// `biased`: every pass starts at branch 0; otherwise the starting branch moves on each
    /// time a `select!` is entered on this thread (see `fairness.rs`), and each later pass
    /// starts after the branch that went first in the pass before.
    ///
    /// # Panics
    ///
    /// If `len` is 0 or more than 64, or `enabled` names a branch `>= len`.
    ///
    /// # Examples
    ///
    /// ```
    /// let select = mirage::__private::Select::new(3, 0b101, true);
    /// # drop(select);
    /// ```
    pub fn new(len: usize, enabled: u64, biased: bool) -> Select {
        assert!(
            (1..=MAX_BRANCHES).contains(&len),
            "a select! has 1 to 64 branches, not {len}"
        );
        assert!(
            len == MAX_BRANCHES || enabled >> len == 0,
            "enabled mask {enabled:#x} names a branch past {len}"
        );
        let start = if biased {
            0
        } else {
            fairness::start(len as u32)
        };
        Select {
            enabled,
            start,
            biased,
            set: None,
            parent: None,
            polled: false,
        }
    }

    /// [`poll`](Select::poll) for a `select!`, which, as tokio's, polls no branch and yields
    /// (wakes the task and returns `Pending`) once the task's cooperative budget is spent:
    /// a branch that spends it could then only be pending, and one that never does (always
    /// ready) would win at every pass of a loop that then keeps the Core to itself. (`join!`
    /// needs no such check, as tokio's has none: it completes only when every branch has.)
    ///
    /// # Examples
    ///
    /// See [`Select`].
    #[inline]
    pub fn poll_select<O, F>(
        &mut self,
        cx: &mut Context<'_>,
        poll_branch: &mut F,
    ) -> Poll<Option<O>>
    where
        F: FnMut(usize, &mut Context<'_>) -> Branch<O>,
    {
        // Before `poll` takes the woken branches, so that they stay due for the next poll.
        if self.enabled != 0 && !coop::has_budget_remaining() {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        self.poll(cx, poll_branch)
    }

    /// Polls the branches that are due and returns the first winner's output, `None` once
    /// every branch is disabled, or `Pending`.
    ///
    /// Due are every enabled branch at the first poll, and afterwards only the enabled
    /// branches whose waker fired since the previous poll. `poll_branch(i, cx)` must poll
    /// branch `i` with `cx` (whose waker is branch `i`'s own) and report what happened; it is
    /// never called again for a branch after it reported `Won` or `Mismatched`.
    ///
    /// # Examples
    ///
    /// See [`Select`].
    #[inline]
    pub fn poll<O, F>(&mut self, cx: &mut Context<'_>, poll_branch: &mut F) -> Poll<Option<O>>
    where
        F: FnMut(usize, &mut Context<'_>) -> Branch<O>,
    {
        if self.enabled == 0 {
            return Poll::Ready(None);
        }
        let set = match &self.set {
            Some(set) => set,
            None => {
                let (set, parent) = pool::acquire();
                self.parent = parent;
                self.set.insert(set)
            }
        };
        let woken = set.take_woken();
        let due = if self.polled {
            woken & self.enabled
        } else {
            self.polled = true;
            self.enabled
        };
        // A kept parent (from the pool, or from an earlier poller of this `select!`) is made
        // the current poller's waker before any branch runs: a stale one could be a waker of
        // the set a nested `select!` leases next, whose parent becomes a waker of this one,
        // a cycle of wakes and `Arc`s. After `take_woken`, so a bit `set_parent` finds is a
        // wake the old parent may have had, not this poll's. With no parent there is no
        // cycle to fear, and a branch that wins now needs none: it is stored only on
        // `Pending`, below.
        if self.parent.is_some() {
            register_parent(set, &mut self.parent, cx.waker());
        }
        // Rotating right by `start` puts branch `start` at bit 0, so lowest-bit-first visits
        // start, start + 1, .., then wraps to 0, .., start - 1. Branches past `len` are never
        // set, so the 64-bit rotation needs no mask.
        let mut order = due.rotate_right(self.start);
        // Unless biased, the next pass starts after this one's first branch: a branch that
        // spends the task's cooperative budget (see `coop`) on every pass would otherwise
        // leave every later one to find it spent.
        let next_start = (order.trailing_zeros() + self.start + 1) % 64;
        while order != 0 {
            let index = (order.trailing_zeros() + self.start) % 64;
            order &= order - 1;
            let waker = BranchWaker::new(set, index);
            // `poll_branch` borrows every branch's future. Inlined into this loop, the
            // compiler would load all those borrows before it, on every poll: a wake-up would
            // cost O(branches) again. Hiding the closure's address behind `black_box` keeps
            // each load in the arm that uses it.
            let poll_branch = hint::black_box(&mut *poll_branch);
            match poll_branch(index as usize, &mut Context::from_waker(&waker)) {
                Branch::Pending => {}
                Branch::Won(output) => {
                    // Its future is finished: a later poll (of a caller that polls on after
                    // `Ready`) must not poll it again, as `poll` promises.
                    self.enabled &= !(1 << index);
                    return Poll::Ready(Some(output));
                }
                Branch::Mismatched => self.enabled &= !(1 << index),
            }
        }
        if self.enabled == 0 {
            return Poll::Ready(None);
        }
        if !self.biased {
            self.start = next_start;
        }
        register_parent(set, &mut self.parent, cx.waker());
        Poll::Pending
    }
}

/// Stores `waker` as `set`'s parent unless it is the one stored already.
#[inline]
fn register_parent(set: &WakeSet, stored: &mut Option<ParentId>, waker: &Waker) {
    // `stored` is the id of the clone in the slot, alive there, so no other task's waker
    // can have it. Not the id of the waker it was cloned from: a waker lent for one poll
    // may point at an executor's task slot, and the next task in that slot lends an equal
    // one while the slot here still holds the clone that wakes the old task.
    if *stored != Some(parent_id(waker)) {
        *stored = Some(set.set_parent(waker));
    }
}

/// Returns `poll_branch` as it is. The expansion passes its branch closure through here so
/// that the closure's signature comes from this bound (the argument is a `&mut Context` of
/// any lifetimes) rather than from inference.
///
/// # Examples
///
/// ```
/// use mirage::__private::{branch_poller, Branch};
///
/// let mut poll_branch = branch_poller(|i, _cx| Branch::Won(i));
/// # let _ = &mut poll_branch;
/// ```
#[inline]
pub fn branch_poller<O, F>(poll_branch: F) -> F
where
    F: FnMut(usize, &mut Context<'_>) -> Branch<O>,
{
    poll_branch
}

impl Drop for Select {
    fn drop(&mut self) {
        if let Some(set) = self.set.take()
            && let Some(set) = pool::release(set, self.parent)
            && self.parent.is_some()
        {
            set.clear_parent();
        }
    }
}

impl fmt::Debug for Select {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Select")
            .field("enabled", &format_args!("{:#b}", self.enabled))
            .field("start", &self.start)
            .field("biased", &self.biased)
            .field("polled", &self.polled)
            .finish_non_exhaustive()
    }
}
