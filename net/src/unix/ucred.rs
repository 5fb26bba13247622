//! `UCred`: who is at the other end of a Unix stream.

/// The credentials of the process at the other end of a [`UnixStream`](crate::UnixStream),
/// as the kernel recorded them when it connected (or made the pair): for a server that
/// lets only some users in. From [`UnixStream::peer_cred`](crate::UnixStream::peer_cred).
///
/// # Examples
///
/// ```
/// use mirage::net::UnixStream;
///
/// let (a, _b) = UnixStream::pair()?;
/// let cred = a.peer_cred()?;
/// assert_eq!(cred.pid(), Some(std::process::id() as i32));
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UCred {
    pid: Option<i32>,
    uid: u32,
    gid: u32,
}

impl UCred {
    pub(crate) fn from_libc(cred: libc::ucred) -> UCred {
        UCred {
            // The kernel reports 0 when it has no process to name.
            pid: (cred.pid != 0).then_some(cred.pid),
            uid: cred.uid,
            gid: cred.gid,
        }
    }

    /// The peer's effective user id.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::fs::MetadataExt;
    /// use mirage::net::UnixStream;
    ///
    /// let (a, _b) = UnixStream::pair()?;
    /// // This process is the peer; a file it creates is owned by the same user.
    /// let file = std::env::temp_dir().join(format!("mirage-doc-uid-{}", std::process::id()));
    /// std::fs::write(&file, b"")?;
    /// assert_eq!(a.peer_cred()?.uid(), std::fs::metadata(&file)?.uid());
    /// std::fs::remove_file(&file)?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn uid(&self) -> u32 {
        self.uid
    }

    /// The peer's effective group id.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::fs::MetadataExt;
    /// use mirage::net::UnixStream;
    ///
    /// let (a, _b) = UnixStream::pair()?;
    /// let file = std::env::temp_dir().join(format!("mirage-doc-gid-{}", std::process::id()));
    /// std::fs::write(&file, b"")?;
    /// assert_eq!(a.peer_cred()?.gid(), std::fs::metadata(&file)?.gid());
    /// std::fs::remove_file(&file)?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn gid(&self) -> u32 {
        self.gid
    }

    /// The peer's process id, if the kernel knows it (it can be gone since, or its id
    /// reused).
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = mirage::net::UnixStream::pair()?;
    /// assert_eq!(a.peer_cred()?.pid(), Some(std::process::id() as i32));
    /// # std::io::Result::Ok(())
    /// ```
    pub fn pid(&self) -> Option<i32> {
        self.pid
    }
}
