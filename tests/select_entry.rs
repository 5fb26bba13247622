//! `#[mirage::main]` and `#[mirage::test]`.

use std::time::Duration;

use mirage::time::{Instant, sleep, timeout};

#[mirage::main]
async fn main_like() -> u32 {
    mirage::spawn(async { 40 }).await.unwrap() + 2
}

#[mirage::main]
async fn main_with_question_mark() -> Result<u32, std::num::ParseIntError> {
    let n: u32 = "7".parse()?;
    let _: u32 = "x".parse()?;
    Ok(n)
}

#[mirage::main(start_paused = true)]
async fn main_paused() -> Duration {
    let start = Instant::now();
    sleep(Duration::from_secs(3600)).await;
    start.elapsed()
}

#[test]
fn main_runs_the_body_on_a_new_core() {
    assert_eq!(main_like(), 42);
    assert_eq!(main_paused(), Duration::from_secs(3600));
    assert!(main_with_question_mark().is_err());
}

#[mirage::test]
async fn a_test_runs_on_a_core() {
    let (tx, rx) = mirage::sync::oneshot::channel();
    mirage::spawn(async move { tx.send(5).unwrap() });
    assert_eq!(rx.await, Ok(5));
}

#[mirage::test]
async fn a_test_may_return_a_result() -> Result<(), std::num::ParseIntError> {
    let n: u8 = "12".parse()?;
    assert_eq!(n, 12);
    Ok(())
}

#[mirage::test(start_paused = true)]
async fn a_slow_reply_times_out() {
    let start = Instant::now();
    let reply = timeout(Duration::from_secs(30), sleep(Duration::from_secs(60))).await;
    assert!(reply.is_err());
    assert_eq!(start.elapsed(), Duration::from_secs(30));
}

#[mirage::test(start_paused = false)]
async fn start_paused_false_runs_in_real_time() {
    let start = std::time::Instant::now();
    sleep(Duration::from_millis(2)).await;
    assert!(start.elapsed() >= Duration::from_millis(2));
}

#[mirage::test]
#[should_panic(expected = "boom")]
async fn a_panicking_test_fails() {
    mirage::yield_now().await;
    panic!("boom");
}

#[mirage::main]
async fn main_that_never_returns() -> ! {
    sleep(Duration::ZERO).await;
    panic!("main_that_never_returns ran on a Core");
}

#[test]
#[should_panic(expected = "main_that_never_returns ran on a Core")]
fn main_may_return_the_never_type() {
    main_that_never_returns()
}

/// `impl Trait` may be anywhere in a return type, but not in the type argument the
/// expansion gives the body (`entry_body::<R>`): there it was an error, nested in another
/// type or passed through a `macro_rules!` as `$t:ty` (which wraps it in an invisible group).
#[mirage::main]
async fn main_with_a_nested_impl_trait() -> Result<u32, impl std::fmt::Debug> {
    sleep(Duration::ZERO).await;
    Err::<u32, _>("nested")
}

macro_rules! main_returning {
    ($name:ident, $output:ty, $body:expr) => {
        #[mirage::main]
        async fn $name() -> $output {
            $body
        }
    };
}

main_returning!(
    main_returning_an_impl_trait_type_fragment,
    impl std::fmt::Debug,
    5u8
);
main_returning!(main_returning_a_type_fragment, Result<u8, std::num::ParseIntError>, {
    let n: u8 = "7".parse()?;
    Ok(n)
});

#[test]
fn a_return_type_may_hold_impl_trait() {
    assert_eq!(
        format!("{:?}", main_with_a_nested_impl_trait()),
        r#"Err("nested")"#
    );
    assert_eq!(
        format!("{:?}", main_returning_an_impl_trait_type_fragment()),
        "5"
    );
    assert_eq!(main_returning_a_type_fragment(), Ok(7));
}

/// `unsafe` (and an ABI) stay as written, as tokio keeps them: dropped, a function declared
/// `unsafe` became safe to call, and the `unsafe` block around a call was reported unused.
#[mirage::main]
async unsafe fn main_declared_unsafe() -> u32 {
    9
}

#[test]
#[deny(unused_unsafe)]
fn an_unsafe_function_stays_unsafe() {
    // SAFETY: `main_declared_unsafe` has no requirement; it is `unsafe` to test that it stays so.
    assert_eq!(unsafe { main_declared_unsafe() }, 9);
}

#[mirage::main]
async fn main_with_inner_attributes() -> bool {
    #![allow(clippy::nonminimal_bool)]
    !!mirage::spawn(async { true }).await.unwrap()
}

#[test]
fn an_inner_attribute_of_the_body_annotates_the_function() {
    assert!(main_with_inner_attributes());
}

#[mirage::test]
async fn a_test_body_may_start_with_inner_attributes() {
    #![allow(clippy::bool_assert_comparison)]
    assert_eq!(mirage::spawn(async { true }).await.unwrap(), true);
}

/// Bodies the expansion once made the compiler warn about, in the caller's code: braces
/// around a one-line body reported as unnecessary, and the code after a body that only
/// panics reported as unreachable (tokio's issues 3403 and 4175). Denied here, a warning
/// fails the build.
#[deny(unused_braces, unreachable_code, clippy::diverging_sub_expression)]
mod no_warnings_about_the_body {
    #[rustfmt::skip]
    #[mirage::test]
    async fn a_one_line_body() { assert_eq!(1 + 1, 2) }

    #[rustfmt::skip]
    #[mirage::test(start_paused = true)]
    async fn a_one_line_paused_body() { assert!(mirage::time::Instant::now().elapsed().is_zero()) }

    #[mirage::main]
    async fn a_body_that_only_panics() -> std::io::Result<()> {
        panic!("the body ran");
    }

    #[test]
    #[should_panic(expected = "the body ran")]
    fn a_body_that_only_panics_runs() {
        a_body_that_only_panics().unwrap();
    }
}

#[mirage::main(flavor = "current_thread")]
async fn main_current_thread() -> u32 {
    mirage::spawn(async { 7 }).await.unwrap()
}

#[mirage::test(flavor = "current_thread", start_paused = true)]
async fn a_test_may_name_the_current_thread_flavor() {
    let start = Instant::now();
    sleep(Duration::from_secs(60)).await;
    assert_eq!(start.elapsed(), Duration::from_secs(60));
}

#[test]
fn the_current_thread_flavor_changes_nothing() {
    assert_eq!(main_current_thread(), 7);
}

/// A stand-in for a crate that re-exports mirage: its `Core` counts the bodies it runs, so
/// the tests below see that `crate = ".."` is the path the expansion takes.
mod renamed {
    use std::cell::Cell;
    use std::future::Future;

    pub use mirage::{__private, time};

    thread_local! {
        pub static RUNS: Cell<u32> = const { Cell::new(0) };
    }

    pub struct Core(mirage::Core);

    impl Core {
        pub fn new() -> std::io::Result<Self> {
            mirage::Core::new().map(Core)
        }

        pub fn run<F: Future>(&mut self, future: F) -> F::Output {
            RUNS.with(|runs| runs.set(runs.get() + 1));
            self.0.run(future)
        }
    }
}

#[mirage::main(crate = "renamed")]
async fn main_through_a_renamed_crate() -> u32 {
    mirage::spawn(async { 3 }).await.unwrap()
}

#[mirage::main(crate = "crate::renamed", start_paused = true)]
async fn main_paused_through_a_renamed_crate() -> Duration {
    let start = Instant::now();
    sleep(Duration::from_secs(5)).await;
    start.elapsed()
}

#[test]
fn the_crate_argument_names_the_mirage_crate() {
    let runs = || renamed::RUNS.with(|runs| runs.get());
    assert_eq!(runs(), 0);
    assert_eq!(main_through_a_renamed_crate(), 3);
    assert_eq!(runs(), 1);
    // One run pauses the clock, the other runs the body.
    assert_eq!(
        main_paused_through_a_renamed_crate(),
        Duration::from_secs(5)
    );
    assert_eq!(runs(), 3);
}

// As tokio's: `#[main]` on a function other than `main` keeps its parameters (a trait
// method's `self` too) and generics, and each call runs the body on a new Core. Mirage's
// refused every parameter ("the `main` function takes no arguments").
#[mirage::main(start_paused = true)]
async fn main_with_parameters(label: &str, mut waits: u32, (a, b): (u32, u32)) -> String {
    let start = Instant::now();
    while waits > 0 {
        sleep(Duration::from_secs(1)).await;
        waits -= 1;
    }
    format!("{label}: {} after {:?}", a + b, start.elapsed())
}

#[mirage::main]
async fn main_generic<T>(value: T) -> String
where
    T: std::fmt::Display + Clone + 'static,
{
    let copy = value.clone();
    mirage::spawn(async move { copy.to_string() })
        .await
        .unwrap()
}

trait Compute {
    fn compute(self, by: u32) -> u32;
}

impl Compute for u32 {
    #[mirage::main]
    async fn compute(self, by: u32) -> u32 {
        mirage::spawn(async move { self * by }).await.unwrap()
    }
}

#[test]
fn main_on_another_function_keeps_its_parameters_and_generics() {
    let label = String::from("sum");
    assert_eq!(main_with_parameters(&label, 3, (2, 5)), "sum: 7 after 3s");
    assert_eq!(main_generic(42u8), "42");
    assert_eq!(6.compute(7), 42);
}
