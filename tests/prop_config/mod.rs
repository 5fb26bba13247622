//! The case count of the property tests: each file's default, or `PROPTEST_CASES` for a
//! longer (or, under Miri, shorter) hunt.

use proptest::test_runner::Config;

/// `cases` cases unless `PROPTEST_CASES` says otherwise. Failing seeds are not written to
/// `proptest-regressions/`: a failure prints its minimal input, and the fix adds a
/// regression test of its own.
pub fn config(cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(cases);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}
