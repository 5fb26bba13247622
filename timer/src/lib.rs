//! Timers for Mirage: a hierarchical timing wheel.
//!
//! This crate holds a plain data structure, [`wheel::Wheel`], that keeps
//! pending timers keyed by an integer deadline in *ticks*. It reads no clock,
//! does no I/O and knows nothing about `async`: the event loop converts its
//! clock to ticks, asks the wheel for [`wheel::Wheel::next_expiration`] to
//! pick a poll timeout, and calls [`wheel::Wheel::advance`] to collect the
//! timers that are due.
//!
//! # Precision
//!
//! The wheel fires a timer at the first [`wheel::Wheel::advance`] that
//! reaches its tick, never before, so its precision is the caller's tick
//! and wake-up. Mirage's `Core` uses one-microsecond ticks (deadlines
//! rounded up, the clock rounded down) and wakes for the earliest deadline
//! through a `timerfd` rather than `epoll_wait`'s millisecond timeout: a
//! timerfd has nanosecond resolution and no timer slack. What is left is
//! the kernel's wake-up of the sleeping thread (60 to 90 µs on a virtual
//! machine), so by default the Core learns how long that takes and wakes
//! that much before the deadline, spinning for the rest: on an idle Core a
//! timer then fires a microsecond or two after its deadline, nine times in
//! ten. The `mirage::time` module docs and `TimerSpin` say more.
//!
//! # Examples
//!
//! ```
//! use mirage_timer::wheel::Wheel;
//!
//! let mut wheel = Wheel::new();
//! let key = wheel.insert(10, "ten");
//! wheel.insert(5, "five");
//! assert_eq!(wheel.next_expiration(), Some(5));
//!
//! let mut fired = Vec::new();
//! wheel.advance(10, |_key, value| fired.push(value));
//! assert_eq!(fired, ["five", "ten"]);
//! assert_eq!(wheel.remove(key), None); // already fired
//! ```

#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]
#![forbid(unsafe_code)]

pub mod wheel;
