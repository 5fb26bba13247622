//! Unix signals as futures: `mirage::signal::{ctrl_c, signal}`.
//!
//! The tests of this binary share one process, and so its signal dispositions: each test
//! raises a signal no other test listens for. `raise` runs the handler on the calling
//! thread before it returns.

use std::future::poll_fn;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::task::Poll;
use std::thread;
use std::time::Duration;

use mirage::Core;
use mirage::signal::{Signal, SignalKind, ctrl_c, signal};

#[cfg(all(target_arch = "x86_64", target_endian = "little"))]
#[path = "net_common/seccomp.rs"]
mod seccomp;

fn raise(signo: libc::c_int) {
    // SAFETY: every signal raised here has a handler installed first (by `signal`).
    assert_eq!(unsafe { libc::raise(signo) }, 0);
}

/// The real-time signal `offset` above the lowest, for tests that need one of their own.
fn realtime(offset: libc::c_int) -> libc::c_int {
    libc::SIGRTMIN() + offset
}

/// Whether `signal` has a delivery to report, without waiting.
async fn has_delivery(signal: &mut Signal) -> bool {
    poll_fn(|cx| Poll::Ready(signal.poll_recv(cx).is_ready())).await
}

/// Waits for `signal`'s next delivery, failing after 10 s: checks that the delivery woke
/// the task, where a timeout's own poll of `recv` would find the count changed anyway.
async fn recv_or_fail(signal: &mut Signal, what: &str) {
    mirage::select! {
        biased;
        _ = mirage::time::sleep(Duration::from_secs(10)) => panic!("never woken by {what}"),
        received = signal.recv() => received.unwrap(),
    }
}

#[test]
fn ctrl_c_completes_at_the_next_sigint_and_no_earlier() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut first = ctrl_c();
        let not_yet = mirage::time::timeout(Duration::from_millis(5), &mut first).await;
        assert!(not_yet.is_err(), "completed with no SIGINT");
        raise(libc::SIGINT);
        first.await.unwrap();
        // A later ctrl_c waits for a later SIGINT.
        let mut second = ctrl_c();
        assert!(
            mirage::time::timeout(Duration::ZERO, &mut second)
                .await
                .is_err()
        );
        raise(libc::SIGINT);
        second.await.unwrap();
    });
}

#[test]
fn deliveries_between_two_recvs_are_reported_once() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut usr1 = signal(SignalKind::user_defined1()).unwrap();
        assert!(!has_delivery(&mut usr1).await);
        for _ in 0..3 {
            raise(libc::SIGUSR1);
        }
        assert!(has_delivery(&mut usr1).await);
        assert!(
            !has_delivery(&mut usr1).await,
            "three deliveries, one report"
        );
        raise(libc::SIGUSR1);
        usr1.recv().await.unwrap();
        assert!(!has_delivery(&mut usr1).await);
    });
}

#[test]
fn a_delivery_while_no_recv_waits_is_not_lost() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut usr2 = signal(SignalKind::user_defined2()).unwrap();
        // A recv that registers its waker, then is dropped, as a select! loser is.
        let lost = mirage::time::timeout(Duration::from_millis(1), usr2.recv()).await;
        assert!(lost.is_err());
        raise(libc::SIGUSR2);
        mirage::time::timeout(Duration::from_secs(10), usr2.recv())
            .await
            .expect("the delivery after the dropped recv was reported")
            .unwrap();
    });
}

#[test]
fn every_listener_hears_every_delivery_on_any_core_and_thread() {
    let signo = realtime(1);
    let kind = SignalKind::from_raw(signo);
    let (waiting_tx, waiting_rx) = mpsc::channel();
    let other = thread::spawn(move || {
        let mut listener = signal(kind).unwrap();
        let mut core = Core::new().unwrap();
        core.run(async move {
            assert!(!has_delivery(&mut listener).await);
            waiting_tx.send(()).unwrap();
            // The Core now blocks in epoll until the main thread raises the signal.
            recv_or_fail(&mut listener, "the signal raised on another thread").await;
        });
    });
    let mut here = signal(kind).unwrap();
    let mut also_here = signal(kind).unwrap();
    waiting_rx.recv().unwrap();
    raise(signo);
    other
        .join()
        .expect("the other thread's listener heard the signal");
    let mut core = Core::new().unwrap();
    core.run(async {
        here.recv().await.unwrap();
        also_here.recv().await.unwrap();
    });
}

#[test]
fn a_delivery_before_a_listener_exists_is_not_reported_to_it() {
    let signo = realtime(2);
    let kind = SignalKind::from_raw(signo);
    let mut early = signal(kind).unwrap();
    raise(signo);
    let mut late = signal(kind).unwrap();
    let mut core = Core::new().unwrap();
    core.run(async {
        assert!(has_delivery(&mut early).await);
        assert!(!has_delivery(&mut late).await);
        raise(signo);
        assert!(has_delivery(&mut early).await);
        assert!(has_delivery(&mut late).await);
    });
}

#[test]
fn many_listeners_each_hear_one_delivery_and_dropped_ones_are_replaced() {
    let signo = realtime(3);
    let kind = SignalKind::from_raw(signo);
    let mut core = Core::new().unwrap();
    core.run(async {
        // More than one chunk of slots, so the handler follows the links.
        let mut listeners: Vec<Signal> = (0..150).map(|_| signal(kind).unwrap()).collect();
        raise(signo);
        for listener in &mut listeners {
            listener.recv().await.unwrap();
        }
        // Half of them leave; new ones take their slots and hear only what comes next.
        listeners.truncate(75);
        listeners.extend((0..75).map(|_| signal(kind).unwrap()));
        for listener in &mut listeners {
            assert!(!has_delivery(listener).await);
        }
        raise(signo);
        for listener in &mut listeners {
            assert!(has_delivery(listener).await);
        }
    });
}

#[test]
fn a_listener_made_before_any_core_registers_with_the_first_that_waits() {
    let signo = realtime(4);
    let mut listener = signal(SignalKind::from_raw(signo)).unwrap();
    raise(signo);
    Core::new()
        .unwrap()
        .run(async { listener.recv().await.unwrap() });
    // And moves on to a new Core once that one is gone.
    raise(signo);
    Core::new()
        .unwrap()
        .run(async { listener.recv().await.unwrap() });
}

static OLD_HANDLER_CALLS: AtomicUsize = AtomicUsize::new(0);
static OLD_INFO_HANDLER_CALLS: AtomicUsize = AtomicUsize::new(0);

extern "C" fn old_handler(_signo: libc::c_int) {
    OLD_HANDLER_CALLS.fetch_add(1, Ordering::SeqCst);
}

extern "C" fn old_info_handler(
    signo: libc::c_int,
    info: *mut libc::siginfo_t,
    _context: *mut libc::c_void,
) {
    // SAFETY: the kernel passes a valid siginfo to an SA_SIGINFO handler, and Mirage's
    // handler passes on the one it got.
    if unsafe { (*info).si_signo } == signo {
        OLD_INFO_HANDLER_CALLS.fetch_add(1, Ordering::SeqCst);
    }
}

/// Installs `handler` for `signo` the way other code in the process might.
fn install_old(signo: libc::c_int, handler: usize, flags: libc::c_int) {
    // SAFETY: an all-zero sigaction is valid; `sa_mask` is emptied before use; the handler
    // is a function of the form `flags` says, and async-signal-safe.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = handler;
        action.sa_flags = flags;
        libc::sigemptyset(&mut action.sa_mask);
        assert_eq!(libc::sigaction(signo, &action, std::ptr::null_mut()), 0);
    }
}

#[test]
fn a_handler_installed_earlier_is_still_called() {
    let plain = realtime(5);
    let with_info = realtime(6);
    install_old(plain, old_handler as extern "C" fn(libc::c_int) as usize, 0);
    install_old(
        with_info,
        old_info_handler as extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void)
            as usize,
        libc::SA_SIGINFO,
    );
    let mut plain_listener = signal(SignalKind::from_raw(plain)).unwrap();
    let mut info_listener = signal(SignalKind::from_raw(with_info)).unwrap();
    raise(plain);
    raise(with_info);
    assert_eq!(OLD_HANDLER_CALLS.load(Ordering::SeqCst), 1);
    assert_eq!(OLD_INFO_HANDLER_CALLS.load(Ordering::SeqCst), 1);
    Core::new().unwrap().run(async {
        plain_listener.recv().await.unwrap();
        info_listener.recv().await.unwrap();
    });
}

#[test]
fn signals_that_cannot_or_must_not_be_caught_are_refused() {
    let refused = [
        libc::SIGKILL,
        libc::SIGSTOP,
        libc::SIGSEGV,
        libc::SIGBUS,
        libc::SIGILL,
        libc::SIGFPE,
        0,
        -1,
        32, // kept by glibc's threads (tokio would take these two over)
        33,
        libc::SIGRTMAX() + 1,
        1000,
    ];
    for signo in refused {
        let err = signal(SignalKind::from_raw(signo)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "signal {signo}");
        assert!(
            err.to_string().starts_with("cannot listen for SignalKind("),
            "{err}"
        );
    }
    let err = signal(SignalKind::from_raw(libc::SIGKILL)).unwrap_err();
    assert!(err.to_string().contains("SIGKILL"), "{err}");
    // The highest real-time signal is fine.
    assert_eq!(
        signal(SignalKind::from_raw(libc::SIGRTMAX()))
            .unwrap()
            .kind(),
        SignalKind::from_raw(libc::SIGRTMAX())
    );
}

#[test]
fn a_signal_from_another_process_is_heard() {
    let signo = realtime(7);
    let mut listener = signal(SignalKind::from_raw(signo)).unwrap();
    // The shell's own `kill`: slim images may have no kill(1) binary.
    let status = std::process::Command::new("sh")
        .args(["-c", &format!("kill -{signo} {}", std::process::id())])
        .status()
        .expect("run sh");
    assert!(status.success());
    Core::new().unwrap().run(async {
        recv_or_fail(&mut listener, "the signal sent by another process").await;
    });
}

/// Makes `eventfd2` with the flags Mirage passes fail with `EMFILE` on the calling thread
/// (and on the threads it starts later), as in a process that has used up its
/// descriptors; see [`seccomp::fail_on_this_thread`].
#[cfg(all(target_arch = "x86_64", target_endian = "little"))]
fn lose_eventfds_on_this_thread() -> bool {
    seccomp::fail_on_this_thread(
        libc::SYS_eventfd2,
        1,
        (libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) as u32,
        libc::EMFILE,
    )
}

/// A listener the system refuses an eventfd is an error, not a panic, and leaves nothing
/// broken: a later listener for the same signal, on a thread the refusal does not apply
/// to, hears it.
#[cfg(all(target_arch = "x86_64", target_endian = "little"))]
#[test]
fn a_listener_refused_an_eventfd_is_an_error_and_a_later_one_works() {
    let signo = realtime(8);
    let kind = SignalKind::from_raw(signo);
    let (refused_tx, refused_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let refusing = thread::spawn(move || {
        // Made before the filter: the Core's own eventfd, for wake-ups from other threads.
        let mut core = Core::new().unwrap();
        if !lose_eventfds_on_this_thread() {
            eprintln!(
                "skipped: no seccomp filter here ({})",
                io::Error::last_os_error()
            );
            refused_tx.send(false).unwrap();
            return;
        }
        // SAFETY: plain integer arguments; no descriptor comes back to close.
        let refused = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
        assert_eq!(refused, -1, "the filter works");
        assert_eq!(
            io::Error::last_os_error().raw_os_error(),
            Some(libc::EMFILE)
        );
        core.run(async {
            // A listener takes over the eventfd of a slot an earlier listener (of another
            // test here) left: hold all of those, until one needs a new eventfd.
            let mut held = Vec::new();
            let err = loop {
                match signal(kind) {
                    Ok(listener) => held.push(listener),
                    Err(err) => break err,
                }
                assert!(held.len() < 10_000, "no listener needed a new eventfd");
            };
            assert_eq!(err.raw_os_error(), Some(libc::EMFILE), "{err}");
            refused_tx.send(true).unwrap();
            // Held until the other listener is made, so that it takes a slot with no
            // eventfd yet (the refused one, unless another test frees one first) and must
            // open one, as the refused listener could not.
            let _ = done_rx.recv_timeout(Duration::from_secs(10));
        });
    });
    let refused = match refused_rx.recv_timeout(Duration::from_secs(10)) {
        Ok(refused) => refused,
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            refusing.join().unwrap();
            unreachable!("the refusing thread ended without an answer")
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("the refusing thread never answered"),
    };
    if refused {
        let mut later = signal(kind).unwrap();
        Core::new().unwrap().run(async {
            assert!(!has_delivery(&mut later).await);
            raise(signo);
            recv_or_fail(&mut later, "the signal a refused listener was made for").await;
        });
    }
    drop(done_tx);
    refusing.join().unwrap();
}
