//! Test helpers: wakers that count wake-ups, and wakers whose `wake` or drop
//! runs a closure (to re-enter a channel from inside a wake-up).

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};

/// Counts how often its waker was woken.
#[derive(Debug, Default)]
pub(crate) struct WakeCounter(AtomicUsize);

impl WakeCounter {
    pub(crate) fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

impl Wake for WakeCounter {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A waker plus the counter of its wake-ups.
pub(crate) fn counting_waker() -> (Arc<WakeCounter>, Waker) {
    let counter = Arc::new(WakeCounter::default());
    (counter.clone(), Waker::from(counter))
}

/// Polls `fut` once with `waker`.
pub(crate) fn poll_with<F: Future + ?Sized>(fut: Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
    fut.poll(&mut Context::from_waker(waker))
}

thread_local! {
    static HOOKS: RefCell<HashMap<usize, Box<dyn FnMut()>>> = RefCell::new(HashMap::new());
    static NEXT_ID: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

fn register(f: Box<dyn FnMut()>) -> usize {
    let id = NEXT_ID.with(|n| {
        let id = n.get();
        n.set(id + 1);
        id
    });
    HOOKS.with(|h| h.borrow_mut().insert(id, f));
    id
}

fn run_hook(id: usize) {
    // Take the closure out so it may itself trigger other hooks.
    let hook = HOOKS.with(|h| h.borrow_mut().remove(&id));
    if let Some(mut hook) = hook {
        hook();
        HOOKS.with(|h| h.borrow_mut().insert(id, hook));
    }
}

struct HookWaker {
    on_wake: Option<usize>,
    on_drop: Option<usize>,
}

impl Wake for HookWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if let Some(id) = self.on_wake {
            run_hook(id);
        }
    }
}

impl Drop for HookWaker {
    fn drop(&mut self) {
        if let Some(id) = self.on_drop {
            run_hook(id);
        }
    }
}

/// A waker whose every wake-up runs `f` on this thread.
pub(crate) fn wake_hook_waker(f: impl FnMut() + 'static) -> Waker {
    Waker::from(Arc::new(HookWaker {
        on_wake: Some(register(Box::new(f))),
        on_drop: None,
    }))
}

/// A waker that runs `f` when its last clone is dropped.
pub(crate) fn drop_hook_waker(f: impl FnOnce() + 'static) -> Waker {
    let mut f = Some(f);
    let id = register(Box::new(move || {
        if let Some(f) = f.take() {
            f();
        }
    }));
    Waker::from(Arc::new(HookWaker {
        on_wake: None,
        on_drop: Some(id),
    }))
}

/// A value that counts its drops in a shared counter.
#[derive(Debug)]
pub(crate) struct DropCounter(pub(crate) std::rc::Rc<std::cell::Cell<usize>>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

/// Compiles only where `$ty` does not implement `$trait` (`Send`, `Sync`): were it to,
/// both impls of the local trait would fit and the `_` could not be inferred. The
/// compile-time check that a guard is not `Send` or `Sync` where tokio's is not.
macro_rules! assert_not_impl {
    ($ty:ty, $trait:path) => {{
        trait AmbiguousIfImpl<A> {
            fn check() {}
        }
        impl<T: ?Sized> AmbiguousIfImpl<()> for T {}
        impl<T: ?Sized + $trait> AmbiguousIfImpl<u8> for T {}
        <$ty as AmbiguousIfImpl<_>>::check();
    }};
}
pub(crate) use assert_not_impl;
