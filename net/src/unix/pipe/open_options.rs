//! `OpenOptions`: opening a FIFO as a pipe's sender or receiver.

use std::io;
use std::os::fd::AsFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::{End, Receiver, Sender, not_a_pipe};
use crate::sys;

/// How to open a FIFO (a named pipe, made with `mkfifo`) as a [`Receiver`] or a
/// [`Sender`], as tokio's `net::unix::pipe::OpenOptions`. Opening never blocks: the file
/// is opened non-blocking (and close-on-exec), and needs no running Core.
///
/// Opening a sender fails with `ENXIO` (`raw_os_error() == Some(libc::ENXIO)`) while no
/// process has the FIFO open for reading; open the receiver first, retry after a pause,
/// or use [`read_write`](OpenOptions::read_write). Opening a receiver needs no writer;
/// it reads end of file until one opens the FIFO (see [`Receiver`]).
///
/// # Examples
///
/// ```
/// use mirage::io::{AsyncReadExt, AsyncWriteExt};
/// use mirage::net::unix::pipe;
///
/// let path = std::env::temp_dir().join(format!("mirage-doc-fifo-{}", std::process::id()));
/// # let _ = std::fs::remove_file(&path);
/// assert!(std::process::Command::new("mkfifo").arg(&path).status()?.success());
/// let mut rx = pipe::OpenOptions::new().open_receiver(&path)?;
/// let mut tx = pipe::OpenOptions::new().open_sender(&path)?;
/// let mut core = mirage::Core::new()?;
/// core.run(async move {
///     tx.write_all(b"through the file system").await?;
///     drop(tx);
///     let mut got = Vec::new();
///     rx.read_to_end(&mut got).await?;
///     assert_eq!(got, b"through the file system");
///     std::io::Result::Ok(())
/// })?;
/// std::fs::remove_file(&path)?;
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct OpenOptions {
    read_write: bool,
    unchecked: bool,
}

impl OpenOptions {
    /// Options with everything off: the FIFO is opened for one direction only, and
    /// checked to be a FIFO.
    ///
    /// # Examples
    ///
    /// ```
    /// let options = mirage::net::unix::pipe::OpenOptions::new();
    /// # drop(options);
    /// ```
    pub fn new() -> OpenOptions {
        OpenOptions::default()
    }

    /// Opens the FIFO for reading and writing (`O_RDWR`, which Linux allows on a FIFO,
    /// though POSIX leaves it undefined).
    ///
    /// A sender opened so holds a read end itself: it opens without `ENXIO` while no one
    /// reads, and its writes fill the FIFO instead of failing with `BrokenPipe`; what is
    /// left in the FIFO is lost once every process closes it. A receiver opened so holds a
    /// write end itself: it never reads end of file, whichever writers come and go.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::unix::pipe;
    ///
    /// let path = std::env::temp_dir().join(format!("mirage-doc-fifo-rw-{}", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// assert!(std::process::Command::new("mkfifo").arg(&path).status()?.success());
    /// let err = pipe::OpenOptions::new().open_sender(&path).unwrap_err();
    /// assert_eq!(err.raw_os_error(), Some(libc::ENXIO), "no reader yet");
    /// let tx = pipe::OpenOptions::new().read_write(true).open_sender(&path)?;
    /// assert_eq!(tx.try_write(b"kept for a reader")?, 17);
    /// std::fs::remove_file(&path)?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn read_write(&mut self, read_write: bool) -> &mut OpenOptions {
        self.read_write = read_write;
        self
    }

    /// Skips the check that the opened file is a FIFO. Whatever it is, it is then read or
    /// written as a pipe would be, without the assumption the check allows (that a short
    /// write shows the pipe full).
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::unix::pipe;
    ///
    /// // `/dev/null` is no FIFO, but reads as an empty pipe whose writers are gone.
    /// let rx = pipe::OpenOptions::new().unchecked(true).open_receiver("/dev/null")?;
    /// assert_eq!(rx.try_read(&mut [0; 8])?, 0);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn unchecked(&mut self, unchecked: bool) -> &mut OpenOptions {
        self.unchecked = unchecked;
        self
    }

    /// Opens the FIFO at `path` for reading.
    ///
    /// # Errors
    ///
    /// [`InvalidInput`](io::ErrorKind::InvalidInput) if the file is not a FIFO (unless
    /// [`unchecked`](OpenOptions::unchecked)); otherwise what `open` returns, such as
    /// `NotFound`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use mirage::net::unix::pipe;
    ///
    /// let err = pipe::OpenOptions::new().open_receiver("/dev/null").unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidInput, "not a FIFO");
    /// let err = pipe::OpenOptions::new().open_receiver("/nonexistent/fifo").unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::NotFound);
    /// ```
    pub fn open_receiver<P: AsRef<Path>>(&self, path: P) -> io::Result<Receiver> {
        let end = self.open(path.as_ref(), false)?;
        Ok(Receiver { end })
    }

    /// Opens the FIFO at `path` for writing.
    ///
    /// # Errors
    ///
    /// `ENXIO` while no process has the FIFO open for reading (unless
    /// [`read_write`](OpenOptions::read_write));
    /// [`InvalidInput`](io::ErrorKind::InvalidInput) if the file is not a FIFO (unless
    /// [`unchecked`](OpenOptions::unchecked)); otherwise what `open` returns, such as
    /// `NotFound`.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::unix::pipe;
    ///
    /// let path = std::env::temp_dir().join(format!("mirage-doc-fifo-tx-{}", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// assert!(std::process::Command::new("mkfifo").arg(&path).status()?.success());
    /// let rx = pipe::OpenOptions::new().open_receiver(&path)?;
    /// let tx = pipe::OpenOptions::new().open_sender(&path)?; // a reader exists: no ENXIO
    /// assert_eq!(tx.try_write(b"hi")?, 2);
    /// assert_eq!(rx.try_read(&mut [0; 8])?, 2);
    /// std::fs::remove_file(&path)?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn open_sender<P: AsRef<Path>>(&self, path: P) -> io::Result<Sender> {
        let end = self.open(path.as_ref(), true)?;
        Ok(Sender { end })
    }

    /// Opens `path` non-blocking for writing (`sender`) or reading, or both, and checks
    /// that it is a FIFO unless told not to.
    fn open(&self, path: &Path, sender: bool) -> io::Result<End> {
        let file = std::fs::OpenOptions::new()
            .read(!sender || self.read_write)
            .write(sender || self.read_write)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)?;
        if self.unchecked {
            return End::unchecked(file.into());
        }
        if !sys::is_fifo(file.as_fd())? {
            return Err(not_a_pipe());
        }
        // Opened non-blocking: nothing left to check or change.
        Ok(End::pipe(file))
    }
}
