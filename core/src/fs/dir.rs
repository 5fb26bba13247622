//! Directory calls: [`create_dir`], [`create_dir_all`], [`remove_dir`] and
//! [`remove_dir_all`].

use std::io;
use std::path::Path;

use super::asyncify;

/// Creates the directory `path`, whose parent must exist, as [`std::fs::create_dir`] on the
/// blocking pool. [`DirBuilder`](super::DirBuilder) sets its mode.
///
/// # Errors
///
/// `AlreadyExists` if something is at `path` already, `NotFound` if its parent is missing,
/// and the other errors of [`std::fs::create_dir`].
///
/// # Examples
///
/// ```
/// let dir = std::env::temp_dir().join(format!("mirage-doc-create-dir-{}", std::process::id()));
/// let mut core = mirage::Core::new()?;
/// core.run(async {
///     mirage::fs::create_dir(&dir).await?;
///     let again = mirage::fs::create_dir(&dir).await.unwrap_err();
///     assert_eq!(again.kind(), std::io::ErrorKind::AlreadyExists);
///     mirage::fs::remove_dir(&dir).await
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub async fn create_dir(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::create_dir(path)).await
}

/// Creates the directory `path` and any of its parents that are missing, as
/// [`std::fs::create_dir_all`] on the blocking pool. A directory already there is fine.
///
/// # Errors
///
/// Those of [`std::fs::create_dir_all`]: a file in the way, `PermissionDenied`, ...
///
/// # Examples
///
/// ```
/// let top = std::env::temp_dir().join(format!("mirage-doc-create-all-{}", std::process::id()));
/// let mut core = mirage::Core::new()?;
/// core.run(async {
///     mirage::fs::create_dir_all(top.join("a/b/c")).await?;
///     mirage::fs::create_dir_all(top.join("a/b/c")).await?;
///     assert!(mirage::fs::metadata(top.join("a/b/c")).await?.is_dir());
///     mirage::fs::remove_dir_all(&top).await
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub async fn create_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::create_dir_all(path)).await
}

/// Removes the empty directory `path`, as [`std::fs::remove_dir`] on the blocking pool.
///
/// # Errors
///
/// `NotFound` if nothing is there, `DirectoryNotEmpty` if it holds anything, and the other
/// errors of [`std::fs::remove_dir`].
///
/// # Examples
///
/// ```
/// let dir = std::env::temp_dir().join(format!("mirage-doc-remove-dir-{}", std::process::id()));
/// let mut core = mirage::Core::new()?;
/// core.run(async {
///     mirage::fs::create_dir(&dir).await?;
///     mirage::fs::remove_dir(&dir).await?;
///     assert!(!mirage::fs::try_exists(&dir).await?);
///     std::io::Result::Ok(())
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub async fn remove_dir(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::remove_dir(path)).await
}

/// Removes the directory `path` with everything in it, as [`std::fs::remove_dir_all`] on
/// the blocking pool (in one pool job, however deep the tree).
///
/// # Errors
///
/// `NotFound` if nothing is there, and the other errors of [`std::fs::remove_dir_all`].
///
/// # Examples
///
/// ```
/// let top = std::env::temp_dir().join(format!("mirage-doc-remove-all-{}", std::process::id()));
/// let mut core = mirage::Core::new()?;
/// core.run(async {
///     mirage::fs::create_dir_all(top.join("inner")).await?;
///     mirage::fs::write(top.join("inner/file"), "x").await?;
///     mirage::fs::remove_dir_all(&top).await?;
///     assert!(!mirage::fs::try_exists(&top).await?);
///     std::io::Result::Ok(())
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub async fn remove_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::remove_dir_all(path)).await
}
