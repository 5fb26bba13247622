//! A time limit for tests that wait on other threads: a lost wake-up or a deadlock shows as
//! a failure that says so, not as a suite that hangs.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::Duration;

/// Runs `f` on a thread of its own and returns its result, failing the test if `f` takes
/// longer than a minute (ten under Miri, which runs a test a hundred times slower). A panic
/// in `f` fails the test with that panic.
pub fn within_guard<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, result) = mpsc::channel();
    let worker = thread::spawn(move || {
        let _ = done.send(f());
    });
    let limit = Duration::from_secs(if cfg!(miri) { 600 } else { 60 });
    match result.recv_timeout(limit) {
        Ok(value) => value,
        Err(RecvTimeoutError::Disconnected) => match worker.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => unreachable!("the thread ends by sending its result or panicking"),
        },
        Err(RecvTimeoutError::Timeout) => panic!("no progress in {limit:?}: a lost wake-up?"),
    }
}
