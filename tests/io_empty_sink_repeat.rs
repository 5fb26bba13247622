//! `mirage::io::{empty, sink, repeat}`: the same answers as `std::io`'s, and a fair share
//! of the Core for a loop over them.

use std::future::poll_fn;
use std::io::{BufRead, IoSlice, Read, Write};
use std::pin::Pin;

use mirage::Core;
use mirage::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};

#[test]
fn empty_reads_and_writes_as_std_empty_does() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut ours = mirage::io::empty();
        let mut theirs = std::io::empty();
        let (mut a, mut b) = ([7; 16], [7; 16]);
        assert_eq!(
            ours.read(&mut a).await.unwrap(),
            theirs.read(&mut b).unwrap()
        );
        assert_eq!(a, b, "the buffer is left as it was");
        let (mut a, mut b) = (Vec::new(), Vec::new());
        assert_eq!(
            ours.read_to_end(&mut a).await.unwrap(),
            theirs.read_to_end(&mut b).unwrap()
        );
        assert!(a.is_empty() && b.is_empty());
        let buffered = poll_fn(|cx| Pin::new(&mut ours).poll_fill_buf(cx).map_ok(<[u8]>::len));
        assert_eq!(buffered.await.unwrap(), theirs.fill_buf().unwrap().len());
        let mut line = String::new();
        assert_eq!(ours.read_line(&mut line).await.unwrap(), 0);

        assert_eq!(
            ours.write(b"abc").await.unwrap(),
            theirs.write(b"abc").unwrap()
        );
        let bufs = [IoSlice::new(b"ab"), IoSlice::new(b""), IoSlice::new(b"cde")];
        assert_eq!(
            ours.write_vectored(&bufs).await.unwrap(),
            theirs.write_vectored(&bufs).unwrap()
        );
        ours.write_all(&[1; 100_000]).await.unwrap();
        ours.flush().await.unwrap();
        ours.close().await.unwrap();
        assert_eq!(
            ours.read(&mut a).await.unwrap(),
            0,
            "writes never come back"
        );
    });
}

#[test]
fn sink_accepts_what_std_sink_accepts() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut ours = mirage::io::sink();
        let mut theirs = std::io::sink();
        for buf in [&b""[..], b"x", &[0; 70_000]] {
            assert_eq!(ours.write(buf).await.unwrap(), theirs.write(buf).unwrap());
        }
        let bufs = [IoSlice::new(b"ab"), IoSlice::new(&[1; 9000])];
        assert_eq!(
            ours.write_vectored(&bufs).await.unwrap(),
            theirs.write_vectored(&bufs).unwrap()
        );
        ours.flush().await.unwrap();
        ours.close().await.unwrap();
        ours.write_all(b"after close").await.unwrap();
    });
}

#[test]
fn repeat_fills_reads_as_std_repeat_does() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut ours = mirage::io::repeat(0xa5);
        let mut theirs = std::io::repeat(0xa5);
        for len in [0, 1, 5000] {
            let (mut a, mut b) = (vec![0; len], vec![0; len]);
            assert_eq!(
                ours.read(&mut a).await.unwrap(),
                theirs.read(&mut b).unwrap()
            );
            assert_eq!(a, b);
        }
    });
}

/// Runs `step` until a task spawned beside it has run; returns how many steps that took.
fn steps_before_another_task_runs(mut step: impl AsyncFnMut()) -> u32 {
    let mut core = Core::new().unwrap();
    core.run(async move {
        let other = mirage::spawn(async {});
        let mut steps = 0;
        while !other.is_finished() {
            step().await;
            steps += 1;
            assert!(steps < 10_000, "the loop never let the other task run");
        }
        steps
    })
}

#[test]
fn loops_over_them_spend_the_coop_budget_and_yield() {
    // A budget's worth of steps, then a yield to the other task, then the step that waited.
    let fair = u32::from(mirage::coop::BUDGET) + 1;
    let mut empty = mirage::io::empty();
    let reads = steps_before_another_task_runs(async || {
        assert_eq!(empty.read(&mut [0; 4]).await.unwrap(), 0);
    });
    assert_eq!(reads, fair, "empty's reads");
    let fills = steps_before_another_task_runs(async || {
        let got = poll_fn(|cx| Pin::new(&mut empty).poll_fill_buf(cx).map_ok(<[u8]>::len));
        assert_eq!(got.await.unwrap(), 0);
    });
    assert_eq!(fills, fair, "empty's fill_bufs");
    let writes = steps_before_another_task_runs(async || {
        assert_eq!(empty.write(b"x").await.unwrap(), 1);
    });
    assert_eq!(writes, fair, "empty's writes");
    let mut sink = mirage::io::sink();
    let writes = steps_before_another_task_runs(async || {
        assert_eq!(sink.write(b"x").await.unwrap(), 1);
    });
    assert_eq!(writes, fair, "sink's writes");
    let flushes = steps_before_another_task_runs(async || sink.flush().await.unwrap());
    assert_eq!(flushes, fair, "sink's flushes");
    let mut ones = mirage::io::repeat(1);
    let reads = steps_before_another_task_runs(async || {
        assert_eq!(ones.read(&mut [0; 4]).await.unwrap(), 4);
    });
    assert_eq!(reads, fair, "repeat's reads");
}
