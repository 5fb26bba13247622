//! Behaviours tokio's own tests pin down for `tokio::fs`, checked on `mirage::fs` where
//! `tests/fs.rs` does not already: writes through a `BufReader` then a seek, and the
//! pool's calls holding back a paused clock.

mod temp_dir;

use std::future::Future;
use std::io::SeekFrom;
use std::time::Duration;

use temp_dir::TempDir;

use mirage::fs::{self, File};
use mirage::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt, BufReader};
use mirage::time::timeout;

/// Bounds every test: a call that never completes fails the test instead of hanging it.
const GUARD: Duration = Duration::from_secs(20);

fn run<F: Future>(test: F) -> F::Output {
    let mut core = mirage::Core::new().unwrap();
    core.run(async { timeout(GUARD, test).await.expect("the test hung") })
}

/// A write through a `BufReader` is still in flight on the pool when the seek comes: the
/// seek waits for it, so each kind of move lands where the written bytes say.
#[test]
fn a_seek_through_a_buf_reader_after_a_write_counts_the_write() {
    const TEXT: &[u8] = b"twelve bytes";
    let dir = TempDir::new("buf-reader-write-seek");
    run(async {
        let moves = [
            (SeekFrom::Start(0), 0),
            (SeekFrom::End(-3), TEXT.len() - 3),
            (SeekFrom::Current(-5), TEXT.len() - 5),
        ];
        for (i, (to, at)) in moves.into_iter().enumerate() {
            let path = dir.join(format!("file-{i}"));
            let file = File::options()
                .read(true)
                .write(true)
                .create(true)
                .truncate(true)
                .open(&path)
                .await
                .unwrap();
            let mut reader = BufReader::new(file);
            reader.write_all(TEXT).await.unwrap();
            assert_eq!(reader.seek(to).await.unwrap(), at as u64, "{to:?}");
            let mut rest = Vec::new();
            reader.read_to_end(&mut rest).await.unwrap();
            assert_eq!(rest, &TEXT[at..], "{to:?}");
        }
    });
}

/// Under a paused clock, a call running on the pool takes real time that the clock does
/// not jump over: a timeout of a microsecond around it does not fire, however long the
/// disk takes (as tokio's blocking tasks hold back its auto-advance).
#[test]
fn calls_on_the_pool_hold_back_a_paused_clock() {
    const ENTRIES: usize = 100;
    let dir = TempDir::new("paused");
    let big = dir.join("big");
    std::fs::write(&big, vec![7u8; 16 << 20]).unwrap();
    for i in 0..ENTRIES {
        std::fs::write(dir.join(format!("entry-{i}")), "x").unwrap();
    }
    let mut core = mirage::Core::new().unwrap();
    core.run(async {
        mirage::time::pause();
        let tiny = Duration::from_micros(1);
        let whole = timeout(tiny, fs::read(&big)).await;
        assert_eq!(
            whole.expect("fs::read outran by the clock").unwrap().len(),
            16 << 20
        );

        let mut file = File::open(&big).await.unwrap();
        let mut bytes = Vec::new();
        let read = timeout(tiny, file.read_to_end(&mut bytes)).await;
        read.expect("File reads outran by the clock").unwrap();

        let mut copy = File::create(dir.join("copy")).await.unwrap();
        copy.write_all(&bytes).await.unwrap();
        let flushed = timeout(tiny, copy.flush()).await;
        flushed.expect("a flush outran by the clock").unwrap();
        let synced = timeout(tiny, copy.sync_all()).await;
        synced.expect("sync_all outran by the clock").unwrap();

        let mut listing = fs::read_dir(dir.path()).await.unwrap();
        let mut seen = 0;
        while timeout(tiny, listing.next_entry())
            .await
            .expect("a directory batch outran by the clock")
            .unwrap()
            .is_some()
        {
            seen += 1;
        }
        assert_eq!(seen, ENTRIES + 2);
    });
}
