//! Which branch a `select!` polls first, without a random number generator.
//!
//! Each time a `select!` is entered it takes the next value of a per-thread Weyl sequence
//! (a counter stepped by 2^64 / φ) and scales its high half to the number of branches. The
//! fractional parts of k/φ are as evenly spread as any sequence can be, so every branch
//! starts a share of the passes within a fraction of a percent of 1/n; and since m/φ is
//! irrational for every m, that stays true for a `select!` that sees only every m-th value
//! because others run in between (a plain round-robin counter would starve a branch of two
//! `select!`s that alternate in one loop).

use std::cell::Cell;

/// 2^64 / φ, rounded to odd.
const STEP: u64 = 0x9E37_79B9_7F4A_7C15;

thread_local! {
    static TURN: Cell<u64> = const { Cell::new(0) };
}

/// The first branch to poll, in `0..len`.
#[inline]
pub(crate) fn start(len: u32) -> u32 {
    let turn = TURN
        .try_with(|turn| {
            let next = turn.get().wrapping_add(STEP);
            turn.set(next);
            next
        })
        .unwrap_or(0);
    // (high 32 bits) * len / 2^32: in 0..len, and uses the well-spread high bits.
    (((turn >> 32) * u64::from(len)) >> 32) as u32
}
