//! [`DirBuilder`]: a directory created with options.

use std::io;
use std::path::Path;

use super::asyncify;

/// Creates directories with options (recursively, with a mode), as [`std::fs::DirBuilder`]
/// with an `async` [`create`](DirBuilder::create) that runs on the blocking pool: tokio's
/// `DirBuilder`.
///
/// # Examples
///
/// ```
/// use std::os::unix::fs::PermissionsExt;
/// use mirage::fs::DirBuilder;
///
/// let top = std::env::temp_dir().join(format!("mirage-doc-dir-builder-{}", std::process::id()));
/// let mut core = mirage::Core::new()?;
/// core.run(async {
///     DirBuilder::new().recursive(true).mode(0o700).create(top.join("private")).await?;
///     let mode = mirage::fs::metadata(top.join("private")).await?.permissions().mode();
///     assert_eq!(mode & 0o777, 0o700);
///     mirage::fs::remove_dir_all(&top).await
/// })?;
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug, Default)]
pub struct DirBuilder {
    /// Create the missing parents too, and take an existing directory as success.
    recursive: bool,
    /// The mode of the directories created, before the umask (`0o777` unless set).
    mode: Option<u32>,
}

impl DirBuilder {
    /// A builder with the defaults: not recursive, mode `0o777` (less the umask).
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = std::env::temp_dir()
    ///     .join(format!("mirage-doc-dir-builder-new-{}", std::process::id()));
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     mirage::fs::DirBuilder::new().create(&dir).await?;
    ///     assert!(mirage::fs::metadata(&dir).await?.is_dir());
    ///     mirage::fs::remove_dir(&dir).await
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn new() -> DirBuilder {
        DirBuilder::default()
    }

    /// Whether to create the missing parents too (as [`create_dir_all`](super::create_dir_all)),
    /// with a directory already there taken as success.
    ///
    /// # Examples
    ///
    /// ```
    /// let top = std::env::temp_dir()
    ///     .join(format!("mirage-doc-dir-builder-rec-{}", std::process::id()));
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     let mut builder = mirage::fs::DirBuilder::new();
    ///     let missing = builder.create(top.join("a/b")).await.unwrap_err();
    ///     assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
    ///     builder.recursive(true).create(top.join("a/b")).await?;
    ///     mirage::fs::remove_dir_all(&top).await
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn recursive(&mut self, recursive: bool) -> &mut DirBuilder {
        self.recursive = recursive;
        self
    }

    /// The permission bits of the directories created (less the process's umask), as
    /// [`std::os::unix::fs::DirBuilderExt::mode`]. `0o777` unless set.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::fs::PermissionsExt;
    ///
    /// let dir = std::env::temp_dir()
    ///     .join(format!("mirage-doc-dir-builder-mode-{}", std::process::id()));
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     mirage::fs::DirBuilder::new().mode(0o750).create(&dir).await?;
    ///     let mode = mirage::fs::metadata(&dir).await?.permissions().mode();
    ///     assert_eq!(mode & 0o707, 0o700);
    ///     mirage::fs::remove_dir(&dir).await
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn mode(&mut self, mode: u32) -> &mut DirBuilder {
        self.mode = Some(mode);
        self
    }

    /// Creates the directory `path` with these options, on the blocking pool.
    ///
    /// # Errors
    ///
    /// Not recursive: `AlreadyExists` if something is at `path`, `NotFound` if its parent
    /// is missing. Either way, the other errors of [`std::fs::DirBuilder::create`].
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = std::env::temp_dir()
    ///     .join(format!("mirage-doc-dir-builder-create-{}", std::process::id()));
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     let builder = mirage::fs::DirBuilder::new();
    ///     builder.create(&dir).await?;
    ///     let again = builder.create(&dir).await.unwrap_err();
    ///     assert_eq!(again.kind(), std::io::ErrorKind::AlreadyExists);
    ///     mirage::fs::remove_dir(&dir).await
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn create(&self, path: impl AsRef<Path>) -> io::Result<()> {
        let path = path.as_ref().to_owned();
        let mut std = std::fs::DirBuilder::new();
        std.recursive(self.recursive);
        if let Some(mode) = self.mode {
            std::os::unix::fs::DirBuilderExt::mode(&mut std, mode);
        }
        asyncify(move || std.create(path)).await
    }
}
