//! The `Command` settings that std keeps in `std::os::unix::process::CommandExt`: the
//! child's user and group, its `argv[0]`, its process group, and code run before `exec`.

use std::ffi::OsStr;
use std::io;
use std::os::unix::process::CommandExt;

use super::Command;

impl Command {
    /// Runs the child as user `id` (`setuid` before `exec`). Spawning fails with
    /// `PermissionDenied` if this process may not take that user.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::fs::MetadataExt;
    ///
    /// let me = std::fs::metadata("/proc/self").unwrap().uid(); // this process's user
    /// let mut core = mirage::Core::new().unwrap();
    /// let output = core.run(mirage::process::Command::new("id").arg("-u").uid(me).output());
    /// assert_eq!(output.unwrap().stdout, format!("{me}\n").as_bytes());
    /// ```
    pub fn uid(&mut self, id: u32) -> &mut Command {
        self.std.uid(id);
        self
    }

    /// Runs the child with group `id` (`setgid` before `exec`). Spawning fails with
    /// `PermissionDenied` if this process may not take that group.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::fs::MetadataExt;
    ///
    /// let mine = std::fs::metadata("/proc/self").unwrap().gid();
    /// let mut core = mirage::Core::new().unwrap();
    /// let output = core.run(mirage::process::Command::new("id").arg("-g").gid(mine).output());
    /// assert_eq!(output.unwrap().stdout, format!("{mine}\n").as_bytes());
    /// ```
    pub fn gid(&mut self, id: u32) -> &mut Command {
        self.std.gid(id);
        self
    }

    /// Sets the child's `argv[0]`, the name it is told it was started by, which is the
    /// program by default. The program run is still the one given to
    /// [`new`](Command::new).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// let output = core
    ///     .run(mirage::process::Command::new("sh").arg0("renamed").args(["-c", "echo $0"]).output())
    ///     .unwrap();
    /// assert_eq!(output.stdout, b"renamed\n");
    /// ```
    pub fn arg0(&mut self, arg: impl AsRef<OsStr>) -> &mut Command {
        self.std.arg0(arg);
        self
    }

    /// Puts the child in process group `pgroup` (`setpgid` before `exec`): 0 makes a new
    /// group led by the child, so that a signal sent to this process's group (a Ctrl-C at
    /// the terminal) does not reach it.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// let output = core
    ///     .run(
    ///         mirage::process::Command::new("sh")
    ///             .args(["-c", "echo $$ $(cut -d' ' -f5 /proc/$$/stat)"]) // pid, group
    ///             .process_group(0)
    ///             .output(),
    ///     )
    ///     .unwrap();
    /// let text = String::from_utf8(output.stdout).unwrap();
    /// let (pid, group) = text.trim().split_once(' ').unwrap();
    /// assert_eq!(pid, group, "the child leads its own group");
    /// ```
    pub fn process_group(&mut self, pgroup: i32) -> &mut Command {
        self.std.process_group(pgroup);
        self
    }

    /// Runs `f` in the child after `fork` and before `exec`, as
    /// [`std::os::unix::process::CommandExt::pre_exec`] does; an error it returns makes
    /// [`spawn`](Command::spawn) fail with that error (its OS error code).
    ///
    /// # Safety
    ///
    /// The contract of std's `pre_exec`: `f` runs in a copy of this process that has only
    /// the forking thread, so it must not touch a lock another thread might have held (the
    /// allocator's included: no allocation) nor anything else that is not
    /// async-signal-safe; file descriptors and memory it changes are the child's.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// let mut command = mirage::process::Command::new("sh");
    /// command.args(["-c", "umask"]);
    /// // SAFETY: umask is async-signal-safe, and allocates nothing.
    /// unsafe {
    ///     command.pre_exec(|| {
    ///         libc::umask(0o077);
    ///         Ok(())
    ///     });
    /// }
    /// let output = core.run(command.output()).unwrap();
    /// assert_eq!(output.stdout, b"0077\n");
    /// ```
    pub unsafe fn pre_exec<F>(&mut self, f: F) -> &mut Command
    where
        F: FnMut() -> io::Result<()> + Send + Sync + 'static,
    {
        // SAFETY: the caller keeps std's contract for `f`, which this passes on unchanged.
        unsafe { self.std.pre_exec(f) };
        self
    }
}
