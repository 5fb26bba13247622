//! [`File`]: an open file, read, written and moved through on the blocking pool.

use std::fmt;
use std::fs::{Metadata, Permissions};
use std::future::poll_fn;
use std::io::{self, IoSlice, SeekFrom};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::{OpenOptions, asyncify};
use crate::io::blocking::{Blocking, MAX_BUF};
use crate::io::{AsyncRead, AsyncSeek, AsyncWrite};
use crate::sync::cross_thread::Mutex;

/// An open file: tokio's `fs::File`, an [`AsyncRead`], [`AsyncWrite`] and [`AsyncSeek`]
/// whose calls run on the blocking pool (the one [`spawn_blocking`](crate::spawn_blocking)
/// uses), one at a time, as the standard streams' do.
///
/// - A read asks the pool for up to as many bytes as its slice holds (at most the
///   [maximum buffer size](File::set_max_buf_size), 2 MiB unless set). A read dropped
///   while pending leaves what its job fetches to the next read.
/// - A write copies up to the maximum buffer size of what it is given, hands the copy to a
///   pool thread, and returns at once with how much it took. Its outcome comes later: the
///   next write, or [`flush`], first waits for it and fails with its error. So **flush
///   before relying on the bytes being in the file**, or before dropping the `File` if a
///   write error matters: a write in flight when the `File` is dropped still completes, but
///   its error is lost; and if the process exits first (dropping a Core or runtime does
///   not wait for the blocking pool, unlike tokio's), it may not complete at all. A
///   vectored write gathers its slices into one such copy.
/// - A read, a seek, or a call such as [`metadata`](File::metadata) waits for the write in
///   flight first; a seek or a write first moves the position back over bytes a read took
///   ahead and did not hand out, so the file is read and written where the caller thinks.
///
/// The calls that take `&self` ([`sync_all`](File::sync_all), [`set_len`](File::set_len),
/// ...) take the file's lock (a [`cross_thread::Mutex`](crate::sync::cross_thread::Mutex),
/// so that a `File` is `Send` and `Sync` as tokio's is) for as long as they run.
///
/// Mirage's [`AsyncRead`] reads into a plain `&mut [u8]`, not tokio's `ReadBuf`.
///
/// [`flush`]: crate::io::AsyncWriteExt::flush
///
/// # Examples
///
/// ```
/// use std::io::SeekFrom;
/// use mirage::fs::File;
/// use mirage::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
///
/// let path = std::env::temp_dir().join(format!("mirage-doc-file-{}", std::process::id()));
/// let mut core = mirage::Core::new()?;
/// core.run(async {
///     let mut file = File::options().read(true).write(true).create(true).open(&path).await?;
///     file.write_all(b"hello, world").await?;
///     file.seek(SeekFrom::Start(7)).await?;
///     let mut word = String::new();
///     file.read_to_string(&mut word).await?;
///     assert_eq!(word, "world");
///     mirage::fs::remove_file(&path).await
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub struct File {
    /// Shared with each pool job while it runs.
    std: Arc<std::fs::File>,
    inner: Mutex<Blocking<Arc<std::fs::File>>>,
    /// What `inner` was given last, readable without its lock.
    max_buf_size: usize,
}

impl File {
    /// Opens the file at `path` for reading, as [`std::fs::File::open`] on the blocking
    /// pool.
    ///
    /// # Errors
    ///
    /// `NotFound` if the file is missing, and the other errors of
    /// [`OpenOptions::open`].
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::AsyncReadExt;
    ///
    /// let path = std::env::temp_dir()
    ///     .join(format!("mirage-doc-file-open-{}", std::process::id()));
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     mirage::fs::write(&path, "contents").await?;
    ///     let mut file = mirage::fs::File::open(&path).await?;
    ///     let mut text = String::new();
    ///     file.read_to_string(&mut text).await?;
    ///     assert_eq!(text, "contents");
    ///     mirage::fs::remove_file(&path).await
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn open(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new().read(true).open(path).await
    }

    /// Opens the file at `path` for writing, created if missing and emptied if not, as
    /// [`std::fs::File::create`] on the blocking pool.
    ///
    /// # Errors
    ///
    /// `NotFound` if the directory is missing, and the other errors of
    /// [`OpenOptions::open`].
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::AsyncWriteExt;
    ///
    /// let path = std::env::temp_dir()
    ///     .join(format!("mirage-doc-file-create-{}", std::process::id()));
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     let mut file = mirage::fs::File::create(&path).await?;
    ///     file.write_all(b"fresh").await?;
    ///     file.flush().await?;
    ///     assert_eq!(mirage::fs::read_to_string(&path).await?, "fresh");
    ///     mirage::fs::remove_file(&path).await
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn create(path: impl AsRef<Path>) -> io::Result<File> {
        let mut options = OpenOptions::new();
        options.write(true).create(true).truncate(true);
        options.open(path).await
    }

    /// Creates the file at `path` and opens it for reading and writing, failing if it
    /// exists, in one atomic step, as [`std::fs::File::create_new`] on the blocking pool.
    ///
    /// # Errors
    ///
    /// `AlreadyExists` if something is at `path`, and the other errors of
    /// [`OpenOptions::open`].
    ///
    /// # Examples
    ///
    /// ```
    /// let path = std::env::temp_dir()
    ///     .join(format!("mirage-doc-file-create-new-{}", std::process::id()));
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     mirage::fs::File::create_new(&path).await?;
    ///     let again = mirage::fs::File::create_new(&path).await.unwrap_err();
    ///     assert_eq!(again.kind(), std::io::ErrorKind::AlreadyExists);
    ///     mirage::fs::remove_file(&path).await
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn create_new(path: impl AsRef<Path>) -> io::Result<File> {
        let mut options = OpenOptions::new();
        options.read(true).write(true).create_new(true);
        options.open(path).await
    }

    /// [`OpenOptions::new`], to open a file with options of your choice.
    ///
    /// # Examples
    ///
    /// ```
    /// let path = std::env::temp_dir()
    ///     .join(format!("mirage-doc-file-options-{}", std::process::id()));
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     let _file = mirage::fs::File::options().append(true).create(true).open(&path).await?;
    ///     mirage::fs::remove_file(&path).await
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn options() -> OpenOptions {
        OpenOptions::new()
    }

    /// Wraps a file opened by std. Its position stays where it was.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::AsyncReadExt;
    ///
    /// let path = std::env::temp_dir()
    ///     .join(format!("mirage-doc-file-from-std-{}", std::process::id()));
    /// std::fs::write(&path, "made by std")?;
    /// let mut file = mirage::fs::File::from_std(std::fs::File::open(&path)?);
    /// let mut core = mirage::Core::new()?;
    /// let mut text = String::new();
    /// core.run(file.read_to_string(&mut text))?;
    /// assert_eq!(text, "made by std");
    /// std::fs::remove_file(&path)?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn from_std(std: std::fs::File) -> File {
        let std = Arc::new(std);
        File {
            inner: Mutex::new(Blocking::new(Arc::clone(&std))),
            std,
            max_buf_size: MAX_BUF,
        }
    }

    /// Flushes what was written, data and metadata, to the disk (`fsync`), once the write
    /// in flight is over.
    ///
    /// # Errors
    ///
    /// Those of [`std::fs::File::sync_all`]. An error of the write in flight is not this
    /// call's: the next write or flush reports it.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::AsyncWriteExt;
    ///
    /// let path = std::env::temp_dir()
    ///     .join(format!("mirage-doc-file-sync-all-{}", std::process::id()));
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     let mut file = mirage::fs::File::create(&path).await?;
    ///     file.write_all(b"durable").await?;
    ///     file.flush().await?;
    ///     file.sync_all().await?;
    ///     mirage::fs::remove_file(&path).await
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn sync_all(&self) -> io::Result<()> {
        self.after_inflight(|std| std.sync_all()).await
    }

    /// Flushes what was written to the disk (`fdatasync`), without the metadata that
    /// reading it back does not need, once the write in flight is over.
    ///
    /// # Errors
    ///
    /// Those of [`std::fs::File::sync_data`]. An error of the write in flight is not this
    /// call's: the next write or flush reports it.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::AsyncWriteExt;
    ///
    /// let path = std::env::temp_dir()
    ///     .join(format!("mirage-doc-file-sync-data-{}", std::process::id()));
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     let mut file = mirage::fs::File::create(&path).await?;
    ///     file.write_all(b"durable").await?;
    ///     file.flush().await?;
    ///     file.sync_data().await?;
    ///     mirage::fs::remove_file(&path).await
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn sync_data(&self) -> io::Result<()> {
        self.after_inflight(|std| std.sync_data()).await
    }

    /// Cuts the file to `size` bytes, or grows it with zeros, once the write in flight is
    /// over. The position does not move (it may then be past the end, where a write fills
    /// the gap with zeros). Dropped while pending, the cut may still be made; if so, it is
    /// made before the next read, write or seek, as in tokio.
    ///
    /// # Errors
    ///
    /// `InvalidInput` if the file is not open for writing, and the other errors of
    /// [`std::fs::File::set_len`].
    ///
    /// # Examples
    ///
    /// ```
    /// let path = std::env::temp_dir()
    ///     .join(format!("mirage-doc-file-set-len-{}", std::process::id()));
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     mirage::fs::write(&path, "0123456789").await?;
    ///     let file = mirage::fs::OpenOptions::new().write(true).open(&path).await?;
    ///     file.set_len(4).await?;
    ///     assert_eq!(mirage::fs::read_to_string(&path).await?, "0123");
    ///     mirage::fs::remove_file(&path).await
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn set_len(&self, size: u64) -> io::Result<()> {
        let mut inner = self.inner.lock().await;
        poll_fn(|cx| inner.poll_complete_inflight(cx)).await;
        // Bytes read ahead are past the position the caller knows: it moves back over them
        // first, as the next write or seek would.
        inner.discard_read()?;
        // The cut is the call in flight, as a write is: dropped while pending, it still
        // comes before the next read, write or seek (which would otherwise run beside it on
        // the pool, and a write could land before it and be cut away).
        inner.start_call(move |std| std.set_len(size))?;
        poll_fn(|cx| inner.poll_call(cx)).await
    }

    /// The file's metadata, once the write in flight is over.
    ///
    /// # Errors
    ///
    /// Those of [`std::fs::File::metadata`].
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::AsyncWriteExt;
    ///
    /// let path = std::env::temp_dir()
    ///     .join(format!("mirage-doc-file-metadata-{}", std::process::id()));
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     let mut file = mirage::fs::File::create(&path).await?;
    ///     file.write_all(b"six b.").await?;
    ///     // The write in flight is over before the size is read.
    ///     assert_eq!(file.metadata().await?.len(), 6);
    ///     mirage::fs::remove_file(&path).await
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn metadata(&self) -> io::Result<Metadata> {
        self.after_inflight(|std| std.metadata()).await
    }

    /// A second `File` for the same open file (a duplicated descriptor: it shares the
    /// position and the options), once the write in flight is over. Each handle has its own
    /// buffer, so mixing reads and writes through both is not ordered by either; the clone
    /// starts with this file's [maximum buffer size](File::set_max_buf_size), as tokio's.
    ///
    /// # Errors
    ///
    /// Those of [`std::fs::File::try_clone`] (`EMFILE` when out of descriptors, ...).
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::AsyncReadExt;
    ///
    /// let path = std::env::temp_dir()
    ///     .join(format!("mirage-doc-file-try-clone-{}", std::process::id()));
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     mirage::fs::write(&path, "ab").await?;
    ///     let mut first = mirage::fs::File::open(&path).await?;
    ///     let mut second = first.try_clone().await?;
    ///     assert_eq!(first.read_u8().await?, b'a');
    ///     // One position for both.
    ///     assert_eq!(second.read_u8().await?, b'b');
    ///     mirage::fs::remove_file(&path).await
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn try_clone(&self) -> io::Result<File> {
        let std = self.after_inflight(|std| std.try_clone()).await?;
        let mut clone = File::from_std(std);
        clone.set_max_buf_size(self.max_buf_size);
        Ok(clone)
    }

    /// The std file, once the call in flight is over, with the position moved back over
    /// bytes a read took ahead, so that std goes on where this `File` was.
    ///
    /// # Panics
    ///
    /// If a call of `&self` (`sync_all`, `metadata`, ...) was dropped while pending and its
    /// job still runs on the pool, holding the file; tokio panics there too.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Read;
    /// use mirage::io::AsyncReadExt;
    ///
    /// let path = std::env::temp_dir()
    ///     .join(format!("mirage-doc-file-into-std-{}", std::process::id()));
    /// let mut core = mirage::Core::new()?;
    /// let mut std = core.run(async {
    ///     mirage::fs::write(&path, "abc").await?;
    ///     let mut file = mirage::fs::File::open(&path).await?;
    ///     assert_eq!(file.read_u8().await?, b'a');
    ///     std::io::Result::Ok(file.into_std().await)
    /// })?;
    /// let mut rest = String::new();
    /// std.read_to_string(&mut rest)?;
    /// assert_eq!(rest, "bc");
    /// std::fs::remove_file(&path)?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn into_std(mut self) -> std::fs::File {
        let inner = self.inner.get_mut();
        poll_fn(|cx| inner.poll_complete_inflight(cx)).await;
        match self.try_into_std() {
            Ok(std) => std,
            Err(_) => panic!(
                "File::into_std: a call of this File that was dropped while pending still \
                 runs on the blocking pool and holds the file"
            ),
        }
    }

    /// The std file at once, with the position moved back over bytes a read took ahead;
    /// or the `File` back, unchanged, while a call is in flight.
    ///
    /// # Errors
    ///
    /// The `File` itself, while a call runs on the pool (a write not yet reported, a read,
    /// a seek, or a call of `&self` dropped while pending).
    ///
    /// # Examples
    ///
    /// ```
    /// let path = std::env::temp_dir()
    ///     .join(format!("mirage-doc-file-try-into-std-{}", std::process::id()));
    /// let mut core = mirage::Core::new()?;
    /// let file = core.run(mirage::fs::File::create(&path))?;
    /// let std = file.try_into_std().expect("nothing is in flight");
    /// assert_eq!(std.metadata()?.len(), 0);
    /// std::fs::remove_file(&path)?;
    /// # std::io::Result::Ok(())
    /// ```
    #[allow(clippy::result_large_err)]
    pub fn try_into_std(mut self) -> Result<std::fs::File, File> {
        // Ours and the one `inner` calls through; a job holding a third never clones it
        // again, so the count cannot grow under us.
        if self.inner.get_mut().is_busy() || Arc::strong_count(&self.std) > 2 {
            return Err(self);
        }
        // If the move back over the bytes read ahead fails, the caller's next read starts
        // past them.
        let _ = self.inner.get_mut().discard_read();
        let File { std, inner, .. } = self;
        drop(inner);
        let std = Arc::try_unwrap(std)
            .expect("no call of the File is in flight, so nothing else holds the file");
        Ok(std)
    }

    /// Sets the file's permissions (`fchmod`), once the write in flight is over.
    ///
    /// # Errors
    ///
    /// Those of [`std::fs::File::set_permissions`].
    ///
    /// # Examples
    ///
    /// ```
    /// let path = std::env::temp_dir()
    ///     .join(format!("mirage-doc-file-set-perms-{}", std::process::id()));
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     let file = mirage::fs::File::create(&path).await?;
    ///     let mut perms = file.metadata().await?.permissions();
    ///     perms.set_readonly(true);
    ///     file.set_permissions(perms).await?;
    ///     assert!(file.metadata().await?.permissions().readonly());
    ///     mirage::fs::remove_file(&path).await
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn set_permissions(&self, perm: Permissions) -> io::Result<()> {
        self.after_inflight(move |std| std.set_permissions(perm))
            .await
    }

    /// Sets the file's access and modification times (`futimens`), once the write in flight
    /// is over; a time left out of `times` is left as it is.
    ///
    /// # Errors
    ///
    /// Those of [`std::fs::File::set_times`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::fs::FileTimes;
    /// use std::time::{Duration, SystemTime};
    ///
    /// let path = std::env::temp_dir()
    ///     .join(format!("mirage-doc-file-set-times-{}", std::process::id()));
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     let file = mirage::fs::File::create(&path).await?;
    ///     let then = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    ///     file.set_times(FileTimes::new().set_accessed(then).set_modified(then)).await?;
    ///     let metadata = file.metadata().await?;
    ///     assert_eq!(metadata.modified()?, then);
    ///     assert_eq!(metadata.accessed()?, then);
    ///     mirage::fs::remove_file(&path).await
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn set_times(&self, times: std::fs::FileTimes) -> io::Result<()> {
        self.after_inflight(move |std| std.set_times(times)).await
    }

    /// Sets the file's modification time, as [`set_times`](File::set_times) with that
    /// time alone.
    ///
    /// # Errors
    ///
    /// Those of [`std::fs::File::set_modified`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    ///
    /// let path = std::env::temp_dir()
    ///     .join(format!("mirage-doc-file-set-modified-{}", std::process::id()));
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     let file = mirage::fs::File::create(&path).await?;
    ///     let then = SystemTime::UNIX_EPOCH + Duration::from_secs(86_400);
    ///     file.set_modified(then).await?;
    ///     assert_eq!(file.metadata().await?.modified()?, then);
    ///     mirage::fs::remove_file(&path).await
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn set_modified(&self, modified: std::time::SystemTime) -> io::Result<()> {
        self.after_inflight(move |std| std.set_modified(modified))
            .await
    }

    /// Sets the most bytes one read or write moves through the pool (2 MiB unless set, as
    /// in tokio). A larger `write_all` goes out in several writes, each waiting for the one
    /// before.
    ///
    /// # Panics
    ///
    /// If `max_buf_size` is 0, as tokio's does: no read or write could move a byte.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::AsyncWriteExt;
    ///
    /// let path = std::env::temp_dir()
    ///     .join(format!("mirage-doc-file-max-buf-{}", std::process::id()));
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     let mut file = mirage::fs::File::create(&path).await?;
    ///     file.set_max_buf_size(4);
    ///     assert_eq!(file.max_buf_size(), 4);
    ///     // Takes only what one write moves.
    ///     assert_eq!(file.write(b"0123456789").await?, 4);
    ///     file.flush().await?;
    ///     mirage::fs::remove_file(&path).await
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    #[track_caller]
    pub fn set_max_buf_size(&mut self, max_buf_size: usize) {
        assert!(
            max_buf_size > 0,
            "File::set_max_buf_size: the size must be at least 1 byte"
        );
        self.inner.get_mut().set_max_buf(max_buf_size);
        // Kept beside the lock too, for `max_buf_size(&self)`.
        self.max_buf_size = max_buf_size;
    }

    /// The most bytes one read or write moves through the pool: see
    /// [`set_max_buf_size`](File::set_max_buf_size).
    ///
    /// # Examples
    ///
    /// ```
    /// let path = std::env::temp_dir()
    ///     .join(format!("mirage-doc-file-max-buf-get-{}", std::process::id()));
    /// let mut core = mirage::Core::new()?;
    /// let file = core.run(mirage::fs::File::create(&path))?;
    /// assert_eq!(file.max_buf_size(), 2 * 1024 * 1024);
    /// std::fs::remove_file(&path)?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn max_buf_size(&self) -> usize {
        self.max_buf_size
    }

    /// Runs `call` on the std file on the pool, holding the lock, once the call in flight
    /// is over.
    async fn after_inflight<T: Send + 'static>(
        &self,
        call: impl FnOnce(&std::fs::File) -> io::Result<T> + Send + 'static,
    ) -> io::Result<T> {
        let mut inner = self.inner.lock().await;
        poll_fn(|cx| inner.poll_complete_inflight(cx)).await;
        let std = Arc::clone(&self.std);
        asyncify(move || call(&std)).await
    }
}

impl AsyncRead for File {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().inner.get_mut().poll_read(cx, buf)
    }
}

impl AsyncWrite for File {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().inner.get_mut().poll_write(cx, buf)
    }

    /// As `poll_write`, for the slices in order: up to the file's maximum buffer size of
    /// them is copied and goes out in one write on the blocking pool.
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().inner.get_mut().poll_write_vectored(cx, bufs)
    }

    /// `true`: the slices of a vectored write are gathered into one write.
    fn is_write_vectored(&self) -> bool {
        true
    }

    /// Waits for the write in flight, and fails with the first write error not yet
    /// reported. A file has no buffer of its own to flush (see [`File::sync_all`] for the
    /// disk).
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().inner.get_mut().poll_flush(cx)
    }

    /// Flushes; the file stays open until the `File` is dropped.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().inner.get_mut().poll_flush(cx)
    }
}

/// A seek waits for nothing itself: while another call is in flight, `start_seek` fails
/// with an error of kind `Other`, as tokio's does ([`AsyncSeekExt::seek`] waits for that
/// call first). A write error that the seek finds is reported by the next write or flush.
///
/// [`AsyncSeekExt::seek`]: crate::io::AsyncSeekExt::seek
impl AsyncSeek for File {
    fn start_seek(self: Pin<&mut Self>, position: SeekFrom) -> io::Result<()> {
        self.get_mut().inner.get_mut().start_seek(position)
    }

    fn poll_complete(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        self.get_mut().inner.get_mut().poll_complete(cx)
    }
}

/// [`File::from_std`].
impl From<std::fs::File> for File {
    fn from(std: std::fs::File) -> File {
        File::from_std(std)
    }
}

/// An open file's descriptor, as a [`File`].
///
/// # Examples
///
/// ```
/// use std::os::fd::OwnedFd;
///
/// let path = std::env::temp_dir().join(format!("mirage-doc-file-from-fd-{}", std::process::id()));
/// let fd: OwnedFd = std::fs::File::create(&path)?.into();
/// let file = mirage::fs::File::from(fd);
/// let mut core = mirage::Core::new()?;
/// assert!(core.run(file.metadata())?.is_file());
/// std::fs::remove_file(&path)?;
/// # std::io::Result::Ok(())
/// ```
impl From<OwnedFd> for File {
    fn from(fd: OwnedFd) -> File {
        File::from_std(std::fs::File::from(fd))
    }
}

/// Takes over `fd`, an open file's descriptor, as tokio's `File` does: what `File::from`
/// does with an [`OwnedFd`], for code that holds a raw descriptor (one handed back by
/// [`IntoRawFd`](std::os::fd::IntoRawFd), or from C). The position stays where it was.
///
/// # Safety
///
/// As [`std::fs::File::from_raw_fd`]: `fd` must be open, and nothing else may own it (the
/// `File` closes it when dropped).
///
/// # Examples
///
/// ```
/// use std::os::fd::{FromRawFd, IntoRawFd};
/// use mirage::io::AsyncReadExt;
///
/// let path = std::env::temp_dir().join(format!("mirage-doc-file-from-raw-{}", std::process::id()));
/// std::fs::write(&path, "raw")?;
/// let fd = std::fs::File::open(&path)?.into_raw_fd();
/// // SAFETY: `fd` was just given up by the std file, so this `File` is its only owner.
/// let mut file = unsafe { mirage::fs::File::from_raw_fd(fd) };
/// let mut core = mirage::Core::new()?;
/// let mut text = String::new();
/// core.run(file.read_to_string(&mut text))?;
/// assert_eq!(text, "raw");
/// std::fs::remove_file(&path)?;
/// # std::io::Result::Ok(())
/// ```
impl FromRawFd for File {
    unsafe fn from_raw_fd(fd: RawFd) -> File {
        // SAFETY: the caller promises that `fd` is open and owned by nothing else.
        File::from_std(unsafe { std::fs::File::from_raw_fd(fd) })
    }
}

/// The file's descriptor, to inspect (`fstat`, `flock`); reads and writes through it are
/// not ordered with this `File`'s own.
///
/// # Examples
///
/// ```
/// use std::os::fd::AsRawFd;
///
/// let mut core = mirage::Core::new()?;
/// let file = core.run(mirage::fs::File::open(std::env::temp_dir()))?;
/// assert!(file.as_raw_fd() >= 0);
/// # std::io::Result::Ok(())
/// ```
impl AsFd for File {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.std.as_fd()
    }
}

/// See [`AsFd`].
impl AsRawFd for File {
    fn as_raw_fd(&self) -> RawFd {
        self.std.as_raw_fd()
    }
}

impl fmt::Debug for File {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("File")
            .field("fd", &self.std.as_raw_fd())
            .field("max_buf_size", &self.max_buf_size)
            .finish_non_exhaustive()
    }
}
