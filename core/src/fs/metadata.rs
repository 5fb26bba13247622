//! What a path names: [`metadata`], [`symlink_metadata`], [`try_exists`],
//! [`canonicalize`], and [`set_permissions`].

use std::fs::{Metadata, Permissions};
use std::io;
use std::path::{Path, PathBuf};

use super::asyncify;

/// The metadata of what `path` names, following symbolic links, as [`std::fs::metadata`]
/// on the blocking pool.
///
/// # Errors
///
/// `NotFound` if nothing is there, and the other errors of [`std::fs::metadata`].
///
/// # Examples
///
/// ```
/// let path = std::env::temp_dir().join(format!("mirage-doc-metadata-{}", std::process::id()));
/// let mut core = mirage::Core::new()?;
/// core.run(async {
///     mirage::fs::write(&path, "four").await?;
///     let meta = mirage::fs::metadata(&path).await?;
///     assert!(meta.is_file());
///     assert_eq!(meta.len(), 4);
///     mirage::fs::remove_file(&path).await
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub async fn metadata(path: impl AsRef<Path>) -> io::Result<Metadata> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::metadata(path)).await
}

/// The metadata of `path` itself, not following a symbolic link there, as
/// [`std::fs::symlink_metadata`] on the blocking pool.
///
/// # Errors
///
/// `NotFound` if nothing is there, and the other errors of [`std::fs::symlink_metadata`].
///
/// # Examples
///
/// ```
/// let dir = std::env::temp_dir();
/// let link = dir.join(format!("mirage-doc-symlink-meta-{}", std::process::id()));
/// let mut core = mirage::Core::new()?;
/// core.run(async {
///     mirage::fs::symlink(&dir, &link).await?;
///     assert!(mirage::fs::symlink_metadata(&link).await?.file_type().is_symlink());
///     assert!(mirage::fs::metadata(&link).await?.is_dir());
///     mirage::fs::remove_file(&link).await
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub async fn symlink_metadata(path: impl AsRef<Path>) -> io::Result<Metadata> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::symlink_metadata(path)).await
}

/// Whether `path` names something (following symbolic links: a dangling link is `false`),
/// as [`std::fs::exists`] on the blocking pool. Unlike `Path::exists`, an error other than
/// "not found" is reported, not taken for "no".
///
/// # Errors
///
/// `PermissionDenied` when a directory on the way cannot be searched, and the other errors
/// of [`std::fs::exists`] but `NotFound`.
///
/// # Examples
///
/// ```
/// let path = std::env::temp_dir().join(format!("mirage-doc-try-exists-{}", std::process::id()));
/// let mut core = mirage::Core::new()?;
/// core.run(async {
///     assert!(!mirage::fs::try_exists(&path).await?);
///     mirage::fs::write(&path, "").await?;
///     assert!(mirage::fs::try_exists(&path).await?);
///     mirage::fs::remove_file(&path).await
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub async fn try_exists(path: impl AsRef<Path>) -> io::Result<bool> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::exists(path)).await
}

/// The absolute form of `path`, with every `.`, `..` and symbolic link resolved, as
/// [`std::fs::canonicalize`] on the blocking pool.
///
/// # Errors
///
/// `NotFound` if `path` does not exist, and the other errors of [`std::fs::canonicalize`].
///
/// # Examples
///
/// ```
/// let dir = std::env::temp_dir();
/// let mut core = mirage::Core::new()?;
/// core.run(async {
///     let roundabout = dir.join(".").join("..").join(dir.file_name().unwrap());
///     let direct = mirage::fs::canonicalize(&dir).await?;
///     assert_eq!(mirage::fs::canonicalize(roundabout).await?, direct);
///     std::io::Result::Ok(())
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub async fn canonicalize(path: impl AsRef<Path>) -> io::Result<PathBuf> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::canonicalize(path)).await
}

/// Sets the permissions of what `path` names, as [`std::fs::set_permissions`] on the
/// blocking pool.
///
/// # Errors
///
/// `NotFound` if nothing is there, and the other errors of [`std::fs::set_permissions`].
///
/// # Examples
///
/// ```
/// let path = std::env::temp_dir().join(format!("mirage-doc-set-perms-{}", std::process::id()));
/// let mut core = mirage::Core::new()?;
/// core.run(async {
///     mirage::fs::write(&path, "keep").await?;
///     let mut perms = mirage::fs::metadata(&path).await?.permissions();
///     perms.set_readonly(true);
///     mirage::fs::set_permissions(&path, perms).await?;
///     assert!(mirage::fs::metadata(&path).await?.permissions().readonly());
///     mirage::fs::remove_file(&path).await
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub async fn set_permissions(path: impl AsRef<Path>, perm: Permissions) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::set_permissions(path, perm)).await
}
