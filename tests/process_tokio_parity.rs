//! Behaviours tokio's own tests pin down for `tokio::process` (its regression tests for
//! pipes that stop waking, children killed on drop, children waited for elsewhere),
//! checked on `mirage::process` where `tests/process.rs` does not already.

use std::future::poll_fn;
use std::io::Write;
use std::os::fd::OwnedFd;
use std::pin::Pin;
use std::process::Stdio;
use std::task::Poll;
use std::time::Duration;

use mirage::Core;
use mirage::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use mirage::process::{ChildStdin, Command};
use mirage::time::timeout;

/// Bounds every wait: a pipe that is never woken fails the test instead of hanging it.
const GUARD: Duration = Duration::from_secs(10);

/// A child killed on drop takes only itself down: a process it started that holds the
/// stdout pipe writes on, and the reader reads to the end that process makes.
#[test]
fn a_child_killed_on_drop_leaves_its_own_children_to_finish_the_output() {
    Core::new().unwrap().run(async {
        let script = "(echo started; sleep 0.2; echo from the orphan) & exec sleep 100";
        let mut child = Command::new("sh")
            .args(["-c", script])
            .kill_on_drop(true)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        // The orphan-to-be runs before the child is killed.
        let mut started = [0; 8];
        timeout(GUARD, stdout.read_exact(&mut started))
            .await
            .expect("the background process never started")
            .unwrap();
        assert_eq!(&started, b"started\n");
        drop(child);
        let mut text = String::new();
        timeout(GUARD, stdout.read_to_string(&mut text))
            .await
            .expect("stdout never ended")
            .unwrap();
        assert_eq!(text, "from the orphan\n");
    });
}

/// Reads `first`, checks that the next read waits, lets the child go on, then reads
/// `second` and the end: the pipe must wake its reader again after a read that waited.
async fn two_chunks<R: AsyncRead + Unpin>(
    reader: &mut R,
    stdin: &mut ChildStdin,
    first: &[u8],
    second: &[u8],
) {
    let mut buf = vec![0; first.len()];
    reader.read_exact(&mut buf).await.unwrap();
    assert_eq!(buf, first);
    poll_fn(|cx| {
        let pending = Pin::new(&mut *reader)
            .poll_read(cx, &mut [0; 1])
            .is_pending();
        assert!(pending, "the child writes nothing until told to");
        Poll::Ready(())
    })
    .await;
    stdin.write_all(b"go on\n").await.unwrap();
    buf.resize(second.len(), 0);
    reader.read_exact(&mut buf).await.unwrap();
    assert_eq!(buf, second);
    // Only now may the child exit: its hang-up would wake the reader on its own.
    stdin.write_all(b"done\n").await.unwrap();
    assert_eq!(reader.read(&mut buf).await.unwrap(), 0);
}

#[test]
fn stdout_and_stderr_wake_their_reader_for_a_second_chunk() {
    Core::new().unwrap().run(async {
        let script = "printf 'one\\n'; read gate; printf 'two\\n'; read gate";
        let mut child = Command::new("sh")
            .args(["-c", script])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let (mut stdin, mut stdout) = (child.stdin.take().unwrap(), child.stdout.take().unwrap());
        let chunks = two_chunks(&mut stdout, &mut stdin, b"one\n", b"two\n");
        timeout(GUARD, chunks).await.expect("stdout stalled");
        let status = timeout(GUARD, child.wait()).await.unwrap().unwrap();
        assert!(status.success());

        let script = "printf 'one\\n' >&2; read gate; printf 'two\\n' >&2; read gate";
        let mut child = Command::new("sh")
            .args(["-c", script])
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let (mut stdin, mut stderr) = (child.stdin.take().unwrap(), child.stderr.take().unwrap());
        let chunks = two_chunks(&mut stderr, &mut stdin, b"one\n", b"two\n");
        timeout(GUARD, chunks).await.expect("stderr stalled");
        let status = timeout(GUARD, child.wait()).await.unwrap().unwrap();
        assert!(status.success());
    });
}

/// A stdin filled while the child reads nothing wakes its writer once the child starts
/// reading: every byte written arrives.
#[test]
fn a_full_stdin_wakes_its_writer_once_the_child_reads() {
    Core::new().unwrap().run(async {
        let (gate, childs_gate) = std::os::unix::net::UnixStream::pair().unwrap();
        let mut child = Command::new("sh")
            .args(["-c", "read gate <&2; wc -c"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(OwnedFd::from(childs_gate)))
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let (mut stdin, mut stdout) = (child.stdin.take().unwrap(), child.stdout.take().unwrap());
        let mut written = 0;
        timeout(GUARD, async {
            // Unconstrained, so that a pending write means a full pipe, not a spent budget.
            mirage::coop::unconstrained(poll_fn(|cx| {
                loop {
                    match Pin::new(&mut stdin).poll_write(cx, &[b'x'; 8192]) {
                        Poll::Ready(Ok(n)) => written += n,
                        Poll::Ready(Err(err)) => panic!("writing to stdin failed: {err}"),
                        Poll::Pending if written == 0 => return Poll::Pending,
                        Poll::Pending => return Poll::Ready(()),
                    }
                }
            }))
            .await;
            (&gate).write_all(b"read now\n").unwrap();
            stdin.write_all(b"x").await.unwrap();
            drop(stdin);
            let mut count = String::new();
            stdout.read_to_string(&mut count).await.unwrap();
            assert_eq!(count.trim().parse::<usize>().unwrap(), written + 1);
            assert!(child.wait().await.unwrap().success());
        })
        .await
        .expect("the writer was not woken once the child read");
    });
}

/// A pipe first waited on by one Core is read to its end by another once the first is
/// gone, as a child is waited for by a runtime other than the one that spawned it.
#[test]
fn a_pipe_moves_on_to_a_new_core() {
    let mut first = Core::new().unwrap();
    let (mut child, mut stdin, mut stdout) = first.run(async {
        let mut child = Command::new("sh")
            .args(["-c", "read gate; echo after the gate"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let (stdin, mut stdout) = (child.stdin.take().unwrap(), child.stdout.take().unwrap());
        let early = timeout(Duration::from_millis(10), stdout.read(&mut [0; 8])).await;
        assert!(early.is_err(), "the child wrote before its gate opened");
        (child, stdin, stdout)
    });
    drop(first);
    Core::new().unwrap().run(async {
        stdin.write_all(b"open\n").await.unwrap();
        let mut text = String::new();
        timeout(GUARD, stdout.read_to_string(&mut text))
            .await
            .expect("the pipe's wake-up was lost with its first Core")
            .unwrap();
        assert_eq!(text, "after the gate\n");
        assert!(child.wait().await.unwrap().success());
    });
}
