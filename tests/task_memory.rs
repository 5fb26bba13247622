//! Per-task memory beyond the future itself, measured with a counting allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator and only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded contract.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        ALLOCATED.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded contract.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn a_pending_task_costs_at_most_64_bytes_beyond_its_future() {
    const TASKS: usize = 1 << 16;
    let mut core = mirage::Core::new().unwrap();
    // A future with 64 bytes of state, larger than its output slot.
    let future = || {
        let state = [7u8; 64];
        async move {
            std::future::pending::<()>().await;
            std::hint::black_box(&state);
        }
    };
    let future_size = std::mem::size_of_val(&future());
    // Warm the run queue and task list to their final capacity, then measure.
    core.run(async {
        let handles: Vec<_> = (0..TASKS).map(|_| mirage::spawn(future())).collect();
        mirage::yield_now().await;
        for h in &handles {
            h.abort();
        }
        while !handles.iter().all(|h| h.is_finished()) {
            mirage::yield_now().await;
        }
    });
    // The handles live in the caller's storage, reserved before the measurement.
    let mut handles = Vec::with_capacity(TASKS);
    let before = ALLOCATED.load(Ordering::Relaxed);
    core.run(async {
        for _ in 0..TASKS {
            handles.push(mirage::spawn(future()));
        }
        mirage::yield_now().await;
    });
    // The Core's task list keeps one 8-byte slot per task; its capacity was grown by the
    // warm-up, so count the slot explicitly.
    const LIST_SLOT: f64 = 8.0;
    let per_task = (ALLOCATED.load(Ordering::Relaxed) - before) as f64 / TASKS as f64 + LIST_SLOT;
    assert!(handles.iter().all(|h| !h.is_finished()));
    let overhead = per_task - future_size as f64;
    println!("per task: {per_task:.1} bytes, future {future_size} bytes, overhead {overhead:.1}");
    assert!(overhead <= 64.0, "overhead {overhead} bytes per task");
}
