//! The file system, shaped like `std::fs` (tokio's `tokio::fs`): every call runs the
//! blocking `std::fs` call on the blocking pool (the one [`spawn_blocking`](crate::spawn_blocking)
//! uses) and awaits it, so the Core serves its other tasks meanwhile.
//!
//! Files are not pollable: a regular file is always "ready" to `epoll`, and a read of it
//! blocks for as long as the disk takes. So there is no reactor path here, as in tokio:
//! each call is one job on a pool thread.
//!
//! * Whole-file and whole-directory calls: [`read`], [`read_to_string`], [`write()`],
//!   [`copy`]; [`create_dir`], [`create_dir_all`], [`remove_dir`], [`remove_dir_all`] and
//!   [`DirBuilder`]; [`metadata`], [`symlink_metadata`], [`set_permissions`],
//!   [`try_exists`], [`canonicalize`]; [`rename`], [`remove_file`], [`hard_link`],
//!   [`symlink`] and [`read_link`].
//! * [`read_dir`] lists a directory through a [`ReadDir`], several entries per pool job.
//! * [`File`], opened by [`File::open`], [`File::create`] or [`OpenOptions`], is an
//!   [`AsyncRead`](crate::io::AsyncRead), [`AsyncWrite`](crate::io::AsyncWrite) and
//!   [`AsyncSeek`](crate::io::AsyncSeek): its reads and writes go through a buffer, one
//!   at a time, on the pool, as the standard streams' do.
//!
//! Paths and contents are copied into the job (`impl AsRef<Path>` becomes a `PathBuf`), as
//! tokio does, since the job may outlive the caller's borrow: a call dropped while pending
//! does not stop its job, which runs to the end.
//!
//! # Examples
//!
//! ```
//! use mirage::fs;
//!
//! let dir = std::env::temp_dir().join(format!("mirage-doc-fs-{}", std::process::id()));
//! let mut core = mirage::Core::new()?;
//! core.run(async {
//!     fs::create_dir_all(dir.join("notes")).await?;
//!     fs::write(dir.join("notes/todo.txt"), "water the plants\n").await?;
//!     let todo = fs::read_to_string(dir.join("notes/todo.txt")).await?;
//!     assert_eq!(todo, "water the plants\n");
//!     fs::remove_dir_all(&dir).await
//! })?;
//! # std::io::Result::Ok(())
//! ```

mod dir;
mod dir_builder;
mod file;
mod links;
mod metadata;
mod open_options;
mod read_dir;
mod read_write;

use std::io;

use crate::task::try_spawn_blocking;

pub use dir::{create_dir, create_dir_all, remove_dir, remove_dir_all};
pub use dir_builder::DirBuilder;
pub use file::File;
pub use links::{hard_link, read_link, remove_file, rename, symlink};
pub use metadata::{canonicalize, metadata, set_permissions, symlink_metadata, try_exists};
pub use open_options::OpenOptions;
pub use read_dir::{DirEntry, ReadDir, read_dir};
pub use read_write::{copy, read, read_to_string, write};

/// `std::fs`'s types that the calls here return or take, under tokio's paths' neighbours:
/// `mirage::fs::Metadata` is `std::fs::Metadata`, and so on.
///
/// # Examples
///
/// ```
/// use mirage::fs::{FileType, Metadata, Permissions};
///
/// let mut core = mirage::Core::new()?;
/// let meta: Metadata = core.run(mirage::fs::metadata(std::env::temp_dir()))?;
/// let kind: FileType = meta.file_type();
/// assert!(kind.is_dir());
/// let _: Permissions = meta.permissions();
/// # std::io::Result::Ok(())
/// ```
#[doc(no_inline)]
pub use std::fs::{FileType, Metadata, Permissions};

/// Runs `f`, a blocking file system call, on the pool and awaits its result. A thread that
/// cannot start is the call's error, as is a job the pool lost (which a std call, which
/// does not panic, never causes).
pub(crate) async fn asyncify<F, T>(f: F) -> io::Result<T>
where
    F: FnOnce() -> io::Result<T> + Send + 'static,
    T: Send + 'static,
{
    match try_spawn_blocking(f)?.await {
        Ok(result) => result,
        Err(err) => Err(io::Error::other(format!(
            "the blocking pool lost a file system call: {err}"
        ))),
    }
}
