//! `mirage::fs`: each call does what its `std::fs` counterpart does, with the same error
//! kinds, and a directory listing hands out every entry once, across batches.

use std::future::{poll_fn, Future};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use mirage::fs::{self, DirBuilder};
use mirage::time::timeout;

/// Bounds every test: a call that never completes fails the test instead of hanging it.
const GUARD: Duration = Duration::from_secs(20);

fn run<F: Future>(test: F) -> F::Output {
    let mut core = mirage::Core::new().unwrap();
    core.run(async { timeout(GUARD, test).await.expect("the test hung") })
}

/// A fresh directory under the system's temporary one, named after the process and the
/// test, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("mirage-fs-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir(&path).unwrap();
        TempDir(path)
    }

    fn join(&self, name: impl AsRef<Path>) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `scenario` afresh until a call it drops while pending was pending (`true`), which
/// nearly always happens at the first try: a pool job finishing between its start and the
/// first poll is a race the test cannot rule out.
async fn retried<F: Future<Output = bool>>(mut scenario: impl FnMut() -> F) {
    for _ in 0..100 {
        if scenario().await {
            return;
        }
    }
    panic!("no try had its call pending");
}

#[test]
fn the_handles_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<fs::ReadDir>();
    send_sync::<fs::DirEntry>();
    send_sync::<DirBuilder>();
}

#[test]
fn read_write_and_copy_whole_files() {
    let dir = TempDir::new("whole-files");
    run(async {
        let path = dir.join("data");
        fs::write(&path, b"first").await.unwrap();
        fs::write(&path, "second").await.unwrap();
        assert_eq!(fs::read(&path).await.unwrap(), b"second");
        assert_eq!(fs::read_to_string(&path).await.unwrap(), "second");

        assert_eq!(fs::copy(&path, dir.join("copy")).await.unwrap(), 6);
        assert_eq!(std::fs::read(dir.join("copy")).unwrap(), b"second");

        fs::write(&path, [0xff, 0xfe]).await.unwrap();
        let not_utf8 = fs::read_to_string(&path).await.unwrap_err();
        assert_eq!(not_utf8.kind(), ErrorKind::InvalidData);

        let missing = dir.join("missing");
        assert_eq!(
            fs::read(&missing).await.unwrap_err().kind(),
            ErrorKind::NotFound
        );
        let copy_missing = fs::copy(&missing, dir.join("x")).await.unwrap_err();
        assert_eq!(copy_missing.kind(), ErrorKind::NotFound);
        let no_parent = fs::write(dir.join("no/such/dir"), "x").await.unwrap_err();
        assert_eq!(no_parent.kind(), ErrorKind::NotFound);
    });
}

#[test]
fn rename_and_remove_file() {
    let dir = TempDir::new("rename-remove");
    run(async {
        let (old, new) = (dir.join("old"), dir.join("new"));
        fs::write(&old, "moved").await.unwrap();
        fs::rename(&old, &new).await.unwrap();
        assert!(!old.exists());
        assert_eq!(std::fs::read_to_string(&new).unwrap(), "moved");
        let gone = fs::rename(&old, &new).await.unwrap_err();
        assert_eq!(gone.kind(), ErrorKind::NotFound);

        fs::remove_file(&new).await.unwrap();
        assert!(!new.exists());
        let again = fs::remove_file(&new).await.unwrap_err();
        assert_eq!(again.kind(), ErrorKind::NotFound);
    });
}

#[test]
fn directories_are_created_and_removed() {
    let dir = TempDir::new("dirs");
    run(async {
        let sub = dir.join("sub");
        fs::create_dir(&sub).await.unwrap();
        assert!(sub.is_dir());
        let exists = fs::create_dir(&sub).await.unwrap_err();
        assert_eq!(exists.kind(), ErrorKind::AlreadyExists);
        let no_parent = fs::create_dir(dir.join("a/b")).await.unwrap_err();
        assert_eq!(no_parent.kind(), ErrorKind::NotFound);

        fs::create_dir_all(dir.join("a/b/c")).await.unwrap();
        fs::create_dir_all(dir.join("a/b/c")).await.unwrap();
        assert!(dir.join("a/b/c").is_dir());

        let not_empty = fs::remove_dir(dir.join("a")).await.unwrap_err();
        assert_eq!(not_empty.kind(), ErrorKind::DirectoryNotEmpty);
        fs::remove_dir(dir.join("a/b/c")).await.unwrap();
        assert!(!dir.join("a/b/c").exists());
        fs::write(dir.join("a/b/file"), "x").await.unwrap();
        fs::remove_dir_all(dir.join("a")).await.unwrap();
        assert!(!dir.join("a").exists());
        let missing = fs::remove_dir_all(dir.join("a")).await.unwrap_err();
        assert_eq!(missing.kind(), ErrorKind::NotFound);
        let missing = fs::remove_dir(dir.join("a")).await.unwrap_err();
        assert_eq!(missing.kind(), ErrorKind::NotFound);
    });
}

#[test]
fn dir_builder_recurses_and_sets_the_mode() {
    use std::os::unix::fs::PermissionsExt;

    let dir = TempDir::new("dir-builder");
    run(async {
        let deep = dir.join("x/y");
        let flat = DirBuilder::new().create(&deep).await.unwrap_err();
        assert_eq!(flat.kind(), ErrorKind::NotFound);
        let mut builder = DirBuilder::new();
        builder.recursive(true).mode(0o700);
        builder.create(&deep).await.unwrap();
        builder.create(&deep).await.unwrap();
        let mode = std::fs::metadata(&deep).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        let exists = DirBuilder::new().create(&deep).await.unwrap_err();
        assert_eq!(exists.kind(), ErrorKind::AlreadyExists);
    });
}

#[test]
fn metadata_permissions_and_existence() {
    let dir = TempDir::new("metadata");
    run(async {
        let path = dir.join("file");
        assert!(!fs::try_exists(&path).await.unwrap());
        fs::write(&path, "12345").await.unwrap();
        assert!(fs::try_exists(&path).await.unwrap());

        let meta = fs::metadata(&path).await.unwrap();
        assert!(meta.is_file());
        assert_eq!(meta.len(), 5);
        assert!(fs::metadata(&dir.0).await.unwrap().is_dir());
        let missing = fs::metadata(dir.join("missing")).await.unwrap_err();
        assert_eq!(missing.kind(), ErrorKind::NotFound);

        let mut perms = meta.permissions();
        perms.set_readonly(true);
        fs::set_permissions(&path, perms).await.unwrap();
        assert!(std::fs::metadata(&path).unwrap().permissions().readonly());
        let missing = fs::set_permissions(dir.join("missing"), meta.permissions()).await;
        assert_eq!(missing.unwrap_err().kind(), ErrorKind::NotFound);

        let roundabout = dir.join(".").join("..").join(dir.0.file_name().unwrap());
        let canonical = fs::canonicalize(&roundabout).await.unwrap();
        assert_eq!(canonical, std::fs::canonicalize(&dir.0).unwrap());
        let missing = fs::canonicalize(dir.join("missing")).await.unwrap_err();
        assert_eq!(missing.kind(), ErrorKind::NotFound);
    });
}

#[test]
fn links_hard_and_symbolic() {
    let dir = TempDir::new("links");
    run(async {
        let original = dir.join("original");
        fs::write(&original, "shared").await.unwrap();

        fs::hard_link(&original, dir.join("hard")).await.unwrap();
        let taken = fs::hard_link(&original, dir.join("hard"))
            .await
            .unwrap_err();
        assert_eq!(taken.kind(), ErrorKind::AlreadyExists);
        let missing = fs::hard_link(dir.join("missing"), dir.join("h2")).await;
        assert_eq!(missing.unwrap_err().kind(), ErrorKind::NotFound);

        let link = dir.join("soft");
        fs::symlink(&original, &link).await.unwrap();
        assert_eq!(fs::read_link(&link).await.unwrap(), original);
        let taken = fs::symlink(&original, &link).await.unwrap_err();
        assert_eq!(taken.kind(), ErrorKind::AlreadyExists);
        assert!(fs::symlink_metadata(&link).await.unwrap().is_symlink());
        assert!(fs::metadata(&link).await.unwrap().is_file());
        let not_a_link = fs::read_link(&original).await.unwrap_err();
        assert_eq!(not_a_link.kind(), ErrorKind::InvalidInput);

        fs::remove_file(&original).await.unwrap();
        assert_eq!(std::fs::read_to_string(dir.join("hard")).unwrap(), "shared");
        // A dangling link: it is there, but what it names is not.
        assert!(!fs::try_exists(&link).await.unwrap());
        assert!(fs::symlink_metadata(&link).await.is_ok());
    });
}

#[test]
fn read_dir_lists_more_entries_than_one_batch() {
    use std::os::unix::fs::MetadataExt;

    let dir = TempDir::new("read-dir");
    const ENTRIES: usize = 100;
    for i in 0..ENTRIES {
        std::fs::write(dir.join(format!("file-{i:03}")), i.to_string()).unwrap();
    }
    std::fs::create_dir(dir.join("sub")).unwrap();
    run(async {
        let mut entries = fs::read_dir(&dir.0).await.unwrap();
        let mut names = Vec::new();
        while let Some(entry) = entries.next_entry().await.unwrap() {
            let name = entry.file_name().into_string().unwrap();
            assert_eq!(entry.path(), dir.join(&name));
            let file_type = entry.file_type().await.unwrap();
            let meta = entry.metadata().await.unwrap();
            assert_eq!(entry.ino(), meta.ino());
            if name == "sub" {
                assert!(file_type.is_dir() && meta.is_dir());
            } else {
                assert!(file_type.is_file());
                let i: usize = name["file-".len()..].parse().unwrap();
                assert_eq!(meta.len(), i.to_string().len() as u64);
            }
            names.push(name);
        }
        // Over for good.
        assert!(entries.next_entry().await.unwrap().is_none());
        names.sort();
        let mut expected: Vec<String> = (0..ENTRIES).map(|i| format!("file-{i:03}")).collect();
        expected.push("sub".to_owned());
        assert_eq!(names, expected);

        let missing = fs::read_dir(dir.join("missing")).await.unwrap_err();
        assert_eq!(missing.kind(), ErrorKind::NotFound);
        let file = fs::read_dir(dir.join("file-000")).await.unwrap_err();
        assert_eq!(file.kind(), ErrorKind::NotADirectory);
    });
}

#[test]
fn read_dir_next_entry_dropped_while_pending_loses_nothing() {
    let dir = TempDir::new("read-dir-cancel");
    for i in 0..40 {
        std::fs::write(dir.join(i.to_string()), "").unwrap();
    }
    run(retried(|| async {
        let mut entries = fs::read_dir(&dir.0).await.unwrap();
        // The first poll starts the batch's job; dropped while pending, it leaves the batch
        // for the next call.
        {
            let mut first = pin!(entries.next_entry());
            let first = poll_fn(|cx| Poll::Ready(first.as_mut().poll(cx))).await;
            if first.is_ready() {
                return false;
            }
        }
        let mut count = 0;
        while entries.next_entry().await.unwrap().is_some() {
            count += 1;
        }
        assert_eq!(count, 40);
        true
    }));
}
