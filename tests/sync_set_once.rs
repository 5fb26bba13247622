//! `mirage::sync::SetOnce`: tasks waiting on a Core all wake for the one `set` and read the
//! same value; a wait given up by a timeout leaves the others waiting and the value intact;
//! a `select!` between the value and a shutdown takes whichever comes first. Virtual time
//! orders the sleeps. `cross_thread::SetOnce` keeps the same rules for tasks on several
//! Cores, set from a plain thread.

mod guard;

use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::sync::mpsc as std_mpsc;
use std::task::Poll;
use std::thread;
use std::time::Duration;

use guard::within_guard;
use mirage::sync::{SetOnce, SetOnceError, cross_thread};
use mirage::time::{Instant, sleep, timeout};

#[mirage::test(start_paused = true)]
async fn every_waiting_task_wakes_for_the_one_set_and_reads_the_same_value() {
    let start = Instant::now();
    let config = Rc::new(SetOnce::new());
    let waiters: Vec<_> = (0..5)
        .map(|n| {
            let config = Rc::clone(&config);
            mirage::spawn(async move {
                let value: &String = config.wait().await;
                (n, value.clone(), Instant::now())
            })
        })
        .collect();
    let setter = {
        let config = Rc::clone(&config);
        mirage::spawn(async move {
            sleep(Duration::from_secs(2)).await;
            config.set(String::from("loaded")).unwrap();
        })
    };
    for (expected, waiter) in waiters.into_iter().enumerate() {
        let (n, value, woke) = waiter.await.unwrap();
        assert_eq!((n, value.as_str()), (expected, "loaded"));
        assert_eq!(
            woke - start,
            Duration::from_secs(2),
            "woken by the set, not before"
        );
    }
    setter.await.unwrap();
    assert_eq!(
        config.set(String::from("again")),
        Err(SetOnceError(String::from("again")))
    );
}

#[mirage::test(start_paused = true)]
async fn a_wait_given_up_by_a_timeout_leaves_the_others_waiting() {
    let once = Rc::new(SetOnce::new());
    let patient = {
        let once = Rc::clone(&once);
        mirage::spawn(async move { *once.wait().await })
    };
    let impatient = timeout(Duration::from_secs(1), once.wait()).await;
    assert!(impatient.is_err(), "nothing set within a second");
    assert!(!patient.is_finished());
    sleep(Duration::from_secs(1)).await;
    once.set(42).unwrap();
    assert_eq!(patient.await.unwrap(), 42);
    assert_eq!(
        timeout(Duration::from_secs(1), once.wait()).await,
        Ok(&42),
        "a wait after the set completes at once"
    );
}

#[mirage::test(start_paused = true)]
async fn select_takes_the_value_or_the_shutdown_whichever_comes_first() {
    let value = Rc::new(SetOnce::<u32>::new());
    let shutdown = Rc::new(SetOnce::<&str>::new());
    {
        let shutdown = Rc::clone(&shutdown);
        mirage::spawn(async move {
            sleep(Duration::from_secs(1)).await;
            shutdown.set("stop").unwrap();
        });
    }
    let first = mirage::select! {
        v = value.wait() => Ok(*v),
        reason = shutdown.wait() => Err(*reason),
    };
    assert_eq!(first, Err("stop"));
    value.set(1).unwrap();
    let first = mirage::select! {
        biased;
        v = value.wait() => Ok(*v),
        reason = shutdown.wait() => Err(*reason),
    };
    assert_eq!(
        first,
        Ok(1),
        "both ready: the first branch, in biased order"
    );
}

// `cross_thread::SetOnce`: the same cell for the tasks of several Cores, one per thread.

/// Polls `fut` once, with the task's waker; `None` if it is pending.
async fn poll_once<F: Future>(fut: Pin<&mut F>) -> Option<F::Output> {
    let mut fut = Some(fut);
    poll_fn(|cx| match fut.take().unwrap().poll(cx) {
        Poll::Ready(out) => Poll::Ready(Some(out)),
        Poll::Pending => Poll::Ready(None),
    })
    .await
}

#[test]
fn cores_waiting_on_a_static_cell_all_wake_for_one_set_from_a_plain_thread() {
    const CORES: usize = 4;
    static ADDR: cross_thread::SetOnce<String> = cross_thread::SetOnce::const_new();
    let got = within_guard(|| {
        let (waiting_tx, waiting_rx) = std_mpsc::channel();
        let cores: Vec<_> = (0..CORES)
            .map(|_| {
                let waiting_tx = waiting_tx.clone();
                thread::spawn(move || {
                    mirage::Core::new().unwrap().run(async move {
                        // A wait given up on this Core takes nothing from the others.
                        let given_up = timeout(Duration::from_millis(1), ADDR.wait()).await;
                        assert!(given_up.is_err(), "nothing is set before every Core waits");
                        let mut waits = pin!(async { mirage::join!(ADDR.wait(), ADDR.wait()) });
                        assert!(poll_once(waits.as_mut()).await.is_none());
                        waiting_tx.send(()).unwrap();
                        let (first, second) = waits.await;
                        assert!(std::ptr::eq(first, second), "one value, read in place");
                        first.as_str()
                    })
                })
            })
            .collect();
        for _ in 0..CORES {
            waiting_rx.recv().unwrap();
        }
        let setter = thread::spawn(|| ADDR.set(String::from("127.0.0.1:8080")));
        assert_eq!(setter.join().unwrap(), Ok(()));
        let again = ADDR.set(String::from("0.0.0.0:0"));
        assert_eq!(again, Err(SetOnceError(String::from("0.0.0.0:0"))));
        let got: Vec<_> = cores.into_iter().map(|core| core.join().unwrap()).collect();
        got
    });
    assert_eq!(got, ["127.0.0.1:8080"; CORES]);
}
