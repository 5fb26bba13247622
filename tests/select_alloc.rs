//! A `select!` in a loop allocates nothing once warm: the futures live on the stack and the
//! per-branch wake sets come from a per-thread free list. Counted with a global allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::ready;
use std::time::Duration;

use mirage::sync::mpsc;
use mirage::time::sleep;

struct Counting;

thread_local! {
    /// Allocations made by this thread. `const`, without a destructor: reading it never
    /// allocates.
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator and only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: forwarded contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: forwarded contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded contract.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

/// Runs `round` 200 times to warm up, then 1,000 times counting, and returns the count.
async fn steady_state_allocations(mut round: impl AsyncFnMut()) -> u64 {
    for _ in 0..200 {
        round().await;
    }
    let before = allocations();
    for _ in 0..1_000 {
        round().await;
    }
    allocations() - before
}

#[mirage::test(start_paused = true)]
async fn a_ready_branch_against_a_timer_allocates_nothing() {
    let allocated = steady_state_allocations(async || {
        mirage::select! {
            n = ready(1) => assert_eq!(n, 1),
            _ = sleep(Duration::from_secs(1)) => unreachable!(),
        }
    })
    .await;
    assert_eq!(allocated, 0);
}

#[mirage::test(start_paused = true)]
async fn a_select_that_waits_allocates_nothing() {
    // The timer wins every round; the losing `recv` leaves its branch waker in the channel
    // until the next round's `recv` replaces it, so the free list alternates two sets.
    let (_tx, mut rx) = mpsc::unbounded::<u32>();
    let allocated = steady_state_allocations(async || {
        mirage::select! {
            _ = rx.recv() => unreachable!(),
            _ = sleep(Duration::from_millis(1)) => {}
        }
    })
    .await;
    assert_eq!(allocated, 0);
}

#[mirage::test(start_paused = true)]
async fn a_message_racing_a_timer_allocates_nothing() {
    let (tx, mut rx) = mpsc::unbounded::<u32>();
    let mut turn = 0u32;
    let allocated = steady_state_allocations(async || {
        turn += 1;
        if turn.is_multiple_of(2) {
            tx.send(turn).unwrap();
        }
        mirage::select! {
            Some(n) = rx.recv() => assert!(n.is_multiple_of(2)),
            _ = sleep(Duration::from_millis(1)) => {}
        }
    })
    .await;
    assert_eq!(allocated, 0);
}

#[mirage::test(start_paused = true)]
async fn eight_branches_with_preconditions_allocate_nothing() {
    let mut turn = 0u32;
    let allocated = steady_state_allocations(async || {
        turn += 1;
        let odd = !turn.is_multiple_of(2);
        mirage::select! {
            _ = sleep(Duration::from_millis(8)) => {}
            _ = sleep(Duration::from_millis(7)), if odd => {}
            _ = sleep(Duration::from_millis(6)) => {}
            _ = sleep(Duration::from_millis(5)), if !odd => {}
            _ = sleep(Duration::from_millis(4)) => {}
            _ = sleep(Duration::from_millis(3)) => {}
            _ = sleep(Duration::from_millis(2)) => {}
            _ = sleep(Duration::from_millis(1)) => {}
        }
    })
    .await;
    assert_eq!(allocated, 0);
}
