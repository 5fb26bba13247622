//! Timers for Mirage: a hierarchical timing wheel.
//!
//! This crate holds a plain data structure, [`wheel::Wheel`], that keeps
//! pending timers keyed by an integer deadline in *ticks*. It reads no clock,
//! does no I/O and knows nothing about `async`: the event loop converts its
//! clock to ticks, asks the wheel for [`wheel::Wheel::next_expiration`] to
//! pick a poll timeout, and calls [`wheel::Wheel::advance`] to collect the
//! timers that are due.
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
