//! `select!`: which branch wins, when losers are dropped, preconditions, `else`, `biased`,
//! fairness, borrowing, and control flow in handlers.

mod select_common;

use std::cell::Cell;
use std::future::{Future, IntoFuture, ready};
use std::pin::pin;
use std::rc::Rc;
use std::time::Duration;

use mirage::sync::mpsc;
use mirage::time::{Instant, sleep};
use select_common::{Gate, PanicIfPolled, SetOnDrop};

#[mirage::test]
async fn the_value_of_a_select_is_the_winning_handler_s_value() {
    let n = mirage::select! {
        n = ready(20) => n + 1,
        _ = std::future::pending::<()>() => 0,
    };
    assert_eq!(n, 21);
}

#[mirage::test]
async fn a_single_branch_works() {
    let n = mirage::select! { n = ready(1u8) => n };
    assert_eq!(n, 1);
}

#[mirage::test(start_paused = true)]
async fn losers_are_dropped_before_the_handler_runs() {
    let dropped = Rc::new(Cell::new(false));
    let guard = SetOnDrop(dropped.clone());
    let loser = async move {
        let _guard = guard;
        sleep(Duration::from_secs(10)).await;
    };
    let gate = Gate::new();
    let opener = gate.clone();
    mirage::spawn(async move { opener.open() });
    mirage::select! {
        biased;
        _ = loser => unreachable!("the loser never completes"),
        _ = gate.wait(()) => assert!(dropped.get(), "the loser was dropped before the handler"),
    }
}

/// Counts its drops; panics in `drop` if `panics`.
struct CountDrops {
    drops: Rc<Cell<u32>>,
    panics: bool,
}

impl Drop for CountDrops {
    fn drop(&mut self) {
        self.drops.set(self.drops.get() + 1);
        if self.panics {
            panic!("a loser's destructor panicked");
        }
    }
}

/// A future that holds `guard` and never completes.
async fn holding(guard: CountDrops) {
    let _guard = guard;
    std::future::pending::<()>().await;
}

#[test]
fn a_loser_whose_destructor_panics_leaks_neither_the_other_losers_nor_the_winner_s_output() {
    let losers = Rc::new(Cell::new(0));
    let output = Rc::new(Cell::new(0));
    let loser = |panics| CountDrops {
        drops: losers.clone(),
        panics,
    };
    let (first, panicking, last) = (loser(false), loser(true), loser(false));
    let winner = CountDrops {
        drops: output.clone(),
        panics: false,
    };
    let select = async move {
        mirage::select! {
            biased;
            () = holding(first) => None,
            () = holding(panicking) => None,
            won = ready(winner) => Some(won),
            () = holding(last) => None,
        }
    };
    let mut select = Box::pin(select);
    let polled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = select
            .as_mut()
            .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()));
    }));
    assert!(polled.is_err(), "the destructor's panic reaches the poller");
    drop(select);
    assert_eq!(losers.get(), 3, "every loser was dropped, once");
    assert_eq!(
        output.get(),
        1,
        "the winner's output was dropped while the panic unwound, not leaked"
    );
}

#[test]
fn a_losing_timer_leaves_the_wheel() {
    let mut core = mirage::Core::new().unwrap();
    core.run(async {
        mirage::time::pause();
        let gate = Gate::new();
        let opener = gate.clone();
        mirage::spawn(async move { opener.open() });
        mirage::select! {
            biased;
            _ = sleep(Duration::from_secs(60)) => unreachable!(),
            _ = gate.wait(()) => {}
        }
    });
    let debug = format!("{core:?}");
    assert!(debug.contains("timers: 0"), "{debug}");
}

#[mirage::test]
async fn a_pattern_mismatch_disables_only_that_branch() {
    let gate = Gate::new();
    let opener = gate.clone();
    let mismatching = Gate::new();
    mismatching.open();
    mirage::spawn(async move { opener.open() });
    let got = mirage::select! {
        Some(n) = mismatching.wait(None::<u32>) => n,
        n = gate.wait(7u32) => n + 100,
    };
    assert_eq!(got, 107);
    assert_eq!(
        mismatching.polls(),
        1,
        "a completed branch is never polled again"
    );
}

#[mirage::test]
async fn patterns_with_ref_mut_and_at_bindings() {
    let mut v = mirage::select! {
        Some(mut v) = ready(Some(vec![1])) => {
            v.push(2);
            v
        }
    };
    v.push(3);
    assert_eq!(v, [1, 2, 3]);
    let n = mirage::select! {
        n @ 1..=9 = ready(12) => n,
        (ref a, b) = ready((String::from("x"), 2)) => a.len() + b,
    };
    assert_eq!(
        n, 3,
        "12 is outside 1..=9, so only the second branch can win"
    );
    let r = mirage::select! {
        Ok(&x) | Err(&x) = ready(Ok::<&u8, &u8>(&5)) => x,
    };
    assert_eq!(r, 5);
    let s = mirage::select! {
        ref mut s = ready(String::from("a")) => {
            s.push('x');
            s.clone()
        }
    };
    assert_eq!(s, "ax", "the handler mutated the output through `ref mut`");
    let (len, pushed) = mirage::select! {
        Some((ref mut v, n)) = ready(Some((vec![1u8], 2u8))) => {
            v.push(n);
            (v.len(), v[1])
        }
    };
    assert_eq!(
        (len, pushed),
        (2, 2),
        "a nested `ref mut` binding mutates in place"
    );
}

const QUIT: &str = "quit";

#[mirage::test]
async fn literal_and_const_patterns_of_reference_type() {
    let n = mirage::select! { "quit" = ready("quit") => 1 };
    assert_eq!(n, 1);
    let n = mirage::select! { QUIT = ready("quit") => 2 };
    assert_eq!(n, 2);
    let n = mirage::select! { b"ab" = ready(b"ab") => 3 };
    assert_eq!(n, 3);
    let word = mirage::select! { word @ ("quit" | "exit") = ready("exit") => word };
    assert_eq!(word, "exit");
    let got = mirage::select! {
        biased;
        "quit" = ready("stay") => "literal",
        QUIT = ready("stay") => "const",
        Some(("quit", _)) = ready(Some(("stay", 1))) => "nested",
        other = ready("stay") => other,
    };
    assert_eq!(got, "stay", "each mismatch disabled only its own branch");
    let n = mirage::select! {
        Some((QUIT, n)) = ready(Some(("quit", 4))) => n,
    };
    assert_eq!(n, 4);
}

#[mirage::test]
async fn testing_a_pattern_neither_moves_nor_leaks_the_output() {
    let n = mirage::select! {
        None = ready(None::<String>) => 1,
    };
    assert_eq!(n, 1);
    let (s, n) = mirage::select! {
        (s, "quit", n) = ready((String::from("owned"), "quit", 5)) => (s, n),
    };
    assert_eq!((s.as_str(), n), ("owned", 5));
    let dropped = Rc::new(Cell::new(false));
    let mismatching = ready((None::<String>, SetOnDrop(dropped.clone())));
    let gate = Gate::new();
    gate.open();
    let seen = mirage::select! {
        biased;
        (Some(_s), _guard) = mismatching => unreachable!("None does not match Some(_)"),
        () = gate.wait(()) => dropped.get(),
    };
    assert!(
        seen,
        "the mismatched output was dropped before the other branch won"
    );
}

#[mirage::test]
async fn a_false_precondition_disables_a_branch_which_is_never_polled() {
    let evaluated = Cell::new(0);
    let condition = || {
        evaluated.set(evaluated.get() + 1);
        false
    };
    for _ in 0..10 {
        let n = mirage::select! {
            _ = PanicIfPolled, if condition() => unreachable!(),
            n = ready(3), if true => n,
        };
        assert_eq!(n, 3);
    }
    assert_eq!(evaluated.get(), 10, "evaluated once per entry");
}

#[mirage::test]
async fn preconditions_are_evaluated_before_the_futures_borrow() {
    let mut queue = vec![1, 2];
    let popped = mirage::select! {
        n = async { queue.pop() }, if !queue.is_empty() => n,
        else => None,
    };
    assert_eq!(popped, Some(2));
}

#[derive(PartialEq)]
struct Mode {
    verbose: bool,
}

#[mirage::test]
async fn a_precondition_may_end_in_a_struct_literal() {
    let mode = Mode { verbose: true };
    let n = mirage::select! {
        n = ready(1), if mode == Mode { verbose: true } => n,
        else => 0,
    };
    assert_eq!(n, 1);
}

#[mirage::test]
async fn else_runs_when_every_branch_is_disabled() {
    let all_preconditions_false = mirage::select! {
        _ = PanicIfPolled, if false => 1,
        else => 2,
    };
    assert_eq!(all_preconditions_false, 2);
    let all_mismatched = mirage::select! {
        Some(_) = ready(None::<u8>) => 1,
        Ok(_) = async { Err::<u8, ()>(()) } => 1,
        else => 3,
    };
    assert_eq!(all_mismatched, 3);
}

#[mirage::test]
#[should_panic(expected = "all branches are disabled and there is no else branch")]
async fn without_else_every_branch_disabled_panics() {
    mirage::select! {
        Some(_) = ready(None::<u8>) => {}
    }
}

#[mirage::test]
async fn biased_polls_in_declaration_order() {
    for _ in 0..100 {
        let winner = mirage::select! {
            biased;
            _ = ready(()) => 0,
            _ = ready(()) => 1,
            _ = ready(()) => 2,
        };
        assert_eq!(winner, 0);
    }
    let order = std::cell::RefCell::new(Vec::new());
    let record = |i| {
        let order = &order;
        std::future::poll_fn(move |_| {
            order.borrow_mut().push(i);
            std::task::Poll::<()>::Pending
        })
    };
    let gate = Gate::new();
    gate.open();
    mirage::select! {
        biased;
        _ = record(0) => {}
        _ = record(1) => {}
        _ = record(2) => {}
        _ = gate.wait(()) => {}
    }
    assert_eq!(*order.borrow(), [0, 1, 2]);
}

#[mirage::test]
async fn two_always_ready_branches_each_win_about_half_the_time() {
    let mut wins = [0u32; 2];
    for _ in 0..10_000 {
        mirage::select! {
            _ = ready(()) => wins[0] += 1,
            _ = ready(()) => wins[1] += 1,
        }
    }
    assert!(
        wins.iter().all(|&n| (4_000..=6_000).contains(&n)),
        "wins: {wins:?}"
    );
}

#[mirage::test]
async fn three_always_ready_branches_share_fairly() {
    let mut wins = [0u32; 3];
    for _ in 0..9_000 {
        let i = mirage::select! {
            _ = ready(()) => 0,
            _ = ready(()) => 1,
            _ = ready(()) => 2,
        };
        wins[i] += 1;
    }
    assert!(
        wins.iter().all(|&n| (2_500..=3_500).contains(&n)),
        "wins: {wins:?}"
    );
}

/// Spends the task's whole cooperative budget at every poll and never completes, as a
/// branch copying from a socket that is always ready does.
async fn spend_every_budget() {
    loop {
        mirage::coop::consume_budget().await;
    }
}

#[mirage::test]
async fn a_branch_that_spends_the_budget_at_every_pass_does_not_starve_the_others() {
    // Whichever branch goes first at entry, the other one gets the budget at the next pass.
    for _ in 0..10 {
        let won = mirage::time::timeout(Duration::from_secs(10), async {
            mirage::select! {
                _ = spend_every_budget() => unreachable!(),
                _ = mirage::coop::consume_budget() => "needs one unit",
            }
        })
        .await;
        assert_eq!(won, Ok("needs one unit"));
    }
}

#[mirage::test]
async fn a_select_yields_once_the_task_s_budget_is_spent() {
    // As tokio's `select!` does: with the budget spent, a branch that spends it can only be
    // pending, so a loop whose other branch never spends it (a future of another library,
    // always ready) would keep the Core to itself. The `select!` yields instead.
    let other = mirage::spawn(async {});
    let mut passes = 0;
    while !other.is_finished() {
        mirage::select! {
            _ = mirage::coop::consume_budget() => {}
            _ = ready(()) => {}
        }
        passes += 1;
        assert!(passes < 10_000, "the select! loop never yielded");
    }
}

#[mirage::test]
async fn a_branch_may_borrow_a_temporary_of_its_own_expression() {
    // Temporary lifetime extension, as in tokio (tokio-rs/tokio#6721): the temporary lives
    // as long as the branch's future.
    let n = mirage::select! {
        n = &mut ready(7) => n,
        _ = &mut std::future::pending::<()>() => 0,
    };
    assert_eq!(n, 7);
}

async fn fill(buf: &mut [u8], after: Duration) -> usize {
    sleep(after).await;
    buf[..3].copy_from_slice(b"abc");
    3
}

#[mirage::test(start_paused = true)]
async fn a_branch_may_borrow_a_buffer_while_another_owns_a_timer() {
    let mut buf = [0u8; 16];
    let n = mirage::select! {
        n = fill(&mut buf, Duration::from_millis(10)) => n,
        _ = sleep(Duration::from_secs(1)) => 0,
    };
    assert_eq!(&buf[..n], b"abc");
    let start = Instant::now();
    let n = mirage::select! {
        n = fill(&mut buf[8..], Duration::from_secs(5)) => n,
        _ = sleep(Duration::from_secs(1)) => 0,
    };
    assert_eq!(n, 0);
    assert_eq!(start.elapsed(), Duration::from_secs(1));
    assert_eq!(&buf[8..11], [0, 0, 0], "the losing read never wrote");
}

#[mirage::test(start_paused = true)]
async fn a_handler_reads_and_writes_the_buffer_the_winning_future_borrowed() {
    let mut buf = [0u8; 8];
    let got = mirage::select! {
        n = fill(&mut buf, Duration::from_millis(10)) => {
            buf[n] = b'!';
            buf[..=n].to_vec()
        }
        _ = sleep(Duration::from_secs(1)) => Vec::new(),
    };
    assert_eq!(got, b"abc!");
}

#[mirage::test(start_paused = true)]
async fn a_handler_may_await_and_its_value_is_the_select_s_value() {
    let (tx, mut rx) = mpsc::unbounded::<u32>();
    mirage::spawn(async move {
        for n in [2, 7] {
            sleep(Duration::from_secs(1)).await;
            tx.send(n).unwrap();
        }
    });
    let start = Instant::now();
    let product = mirage::select! {
        // The handler awaits the channel that the winning future had borrowed.
        Some(a) = rx.recv() => {
            let b = rx.recv().await.expect("a second message");
            sleep(Duration::from_secs(3)).await;
            a * b
        }
        _ = sleep(Duration::from_millis(1_500)) => 0,
    };
    assert_eq!(product, 14);
    assert_eq!(
        start.elapsed(),
        Duration::from_secs(5),
        "1 s to the first message, 1 s to the second, 3 s of sleep in the handler"
    );
}

#[mirage::test(start_paused = true)]
async fn selecting_on_mut_future_keeps_it_across_iterations() {
    let start = Instant::now();
    let mut deadline = sleep(Duration::from_millis(5_500)); // `Sleep` is `Unpin`
    let mut ticks = 0;
    loop {
        mirage::select! {
            _ = &mut deadline => break,
            _ = sleep(Duration::from_secs(1)) => ticks += 1,
        }
    }
    assert_eq!(ticks, 5);
    assert_eq!(start.elapsed(), Duration::from_millis(5_500));

    // A future that is not `Unpin`, pinned first; created once, polled across selects.
    let created = Cell::new(0);
    let slow = async {
        created.set(created.get() + 1);
        sleep(Duration::from_millis(3_500)).await;
        "done"
    };
    let mut slow = pin!(slow);
    let mut seconds = 0;
    let result = loop {
        mirage::select! {
            s = &mut slow => break s,
            _ = sleep(Duration::from_secs(1)) => seconds += 1,
        }
    };
    assert_eq!((result, seconds, created.get()), ("done", 3, 1));
}

#[mirage::test]
async fn sixty_four_branches() {
    let gates: Vec<Gate> = (0..64).map(|_| Gate::new()).collect();
    let last = gates[63].clone();
    mirage::spawn(async move { last.open() });
    macro_rules! select_64 {
        ($($i:literal)*) => {
            mirage::select! {
                $( i = gates[$i].wait($i) => i, )*
            }
        };
    }
    let winner = select_64!(
        0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31
        32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60
        61 62 63
    );
    assert_eq!(winner, 63);
    assert!(gates[..63].iter().all(|g| g.polls() == 1));
    assert_eq!(gates[63].polls(), 2);
}

#[mirage::test]
async fn handlers_can_continue_and_break_the_enclosing_loop() {
    let (tx, mut rx) = mpsc::unbounded::<u32>();
    for n in [1, 3, 4, 5] {
        tx.send(n).unwrap();
    }
    let mut skipped = 0;
    let first_even = loop {
        mirage::select! {
            Some(n) = rx.recv() => {
                if !n.is_multiple_of(2) {
                    skipped += 1;
                    continue;
                }
                break n;
            }
        }
    };
    assert_eq!((first_even, skipped), (4, 2));
}

async fn parse_first(input: &str) -> Result<u32, std::num::ParseIntError> {
    mirage::select! {
        text = ready(input) => {
            let n: u32 = text.parse()?;
            if n == 0 {
                return Ok(100);
            }
            Ok(n)
        }
    }
}

#[mirage::test]
async fn handlers_can_return_and_use_the_question_mark() {
    assert_eq!(parse_first("7").await, Ok(7));
    assert_eq!(parse_first("0").await, Ok(100));
    assert!(parse_first("x").await.is_err());
}

struct Later(u32);

impl IntoFuture for Later {
    type Output = u32;
    type IntoFuture = std::future::Ready<u32>;

    fn into_future(self) -> Self::IntoFuture {
        ready(self.0)
    }
}

#[mirage::test]
async fn branches_take_into_future_values() {
    let n = mirage::select! { n = Later(9) => n };
    assert_eq!(n, 9);
}

#[mirage::test(start_paused = true)]
async fn selects_nest() {
    let n = mirage::select! {
        n = async {
            mirage::select! {
                _ = sleep(Duration::from_secs(2)) => 2,
                _ = sleep(Duration::from_secs(1)) => 1,
            }
        } => n,
        _ = sleep(Duration::from_secs(3)) => 3,
    };
    assert_eq!(n, 1);
}

#[mirage::test(start_paused = true)]
async fn a_future_expression_may_use_question_mark_in_the_enclosing_fn() {
    async fn run() -> Result<u32, String> {
        let ok: Result<u32, String> = Ok(4);
        let n = mirage::select! {
            n = ready(ok?) => n,
        };
        Ok(n)
    }
    assert_eq!(run().await, Ok(4));
}

/// `select!` inside a `macro_rules!`, with futures whose tokens come from the macro's caller
/// (a different hygiene context than the `select!` itself).
macro_rules! race {
    ($make:ident, $other:expr) => {
        mirage::select! {
            biased;
            n = $make(1) => n,
            n = $other => n,
        }
    };
}

#[mirage::test]
async fn futures_passed_in_by_another_macro() {
    assert_eq!(race!(ready, ready(2)), 1);
    let later = std::future::pending::<i32>();
    assert_eq!(race!(ready, later), 1);
}

async fn run_forever() -> ! {
    std::future::pending().await
}

/// A branch whose future never returns (output `!`) is legal and raises no warning; the
/// `deny` turns the `unreachable_code` warning the expansion once produced into an error.
#[mirage::test]
#[deny(unreachable_code)]
async fn a_branch_that_never_returns_raises_no_warning() {
    let value = mirage::select! {
        _ = run_forever() => 0,
        n = async { 7 } => n,
    };
    assert_eq!(value, 7);
}

/// An `else` with no branch is the `else` handler's value, as tokio's `select!` (with or
/// without `biased;`); Mirage's refused to compile it.
#[mirage::test]
async fn an_else_without_branches_is_its_handler_s_value() {
    let plain = mirage::select! {
        else => 1,
    };
    let biased = mirage::select! {
        biased;
        else => { 2 }
    };
    let mut ran = 0;
    for _ in 0..3 {
        mirage::select! { else => ran += 1 }
    }
    assert_eq!((plain, biased, ran), (1, 2, 3));
}
