//! Accepting connections without ever ending the server over a transient error.

use std::io;
use std::os::fd::BorrowedFd;
use std::time::Duration;

use mirage_core::time::sleep;

use crate::sys::{is_lost_connection_of, is_resource_exhaustion};

/// The first wait after running out of descriptors; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(1);
/// The longest wait between attempts while out of descriptors: also the longest delay
/// before a server notices that descriptors freed up.
const MAX_BACKOFF: Duration = Duration::from_millis(100);

/// Runs `accept_once` on the listening socket `listener` until it yields a connection or a
/// real error. Out of descriptors or memory (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`) it
/// sleeps with exponential backoff instead of spinning or failing; a connection reset
/// before it was accepted, or one whose pending network error `accept` reports
/// (`ENETDOWN`, `EHOSTUNREACH`, …), is skipped.
pub(crate) async fn accept_with_backoff<T, F, Fut>(
    listener: BorrowedFd<'_>,
    mut accept_once: F,
) -> io::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = io::Result<T>>,
{
    let mut backoff = FIRST_BACKOFF;
    loop {
        match accept_once().await {
            Err(err) if is_resource_exhaustion(&err) => {
                sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
            Err(err) if is_lost_connection_of(listener, &err) => {}
            result => return result,
        }
    }
}
