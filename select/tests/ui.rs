//! The macros' compile errors, one `tests/ui/<mistake>.rs` with its expected
//! `tests/ui/<mistake>.stderr` each. After changing a message, regenerate the expected
//! output with `TRYBUILD=overwrite cargo test -p mirage-select --test ui` and read the diff.

#[test]
fn compile_errors_point_at_the_mistake() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
    // Uses that once failed to compile, and must compile and run.
    cases.pass("tests/ui/pass/*.rs");
}
