//! The process-wide half of signal handling, the one place Mirage keeps global state.
//!
//! A signal's disposition belongs to the process, not to a thread or a Core, so this state
//! cannot live in a thread-local. The handler may only do async-signal-safe work, so it
//! touches nothing but atomics and `write(2)`:
//!
//! - `DELIVERED[signo]` counts the deliveries of each signal. It is the truth a listener
//!   compares against what it has seen.
//! - Each listener claims a [`Slot`]: an eventfd and the signal it listens for. After
//!   counting, the handler writes to the eventfd of every slot listening for that signal,
//!   which wakes the listener's Core through its reactor.
//!
//! A slot's eventfd is never closed: freed slots keep theirs for the next listener. So the
//! handler, racing with a listener that leaves, can at worst nudge a slot's new owner
//! spuriously (who then finds its count unchanged), and never writes to a descriptor
//! number that has since been reused for something else. Slots come in chunks of 64 that
//! are never freed either, linked by atomic pointers the handler can follow without a lock.

use std::fmt;
use std::io;
use std::os::fd::RawFd;
use std::ptr;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicPtr, AtomicU64, AtomicUsize};
use std::sync::{Mutex, PoisonError};

use libc::{c_int, c_void, siginfo_t};

use crate::sys::{eventfd, syscall};

/// One past the highest signal number on Linux (`_NSIG`).
pub(super) const SIGNAL_COUNT: usize = 65;

/// Deliveries of each signal, since its handler was installed.
static DELIVERED: [AtomicU64; SIGNAL_COUNT] = [const { AtomicU64::new(0) }; SIGNAL_COUNT];

/// The handler that was installed before Mirage's, called after it: its address, or 0 for
/// none (the default action, or ignore).
static PREVIOUS: [AtomicUsize; SIGNAL_COUNT] = [const { AtomicUsize::new(0) }; SIGNAL_COUNT];

/// Whether the previous handler takes three arguments (`SA_SIGINFO`).
static PREVIOUS_TAKES_INFO: [AtomicBool; SIGNAL_COUNT] =
    [const { AtomicBool::new(false) }; SIGNAL_COUNT];

/// The signals whose handler is installed, a bit each. The lock serialises installation
/// only; the handler never takes it.
static INSTALLED: Mutex<u128> = Mutex::new(0);

/// The first chunk of listener slots; more are linked from it when it fills up.
static SLOTS: Chunk = Chunk::new();

const SLOTS_PER_CHUNK: usize = 64;
/// `Slot::signo` of a slot nobody holds.
const FREE: c_int = 0;
/// `Slot::signo` while a listener sets a slot up: matches no signal.
const CLAIMED: c_int = -1;

/// A listener's link to the handler.
struct Slot {
    /// The signal listened for, [`FREE`] or [`CLAIMED`].
    signo: AtomicI32,
    /// The slot's eventfd, or -1 until its first listener opens one.
    fd: AtomicI32,
}

struct Chunk {
    slots: [Slot; SLOTS_PER_CHUNK],
    next: AtomicPtr<Chunk>,
}

impl Chunk {
    const fn new() -> Chunk {
        Chunk {
            slots: [const {
                Slot {
                    signo: AtomicI32::new(FREE),
                    fd: AtomicI32::new(-1),
                }
            }; SLOTS_PER_CHUNK],
            next: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// The chunk after this one, if any.
    fn next(&self) -> Option<&'static Chunk> {
        // SAFETY: `next` is null or points to a chunk leaked by `claim`, never freed.
        unsafe { self.next.load(SeqCst).as_ref() }
    }
}

/// Deliveries of `signo` so far.
pub(super) fn delivered(signo: c_int) -> u64 {
    DELIVERED[signo as usize].load(SeqCst)
}

/// Installs Mirage's handler for `signo` (already validated), once per process. It stays
/// installed: the default action is never restored.
pub(super) fn install(signo: c_int) -> io::Result<()> {
    let mut installed = INSTALLED.lock().unwrap_or_else(PoisonError::into_inner);
    let bit = 1u128 << signo;
    if *installed & bit != 0 {
        return Ok(());
    }
    // SAFETY: `sigaction` is plain data; all zeroes is a valid (empty) value.
    let mut previous: libc::sigaction = unsafe { std::mem::zeroed() };
    // `previous` is a valid sigaction to write to; no new action (null).
    syscall!(sigaction(signo, ptr::null(), &mut previous))?;
    if previous.sa_sigaction != libc::SIG_DFL && previous.sa_sigaction != libc::SIG_IGN {
        PREVIOUS_TAKES_INFO[signo as usize]
            .store(previous.sa_flags & libc::SA_SIGINFO != 0, SeqCst);
        PREVIOUS[signo as usize].store(previous.sa_sigaction, SeqCst);
    }
    // SAFETY: as above, all zeroes is valid; `sa_mask` is then emptied by `sigemptyset`.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = on_signal as extern "C" fn(c_int, *mut siginfo_t, *mut c_void) as usize;
    // SA_RESTART: system calls the signal interrupts on other threads resume, as code that
    // never installed a handler expects.
    action.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
    // `action.sa_mask` is a valid sigset_t to write to.
    syscall!(sigemptyset(&mut action.sa_mask))?;
    // `action` is a valid sigaction whose handler is async-signal-safe; the old action is
    // not requested (null).
    syscall!(sigaction(signo, &action, ptr::null_mut()))?;
    *installed |= bit;
    Ok(())
}

/// The signal handler: counts the delivery, nudges its listeners, then calls the handler
/// that was there before. Async-signal-safe: atomics and `write(2)` only, and `errno` is
/// left as it was found.
extern "C" fn on_signal(signo: c_int, info: *mut siginfo_t, context: *mut c_void) {
    // SAFETY: `__errno_location` returns this thread's errno, valid for the thread's life.
    let errno = unsafe { *libc::__errno_location() };
    if let Some(count) = usize::try_from(signo).ok().and_then(|i| DELIVERED.get(i)) {
        count.fetch_add(1, SeqCst);
        let mut chunk = Some(&SLOTS);
        while let Some(current) = chunk {
            for slot in &current.slots {
                if slot.signo.load(SeqCst) == signo {
                    eventfd::nudge(slot.fd.load(SeqCst));
                }
            }
            chunk = current.next();
        }
        call_previous(signo, info, context);
    }
    // SAFETY: as above.
    unsafe { *libc::__errno_location() = errno };
}

/// Calls the handler installed before Mirage's, if it was a function.
fn call_previous(signo: c_int, info: *mut siginfo_t, context: *mut c_void) {
    let address = PREVIOUS[signo as usize].load(SeqCst);
    if address == 0 {
        return;
    }
    if PREVIOUS_TAKES_INFO[signo as usize].load(SeqCst) {
        // SAFETY: `address` is the `sa_sigaction` of an action with `SA_SIGINFO`, which the
        // kernel would have called with exactly these arguments.
        let handler: extern "C" fn(c_int, *mut siginfo_t, *mut c_void) =
            unsafe { std::mem::transmute(address) };
        handler(signo, info, context);
    } else {
        // SAFETY: `address` is the `sa_handler` of an action without `SA_SIGINFO`, which the
        // kernel would have called with the signal number alone.
        let handler: extern "C" fn(c_int) = unsafe { std::mem::transmute(address) };
        handler(signo);
    }
}

/// A slot held by one listener, released on drop.
pub(super) struct SlotClaim {
    slot: &'static Slot,
}

impl SlotClaim {
    /// The slot's eventfd, readable after a delivery of the signal listened for. Set before
    /// the slot was claimed, and never changed after.
    pub(super) fn fd(&self) -> RawFd {
        self.slot.fd.load(SeqCst)
    }
}

/// Claims a free slot for a listener of `signo`, linking a new chunk when all are taken.
pub(super) fn claim(signo: c_int) -> io::Result<SlotClaim> {
    let mut chunk: &'static Chunk = &SLOTS;
    loop {
        for slot in &chunk.slots {
            if slot
                .signo
                .compare_exchange(FREE, CLAIMED, SeqCst, SeqCst)
                .is_ok()
            {
                return arm(slot, signo);
            }
        }
        chunk = match chunk.next() {
            Some(next) => next,
            None => {
                let fresh = Box::into_raw(Box::new(Chunk::new()));
                match chunk
                    .next
                    .compare_exchange(ptr::null_mut(), fresh, SeqCst, SeqCst)
                {
                    // SAFETY: `fresh` came from `Box::into_raw` and is now linked, never freed.
                    Ok(_) => unsafe { &*fresh },
                    Err(_) => {
                        // Another thread linked one first: ours was never shared.
                        // SAFETY: `fresh` came from `Box::into_raw` and nothing else has it.
                        drop(unsafe { Box::from_raw(fresh) });
                        chunk.next().expect("the chunk another thread linked")
                    }
                }
            }
        };
    }
}

/// Sets up a slot just claimed (`CLAIMED`, so only this thread touches its descriptor).
fn arm(slot: &'static Slot, signo: c_int) -> io::Result<SlotClaim> {
    let mut fd = slot.fd.load(SeqCst);
    if fd < 0 {
        fd = match eventfd::open() {
            Ok(fd) => fd,
            Err(err) => {
                slot.signo.store(FREE, SeqCst);
                return Err(err);
            }
        };
        slot.fd.store(fd, SeqCst);
    }
    // A nudge meant for the slot's previous listener would only cost a spurious wake-up,
    // but dropping it here is cheaper.
    let _ = eventfd::drain(fd);
    // From here on the handler nudges this slot. The caller reads its starting count after
    // this store, so every delivery counted later is followed by a nudge it will see.
    slot.signo.store(signo, SeqCst);
    Ok(SlotClaim { slot })
}

impl Drop for SlotClaim {
    fn drop(&mut self) {
        // The eventfd stays open, for the next listener.
        self.slot.signo.store(FREE, SeqCst);
    }
}

impl fmt::Debug for SlotClaim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SlotClaim").field("fd", &self.fd()).finish()
    }
}

/// Held by the unit tests that claim slots, so that one test's sets of slots are its own.
#[cfg(test)]
pub(crate) static TEST_SLOTS: Mutex<()> = Mutex::new(());

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn released_slots_are_reused_with_their_descriptors() {
        let _alone = TEST_SLOTS.lock().unwrap_or_else(PoisonError::into_inner);
        let count = SLOTS_PER_CHUNK * 2 + 3; // into a third chunk
        let first: Vec<SlotClaim> = (0..count).map(|_| claim(libc::SIGUSR1).unwrap()).collect();
        let mut fds: Vec<RawFd> = first.iter().map(SlotClaim::fd).collect();
        fds.sort_unstable();
        fds.dedup();
        assert_eq!(fds.len(), count, "each claim has a descriptor of its own");
        drop(first);
        let second: Vec<SlotClaim> = (0..count).map(|_| claim(libc::SIGUSR2).unwrap()).collect();
        let mut again: Vec<RawFd> = second.iter().map(SlotClaim::fd).collect();
        again.sort_unstable();
        assert_eq!(
            again, fds,
            "the freed slots, and their eventfds, were taken again"
        );
        assert!(SLOTS.next().and_then(Chunk::next).is_some());
        assert!(
            SLOTS
                .next()
                .and_then(Chunk::next)
                .and_then(Chunk::next)
                .is_none(),
            "no chunk beyond the third was linked"
        );
    }
}
