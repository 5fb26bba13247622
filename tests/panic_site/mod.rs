//! Where a panic points: a misuse panic names the caller's line (`#[track_caller]`), as
//! tokio's do, not a line inside Mirage.

use std::cell::RefCell;

/// Runs `f`, which must panic, and gives the file its panic names as its location.
pub fn panic_location(f: impl FnOnce()) -> String {
    thread_local! {
        static CAUGHT: RefCell<Option<String>> = const { RefCell::new(None) };
    }
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let file = info.location().map(|at| at.file().to_string());
            // Only the panics of `panic_location` on this thread are recorded; the other
            // tests' panics go on to the previous hook.
            let recorded = CAUGHT.with(|caught| match &mut *caught.borrow_mut() {
                Some(slot) if slot.is_empty() => {
                    *slot = file.clone().unwrap_or_default();
                    true
                }
                _ => false,
            });
            if !recorded {
                previous(info);
            }
        }));
    });
    CAUGHT.with(|caught| *caught.borrow_mut() = Some(String::new()));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    assert!(result.is_err(), "it did not panic");
    CAUGHT.with(|caught| caught.borrow_mut().take().unwrap())
}
