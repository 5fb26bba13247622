//! [`OpenOptions`]: how a [`File`] is opened.

use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::{File, asyncify};

/// How to open a file (for reading, writing, appending, creating it, ...), as
/// [`std::fs::OpenOptions`] with an `async` [`open`](OpenOptions::open) that runs on the
/// blocking pool: tokio's `OpenOptions`. The Unix options (`mode`, `custom_flags`) are
/// methods of its own, as in tokio.
///
/// # Examples
///
/// ```
/// use mirage::fs::OpenOptions;
/// use mirage::io::AsyncWriteExt;
///
/// let path = std::env::temp_dir().join(format!("mirage-doc-open-options-{}", std::process::id()));
/// let mut core = mirage::Core::new()?;
/// core.run(async {
///     let mut log = OpenOptions::new().create(true).append(true).open(&path).await?;
///     log.write_all(b"one\n").await?;
///     log.write_all(b"two\n").await?;
///     log.flush().await?;
///     assert_eq!(mirage::fs::read_to_string(&path).await?, "one\ntwo\n");
///     mirage::fs::remove_file(&path).await
/// })?;
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone, Debug)]
pub struct OpenOptions(std::fs::OpenOptions);

impl OpenOptions {
    /// Options with everything off: set at least one of `read`, `write` or `append` before
    /// opening.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     let none = mirage::fs::OpenOptions::new().open(std::env::temp_dir()).await;
    ///     assert_eq!(none.unwrap_err().kind(), std::io::ErrorKind::InvalidInput);
    /// });
    /// # std::io::Result::Ok(())
    /// ```
    pub fn new() -> OpenOptions {
        OpenOptions(std::fs::OpenOptions::new())
    }

    /// Whether the file can be read.
    ///
    /// # Examples
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("mirage-doc-oo-read-{}", std::process::id()));
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     mirage::fs::write(&path, "x").await?;
    ///     let _file = mirage::fs::OpenOptions::new().read(true).open(&path).await?;
    ///     mirage::fs::remove_file(&path).await
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn read(&mut self, read: bool) -> &mut OpenOptions {
        self.0.read(read);
        self
    }

    /// Whether the file can be written (from the start, over what is there, unless
    /// `append` or `truncate` says otherwise).
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::AsyncWriteExt;
    ///
    /// let path = std::env::temp_dir().join(format!("mirage-doc-oo-write-{}", std::process::id()));
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     mirage::fs::write(&path, "abcdef").await?;
    ///     let mut file = mirage::fs::OpenOptions::new().write(true).open(&path).await?;
    ///     file.write_all(b"XY").await?;
    ///     file.flush().await?;
    ///     assert_eq!(mirage::fs::read_to_string(&path).await?, "XYcdef");
    ///     mirage::fs::remove_file(&path).await
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn write(&mut self, write: bool) -> &mut OpenOptions {
        self.0.write(write);
        self
    }

    /// Whether every write goes to the end of the file, wherever the position is (which
    /// implies `write`).
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::AsyncWriteExt;
    ///
    /// let path = std::env::temp_dir()
    ///     .join(format!("mirage-doc-oo-append-{}", std::process::id()));
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     mirage::fs::write(&path, "head ").await?;
    ///     let mut file = mirage::fs::OpenOptions::new().append(true).open(&path).await?;
    ///     file.write_all(b"tail").await?;
    ///     file.flush().await?;
    ///     assert_eq!(mirage::fs::read_to_string(&path).await?, "head tail");
    ///     mirage::fs::remove_file(&path).await
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn append(&mut self, append: bool) -> &mut OpenOptions {
        self.0.append(append);
        self
    }

    /// Whether opening empties the file (it must be opened for writing).
    ///
    /// # Examples
    ///
    /// ```
    /// let path = std::env::temp_dir()
    ///     .join(format!("mirage-doc-oo-truncate-{}", std::process::id()));
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     mirage::fs::write(&path, "old").await?;
    ///     mirage::fs::OpenOptions::new().write(true).truncate(true).open(&path).await?;
    ///     assert_eq!(mirage::fs::read(&path).await?.len(), 0);
    ///     mirage::fs::remove_file(&path).await
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn truncate(&mut self, truncate: bool) -> &mut OpenOptions {
        self.0.truncate(truncate);
        self
    }

    /// Whether to create the file if it is missing (it must be opened for writing or
    /// appending).
    ///
    /// # Examples
    ///
    /// ```
    /// let path = std::env::temp_dir()
    ///     .join(format!("mirage-doc-oo-create-{}", std::process::id()));
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     mirage::fs::OpenOptions::new().write(true).create(true).open(&path).await?;
    ///     assert!(mirage::fs::try_exists(&path).await?);
    ///     mirage::fs::remove_file(&path).await
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn create(&mut self, create: bool) -> &mut OpenOptions {
        self.0.create(create);
        self
    }

    /// Whether to create the file and fail if it exists, in one atomic step (so two
    /// processes cannot both create it); `create` and `truncate` are then ignored.
    ///
    /// # Examples
    ///
    /// ```
    /// let path = std::env::temp_dir()
    ///     .join(format!("mirage-doc-oo-create-new-{}", std::process::id()));
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     let mut options = mirage::fs::OpenOptions::new();
    ///     options.write(true).create_new(true);
    ///     options.open(&path).await?;
    ///     let again = options.open(&path).await.unwrap_err();
    ///     assert_eq!(again.kind(), std::io::ErrorKind::AlreadyExists);
    ///     mirage::fs::remove_file(&path).await
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn create_new(&mut self, create_new: bool) -> &mut OpenOptions {
        self.0.create_new(create_new);
        self
    }

    /// The permission bits of a file this creates (less the process's umask), as
    /// [`OpenOptionsExt::mode`]. `0o666` unless set.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::fs::PermissionsExt;
    ///
    /// let path = std::env::temp_dir().join(format!("mirage-doc-oo-mode-{}", std::process::id()));
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     mirage::fs::OpenOptions::new().write(true).create(true).mode(0o600).open(&path).await?;
    ///     let mode = mirage::fs::metadata(&path).await?.permissions().mode();
    ///     assert_eq!(mode & 0o777, 0o600);
    ///     mirage::fs::remove_file(&path).await
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn mode(&mut self, mode: u32) -> &mut OpenOptions {
        self.0.mode(mode);
        self
    }

    /// Flags passed to `open(2)` besides those the other options set (such as
    /// `libc::O_NOFOLLOW`), as [`OpenOptionsExt::custom_flags`]; the access mode bits are
    /// ignored.
    ///
    /// # Examples
    ///
    /// ```
    /// // O_NOFOLLOW (0o400000 on x86-64 Linux, 0o100000 on aarch64) refuses a symbolic link.
    /// # #[cfg(all(target_os = "linux", target_arch = "x86_64"))] {
    /// let dir = std::env::temp_dir();
    /// let link = dir.join(format!("mirage-doc-oo-flags-{}", std::process::id()));
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     mirage::fs::symlink(&dir, &link).await?;
    ///     let refused = mirage::fs::OpenOptions::new()
    ///         .read(true)
    ///         .custom_flags(0o400000)
    ///         .open(&link)
    ///         .await;
    ///     assert!(refused.is_err());
    ///     mirage::fs::remove_file(&link).await
    /// })?;
    /// # }
    /// # std::io::Result::Ok(())
    /// ```
    pub fn custom_flags(&mut self, flags: i32) -> &mut OpenOptions {
        self.0.custom_flags(flags);
        self
    }

    /// Opens the file at `path` with these options, on the blocking pool.
    ///
    /// # Errors
    ///
    /// `NotFound` for a missing file without `create`, `AlreadyExists` with `create_new`
    /// when the file exists, `InvalidInput` for options that do not go together (none of
    /// `read`, `write` and `append`; `create` without writing), and the other errors of
    /// [`std::fs::OpenOptions::open`].
    ///
    /// # Examples
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("mirage-doc-oo-open-{}", std::process::id()));
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     let missing = mirage::fs::OpenOptions::new().read(true).open(&path).await;
    ///     assert_eq!(missing.unwrap_err().kind(), std::io::ErrorKind::NotFound);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn open(&self, path: impl AsRef<Path>) -> io::Result<File> {
        let path = path.as_ref().to_owned();
        let options = self.0.clone();
        let std = asyncify(move || options.open(path)).await?;
        Ok(File::from_std(std))
    }
}

impl Default for OpenOptions {
    /// The options of [`OpenOptions::new`].
    fn default() -> OpenOptions {
        OpenOptions::new()
    }
}

/// Options set up on a `std::fs::OpenOptions` (with the Unix extensions, say) open an
/// asynchronous [`File`] the same way.
impl From<std::fs::OpenOptions> for OpenOptions {
    fn from(options: std::fs::OpenOptions) -> OpenOptions {
        OpenOptions(options)
    }
}
