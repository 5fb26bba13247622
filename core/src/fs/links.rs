//! The names a file goes by: [`rename`], [`remove_file`], [`hard_link`], [`symlink`] and
//! [`read_link`].

use std::io;
use std::path::{Path, PathBuf};

use super::asyncify;

/// Renames `from` to `to`, replacing what `to` named (a file, or an empty directory when
/// `from` is one), as [`std::fs::rename`] on the blocking pool.
///
/// # Errors
///
/// `NotFound` if `from` is missing, and the other errors of [`std::fs::rename`] (moving
/// across file systems fails; [`copy`](super::copy) then [`remove_file`] instead).
///
/// # Examples
///
/// ```
/// let dir = std::env::temp_dir();
/// let old = dir.join(format!("mirage-doc-rename-old-{}", std::process::id()));
/// let new = dir.join(format!("mirage-doc-rename-new-{}", std::process::id()));
/// let mut core = mirage::Core::new()?;
/// core.run(async {
///     mirage::fs::write(&old, "moved").await?;
///     mirage::fs::rename(&old, &new).await?;
///     assert!(!mirage::fs::try_exists(&old).await?);
///     assert_eq!(mirage::fs::read_to_string(&new).await?, "moved");
///     mirage::fs::remove_file(&new).await
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub async fn rename(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<()> {
    let (from, to) = (from.as_ref().to_owned(), to.as_ref().to_owned());
    asyncify(move || std::fs::rename(from, to)).await
}

/// Removes the file (or symbolic link) `path`, as [`std::fs::remove_file`] on the blocking
/// pool. A file still open stays readable through its handles until they are closed.
///
/// # Errors
///
/// `NotFound` if nothing is there, and the other errors of [`std::fs::remove_file`] (a
/// directory is [`remove_dir`](super::remove_dir)'s).
///
/// # Examples
///
/// ```
/// let path = std::env::temp_dir().join(format!("mirage-doc-remove-file-{}", std::process::id()));
/// let mut core = mirage::Core::new()?;
/// core.run(async {
///     mirage::fs::write(&path, "").await?;
///     mirage::fs::remove_file(&path).await?;
///     let again = mirage::fs::remove_file(&path).await.unwrap_err();
///     assert_eq!(again.kind(), std::io::ErrorKind::NotFound);
///     std::io::Result::Ok(())
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub async fn remove_file(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::remove_file(path)).await
}

/// Gives the file `original` a second name, `link` (a hard link), as
/// [`std::fs::hard_link`] on the blocking pool.
///
/// # Errors
///
/// `NotFound` if `original` is missing, `AlreadyExists` if `link` is taken, and the other
/// errors of [`std::fs::hard_link`].
///
/// # Examples
///
/// ```
/// let dir = std::env::temp_dir();
/// let original = dir.join(format!("mirage-doc-hard-link-a-{}", std::process::id()));
/// let link = dir.join(format!("mirage-doc-hard-link-b-{}", std::process::id()));
/// let mut core = mirage::Core::new()?;
/// core.run(async {
///     mirage::fs::write(&original, "shared").await?;
///     mirage::fs::hard_link(&original, &link).await?;
///     mirage::fs::remove_file(&original).await?;
///     assert_eq!(mirage::fs::read_to_string(&link).await?, "shared");
///     mirage::fs::remove_file(&link).await
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub async fn hard_link(original: impl AsRef<Path>, link: impl AsRef<Path>) -> io::Result<()> {
    let (original, link) = (original.as_ref().to_owned(), link.as_ref().to_owned());
    asyncify(move || std::fs::hard_link(original, link)).await
}

/// Makes `link` a symbolic link to `original` (which need not exist), as
/// [`std::os::unix::fs::symlink`] on the blocking pool.
///
/// # Errors
///
/// `AlreadyExists` if `link` is taken, and the other errors of
/// [`std::os::unix::fs::symlink`].
///
/// # Examples
///
/// ```
/// let dir = std::env::temp_dir();
/// let link = dir.join(format!("mirage-doc-symlink-{}", std::process::id()));
/// let mut core = mirage::Core::new()?;
/// core.run(async {
///     mirage::fs::symlink("somewhere/else", &link).await?;
///     assert_eq!(mirage::fs::read_link(&link).await?, std::path::Path::new("somewhere/else"));
///     mirage::fs::remove_file(&link).await
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub async fn symlink(original: impl AsRef<Path>, link: impl AsRef<Path>) -> io::Result<()> {
    let (original, link) = (original.as_ref().to_owned(), link.as_ref().to_owned());
    asyncify(move || std::os::unix::fs::symlink(original, link)).await
}

/// What the symbolic link `path` points to, as written (not resolved), as
/// [`std::fs::read_link`] on the blocking pool.
///
/// # Errors
///
/// `NotFound` if nothing is there, `InvalidInput` if `path` is not a symbolic link, and the
/// other errors of [`std::fs::read_link`].
///
/// # Examples
///
/// ```
/// let dir = std::env::temp_dir();
/// let link = dir.join(format!("mirage-doc-read-link-{}", std::process::id()));
/// let mut core = mirage::Core::new()?;
/// core.run(async {
///     mirage::fs::symlink(&dir, &link).await?;
///     assert_eq!(mirage::fs::read_link(&link).await?, dir);
///     mirage::fs::remove_file(&link).await
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub async fn read_link(path: impl AsRef<Path>) -> io::Result<PathBuf> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::read_link(path)).await
}
