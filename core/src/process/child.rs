//! `Child`: a running child process, and waiting for it to exit.

use std::fmt;
use std::future::{Future, poll_fn};
use std::io;
use std::os::fd::OwnedFd;
use std::pin::pin;
use std::process::{ExitStatus, Output};
use std::task::Poll;

use super::{ChildStderr, ChildStdin, ChildStdout};
use crate::io::{AsyncFd, AsyncReadExt};
use crate::signal::{self, SignalKind};
use crate::sys::pidfd;

/// A child process started by [`Command::spawn`](super::Command::spawn).
///
/// Its standard streams are here if they were [piped](std::process::Stdio::piped); take
/// them out to read and write while the child runs. Dropping a `Child` leaves the process
/// running, as std does, unless [`kill_on_drop`](super::Command::kill_on_drop) was set;
/// either way it is reaped when it exits (by a task of the running Core, or on the
/// blocking pool), so it leaves no zombie.
///
/// # Examples
///
/// ```
/// use mirage::process::Command;
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let mut child = Command::new("sleep").arg("10").spawn().unwrap();
///     assert!(child.try_wait().unwrap().is_none(), "still running");
///     child.kill().await.unwrap();
///     assert!(!child.wait().await.unwrap().success());
/// });
/// ```
pub struct Child {
    /// `None` only once `Drop` has taken it. std's `Child` keeps the exit status once it
    /// has reaped the process, so `try_wait` answers from it.
    child: Option<std::process::Child>,
    exit: ExitWatch,
    kill_on_drop: bool,
    /// The child's stdin, if piped.
    pub stdin: Option<ChildStdin>,
    /// The child's stdout, if piped.
    pub stdout: Option<ChildStdout>,
    /// The child's stderr, if piped.
    pub stderr: Option<ChildStderr>,
}

/// How a `Child` learns its process exited.
enum ExitWatch {
    /// A pidfd, readable once the process exits.
    Pidfd(AsyncFd<OwnedFd>),
    /// Kernels before 5.3 (or sandboxes that refuse `pidfd_open`): every SIGCHLD, after
    /// which the child is asked again.
    Sigchld(signal::Signal),
    /// Moved out by `Drop`.
    Gone,
}

impl ExitWatch {
    /// A pidfd for `pid`, or SIGCHLD where the kernel (or a sandbox) gives none.
    fn new(pid: u32) -> io::Result<ExitWatch> {
        match pidfd::open(pid) {
            // A pidfd the reactor refuses (none known) falls back to SIGCHLD too.
            Ok(Some(fd)) => AsyncFd::new(fd)
                .map(ExitWatch::Pidfd)
                .or_else(|_| ExitWatch::sigchld()),
            Ok(None) | Err(_) => ExitWatch::sigchld(),
        }
    }

    fn sigchld() -> io::Result<ExitWatch> {
        Ok(ExitWatch::Sigchld(signal::signal(SignalKind::child())?))
    }

    /// Waits for a sign that the process may have exited.
    async fn changed(&mut self) -> io::Result<()> {
        match self {
            ExitWatch::Pidfd(pidfd) => pidfd.readable().await.map(drop),
            ExitWatch::Sigchld(sigchld) => sigchld.recv().await,
            ExitWatch::Gone => unreachable!("a Child's exit watch is taken only by its drop"),
        }
    }
}

impl Child {
    /// Takes over `child`, just started. If its streams or its exit watch cannot be set up,
    /// the process is killed and reaped before the error is returned, so that a failed
    /// spawn leaves nothing running.
    pub(super) fn new(mut child: std::process::Child, kill_on_drop: bool) -> io::Result<Child> {
        let set_up = (|| {
            let stdin = child.stdin.take().map(ChildStdin::from_std).transpose()?;
            let stdout = child.stdout.take().map(ChildStdout::from_std).transpose()?;
            let stderr = child.stderr.take().map(ChildStderr::from_std).transpose()?;
            Ok::<_, io::Error>((ExitWatch::new(child.id())?, (stdin, stdout, stderr)))
        })();
        match set_up {
            Ok((exit, streams)) => Ok(Child::watching(child, kill_on_drop, exit, streams)),
            Err(err) => {
                let _ = child.kill();
                // SIGKILL ends it at once: this wait is short.
                let _ = child.wait();
                Err(err)
            }
        }
    }

    fn watching(
        child: std::process::Child,
        kill_on_drop: bool,
        exit: ExitWatch,
        (stdin, stdout, stderr): (Option<ChildStdin>, Option<ChildStdout>, Option<ChildStderr>),
    ) -> Child {
        Child {
            child: Some(child),
            exit,
            kill_on_drop,
            stdin,
            stdout,
            stderr,
        }
    }

    /// The process id. A `u32` always, as std's `Child::id`: tokio's returns
    /// `Option<u32>`, `None` once the child was reaped. Here the id stays the one the child
    /// had, and once [`wait`](Child::wait) has returned the kernel may give it to another
    /// process, so do not signal it by id then.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut child = mirage::process::Command::new("true").spawn().unwrap();
    ///     assert!(child.id() > 0);
    ///     child.wait().await.unwrap();
    /// });
    /// ```
    pub fn id(&self) -> u32 {
        self.child.as_ref().expect("a Child holds its process").id()
    }

    /// The exit status if the process has exited, without waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut child = mirage::process::Command::new("true").spawn().unwrap();
    ///     let status = child.wait().await.unwrap();
    ///     assert_eq!(child.try_wait().unwrap(), Some(status));
    /// });
    /// ```
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        self.child
            .as_mut()
            .expect("a Child holds its process")
            .try_wait()
    }

    /// Waits for the process to exit and returns its status, without blocking the Core.
    /// Closes the child's stdin first, if it is still here, so a child that reads to the
    /// end of its input can finish. Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut child = mirage::process::Command::new("sh").args(["-c", "exit 3"])
    ///         .spawn().unwrap();
    ///     assert_eq!(child.wait().await.unwrap().code(), Some(3));
    /// });
    /// ```
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        self.stdin = None;
        loop {
            if let Some(status) = self.try_wait()? {
                return Ok(status);
            }
            self.exit.changed().await?;
        }
    }

    /// Sends SIGKILL, without waiting for the process to exit. Does nothing once it has
    /// exited and been waited for.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut child = mirage::process::Command::new("sleep").arg("10").spawn().unwrap();
    ///     child.start_kill().unwrap();
    ///     child.wait().await.unwrap();
    /// });
    /// ```
    pub fn start_kill(&mut self) -> io::Result<()> {
        if self.try_wait()?.is_some() {
            return Ok(());
        }
        self.child
            .as_mut()
            .expect("a Child holds its process")
            .kill()
    }

    /// Sends SIGKILL and waits for the process to exit. Cancel-safe: dropped after the
    /// signal went, it leaves the process dying, for [`wait`](Child::wait) to see.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::process::ExitStatusExt;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut child = mirage::process::Command::new("sleep").arg("10").spawn().unwrap();
    ///     child.kill().await.unwrap();
    ///     assert_eq!(child.try_wait().unwrap().unwrap().signal(), Some(libc::SIGKILL));
    /// });
    /// ```
    pub async fn kill(&mut self) -> io::Result<()> {
        self.start_kill()?;
        self.wait().await.map(drop)
    }

    /// Reads the child's stdout and stderr to their ends (those that were piped) while
    /// waiting for it to exit, and returns all three.
    ///
    /// Not cancel-safe: it owns the `Child`, so dropping the future loses what was read
    /// and drops the `Child` (killed if [`kill_on_drop`](super::Command::kill_on_drop) is
    /// set, otherwise left to run on).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::process::Stdio;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let child = mirage::process::Command::new("sh").args(["-c", "echo out; echo err >&2"])
    ///         .stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    ///     let output = child.wait_with_output().await.unwrap();
    ///     assert_eq!((&output.stdout[..], &output.stderr[..]), (&b"out\n"[..], &b"err\n"[..]));
    /// });
    /// ```
    pub async fn wait_with_output(mut self) -> io::Result<Output> {
        self.stdin = None;
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        let read_out = read_all(self.stdout.take(), &mut stdout);
        let read_err = read_all(self.stderr.take(), &mut stderr);
        let (out, err) = join(read_out, read_err).await;
        out?;
        err?;
        let status = self.wait().await?;
        Ok(Output {
            status,
            stdout,
            stderr,
        })
    }
}

/// Reads `stream` (if any) to its end into `into`.
async fn read_all<R: AsyncReadExt + Unpin>(
    stream: Option<R>,
    into: &mut Vec<u8>,
) -> io::Result<()> {
    if let Some(mut stream) = stream {
        stream.read_to_end(into).await?;
    }
    Ok(())
}

/// Runs two futures at once, returning both outputs.
async fn join<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let (mut a, mut b) = (pin!(a), pin!(b));
    let (mut first, mut second) = (None, None);
    poll_fn(|cx| {
        if first.is_none()
            && let Poll::Ready(output) = a.as_mut().poll(cx)
        {
            first = Some(output);
        }
        if second.is_none()
            && let Poll::Ready(output) = b.as_mut().poll(cx)
        {
            second = Some(output);
        }
        if first.is_some() && second.is_some() {
            Poll::Ready((first.take().unwrap(), second.take().unwrap()))
        } else {
            Poll::Pending
        }
    })
    .await
}

impl Drop for Child {
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        let killed = self.kill_on_drop && child.kill().is_ok();
        // Reaped when it exits, so that no zombie is left. A killed child exits at once:
        // the blocking pool waits for it. Another may run for long: a task of this
        // thread's Core waits for it if one runs (tying up no thread; should the Core be
        // dropped first, the pool takes over), else the pool.
        let exit = std::mem::replace(&mut self.exit, ExitWatch::Gone);
        if !killed && crate::context::with_current(|_| ()).is_some() {
            let mut reaper = Reaper {
                child: Some(child),
                exit,
            };
            // One of Mirage's own tasks: the runtime's metrics do not count it.
            crate::context::with_current(|local| {
                drop(local.spawn_internal(async move { reaper.wait().await }))
            });
            return;
        }
        reap_on_pool(child);
    }
}

/// A dropped child that a task waits for; if the task is dropped first (with its Core),
/// the blocking pool waits for it instead.
struct Reaper {
    /// `None` once reaped.
    child: Option<std::process::Child>,
    exit: ExitWatch,
}

impl Reaper {
    async fn wait(&mut self) {
        while let Some(child) = &mut self.child {
            if !matches!(child.try_wait(), Ok(None)) {
                self.child = None;
            } else if self.exit.changed().await.is_err() {
                // No more news of the child here: the pool waits for it (on drop).
                return;
            }
        }
    }
}

impl Drop for Reaper {
    fn drop(&mut self) {
        if let Some(child) = self.child.take() {
            reap_on_pool(child);
        }
    }
}

/// Waits for `child` on the blocking pool, so that it leaves no zombie. No task awaits it,
/// so it is not counted as the Core's blocking work, and does not keep the Core's shared
/// half alive (a Core dropped first would otherwise keep its eventfd until the child
/// exits). Should no thread start, the zombie stays: better than a panic in a destructor.
fn reap_on_pool(mut child: std::process::Child) {
    let _ = crate::task::run_detached(move || {
        let _ = child.wait();
    });
}

impl fmt::Debug for Child {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Child")
            .field("id", &self.child.as_ref().map(std::process::Child::id))
            .field("stdin", &self.stdin)
            .field("stdout", &self.stdout)
            .field("stderr", &self.stderr)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_dropped_with_its_core_does_not_keep_the_core_alive() {
        let mut core = crate::Core::new().unwrap();
        let shared = std::sync::Arc::downgrade(core.shared());
        core.run(async {
            // Dropped unkilled: a task of this Core would wait for it, but the Core goes
            // first, and the blocking pool takes the child over.
            drop(
                crate::process::Command::new("sleep")
                    .arg("5")
                    .spawn()
                    .unwrap(),
            );
        });
        drop(core);
        assert!(
            shared.upgrade().is_none(),
            "the pool's wait for the child holds the dropped Core's shared half (its eventfd)"
        );
    }

    /// The kernels without pidfd: the exit is learnt from SIGCHLD.
    #[test]
    fn a_child_watched_through_sigchld_is_waited_for() {
        let _alone = crate::signal::registry::TEST_SLOTS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut core = crate::Core::new().unwrap();
        core.run(async {
            let std_child = std::process::Command::new("sleep")
                .arg("0.05")
                .spawn()
                .unwrap();
            let mut child = Child::watching(
                std_child,
                false,
                ExitWatch::sigchld().unwrap(),
                (None, None, None),
            );
            assert!(child.try_wait().unwrap().is_none());
            assert!(child.wait().await.unwrap().success());
        });
    }
}
