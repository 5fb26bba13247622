//! The waker of one branch: a pointer to the branch's `WakeSet` with the branch index in its
//! low bits.
//!
//! The data pointer is `Arc::as_ptr` of the set, whose 64-byte alignment leaves the low
//! [`INDEX_BITS`] bits zero; the index goes there. An owned waker (a clone) owns one strong
//! count of the `Arc`, so the set outlives every waker, however long a waker is kept and on
//! whatever thread: waking one after its `select!` finished only sets a bit nobody reads.

use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::sync::Arc;
use std::task::{RawWaker, RawWakerVTable, Waker};

use super::wake_set::{INDEX_BITS, WakeSet};

const INDEX_MASK: usize = (1 << INDEX_BITS) - 1;

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop);

/// The waker of branch `index` of `set`, borrowed: it owns no count of the `Arc` and lives
/// no longer than the borrow of `set`. Only `&Waker` is handed out, so it cannot be woken
/// by value or dropped as if it were owned; clones own a count.
pub(crate) struct BranchWaker<'a> {
    waker: ManuallyDrop<Waker>,
    _set: PhantomData<&'a Arc<WakeSet>>,
}

impl<'a> BranchWaker<'a> {
    #[inline]
    pub(crate) fn new(set: &'a Arc<WakeSet>, index: u32) -> BranchWaker<'a> {
        assert!(
            (index as usize) <= INDEX_MASK,
            "branch index {index} out of range"
        );
        let data = Arc::as_ptr(set).map_addr(|addr| addr | index as usize) as *const ();
        // SAFETY: `data` is the address of a live `WakeSet` (kept alive by the `Arc` that
        // `set` borrows for 'a) tagged with an index that fits the alignment bits, which is
        // what every vtable function expects. This waker owns no count and is never dropped
        // (`ManuallyDrop`, and only `&Waker` escapes); its clones take a count each.
        let waker = unsafe { Waker::new(data, &VTABLE) };
        BranchWaker {
            waker: ManuallyDrop::new(waker),
            _set: PhantomData,
        }
    }
}

impl Deref for BranchWaker<'_> {
    type Target = Waker;

    #[inline]
    fn deref(&self) -> &Waker {
        &self.waker
    }
}

/// Splits a data pointer into the set's address and the branch index.
#[inline]
fn untag(data: *const ()) -> (*const WakeSet, u32) {
    let index = (data.addr() & INDEX_MASK) as u32;
    let set = (data as *const WakeSet).map_addr(|addr| addr & !INDEX_MASK);
    (set, index)
}

unsafe fn clone(data: *const ()) -> RawWaker {
    let (set, _) = untag(data);
    // SAFETY: the waker being cloned keeps the set alive (a borrowed one through the lease's
    // `Arc`, an owned one through its own count), and `set` came from `Arc::as_ptr`.
    unsafe { Arc::increment_strong_count(set) };
    RawWaker::new(data, &VTABLE)
}

unsafe fn wake(data: *const ()) {
    // SAFETY: an owned waker, woken by value: wake through it, then give up its count.
    unsafe {
        wake_by_ref(data);
        drop(data);
    }
}

unsafe fn wake_by_ref(data: *const ()) {
    let (set, index) = untag(data);
    // SAFETY: the waker keeps the set alive while it is in use.
    let set = unsafe { &*set };
    set.wake(index);
}

unsafe fn drop(data: *const ()) {
    let (set, _) = untag(data);
    // SAFETY: only owned wakers are dropped through the vtable (borrowed ones are
    // `ManuallyDrop`), and each owns one strong count, released here.
    unsafe { Arc::decrement_strong_count(set) };
}
