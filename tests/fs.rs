//! `mirage::fs`: each call does what its `std::fs` counterpart does, with the same error
//! kinds; a directory listing hands out every entry once, across batches; and `File`
//! reads, writes and seeks through its pool buffer where the caller thinks it is: after
//! writes not yet reported, after reads dropped while pending, across writes larger than
//! one buffer.

mod temp_dir;

use std::future::{Future, poll_fn};
use std::io::{ErrorKind, IoSlice, SeekFrom};
use std::path::Path;
use std::pin::{Pin, pin};
use std::task::Poll;
use std::time::Duration;

use temp_dir::TempDir;

use mirage::fs::{self, DirBuilder, File, OpenOptions};
use mirage::io::{AsyncReadExt, AsyncSeek, AsyncSeekExt, AsyncWrite, AsyncWriteExt};
use mirage::time::timeout;

/// Bounds every test: a call that never completes fails the test instead of hanging it.
const GUARD: Duration = Duration::from_secs(20);

fn run<F: Future>(test: F) -> F::Output {
    let mut core = mirage::Core::new().unwrap();
    core.run(async { timeout(GUARD, test).await.expect("the test hung") })
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
    send_sync::<File>();
    send_sync::<OpenOptions>();
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
        assert!(fs::metadata(dir.path()).await.unwrap().is_dir());
        let missing = fs::metadata(dir.join("missing")).await.unwrap_err();
        assert_eq!(missing.kind(), ErrorKind::NotFound);

        let mut perms = meta.permissions();
        perms.set_readonly(true);
        fs::set_permissions(&path, perms).await.unwrap();
        assert!(std::fs::metadata(&path).unwrap().permissions().readonly());
        let missing = fs::set_permissions(dir.join("missing"), meta.permissions()).await;
        assert_eq!(missing.unwrap_err().kind(), ErrorKind::NotFound);

        let roundabout = dir
            .join(".")
            .join("..")
            .join(dir.path().file_name().unwrap());
        let canonical = fs::canonicalize(&roundabout).await.unwrap();
        assert_eq!(canonical, std::fs::canonicalize(dir.path()).unwrap());
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
        let mut entries = fs::read_dir(dir.path()).await.unwrap();
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
        let mut entries = fs::read_dir(dir.path()).await.unwrap();
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

/// A pool that cannot start a thread refuses the batch job of `next_entry`: that call
/// fails, and the listing goes on where it was once a pool can run the job again.
#[test]
fn read_dir_loses_no_entry_when_the_pool_refuses_a_batch() {
    let dir = TempDir::new("read-dir-refused");
    for i in 0..40 {
        std::fs::write(dir.join(i.to_string()), "").unwrap();
    }
    let mut entries = run(fs::read_dir(dir.path())).unwrap();
    // No thread of this runtime's pool can start: its stacks do not fit in memory.
    let no_threads = mirage::runtime::Builder::new_current_thread()
        .thread_stack_size(usize::MAX / 4)
        .build()
        .unwrap();
    let refused = no_threads.block_on(entries.next_entry()).unwrap_err();
    assert_ne!(refused.kind(), ErrorKind::NotFound, "{refused}");
    let mut count = 0;
    run(async {
        while entries.next_entry().await.unwrap().is_some() {
            count += 1;
        }
    });
    assert_eq!(count, 40);
}

#[test]
fn open_options_and_error_kinds() {
    let dir = TempDir::new("open-options");
    run(async {
        let path = dir.join("file");
        let missing = File::open(&path).await.unwrap_err();
        assert_eq!(missing.kind(), ErrorKind::NotFound);

        File::create_new(&path).await.unwrap();
        let exists = File::create_new(&path).await.unwrap_err();
        assert_eq!(exists.kind(), ErrorKind::AlreadyExists);
        let exists = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await
            .unwrap_err();
        assert_eq!(exists.kind(), ErrorKind::AlreadyExists);
        let no_access = OpenOptions::new().open(&path).await.unwrap_err();
        assert_eq!(no_access.kind(), ErrorKind::InvalidInput);

        let mut std = std::fs::OpenOptions::new();
        std.append(true);
        let mut file = OpenOptions::from(std).open(&path).await.unwrap();
        file.write_all(b"via std options").await.unwrap();
        file.flush().await.unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "via std options");
    });
}

#[test]
fn open_options_mode_sets_the_permissions() {
    use std::os::unix::fs::PermissionsExt;

    let dir = TempDir::new("open-mode");
    run(async {
        let path = dir.join("private");
        OpenOptions::new()
            .write(true)
            .create(true)
            .mode(0o600)
            .open(&path)
            .await
            .unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    });
}

#[test]
fn write_then_seek_then_read() {
    let dir = TempDir::new("write-seek-read");
    run(async {
        let path = dir.join("file");
        let mut file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .open(&path)
            .await
            .unwrap();
        file.write_all(b"hello, ").await.unwrap();
        file.write_all(b"world").await.unwrap();
        // The seek waits for the writes first.
        assert_eq!(file.seek(SeekFrom::Start(7)).await.unwrap(), 7);
        let mut word = String::new();
        file.read_to_string(&mut word).await.unwrap();
        assert_eq!(word, "world");
        assert_eq!(file.stream_position().await.unwrap(), 12);

        assert_eq!(file.seek(SeekFrom::End(-5)).await.unwrap(), 7);
        file.write_all(b"WORLD").await.unwrap();
        file.rewind().await.unwrap();
        let mut all = Vec::new();
        file.read_to_end(&mut all).await.unwrap();
        assert_eq!(all, b"hello, WORLD");

        let before_start = file.seek(SeekFrom::Current(-100)).await.unwrap_err();
        assert_eq!(before_start.kind(), ErrorKind::InvalidInput);
    });
}

#[test]
fn a_read_after_writes_sees_them() {
    let dir = TempDir::new("read-after-write");
    run(async {
        let path = dir.join("file");
        std::fs::write(&path, "0123456789").unwrap();
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .await
            .unwrap();
        file.write_all(b"ab").await.unwrap();
        // No seek: the read waits for the write, then goes on from after it.
        let mut rest = String::new();
        file.read_to_string(&mut rest).await.unwrap();
        assert_eq!(rest, "23456789");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "ab23456789");
    });
}

#[test]
fn a_vectored_write_gathers_its_slices_up_to_the_buffer_size() {
    let dir = TempDir::new("vectored-write");
    run(async {
        let path = dir.join("file");
        let mut file = File::create(&path).await.unwrap();
        assert!(file.is_write_vectored());
        let slices = [
            IoSlice::new(b""),
            IoSlice::new(b"abc"),
            IoSlice::new(b"defg"),
            IoSlice::new(b"hij"),
        ];
        // All of it fits: one write of the slices in order.
        assert_eq!(file.write_vectored(&slices).await.unwrap(), 10);
        // Past the buffer size: the first 5 bytes, cut inside the second slice.
        file.set_max_buf_size(5);
        assert_eq!(file.write_vectored(&slices).await.unwrap(), 5);
        // Only empty slices: nothing to write, and no error.
        let empty = [IoSlice::new(b""), IoSlice::new(b"")];
        assert_eq!(file.write_vectored(&empty).await.unwrap(), 0);
        file.flush().await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"abcdefghijabcde");

        // A write error surfaces on a vectored write as on a plain one.
        let mut read_only = File::open(&path).await.unwrap();
        let first = read_only.write_vectored(&slices).await;
        let flushed = read_only.flush().await;
        assert!(
            first.is_err() || flushed.is_err(),
            "writing to a file opened read-only must fail, at the write or the flush"
        );
    });
}

#[test]
#[should_panic(expected = "File::set_max_buf_size: the size must be at least 1 byte")]
fn a_maximum_buffer_size_of_zero_is_refused() {
    let dir = TempDir::new("zero-max-buf");
    run(async {
        let mut file = File::create(dir.join("file")).await.unwrap();
        file.set_max_buf_size(0);
    });
}

#[test]
fn a_write_larger_than_the_buffer_goes_out_in_pieces() {
    let dir = TempDir::new("large-write");
    run(async {
        let path = dir.join("file");
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();

        let mut file = File::create(&path).await.unwrap();
        file.set_max_buf_size(1);
        assert_eq!(file.max_buf_size(), 1);
        assert_eq!(file.write(b"xy").await.unwrap(), 1);
        file.rewind().await.unwrap();
        file.set_max_buf_size(1000);
        assert_eq!(file.max_buf_size(), 1000);
        assert_eq!(file.write(&data).await.unwrap(), 1000);
        file.write_all(&data[1000..]).await.unwrap();
        file.flush().await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), data);

        // Past the default 2 MiB too.
        let big: Vec<u8> = (0..3 * 1024 * 1024u32).map(|i| (i % 253) as u8).collect();
        let mut file = File::create(&path).await.unwrap();
        assert_eq!(file.max_buf_size(), 2 * 1024 * 1024);
        file.write_all(&big).await.unwrap();
        file.flush().await.unwrap();
        let mut file = File::open(&path).await.unwrap();
        file.set_max_buf_size(64 * 1024);
        let mut back = Vec::new();
        file.read_to_end(&mut back).await.unwrap();
        assert!(
            back == big,
            "the file read back differs from what was written"
        );
    });
}

#[test]
fn a_clone_keeps_the_maximum_buffer_size() {
    // As tokio's `try_clone`: the clone moves as much per read or write as the original.
    let dir = TempDir::new("clone-max-buf");
    run(async {
        let path = dir.join("file");
        let mut file = File::create(&path).await.unwrap();
        file.set_max_buf_size(4);
        let mut clone = file.try_clone().await.unwrap();
        assert_eq!(clone.max_buf_size(), 4);
        assert_eq!(clone.write(b"0123456789").await.unwrap(), 4);
        clone.flush().await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"0123");
    });
}

#[test]
fn a_file_written_through_another_handle_reads_back() {
    let dir = TempDir::new("two-handles");
    run(async {
        let path = dir.join("file");
        let mut writer = File::create(&path).await.unwrap();
        let mut reader = File::open(&path).await.unwrap();
        writer.write_all(b"from the writer").await.unwrap();
        writer.flush().await.unwrap();
        let mut text = String::new();
        reader.read_to_string(&mut text).await.unwrap();
        assert_eq!(text, "from the writer");
    });
}

#[test]
fn set_len_cuts_and_grows() {
    let dir = TempDir::new("set-len");
    run(async {
        let path = dir.join("file");
        let mut file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .open(&path)
            .await
            .unwrap();
        file.write_all(b"0123456789").await.unwrap();
        // Waits for the write first: otherwise the write would land after the cut.
        file.set_len(4).await.unwrap();
        assert_eq!(file.metadata().await.unwrap().len(), 4);
        file.set_len(6).await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"0123\0\0");

        let read_only = File::open(&path).await.unwrap();
        let refused = read_only.set_len(0).await.unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::InvalidInput);
    });
}

/// A `set_len` dropped while pending still cuts the file once its job runs: the cut is the
/// call in flight, as in tokio, so a write made after it waits for it and is not cut away.
/// Without that, the write's job and the cut's ran side by side on the pool, and about one
/// try in ten lost the write, flushed and all.
#[test]
fn a_dropped_set_len_comes_before_the_next_write() {
    let dir = TempDir::new("set-len-dropped");
    let path = dir.join("file");
    run(async {
        for _ in 0..200 {
            let mut file = digits(&path).await;
            {
                let mut cut = pin!(file.set_len(0));
                let _ = poll_fn(|cx| Poll::Ready(cut.as_mut().poll(cx))).await;
            }
            file.write_all(b"ab").await.unwrap();
            file.flush().await.unwrap();
            file.rewind().await.unwrap();
            let mut read = Vec::new();
            file.read_to_end(&mut read).await.unwrap();
            // A cut left behind on the pool would be over by now.
            mirage::time::sleep(Duration::from_millis(1)).await;
            let stored = std::fs::read(&path).unwrap();
            // "ab23456789" where the cut was dropped before its job started.
            assert!(read == b"ab" || read == b"ab23456789", "{read:?}");
            assert_eq!(stored, read);
        }
    });
}

#[test]
fn append_mode_writes_at_the_end() {
    let dir = TempDir::new("append");
    run(async {
        let path = dir.join("log");
        std::fs::write(&path, "one\n").unwrap();
        let mut log = OpenOptions::new()
            .read(true)
            .append(true)
            .open(&path)
            .await
            .unwrap();
        log.rewind().await.unwrap();
        log.write_all(b"two\n").await.unwrap();
        log.write_all(b"three\n").await.unwrap();
        log.flush().await.unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "one\ntwo\nthree\n");
    });
}

/// Polls a read once and drops it: if it was pending (its job on the pool), the bytes it
/// asked for arrive in the file's buffer with nobody to hand them to. Returns whether it
/// was; a pool thread quick enough to finish the read before the first poll makes the try
/// void (see [`retried`]).
async fn drop_a_pending_read(file: &mut File, len: usize) -> bool {
    let mut buf = vec![0; len];
    let mut read = pin!(file.read(&mut buf));
    let first = poll_fn(|cx| Poll::Ready(read.as_mut().poll(cx))).await;
    first.is_pending()
}

/// Opens `path`, holding `0123456789`, for reading and writing.
async fn digits(path: &Path) -> File {
    std::fs::write(path, "0123456789").unwrap();
    OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .await
        .unwrap()
}

#[test]
fn bytes_read_ahead_are_handed_out_by_the_next_read() {
    let dir = TempDir::new("read-ahead-read");
    run(retried(|| async {
        let mut file = digits(&dir.join("file")).await;
        if !drop_a_pending_read(&mut file, 8).await {
            return false;
        }
        let mut two = [0; 2];
        file.read_exact(&mut two).await.unwrap();
        assert_eq!(&two, b"01");
        let mut rest = String::new();
        file.read_to_string(&mut rest).await.unwrap();
        assert_eq!(rest, "23456789");
        true
    }));
}

#[test]
fn a_write_after_a_dropped_read_goes_where_the_caller_is() {
    let dir = TempDir::new("read-ahead-write");
    let path = dir.join("file");
    run(retried(|| async {
        let mut file = digits(&path).await;
        let mut first = [0; 2];
        file.read_exact(&mut first).await.unwrap();
        if !drop_a_pending_read(&mut file, 4).await {
            return false;
        }
        // The caller is at 2, though the file's position is at 6.
        file.write_all(b"ab").await.unwrap();
        file.flush().await.unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "01ab456789");
        assert_eq!(file.stream_position().await.unwrap(), 4);
        true
    }));
}

#[test]
fn a_relative_seek_after_a_dropped_read_counts_from_the_caller() {
    let dir = TempDir::new("read-ahead-seek");
    run(retried(|| async {
        let mut file = digits(&dir.join("file")).await;
        assert_eq!(file.read_u8().await.unwrap(), b'0');
        if !drop_a_pending_read(&mut file, 5).await {
            return false;
        }
        // Lets the dropped read finish, so that its bytes are in the buffer at the seek.
        poll_fn(|cx| Pin::new(&mut file).poll_complete(cx))
            .await
            .unwrap();
        assert_eq!(file.seek(SeekFrom::Current(2)).await.unwrap(), 3);
        assert_eq!(file.read_u8().await.unwrap(), b'3');
        true
    }));
}

#[test]
fn set_len_and_into_std_after_a_dropped_read_keep_the_callers_position() {
    use std::io::Read;

    let dir = TempDir::new("read-ahead-std");
    run(retried(|| async {
        let mut file = digits(&dir.join("file")).await;
        assert_eq!(file.read_u8().await.unwrap(), b'0');
        if !drop_a_pending_read(&mut file, 4).await {
            return false;
        }
        file.set_len(8).await.unwrap();
        assert_eq!(file.stream_position().await.unwrap(), 1);

        if !drop_a_pending_read(&mut file, 3).await {
            return false;
        }
        let mut std = file.into_std().await;
        let mut rest = String::new();
        std.read_to_string(&mut rest).unwrap();
        assert_eq!(rest, "1234567");
        true
    }));
}

/// A pool that cannot start a thread refuses the job of a write, a seek or a `set_len`
/// made after a dropped read: the call fails, and the bytes read ahead are not lost, since
/// the caller's position is still where it was.
#[test]
fn a_call_the_pool_refuses_after_a_dropped_read_keeps_the_callers_position() {
    let dir = TempDir::new("read-ahead-refused");
    let path = dir.join("file");
    // No thread of this runtime's pool can start: its stacks do not fit in memory.
    let no_threads = mirage::runtime::Builder::new_current_thread()
        .thread_stack_size(usize::MAX / 4)
        .build()
        .unwrap();
    // A file whose caller is at 1, with 4 more bytes read ahead (the position is at 5).
    let read_ahead = || {
        run(async {
            for _ in 0..100 {
                let mut file = digits(&path).await;
                assert_eq!(file.read_u8().await.unwrap(), b'0');
                if drop_a_pending_read(&mut file, 4).await {
                    poll_fn(|cx| Pin::new(&mut file).poll_complete(cx))
                        .await
                        .unwrap();
                    return file;
                }
            }
            panic!("no try had its read pending");
        })
    };
    let rest_of = |mut file: File| {
        let mut rest = String::new();
        run(file.read_to_string(&mut rest)).unwrap();
        rest
    };

    let mut file = read_ahead();
    no_threads.block_on(file.write(b"ab")).unwrap_err();
    assert_eq!(rest_of(file), "123456789", "after a refused write");

    let mut file = read_ahead();
    no_threads
        .block_on(file.seek(SeekFrom::Current(1)))
        .unwrap_err();
    assert_eq!(rest_of(file), "123456789", "after a refused seek");

    let file = read_ahead();
    no_threads.block_on(file.set_len(8)).unwrap_err();
    assert_eq!(rest_of(file), "123456789", "after a refused set_len");
}

#[test]
fn a_write_error_surfaces_at_the_flush() {
    let dir = TempDir::new("write-error");
    run(async {
        let path = dir.join("file");
        std::fs::write(&path, "read only").unwrap();
        let mut file = File::open(&path).await.unwrap();
        // Taken at once: the write's outcome comes later.
        assert_eq!(file.write(b"nope").await.unwrap(), 4);
        assert!(file.flush().await.is_err());
        // Reported once.
        file.flush().await.unwrap();

        // A read between the write and the flush keeps the error for the flush.
        assert_eq!(file.write(b"nope").await.unwrap(), 4);
        let mut text = String::new();
        file.read_to_string(&mut text).await.unwrap();
        assert_eq!(text, "read only");
        assert!(file.flush().await.is_err());
    });
}

#[test]
fn start_seek_refuses_while_a_call_is_in_flight() {
    let dir = TempDir::new("seek-busy");
    run(async {
        let mut file = File::create(dir.join("file")).await.unwrap();
        file.write_all(b"in flight").await.unwrap();
        let busy = Pin::new(&mut file).start_seek(SeekFrom::Start(0));
        assert_eq!(busy.unwrap_err().kind(), ErrorKind::Other);
        // `seek` waits for the call in flight first.
        assert_eq!(file.seek(SeekFrom::End(0)).await.unwrap(), 9);
    });
}

#[test]
fn try_into_std_waits_for_nothing() {
    let dir = TempDir::new("try-into-std");
    run(async {
        let path = dir.join("file");
        let mut file = File::create(&path).await.unwrap();
        file.write_all(b"pending").await.unwrap();
        let mut file = file.try_into_std().expect_err("a write is in flight");
        file.flush().await.unwrap();
        let std = file.try_into_std().expect("nothing is in flight");
        assert_eq!(std.metadata().unwrap().len(), 7);
    });
}

#[test]
fn calls_of_the_handle_wait_for_the_write_in_flight() {
    use std::os::fd::AsRawFd;

    let dir = TempDir::new("handle-calls");
    run(async {
        let path = dir.join("file");
        let mut file = File::create(&path).await.unwrap();
        assert!(file.as_raw_fd() >= 0);
        file.write_all(b"12345").await.unwrap();
        assert_eq!(file.metadata().await.unwrap().len(), 5);
        file.write_all(b"678").await.unwrap();
        file.sync_all().await.unwrap();
        file.sync_data().await.unwrap();
        let clone = file.try_clone().await.unwrap();
        assert_eq!(clone.metadata().await.unwrap().len(), 8);

        // Set while a write is in flight: the write's own update of the modification
        // time comes first, so the time set here is the one that stays.
        let then = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        file.write_all(b"9").await.unwrap();
        file.set_modified(then).await.unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), then);
        let earlier = then - Duration::from_secs(1);
        file.write_all(b"0").await.unwrap();
        let times = std::fs::FileTimes::new()
            .set_accessed(earlier)
            .set_modified(earlier);
        file.set_times(times).await.unwrap();
        let metadata = std::fs::metadata(&path).unwrap();
        assert_eq!(metadata.len(), 10);
        assert_eq!(metadata.modified().unwrap(), earlier);
        assert_eq!(metadata.accessed().unwrap(), earlier);

        let mut perms = file.metadata().await.unwrap().permissions();
        perms.set_readonly(true);
        file.set_permissions(perms).await.unwrap();
        assert!(std::fs::metadata(&path).unwrap().permissions().readonly());
        assert!(format!("{file:?}").starts_with("File"));
    });
}

#[test]
fn from_std_and_from_fd_keep_the_position() {
    use std::io::{Seek, Write};
    use std::os::fd::OwnedFd;

    let dir = TempDir::new("from-std");
    let path = dir.join("file");
    let mut std = std::fs::File::create(&path).unwrap();
    std.write_all(b"0123456789").unwrap();
    std.seek(SeekFrom::Start(3)).unwrap();
    let reader = std::fs::File::open(&path).unwrap();
    run(async {
        let mut file = File::from_std(std);
        file.write_all(b"abc").await.unwrap();
        file.flush().await.unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "012abc6789");

        let mut file = File::from(OwnedFd::from(reader));
        let mut text = String::new();
        file.read_to_string(&mut text).await.unwrap();
        assert_eq!(text, "012abc6789");
    });
}

/// tokio's `File` is `FromRawFd`, so code that hands a descriptor through a raw number
/// (`into_raw_fd`, a C library) ports as it is; the position stays where it was.
#[test]
fn a_file_is_made_from_a_raw_descriptor() {
    use std::io::{Seek, Write};
    use std::os::fd::{FromRawFd, IntoRawFd};

    let dir = TempDir::new("from-raw-fd");
    let path = dir.join("file");
    let mut std = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .unwrap();
    std.write_all(b"0123456789").unwrap();
    std.seek(SeekFrom::Start(4)).unwrap();
    let fd = std.into_raw_fd();
    run(async {
        // SAFETY: `fd` was given up by the std file just above; this `File` owns it alone.
        let mut file = unsafe { File::from_raw_fd(fd) };
        let mut rest = String::new();
        file.read_to_string(&mut rest).await.unwrap();
        assert_eq!(rest, "456789");
        // Handed back through a raw number again, the descriptor is the same open file.
        let fd = file.into_std().await.into_raw_fd();
        // SAFETY: as above, `into_raw_fd` gave it up.
        let mut file = unsafe { File::from_raw_fd(fd) };
        file.rewind().await.unwrap();
        file.write_all(b"ab").await.unwrap();
        file.flush().await.unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "ab23456789");
    });
}

#[test]
fn a_buf_reader_over_a_file_reads_lines_and_seeks() {
    use mirage::io::{AsyncBufReadExt, BufReader};

    let dir = TempDir::new("buf-reader");
    run(async {
        let path = dir.join("lines");
        fs::write(&path, "alpha\nbeta\ngamma\n").await.unwrap();
        let mut reader = BufReader::new(File::open(&path).await.unwrap());
        let mut line = String::new();
        reader.read_line(&mut line).await.unwrap();
        assert_eq!(line, "alpha\n");
        // Relative to what the caller read, not to what the buffer took.
        assert_eq!(reader.seek(SeekFrom::Current(5)).await.unwrap(), 11);
        line.clear();
        reader.read_line(&mut line).await.unwrap();
        assert_eq!(line, "gamma\n");
    });
}
