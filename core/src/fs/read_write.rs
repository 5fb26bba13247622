//! Whole-file calls: [`read`], [`read_to_string`], [`write`] and [`copy`].

use std::io;
use std::path::Path;

use super::asyncify;

/// Reads the whole file at `path` into a `Vec`, as [`std::fs::read`] on the blocking pool.
///
/// # Errors
///
/// Those of [`std::fs::read`]: `NotFound` for a missing file, `PermissionDenied`, ...
///
/// # Examples
///
/// ```
/// let path = std::env::temp_dir().join(format!("mirage-doc-read-{}", std::process::id()));
/// let mut core = mirage::Core::new()?;
/// core.run(async {
///     mirage::fs::write(&path, [1, 2, 3]).await?;
///     assert_eq!(mirage::fs::read(&path).await?, [1, 2, 3]);
///     mirage::fs::remove_file(&path).await
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub async fn read(path: impl AsRef<Path>) -> io::Result<Vec<u8>> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::read(path)).await
}

/// Reads the whole file at `path` into a `String`, as [`std::fs::read_to_string`] on the
/// blocking pool.
///
/// # Errors
///
/// Those of [`std::fs::read_to_string`]; `InvalidData` if the file is not UTF-8.
///
/// # Examples
///
/// ```
/// let path = std::env::temp_dir().join(format!("mirage-doc-read-str-{}", std::process::id()));
/// let mut core = mirage::Core::new()?;
/// core.run(async {
///     mirage::fs::write(&path, "héllo").await?;
///     assert_eq!(mirage::fs::read_to_string(&path).await?, "héllo");
///     mirage::fs::remove_file(&path).await
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub async fn read_to_string(path: impl AsRef<Path>) -> io::Result<String> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::read_to_string(path)).await
}

/// Writes `contents` as the whole file at `path`, creating it or truncating it first, as
/// [`std::fs::write`] on the blocking pool. The bytes are copied into the pool's job.
///
/// # Errors
///
/// Those of [`std::fs::write`]: `NotFound` when the directory is missing, ...
///
/// # Examples
///
/// ```
/// let path = std::env::temp_dir().join(format!("mirage-doc-write-{}", std::process::id()));
/// let mut core = mirage::Core::new()?;
/// core.run(async {
///     mirage::fs::write(&path, "first").await?;
///     mirage::fs::write(&path, "second").await?;
///     assert_eq!(mirage::fs::read_to_string(&path).await?, "second");
///     mirage::fs::remove_file(&path).await
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub async fn write(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    let contents = contents.as_ref().to_owned();
    asyncify(move || std::fs::write(path, contents)).await
}

/// Copies the contents and permissions of the file `from` to the file `to` (created or
/// truncated), and returns how many bytes it copied, as [`std::fs::copy`] on the blocking
/// pool.
///
/// # Errors
///
/// Those of [`std::fs::copy`]: `NotFound` when `from` is missing, ...
///
/// # Examples
///
/// ```
/// let dir = std::env::temp_dir();
/// let from = dir.join(format!("mirage-doc-copy-from-{}", std::process::id()));
/// let to = dir.join(format!("mirage-doc-copy-to-{}", std::process::id()));
/// let mut core = mirage::Core::new()?;
/// core.run(async {
///     mirage::fs::write(&from, "twice").await?;
///     assert_eq!(mirage::fs::copy(&from, &to).await?, 5);
///     assert_eq!(mirage::fs::read_to_string(&to).await?, "twice");
///     mirage::fs::remove_file(&from).await?;
///     mirage::fs::remove_file(&to).await
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub async fn copy(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<u64> {
    let (from, to) = (from.as_ref().to_owned(), to.as_ref().to_owned());
    asyncify(move || std::fs::copy(from, to)).await
}
