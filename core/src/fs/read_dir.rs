//! [`read_dir`]: a directory's entries, several per pool job.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fmt;
use std::fs::{FileType, Metadata};
use std::future::{Future, poll_fn};
use std::io;
use std::mem;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, ready};

use super::asyncify;
use crate::RemoteJoinHandle;
use crate::task::try_spawn_blocking;

/// How many entries one pool job reads: iterating a directory costs one thread hop per
/// batch, not one per entry, and a batch stays small enough to hand over at once.
const BATCH: usize = 32;

/// Opens the directory `path` for listing, as [`std::fs::read_dir`] on the blocking pool.
/// Its [`ReadDir`] gives the entries, in no particular order, without `.` and `..`.
///
/// # Errors
///
/// `NotFound` if nothing is there, `NotADirectory` if `path` is a file, and the other
/// errors of [`std::fs::read_dir`].
///
/// # Examples
///
/// ```
/// let dir = std::env::temp_dir().join(format!("mirage-doc-read-dir-{}", std::process::id()));
/// let mut core = mirage::Core::new()?;
/// core.run(async {
///     mirage::fs::create_dir(&dir).await?;
///     mirage::fs::write(dir.join("a"), "").await?;
///     mirage::fs::write(dir.join("b"), "").await?;
///     let mut names = Vec::new();
///     let mut entries = mirage::fs::read_dir(&dir).await?;
///     while let Some(entry) = entries.next_entry().await? {
///         names.push(entry.file_name());
///     }
///     names.sort();
///     assert_eq!(names, ["a", "b"]);
///     mirage::fs::remove_dir_all(&dir).await
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub async fn read_dir(path: impl AsRef<Path>) -> io::Result<ReadDir> {
    let path = path.as_ref().to_owned();
    let std = asyncify(move || std::fs::read_dir(path)).await?;
    Ok(ReadDir {
        std: Arc::new(Mutex::new(std)),
        entries: VecDeque::new(),
        more: true,
        job: None,
    })
}

/// The entries of a directory, made by [`read_dir`]: tokio's `ReadDir`, read through
/// [`next_entry`](ReadDir::next_entry). Each pool job reads up to 32 entries, which the
/// next calls hand out without a thread hop.
///
/// # Examples
///
/// ```
/// let mut core = mirage::Core::new()?;
/// core.run(async {
///     let mut entries = mirage::fs::read_dir(std::env::temp_dir()).await?;
///     let mut count = 0;
///     while entries.next_entry().await?.is_some() {
///         count += 1;
///     }
///     println!("{count} entries in the temporary directory");
///     std::io::Result::Ok(())
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub struct ReadDir {
    /// The std listing. The job reading the next batch shares it rather than taking it, so
    /// that a job the pool refuses takes nothing with it.
    std: Arc<Mutex<std::fs::ReadDir>>,
    /// Entries read and not handed out yet.
    entries: VecDeque<io::Result<DirEntry>>,
    /// The listing may have more: no batch has ended it yet.
    more: bool,
    /// The job reading the next batch, while one is in flight.
    job: Option<RemoteJoinHandle<Batch>>,
}

/// What one pool job read.
struct Batch {
    entries: VecDeque<io::Result<DirEntry>>,
    /// The listing may have more: it did not end in this batch.
    more: bool,
}

impl Batch {
    /// Reads up to [`BATCH`] entries of `std` into `entries` (empty, its allocation reused),
    /// on a pool thread.
    fn read(std: &Mutex<std::fs::ReadDir>, mut entries: VecDeque<io::Result<DirEntry>>) -> Batch {
        // `ReadDir::next` does not panic, so the lock is never poisoned in practice; if it
        // were, the listing itself would still be whole.
        let mut std = std.lock().unwrap_or_else(PoisonError::into_inner);
        for _ in 0..BATCH {
            let Some(entry) = std.next() else {
                return Batch {
                    entries,
                    more: false,
                };
            };
            entries.push_back(entry.map(DirEntry::new));
        }
        Batch {
            entries,
            more: true,
        }
    }
}

impl ReadDir {
    /// The next entry, or `None` when the listing is over: a thread hop for every 32
    /// entries.
    ///
    /// # Errors
    ///
    /// The directory could not be read further, as [`std::fs::ReadDir`]'s iterator reports
    /// it; that iterator ends the listing after such an error. A blocking pool that cannot
    /// start a thread for the next batch is the call's error too; the listing stays where
    /// it was, for a later call.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe: a call dropped while pending leaves the batch it was reading for the
    /// next call, so no entry is lost.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = std::env::temp_dir()
    ///     .join(format!("mirage-doc-next-entry-{}", std::process::id()));
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     mirage::fs::create_dir(&dir).await?;
    ///     let mut entries = mirage::fs::read_dir(&dir).await?;
    ///     assert!(entries.next_entry().await?.is_none());
    ///     mirage::fs::remove_dir(&dir).await
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn next_entry(&mut self) -> io::Result<Option<DirEntry>> {
        poll_fn(|cx| self.poll_next_entry(cx)).await
    }

    /// The poll-level [`next_entry`](ReadDir::next_entry), for a hand-written future or
    /// stream: `Ready(Ok(None))` when the listing is over, `Pending` while the pool reads
    /// the next batch (the task is woken when it is in).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    ///
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     let mut entries = mirage::fs::read_dir(std::env::temp_dir()).await?;
    ///     let first = poll_fn(|cx| entries.poll_next_entry(cx)).await?;
    ///     let _ = first.map(|entry| entry.path());
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poll_next_entry(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<DirEntry>>> {
        loop {
            if let Some(job) = &mut self.job {
                let batch = ready!(Pin::new(job).poll(cx));
                self.job = None;
                match batch {
                    Ok(batch) => {
                        self.entries = batch.entries;
                        self.more = batch.more;
                    }
                    // Never in practice (`ReadDir::next` does not panic). The listing
                    // stays here: the next call reads on from where it is.
                    Err(err) => {
                        return Poll::Ready(Err(io::Error::other(format!(
                            "the blocking pool lost a batch of a directory listing: {err}"
                        ))));
                    }
                }
            }
            if let Some(entry) = self.entries.pop_front() {
                return Poll::Ready(entry.map(Some));
            }
            if !self.more {
                return Poll::Ready(Ok(None));
            }
            let std = Arc::clone(&self.std);
            let entries = mem::take(&mut self.entries);
            // A refusal is this call's error; the listing stays, for the next call.
            self.job = Some(try_spawn_blocking(move || Batch::read(&std, entries))?);
        }
    }
}

impl fmt::Debug for ReadDir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadDir")
            .field("buffered", &self.entries.len())
            .field("more", &self.more)
            .field("busy", &self.job.is_some())
            .finish_non_exhaustive()
    }
}

/// One entry of a directory listing, from [`ReadDir::next_entry`]: tokio's `DirEntry`, a
/// [`std::fs::DirEntry`] whose calls that may touch the disk are `async`.
///
/// # Examples
///
/// ```
/// let dir = std::env::temp_dir().join(format!("mirage-doc-dir-entry-{}", std::process::id()));
/// let mut core = mirage::Core::new()?;
/// core.run(async {
///     mirage::fs::create_dir(&dir).await?;
///     mirage::fs::write(dir.join("data"), "12345").await?;
///     let entry = mirage::fs::read_dir(&dir).await?.next_entry().await?.unwrap();
///     assert_eq!(entry.file_name(), "data");
///     assert_eq!(entry.path(), dir.join("data"));
///     assert!(entry.file_type().await?.is_file());
///     assert_eq!(entry.metadata().await?.len(), 5);
///     mirage::fs::remove_dir_all(&dir).await
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub struct DirEntry {
    std: Arc<std::fs::DirEntry>,
    /// Read on the pool with the entry: on most file systems the listing carries it, so it
    /// costs no system call then, and [`file_type`](DirEntry::file_type) no thread hop.
    file_type: Option<FileType>,
}

impl DirEntry {
    /// On a pool thread: the entry, and its type if the system can tell.
    fn new(std: std::fs::DirEntry) -> DirEntry {
        let file_type = std.file_type().ok();
        DirEntry {
            std: Arc::new(std),
            file_type,
        }
    }

    /// The entry's full path: the directory given to [`read_dir`] joined with
    /// [`file_name`](DirEntry::file_name).
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = std::env::temp_dir()
    ///     .join(format!("mirage-doc-entry-path-{}", std::process::id()));
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     mirage::fs::create_dir_all(dir.join("sub")).await?;
    ///     let entry = mirage::fs::read_dir(&dir).await?.next_entry().await?.unwrap();
    ///     assert_eq!(entry.path(), dir.join("sub"));
    ///     mirage::fs::remove_dir_all(&dir).await
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn path(&self) -> PathBuf {
        self.std.path()
    }

    /// The entry's name in its directory, with no leading path.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = std::env::temp_dir()
    ///     .join(format!("mirage-doc-entry-name-{}", std::process::id()));
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     mirage::fs::create_dir_all(dir.join("sub")).await?;
    ///     let entry = mirage::fs::read_dir(&dir).await?.next_entry().await?.unwrap();
    ///     assert_eq!(entry.file_name(), "sub");
    ///     mirage::fs::remove_dir_all(&dir).await
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn file_name(&self) -> OsString {
        self.std.file_name()
    }

    /// The entry's inode number, as the listing gave it
    /// ([`std::os::unix::fs::DirEntryExt::ino`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::fs::MetadataExt;
    ///
    /// let dir = std::env::temp_dir().join(format!("mirage-doc-entry-ino-{}", std::process::id()));
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     mirage::fs::create_dir_all(dir.join("sub")).await?;
    ///     let entry = mirage::fs::read_dir(&dir).await?.next_entry().await?.unwrap();
    ///     assert_eq!(entry.ino(), mirage::fs::metadata(dir.join("sub")).await?.ino());
    ///     mirage::fs::remove_dir_all(&dir).await
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn ino(&self) -> u64 {
        std::os::unix::fs::DirEntryExt::ino(&*self.std)
    }

    /// The entry's metadata, not following a symbolic link (as
    /// [`std::fs::DirEntry::metadata`]), read on the blocking pool.
    ///
    /// # Errors
    ///
    /// `NotFound` if the entry was removed since it was listed, and the other errors of
    /// [`std::fs::DirEntry::metadata`].
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = std::env::temp_dir()
    ///     .join(format!("mirage-doc-entry-meta-{}", std::process::id()));
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     mirage::fs::create_dir(&dir).await?;
    ///     mirage::fs::write(dir.join("three"), "abc").await?;
    ///     let entry = mirage::fs::read_dir(&dir).await?.next_entry().await?.unwrap();
    ///     assert_eq!(entry.metadata().await?.len(), 3);
    ///     mirage::fs::remove_dir_all(&dir).await
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn metadata(&self) -> io::Result<Metadata> {
        let std = Arc::clone(&self.std);
        asyncify(move || std.metadata()).await
    }

    /// The entry's type, not following a symbolic link (as
    /// [`std::fs::DirEntry::file_type`]): at once when the listing carried it, as it does
    /// on most file systems, else read on the blocking pool.
    ///
    /// # Errors
    ///
    /// When the type has to be read: `NotFound` if the entry was removed since it was
    /// listed, and the other errors of [`std::fs::DirEntry::file_type`].
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = std::env::temp_dir()
    ///     .join(format!("mirage-doc-entry-type-{}", std::process::id()));
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     mirage::fs::create_dir_all(dir.join("sub")).await?;
    ///     let entry = mirage::fs::read_dir(&dir).await?.next_entry().await?.unwrap();
    ///     assert!(entry.file_type().await?.is_dir());
    ///     mirage::fs::remove_dir_all(&dir).await
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn file_type(&self) -> io::Result<FileType> {
        if let Some(file_type) = self.file_type {
            return Ok(file_type);
        }
        let std = Arc::clone(&self.std);
        asyncify(move || std.file_type()).await
    }
}

impl fmt::Debug for DirEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DirEntry").field(&self.std.path()).finish()
    }
}
