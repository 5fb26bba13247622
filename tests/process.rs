//! `mirage::process`: child processes whose exit and pipes are awaited through the Core.

use std::cell::Cell;
use std::future::Future;
use std::io::{ErrorKind, Read};
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::rc::Rc;
use std::time::{Duration, Instant};

use mirage::Core;
use mirage::io::{AsyncReadExt, AsyncWriteExt};
use mirage::process::Command;

#[cfg(all(target_arch = "x86_64", target_endian = "little"))]
#[path = "net_common/seccomp.rs"]
mod seccomp;

#[test]
fn a_megabyte_through_cat_while_the_core_reads_and_writes_at_once() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut child = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        // Far more than a pipe holds: the writes wait for the reads, in one Core.
        let data: Vec<u8> = (0..1u32 << 20).map(|i| (i * 13 % 253) as u8).collect();
        let sent = data.clone();
        let writer = mirage::spawn(async move {
            stdin.write_all(&sent).await.unwrap();
            // Dropping stdin ends cat's input.
        });
        let mut echoed = Vec::new();
        stdout.read_to_end(&mut echoed).await.unwrap();
        writer.await.unwrap();
        assert!(echoed == data, "every byte came back, in order");
        assert!(child.wait().await.unwrap().success());
    });
}

#[test]
fn exit_codes_signals_and_missing_programs_are_reported() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let status = Command::new("sh")
            .args(["-c", "exit 7"])
            .status()
            .await
            .unwrap();
        assert_eq!(status.code(), Some(7));

        let mut sleeper = Command::new("sleep").arg("100").spawn().unwrap();
        sleeper.kill().await.unwrap();
        let status = sleeper.try_wait().unwrap().expect("waited for by kill");
        assert_eq!(status.signal(), Some(libc::SIGKILL));
        // Killing again once it is reaped does nothing.
        sleeper.start_kill().unwrap();

        let err = Command::new("/no/such/program").spawn().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
    });
}

#[test]
fn the_core_runs_its_tasks_while_it_waits_for_a_child() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let ticks = Rc::new(Cell::new(0));
        let ticker = mirage::spawn({
            let ticks = Rc::clone(&ticks);
            async move {
                loop {
                    mirage::time::sleep(Duration::from_millis(5)).await;
                    ticks.set(ticks.get() + 1);
                }
            }
        });
        let started = Instant::now();
        let status = Command::new("sleep").arg("0.2").status().await.unwrap();
        assert!(status.success());
        assert!(started.elapsed() >= Duration::from_millis(200));
        // About 40 on an idle machine; a Core blocked in the wait would give none.
        assert!(
            ticks.get() >= 2,
            "the ticker ran {} times meanwhile",
            ticks.get()
        );
        ticker.abort();
    });
}

#[test]
fn a_child_dropped_with_kill_on_drop_is_killed_and_reaped() {
    let mut core = Core::new().unwrap();
    let pid = core.run(async {
        let child = Command::new("sleep")
            .arg("100")
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        child.id()
    });
    // The child was dropped at the end of the run: it must disappear, reaped (a zombie
    // would still answer kill(pid, 0)).
    wait_until_gone(pid);
}

#[test]
fn output_collects_both_streams_and_a_closed_stdin_fails_writes() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let output = Command::new("sh")
            .args(["-c", "printf out; printf err >&2; exit 2"])
            .output()
            .await
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
        assert_eq!(output.stdout, b"out");
        assert_eq!(output.stderr, b"err");

        let mut child = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.close().await.unwrap();
        assert_eq!(
            stdin.write(b"late").await.unwrap_err().kind(),
            ErrorKind::BrokenPipe
        );
        assert!(
            child.wait().await.unwrap().success(),
            "cat saw the end of its input"
        );
    });
}

/// `output` gives the child a null stdin when none was set, for that run only: a later
/// `spawn` of the same command inherits stdin again, as std and tokio leave it. std gives
/// no way to read a command's stdin back but its `Debug` text, which names an explicit
/// `Null`.
#[test]
fn output_leaves_an_unset_stdin_unset_for_the_next_spawn() {
    let mut command = Command::new("true");
    Core::new().unwrap().run(command.output()).unwrap();
    let settings = format!("{:#?}", command.as_std());
    assert!(!settings.contains("Null"), "{settings}");
}

/// `output` leaves the stdin of a command made from a std one, or changed through
/// `as_std_mut`, as the std command has it (a file to read, say), as tokio's `output` does:
/// Mirage cannot read a stdin set there back, so it does not replace it.
#[test]
fn output_keeps_a_stdin_set_on_the_std_command() {
    let path = std::env::temp_dir().join(format!("mirage-output-stdin-{}", std::process::id()));
    std::fs::write(&path, b"from the file\n").unwrap();
    let mut core = Core::new().unwrap();

    let mut std_command = std::process::Command::new("cat");
    std_command.stdin(std::fs::File::open(&path).unwrap());
    let output = core.run(Command::from(std_command).output()).unwrap();
    assert_eq!(
        output.stdout, b"from the file\n",
        "set before the conversion"
    );

    let mut command = Command::new("cat");
    command
        .as_std_mut()
        .stdin(std::fs::File::open(&path).unwrap());
    let output = core.run(command.output()).unwrap();
    assert_eq!(output.stdout, b"from the file\n", "set through as_std_mut");
    std::fs::remove_file(&path).unwrap();
}

/// `status` and `output` start the process at the call, as tokio's do, not at the
/// future's first poll: a caller may start a child, do other work, and await it later.
#[test]
fn status_and_output_start_the_process_before_their_future_is_polled() {
    let mut core = Core::new().unwrap();
    for which in ["status", "output"] {
        let path =
            std::env::temp_dir().join(format!("mirage-started-{which}-{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(format!("echo started > {}", path.display()));
        let exited: std::pin::Pin<Box<dyn Future<Output = bool>>> = if which == "status" {
            let status = command.status();
            Box::pin(async move { status.await.unwrap().success() })
        } else {
            let output = command.output();
            Box::pin(async move { output.await.unwrap().status.success() })
        };
        // Not polled yet: the child must run all the same (within a generous bound).
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::fs::read(&path).map_or(true, |text| text != b"started\n") {
            assert!(
                Instant::now() < deadline,
                "{which}: the child never started"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(core.run(exited), "{which}");
        std::fs::remove_file(&path).unwrap();
    }
}

/// Whether `pid` is still a process (a zombie counts), checked with signal 0.
fn exists(pid: u32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    unsafe { libc::kill(pid as libc::pid_t, 0) == 0 }
}

/// Waits, up to a generous 10 s, for `pid` to be gone (reaped).
fn wait_until_gone(pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while exists(pid) {
        assert!(Instant::now() < deadline, "process {pid} was never reaped");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_dropped_child_is_reaped_when_it_exits_by_the_core_or_outside_one() {
    // Dropped inside a Core: a task of the Core reaps it.
    let mut core = Core::new().unwrap();
    let pid = core.run(async {
        let child = Command::new("sleep").arg("0.05").spawn().unwrap();
        let pid = child.id();
        drop(child);
        // Keep the Core running past the child's exit, without polling for it.
        let deadline = Instant::now() + Duration::from_secs(10);
        while exists(pid) && Instant::now() < deadline {
            mirage::time::sleep(Duration::from_millis(5)).await;
        }
        pid
    });
    assert!(!exists(pid), "the Core's task reaped process {pid}");

    // Dropped outside a Core: the blocking pool reaps it.
    let child = Command::new("sleep").arg("0.05").spawn().unwrap();
    let pid = child.id();
    drop(child);
    wait_until_gone(pid);
}

#[test]
fn a_child_dropped_in_a_blocking_closure_takes_no_thread_of_the_runtime_s_pool() {
    // One thread in the runtime's pool. The closure runs there with no Core of its own, and
    // drops a child that runs on: the thread that waits to reap it must not be the pool's
    // only one, which the runtime's next blocking call would wait for as long as the child
    // runs.
    let runtime = mirage::runtime::Builder::new_current_thread()
        .max_blocking_threads(1)
        .build()
        .unwrap();
    let (pid, next) = runtime.block_on(async {
        let pid = mirage::spawn_blocking(|| {
            let child = Command::new("sleep").arg("30").spawn().unwrap();
            child.id()
        })
        .await
        .unwrap();
        let next =
            mirage::time::timeout(Duration::from_secs(5), mirage::spawn_blocking(|| ())).await;
        (pid, next)
    });
    // SAFETY: sends SIGKILL to the child started above, which is not reaped before it exits.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
    wait_until_gone(pid);
    assert!(
        next.is_ok(),
        "the runtime's next blocking call waited for a dropped child to exit"
    );
}

#[test]
fn a_dropped_child_is_reaped_even_if_its_core_is_dropped_before_it_exits() {
    let mut core = Core::new().unwrap();
    let (held, dropped) = core.run(async {
        // Held by a task that the Core's drop cancels, so dropped during that drop.
        let child = Command::new("sleep").arg("0.05").spawn().unwrap();
        let held = child.id();
        mirage::spawn(async move {
            let _child = child;
            std::future::pending::<()>().await
        });
        // Dropped while the Core runs, which stops before the child exits.
        let child = Command::new("sleep").arg("0.05").spawn().unwrap();
        let dropped = child.id();
        drop(child);
        mirage::yield_now().await;
        (held, dropped)
    });
    drop(core);
    wait_until_gone(held);
    wait_until_gone(dropped);
}

thread_local! {
    /// A Core kept for the life of its thread, dropped among the thread-locals at its exit.
    static KEPT_CORE: std::cell::RefCell<Option<Core>> = const { std::cell::RefCell::new(None) };
}

#[test]
fn a_child_of_a_core_kept_in_a_thread_local_is_reaped_when_the_thread_exits() {
    let pid = std::thread::spawn(|| {
        KEPT_CORE.with(|kept| {
            let mut kept = kept.borrow_mut();
            kept.insert(Core::new().unwrap()).run(async {
                // The blocking pool's own thread-local is made after the Core's, so it is
                // destroyed first: the child is handed over with the pool already gone.
                mirage::spawn_blocking(|| ()).await.unwrap();
                let child = Command::new("sleep").arg("0.05").spawn().unwrap();
                let pid = child.id();
                mirage::spawn(async move {
                    let _child = child;
                    std::future::pending::<()>().await
                });
                mirage::yield_now().await;
                pid
            })
        })
    })
    .join()
    .unwrap();
    wait_until_gone(pid);
}

#[test]
fn status_closes_piped_output_so_a_chatty_child_cannot_block_on_it() {
    let mut core = Core::new().unwrap();
    core.run(async {
        // Far more than a pipe holds, written to pipes that `status` gives nobody to read.
        let status = mirage::time::timeout(
            Duration::from_secs(10),
            Command::new("sh")
                .args([
                    "-c",
                    "head -c 1000000 /dev/zero; head -c 1000000 /dev/zero >&2",
                ])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .status(),
        )
        .await
        .expect("status waited on a child blocked writing to a pipe it held")
        .unwrap();
        // The child finds its output closed: it ends on SIGPIPE (or an error), not hangs.
        assert!(!status.success());
    });
}

#[test]
fn a_child_s_output_pipes_into_another_child_in_blocking_mode() {
    let mut core = Core::new().unwrap();
    core.run(async {
        // The writer is silent at first: a reader handed a non-blocking pipe would get
        // EAGAIN at its first read and fail instead of waiting.
        let mut late = Command::new("sh")
            .args(["-c", "sleep 0.3; echo late; echo oops >&2"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout: Stdio = late.stdout.take().unwrap().try_into().unwrap();
        let stderr: Stdio = late.stderr.take().unwrap().try_into().unwrap();
        let (mut cat_out, mut cat_err) = (Command::new("cat"), Command::new("cat"));
        let (out, err) = mirage::join!(
            cat_out.stdin(stdout).output(),
            cat_err.stdin(stderr).output(),
        );
        let (out, err) = (out.unwrap(), err.unwrap());
        assert!(
            out.status.success(),
            "{:?}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.stdout, b"late\n");
        assert!(err.status.success());
        assert_eq!(err.stdout, b"oops\n");
        assert!(late.wait().await.unwrap().success());
    });
}

#[test]
fn a_closed_stdin_cannot_become_another_child_s_stdio() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut child = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.close().await.unwrap();
        let err = Stdio::try_from(stdin).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(child.wait().await.unwrap().success());
    });
}

#[test]
fn a_closed_stdin_has_no_descriptor_to_hand_back() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut child = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.close().await.unwrap();
        let err = stdin.into_owned_fd().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(child.wait().await.unwrap().success());
    });
}

#[test]
fn a_pipe_read_through_the_core_is_handed_back_in_blocking_mode() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut child = Command::new("sh")
            .args(["-c", "echo first; sleep 0.3; echo late"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut first = [0; 6];
        stdout.read_exact(&mut first).await.unwrap();
        assert_eq!(&first, b"first\n");
        // The rest comes later: a descriptor still non-blocking would fail this read with
        // WouldBlock instead of waiting for it.
        let mut rest = String::new();
        std::fs::File::from(stdout.into_owned_fd().unwrap())
            .read_to_string(&mut rest)
            .unwrap();
        assert_eq!(rest, "late\n");
        assert!(child.wait().await.unwrap().success());
    });
}

fn stdout_of(command: &mut Command) -> String {
    let output = Core::new().unwrap().run(command.output()).unwrap();
    assert!(output.status.success(), "{command:?} failed: {output:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn env_clear_leaves_only_the_variables_set_after_it() {
    let mut command = Command::new("env");
    command
        .env("BEFORE", "cleared")
        .env_clear()
        .envs([("B_SECOND", "2"), ("A_FIRST", "1")])
        .env("C_THIRD", "3")
        .env_remove("C_THIRD");
    assert_eq!(stdout_of(&mut command), "A_FIRST=1\nB_SECOND=2\n");
}

#[test]
fn process_group_zero_makes_the_child_lead_a_group_of_its_own() {
    let script = "echo $$ $(cut -d' ' -f5 /proc/$$/stat)"; // pid, process group
    let ids = |command: &mut Command| {
        let text = stdout_of(command.args(["-c", script]));
        let (pid, group) = text.trim().split_once(' ').unwrap();
        (pid.parse::<i32>().unwrap(), group.parse::<i32>().unwrap())
    };
    let (pid, group) = ids(Command::new("sh").process_group(0));
    assert_eq!(pid, group);
    // SAFETY: getpgrp has no preconditions.
    let ours = unsafe { libc::getpgrp() };
    let (pid, group) = ids(&mut Command::new("sh"));
    assert_eq!(group, ours, "by default the child stays in our group");
    assert_ne!(pid, group);
}

#[test]
fn arg0_renames_argv0_but_runs_the_program_given() {
    let mut command = Command::new("cat");
    command.arg0("renamed").arg("/proc/self/cmdline");
    assert_eq!(stdout_of(&mut command), "renamed\0/proc/self/cmdline\0");
}

#[test]
fn uid_and_gid_change_the_child_s_user_or_fail_without_the_right() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        let mut command = Command::new("sh");
        command.args(["-c", "id -u; id -g"]).uid(65534).gid(65534);
        assert_eq!(stdout_of(&mut command), "65534\n65534\n");
    } else {
        let err = Command::new("true").uid(0).spawn().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    }
}

#[test]
fn pre_exec_runs_in_the_child_and_its_error_fails_the_spawn() {
    let mut command = Command::new("sh");
    command.args(["-c", "umask"]);
    // SAFETY: umask is async-signal-safe and the closure allocates nothing.
    unsafe {
        command.pre_exec(|| {
            libc::umask(0o027);
            Ok(())
        });
    }
    assert_eq!(stdout_of(&mut command), "0027\n");

    let mut failing = Command::new("true");
    // SAFETY: the closure only builds an io::Error from a code, which allocates nothing.
    unsafe {
        failing.pre_exec(|| Err(std::io::Error::from_raw_os_error(libc::E2BIG)));
    }
    let err = failing.spawn().unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::E2BIG));
}

#[test]
fn get_kill_on_drop_reads_back_the_setting() {
    let mut command = Command::new("true");
    assert!(!command.get_kill_on_drop());
    assert!(command.kill_on_drop(true).get_kill_on_drop());
    assert!(!command.kill_on_drop(false).get_kill_on_drop());
}

#[test]
fn wait_is_fused_and_killing_a_reaped_child_is_harmless() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut child = Command::new("sh").args(["-c", "exit 2"]).spawn().unwrap();
        child.start_kill().unwrap();
        let status = child.wait().await.unwrap();
        // Waiting again answers the same status; killing now does nothing.
        assert_eq!(child.wait().await.unwrap(), status);
        child.start_kill().unwrap();
        child.kill().await.unwrap();
        assert_eq!(child.try_wait().unwrap(), Some(status));
    });
}

#[test]
fn a_writer_waiting_on_a_full_stdin_fails_once_the_child_dies() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut child = Command::new("sleep")
            .arg("100")
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        // The child never reads: the writer fills the pipe, then waits for room.
        let writer = mirage::spawn(async move {
            let chunk = [0u8; 8192];
            loop {
                stdin.write_all(&chunk).await?;
            }
            #[allow(unreachable_code)]
            std::io::Result::Ok(())
        });
        mirage::time::sleep(Duration::from_millis(20)).await;
        assert!(!writer.is_finished(), "the pipe took everything");
        child.kill().await.unwrap();
        let result = mirage::time::timeout(Duration::from_secs(10), writer)
            .await
            .expect("the writer was never woken by the reader's end");
        assert_eq!(result.unwrap().unwrap_err().kind(), ErrorKind::BrokenPipe);
    });
}

#[test]
fn a_child_is_waited_for_by_a_core_other_than_the_one_it_started_in() {
    // Spawned outside any Core.
    let mut child = Command::new("true").stdin(Stdio::piped()).spawn().unwrap();
    let status = Core::new().unwrap().run(child.wait()).unwrap();
    assert!(status.success());
    // Spawned in one Core and waited for there until that Core is dropped, then in another.
    let mut first = Core::new().unwrap();
    let mut child = first.run(async {
        let mut child = Command::new("sleep").arg("0.1").spawn().unwrap();
        let early = mirage::time::timeout(Duration::from_millis(5), child.wait()).await;
        assert!(early.is_err(), "exited early");
        child
    });
    drop(first);
    let status = Core::new()
        .unwrap()
        .run(async { mirage::time::timeout(Duration::from_secs(10), child.wait()).await })
        .expect("the child's exit was lost with its first Core")
        .unwrap();
    assert!(status.success());
}

/// A `status()` future given up on drops its child as a dropped `Child` is: killed with
/// `kill_on_drop`, and reaped. The shell tells its pid through a file, then becomes `sleep`.
#[test]
fn a_status_given_up_on_kills_its_child_with_kill_on_drop() {
    let pidfile =
        std::env::temp_dir().join(format!("mirage-status-given-up-{}", std::process::id()));
    let _ = std::fs::remove_file(&pidfile);
    let mut core = Core::new().unwrap();
    let script = format!("echo $$ > {}; exec sleep 100", pidfile.display());
    let pid = core.run(async {
        let mut command = Command::new("sh");
        command.args(["-c", &script]).kill_on_drop(true);
        let mut status = std::pin::pin!(command.status());
        let start = Instant::now();
        let pid = loop {
            let gave_up = mirage::time::timeout(Duration::from_millis(5), status.as_mut()).await;
            assert!(gave_up.is_err(), "sleep 100 exited");
            match std::fs::read_to_string(&pidfile) {
                Ok(pid) if pid.ends_with('\n') => break pid.trim().parse::<u32>().unwrap(),
                _ => assert!(start.elapsed() < Duration::from_secs(10), "no pid written"),
            }
        };
        assert!(exists(pid), "the child runs while the future waits");
        pid
    });
    std::fs::remove_file(&pidfile).unwrap();
    wait_until_gone(pid);
}

/// A `kill()` given up on after it sent the signal leaves the child dying: `wait` then
/// reports the SIGKILL.
#[test]
fn a_kill_given_up_on_still_kills_and_wait_reports_it() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut child = Command::new("sleep").arg("100").spawn().unwrap();
        {
            let mut kill = std::pin::pin!(child.kill());
            let waker = std::task::Waker::noop();
            let polled = kill
                .as_mut()
                .poll(&mut std::task::Context::from_waker(waker));
            assert!(
                polled.is_pending(),
                "the signal is sent, the exit not yet seen"
            );
        }
        let status = mirage::time::timeout(Duration::from_secs(10), child.wait()).await;
        assert_eq!(status.unwrap().unwrap().signal(), Some(libc::SIGKILL));
    });
}

/// Makes `pidfd_open` fail with `errno` on the calling thread (and on the threads it starts
/// later), as on a kernel before 5.3 (`ENOSYS`) or in a sandbox that refuses it (`EPERM`);
/// see [`seccomp::fail_on_this_thread`]. Mirage always passes flags 0.
#[cfg(all(target_arch = "x86_64", target_endian = "little"))]
fn lose_pidfd_on_this_thread(errno: i32) -> bool {
    seccomp::fail_on_this_thread(libc::SYS_pidfd_open, 1, 0, errno)
}

/// Without pidfds, a child's exit is learnt from SIGCHLD: `wait`, `output` and the reaping
/// of a dropped child all still work. Each child lives on a little after it starts (and
/// after it closes its pipes), so that its exit is learnt through the exit watch, not found
/// by the first `try_wait`.
#[cfg(all(target_arch = "x86_64", target_endian = "little"))]
fn children_without_pidfd(errno: i32) {
    if !lose_pidfd_on_this_thread(errno) {
        eprintln!(
            "skipped: no seccomp filter here ({})",
            std::io::Error::last_os_error()
        );
        return;
    }
    // SAFETY: `pidfd_open` takes a pid and flags, no pointers.
    let refused = unsafe { libc::syscall(libc::SYS_pidfd_open, std::process::id(), 0) };
    assert_eq!(refused, -1, "the filter works");
    assert_eq!(std::io::Error::last_os_error().raw_os_error(), Some(errno));
    // Generous: a loaded machine may be slow, but not seconds slow.
    let limit = Duration::from_secs(10);
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut child = Command::new("sh")
            .args(["-c", "sleep 0.02; exit 3"])
            .spawn()
            .unwrap();
        let status = mirage::time::timeout(limit, child.wait())
            .await
            .expect("wait never saw the child exit");
        assert_eq!(status.unwrap().code(), Some(3));

        let output = Command::new("sh")
            .args([
                "-c",
                "echo out; echo err >&2; exec >&- 2>&-; sleep 0.02; exit 4",
            ])
            .output();
        let output = mirage::time::timeout(limit, output)
            .await
            .expect("output never saw the child exit")
            .unwrap();
        assert_eq!(output.status.code(), Some(4));
        assert_eq!(
            (&output.stdout[..], &output.stderr[..]),
            (&b"out\n"[..], &b"err\n"[..])
        );

        // Dropped unkilled: a task of this Core reaps it once it exits.
        let child = Command::new("sleep").arg("0.02").spawn().unwrap();
        let pid = child.id();
        drop(child);
        let deadline = Instant::now() + limit;
        while exists(pid) {
            assert!(Instant::now() < deadline, "process {pid} was never reaped");
            mirage::time::sleep(Duration::from_millis(2)).await;
        }
    });
}

#[cfg(all(target_arch = "x86_64", target_endian = "little"))]
#[test]
fn children_are_waited_for_through_sigchld_on_a_kernel_without_pidfd() {
    std::thread::spawn(|| children_without_pidfd(libc::ENOSYS))
        .join()
        .unwrap();
}

#[cfg(all(target_arch = "x86_64", target_endian = "little"))]
#[test]
fn children_are_waited_for_through_sigchld_where_a_sandbox_refuses_pidfd() {
    std::thread::spawn(|| children_without_pidfd(libc::EPERM))
        .join()
        .unwrap();
}

/// A `Command` may be built on one thread and spawned on another, as tokio's (the `Child`
/// it spawns stays on the thread that spawned it: see the module's docs).
#[test]
fn a_command_is_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Command>();
}
