//! Child processes, shaped like `std::process`: [`Command`] starts one, and its exit and
//! its piped standard streams are awaited through the Core instead of blocking it.
//!
//! A child's exit is watched through a pidfd (Linux 5.3 and later), which the Core polls
//! like a socket; on older kernels, through `SIGCHLD` (see [`signal`](crate::signal)).
//! Piped streams are non-blocking pipes implementing [`AsyncRead`](crate::io::AsyncRead)
//! and [`AsyncWrite`](crate::io::AsyncWrite).
//!
//! Unlike tokio's, a [`Child`] and its [`ChildStdin`], [`ChildStdout`] and [`ChildStderr`]
//! stay on the thread that made them (they are `!Send`, as Mirage's sockets are: their
//! link to a Core's reactor is an `Rc`). Any Core of that thread may wait on them, one
//! after another. To hand a stream to another thread, pass its descriptor
//! ([`ChildStdout::into_owned_fd`], which puts the pipe back in blocking mode); to wait
//! for a child from another thread, spawn it there. [`Command`] itself is `Send`.
//!
//! # Examples
//!
//! ```
//! use mirage::process::Command;
//!
//! let mut core = mirage::Core::new().unwrap();
//! let output = core.run(Command::new("echo").arg("hello").output()).unwrap();
//! assert!(output.status.success());
//! assert_eq!(output.stdout, b"hello\n");
//! ```

mod child;
mod pipe;
mod unix_settings;

use std::ffi::OsStr;
use std::fmt;
use std::future::Future;
use std::io;
use std::path::Path;
use std::process::{ExitStatus, Output, Stdio};

pub use child::Child;
pub use pipe::{ChildStderr, ChildStdin, ChildStdout};

/// Builds a child process, like [`std::process::Command`], whose [`spawn`](Command::spawn)
/// returns a [`Child`] to await. The settings of tokio's `Command` are here, the Unix ones
/// ([`uid`](Command::uid), [`process_group`](Command::process_group),
/// [`pre_exec`](Command::pre_exec), ...) included; any other is on the std command, through
/// [`as_std_mut`](Command::as_std_mut).
///
/// # Examples
///
/// ```
/// use std::process::Stdio;
/// use mirage::process::Command;
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let status = Command::new("sh")
///         .args(["-c", "test \"$GREETING\" = hi"])
///         .env("GREETING", "hi")
///         .stdout(Stdio::null())
///         .status()
///         .await
///         .unwrap();
///     assert!(status.success());
/// });
/// ```
pub struct Command {
    std: std::process::Command,
    kill_on_drop: bool,
    /// The stdin is the caller's to decide: `stdin` was called, or the std command may have
    /// one set (it came through `From`, or was changed through `as_std_mut`), which std
    /// gives no way to read back. `output` then leaves it as it is.
    stdin_set: bool,
}

impl Command {
    /// A command to run `program`, found on `PATH` if it is not a path.
    ///
    /// # Examples
    ///
    /// ```
    /// let command = mirage::process::Command::new("ls");
    /// assert_eq!(command.as_std().get_program(), "ls");
    /// ```
    pub fn new(program: impl AsRef<OsStr>) -> Command {
        Command {
            std: std::process::Command::new(program),
            kill_on_drop: false,
            stdin_set: false,
        }
    }

    /// Adds an argument.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut command = mirage::process::Command::new("ls");
    /// command.arg("-l");
    /// assert_eq!(command.as_std().get_args().collect::<Vec<_>>(), ["-l"]);
    /// ```
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Command {
        self.std.arg(arg);
        self
    }

    /// Adds arguments.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut command = mirage::process::Command::new("ls");
    /// command.args(["-l", "-a"]);
    /// assert_eq!(command.as_std().get_args().count(), 2);
    /// ```
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.std.args(args);
        self
    }

    /// Sets an environment variable for the child.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut command = mirage::process::Command::new("env");
    /// command.env("MODE", "test");
    /// assert_eq!(command.as_std().get_envs().count(), 1);
    /// ```
    pub fn env(&mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> &mut Command {
        self.std.env(key, value);
        self
    }

    /// Sets several environment variables for the child.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut command = mirage::process::Command::new("env");
    /// command.envs([("MODE", "test"), ("LEVEL", "3")]);
    /// assert_eq!(command.as_std().get_envs().count(), 2);
    /// ```
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Command
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.std.envs(vars);
        self
    }

    /// Starts the child with an empty environment, but for the variables set after this
    /// call. The program is still found on this process's `PATH`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// let output = core
    ///     .run(mirage::process::Command::new("env").env_clear().env("ONLY", "me").output())
    ///     .unwrap();
    /// assert_eq!(output.stdout, b"ONLY=me\n");
    /// ```
    pub fn env_clear(&mut self) -> &mut Command {
        self.std.env_clear();
        self
    }

    /// Removes an environment variable from the child's environment.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut command = mirage::process::Command::new("env");
    /// command.env_remove("HOME");
    /// assert_eq!(command.as_std().get_envs().count(), 1); // recorded as removed
    /// ```
    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut Command {
        self.std.env_remove(key);
        self
    }

    /// Sets the child's working directory.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut command = mirage::process::Command::new("pwd");
    /// command.current_dir("/");
    /// assert_eq!(command.as_std().get_current_dir(), Some(std::path::Path::new("/")));
    /// ```
    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Command {
        self.std.current_dir(dir);
        self
    }

    /// Sets the child's standard input: [`Stdio::piped`] to write to it through
    /// [`Child::stdin`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::process::Stdio;
    ///
    /// let mut command = mirage::process::Command::new("cat");
    /// command.stdin(Stdio::piped());
    /// ```
    pub fn stdin(&mut self, stdin: impl Into<Stdio>) -> &mut Command {
        self.std.stdin(stdin);
        self.stdin_set = true;
        self
    }

    /// Sets the child's standard output: [`Stdio::piped`] to read it through
    /// [`Child::stdout`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::process::Stdio;
    ///
    /// let mut command = mirage::process::Command::new("ls");
    /// command.stdout(Stdio::null());
    /// ```
    pub fn stdout(&mut self, stdout: impl Into<Stdio>) -> &mut Command {
        self.std.stdout(stdout);
        self
    }

    /// Sets the child's standard error: [`Stdio::piped`] to read it through
    /// [`Child::stderr`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::process::Stdio;
    ///
    /// let mut command = mirage::process::Command::new("ls");
    /// command.stderr(Stdio::null());
    /// ```
    pub fn stderr(&mut self, stderr: impl Into<Stdio>) -> &mut Command {
        self.std.stderr(stderr);
        self
    }

    /// Whether dropping the [`Child`] before it exits kills it (SIGKILL, then reaped off
    /// the Core). Off by default, as in std, where a dropped child runs on.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let child = mirage::process::Command::new("sleep").arg("100")
    ///         .kill_on_drop(true).spawn().unwrap();
    ///     drop(child); // killed, not left running for 100 s
    /// });
    /// ```
    pub fn kill_on_drop(&mut self, kill_on_drop: bool) -> &mut Command {
        self.kill_on_drop = kill_on_drop;
        self
    }

    /// Whether dropping the [`Child`] before it exits kills it, as set by
    /// [`kill_on_drop`](Command::kill_on_drop).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut command = mirage::process::Command::new("sleep");
    /// assert!(!command.get_kill_on_drop());
    /// assert!(command.kill_on_drop(true).get_kill_on_drop());
    /// ```
    pub fn get_kill_on_drop(&self) -> bool {
        self.kill_on_drop
    }

    /// The std command, for reading what is set.
    ///
    /// # Examples
    ///
    /// ```
    /// let command = mirage::process::Command::new("true");
    /// assert_eq!(command.as_std().get_program(), "true");
    /// ```
    pub fn as_std(&self) -> &std::process::Command {
        &self.std
    }

    /// The std command, for the settings not repeated here. Once it was taken, a stdin set
    /// on it or not, [`output`](Command::output) leaves stdin as the std command has it.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut command = mirage::process::Command::new("true");
    /// command.as_std_mut().arg("ignored");
    /// assert_eq!(command.as_std().get_args().count(), 1);
    /// ```
    pub fn as_std_mut(&mut self) -> &mut std::process::Command {
        // It may set a stdin, which `output` must then not replace.
        self.stdin_set = true;
        &mut self.std
    }

    /// The std command, taking this one apart. What only Mirage's `Command` holds is lost:
    /// [`kill_on_drop`](Command::kill_on_drop).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut command = mirage::process::Command::new("echo");
    /// command.arg("hi").kill_on_drop(true);
    /// let std_command: std::process::Command = command.into_std();
    /// assert_eq!(std_command.get_args().collect::<Vec<_>>(), ["hi"]);
    /// ```
    pub fn into_std(self) -> std::process::Command {
        self.std
    }

    /// Starts the process. Needs no running Core; waiting on the [`Child`] does.
    ///
    /// # Errors
    ///
    /// What [`std::process::Command::spawn`] returns: `NotFound` for a program that does
    /// not exist, `PermissionDenied` for one that cannot be run.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = mirage::process::Command::new("no-such-program-here").spawn().unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    /// ```
    pub fn spawn(&mut self) -> io::Result<Child> {
        Child::new(self.std.spawn()?, self.kill_on_drop)
    }

    /// Starts the process and waits for it to exit; its streams are as set (inherited by
    /// default). Those set to [`Stdio::piped`] are closed at once, as in tokio: nobody could
    /// read or write them, and a child blocked writing to a full pipe would never exit.
    ///
    /// The process starts at the call, as in tokio, not when the future is first polled; a
    /// failure to start is the future's output. The future borrows nothing from the command.
    /// Dropping it before the child exits drops its [`Child`]: the process is killed if
    /// [`kill_on_drop`](Command::kill_on_drop) is set, and otherwise runs on (and is
    /// reaped when it exits), as in tokio.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// let status = core.run(mirage::process::Command::new("false").status()).unwrap();
    /// assert_eq!(status.code(), Some(1));
    /// ```
    pub fn status(&mut self) -> impl Future<Output = io::Result<ExitStatus>> + use<> {
        let spawned = self.spawn();
        async move {
            let mut child = spawned?;
            child.stdout = None;
            child.stderr = None;
            child.wait().await
        }
    }

    /// Starts the process with stdout and stderr piped (this changes the command) and stdin
    /// null unless set with [`stdin`](Command::stdin) (for this run only: a later
    /// [`spawn`](Command::spawn) inherits it), reads both streams to their ends and waits
    /// for the process to exit.
    ///
    /// A command made from a std one ([`From`]), or changed through
    /// [`as_std_mut`](Command::as_std_mut), keeps the stdin the std command has (inherited
    /// if none is set), as tokio's `output` does: std gives no way to read back whether one
    /// was set there, and replacing it would lose it.
    ///
    /// The process starts at the call, as with [`status`](Command::status). Dropping the
    /// future before the child exits loses what it read, and drops the [`Child`] as
    /// `status` does: killed if [`kill_on_drop`](Command::kill_on_drop) is set, otherwise
    /// left to run on.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// let output = core
    ///     .run(mirage::process::Command::new("sh").args(["-c", "echo to-out; echo to-err >&2"]).output())
    ///     .unwrap();
    /// assert_eq!(output.stdout, b"to-out\n");
    /// assert_eq!(output.stderr, b"to-err\n");
    /// ```
    pub fn output(&mut self) -> impl Future<Output = io::Result<Output>> + use<> {
        self.std.stdout(Stdio::piped()).stderr(Stdio::piped());
        let spawned = if self.stdin_set {
            self.spawn()
        } else {
            self.std.stdin(Stdio::null());
            let spawned = self.spawn();
            // Null for this run only: a later `spawn` inherits stdin, as when it was never set.
            self.std.stdin(Stdio::inherit());
            spawned
        };
        async move { spawned?.wait_with_output().await }
    }
}

impl From<std::process::Command> for Command {
    fn from(std: std::process::Command) -> Command {
        Command {
            std,
            kill_on_drop: false,
            // Whatever stdin it has (or none: inherited), `output` keeps.
            stdin_set: true,
        }
    }
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Command")
            .field("std", &self.std)
            .field("kill_on_drop", &self.kill_on_drop)
            .finish()
    }
}
