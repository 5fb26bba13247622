//! `Sender::send_timeout` on bounded channels, in virtual time: it gives the value back
//! when no slot comes free within the timeout (exactly then, and leaving the channel as it
//! was), sends as soon as a slot frees before it, and fails at once with the value when
//! the receiver closes.

use std::time::Duration;

use mirage::sync::cross_thread;
use mirage::sync::mpsc::{self, error::SendTimeoutError};
use mirage::time::{Instant, sleep};

const TIMEOUT: Duration = Duration::from_secs(5);

#[mirage::test(start_paused = true)]
async fn a_full_channel_times_out_exactly_and_gives_the_value_back() {
    let (tx, mut rx) = mpsc::channel(1);
    tx.send(1).await.unwrap();
    let start = Instant::now();
    let result = tx.send_timeout(2, TIMEOUT).await;
    assert_eq!(result, Err(SendTimeoutError::Timeout(2)));
    assert_eq!(start.elapsed(), TIMEOUT);
    // The timed-out send left the line: the freed slot goes to the next sender.
    assert_eq!(rx.recv().await, Some(1));
    assert_eq!(tx.capacity(), 1);
    tx.try_send(3).unwrap();
    assert_eq!(rx.recv().await, Some(3));
}

#[mirage::test(start_paused = true)]
async fn a_slot_freed_before_the_deadline_sends_then() {
    let (tx, mut rx) = mpsc::channel(1);
    tx.send("first").await.unwrap();
    let receiver = mirage::spawn(async move {
        sleep(Duration::from_secs(2)).await;
        let first = rx.recv().await;
        (first, rx.recv().await)
    });
    let start = Instant::now();
    tx.send_timeout("second", TIMEOUT).await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(2));
    drop(tx);
    assert_eq!(receiver.await.unwrap(), (Some("first"), Some("second")));
}

#[mirage::test(start_paused = true)]
async fn a_receiver_closed_while_waiting_fails_it_at_once() {
    let (tx, rx) = mpsc::channel(1);
    tx.send(1).await.unwrap();
    let closer = mirage::spawn(async move {
        sleep(Duration::from_secs(1)).await;
        drop(rx);
    });
    let start = Instant::now();
    let result = tx.send_timeout(2, TIMEOUT).await;
    assert_eq!(result, Err(SendTimeoutError::Closed(2)));
    assert_eq!(start.elapsed(), Duration::from_secs(1));
    closer.await.unwrap();
}

#[mirage::test(start_paused = true)]
async fn the_cross_thread_channel_times_out_the_same_way() {
    let (tx, mut rx) = cross_thread::channel(1);
    tx.send(1).await.unwrap();
    let start = Instant::now();
    let result = tx.send_timeout(2, TIMEOUT).await;
    assert!(result.as_ref().unwrap_err().is_timeout());
    assert_eq!(result.unwrap_err().into_inner(), 2);
    assert_eq!(start.elapsed(), TIMEOUT);
    assert_eq!(rx.recv().await, Some(1));
    tx.send_timeout(3, TIMEOUT).await.unwrap();
    assert_eq!(rx.recv().await, Some(3));
}

/// A `send_timeout` that finds a free slot (or a closed channel) needs no timer, so it
/// completes outside a Core, as the docs say; only one that must wait needs the Core.
#[test]
fn a_send_that_need_not_wait_completes_outside_a_core() {
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    fn poll_once<F: Future>(future: F) -> Poll<F::Output> {
        pin!(future).poll(&mut Context::from_waker(Waker::noop()))
    }
    let (tx, rx) = mpsc::channel(1);
    assert_eq!(poll_once(tx.send_timeout(1, TIMEOUT)), Poll::Ready(Ok(())));
    drop(rx);
    assert_eq!(
        poll_once(tx.send_timeout(2, TIMEOUT)),
        Poll::Ready(Err(SendTimeoutError::Closed(2)))
    );
    let (tx, _rx) = cross_thread::channel(1);
    assert_eq!(poll_once(tx.send_timeout(3, TIMEOUT)), Poll::Ready(Ok(())));
}
