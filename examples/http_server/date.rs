//! The `Date` header: formatted once a second by a timer task, not for every response.
//!
//! [`keep_fresh`] runs beside the server and rewrites the date at each change of second, so a
//! response copies 29 bytes instead of reading the clock and formatting. Without it running
//! (in unit tests), [`with_date`] formats the current date itself.
//!
//! The same task keeps a coarse clock, [`coarse_now`]: the Core's time at its last run, for
//! the connections to stamp each request with instead of reading the clock.

use std::cell::{Cell, RefCell};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mirage::time::Instant;

/// The longest the coarse clock trails the Core's clock while [`keep_fresh`] runs: the task
/// runs once a second, plus room for its timer firing late on a busy Core.
pub const COARSE_LAG: Duration = Duration::from_millis(1250);

thread_local! {
    /// The current date while [`keep_fresh`] runs on this thread.
    static FRESH: RefCell<Option<Fresh>> = const { RefCell::new(None) };
    /// How many dates this thread has formatted: never reset, so a generation names one
    /// date even across servers that run one after another on the thread.
    static GENERATIONS: Cell<u64> = const { Cell::new(0) };
    /// The Core's time when [`keep_fresh`] last ran on this thread, while it runs.
    static COARSE: Cell<Option<Instant>> = const { Cell::new(None) };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fresh {
    text: [u8; 29],
    generation: u64,
}

/// Keeps this thread's date current until dropped: each second, just after the wall clock's
/// second changes, it formats the new date.
pub async fn keep_fresh() {
    /// Clears the date when the task ends, so no stale date outlives it.
    struct Clear;
    impl Drop for Clear {
        fn drop(&mut self) {
            FRESH.with(|fresh| *fresh.borrow_mut() = None);
            COARSE.with(|coarse| coarse.set(None));
        }
    }
    let _clear = Clear;
    loop {
        let now = since_epoch();
        let text = imf_fixdate(now.as_secs());
        let generation = GENERATIONS.with(|count| count.replace(count.get() + 1));
        FRESH.with(|fresh| *fresh.borrow_mut() = Some(Fresh { text, generation }));
        COARSE.with(|coarse| coarse.set(Some(Instant::now())));
        // The timer never fires early, so this wakes in the next second.
        let into_second = Duration::from_nanos(now.subsec_nanos().into());
        mirage::time::sleep(Duration::from_secs(1) - into_second).await;
    }
}

/// Calls `f` with the current date in IMF-fixdate form ("Sun, 06 Nov 1994 08:49:37 GMT")
/// and, while [`keep_fresh`] runs, a number that changes whenever the date does.
pub fn with_date<R>(f: impl FnOnce(&[u8; 29], Option<u64>) -> R) -> R {
    FRESH.with(|fresh| match &*fresh.borrow() {
        Some(date) => f(&date.text, Some(date.generation)),
        None => f(&imf_fixdate(since_epoch().as_secs()), None),
    })
}

/// The Core's time when [`keep_fresh`] last ran on this thread: at most [`COARSE_LAG`] ago
/// while it runs, and never in the future. Costs a thread-local load, not a clock read.
/// Without the task running (unit tests) it reads the clock.
#[inline]
pub fn coarse_now() -> Instant {
    coarse_clock().unwrap_or_else(Instant::now)
}

/// The coarse clock as [`keep_fresh`] last set it; `None` while the task does not run.
pub fn coarse_clock() -> Option<Instant> {
    COARSE.with(Cell::get)
}

fn since_epoch() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// Formats Unix seconds as an IMF-fixdate (RFC 9110 §5.6.7).
fn imf_fixdate(secs: u64) -> [u8; 29] {
    const DAYS: [&[u8; 3]; 7] = [b"Thu", b"Fri", b"Sat", b"Sun", b"Mon", b"Tue", b"Wed"];
    const MONTHS: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let days = secs / 86_400;
    let (hour, minute, second) = (secs % 86_400 / 3600, secs % 3600 / 60, secs % 60);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);

    let mut out = [0u8; 29];
    out[..3].copy_from_slice(DAYS[(days % 7) as usize]);
    out[3..5].copy_from_slice(b", ");
    two_digits(&mut out[5..7], day as u64);
    out[7] = b' ';
    out[8..11].copy_from_slice(MONTHS[(month - 1) as usize]);
    out[11] = b' ';
    let year = year as u64;
    two_digits(&mut out[12..14], year / 100);
    two_digits(&mut out[14..16], year % 100);
    out[16] = b' ';
    two_digits(&mut out[17..19], hour);
    out[19] = b':';
    two_digits(&mut out[20..22], minute);
    out[22] = b':';
    two_digits(&mut out[23..25], second);
    out[25..].copy_from_slice(b" GMT");
    out
}

fn two_digits(out: &mut [u8], n: u64) {
    out[0] = b'0' + (n / 10 % 10) as u8;
    out[1] = b'0' + (n % 10) as u8;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_format_as_imf_fixdate() {
        assert_eq!(&imf_fixdate(784_111_777), b"Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(&imf_fixdate(0), b"Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(&imf_fixdate(951_782_400), b"Tue, 29 Feb 2000 00:00:00 GMT");
    }

    #[test]
    fn a_restarted_task_never_reuses_a_generation() {
        // A response head cached under an old generation must never match a new date.
        let mut core = mirage::Core::new().unwrap();
        let mut generation = || {
            core.run(async {
                let ticker = mirage::spawn(keep_fresh());
                mirage::yield_now().await;
                let fresh = FRESH
                    .with(|fresh| *fresh.borrow())
                    .expect("the date is set");
                ticker.abort();
                mirage::yield_now().await;
                fresh.generation
            })
        };
        let first = generation();
        assert!(generation() > first);
    }

    #[test]
    fn the_task_keeps_the_date_and_clears_it_when_dropped() {
        let mut core = mirage::Core::new().unwrap();
        core.run(async {
            let before = since_epoch().as_secs();
            let ticker = mirage::spawn(keep_fresh());
            mirage::yield_now().await;
            let cached = FRESH
                .with(|fresh| *fresh.borrow())
                .expect("the task sets the date");
            let after = since_epoch().as_secs();
            assert!((before..=after).any(|secs| imf_fixdate(secs) == cached.text));
            ticker.abort();
            mirage::yield_now().await;
        });
        assert_eq!(FRESH.with(|fresh| *fresh.borrow()), None);
    }
}
