//! What [`Lines`](super::Lines) and [`Split`](super::Split) share: reading a buffered
//! reader up to a delimiter byte, cancel-safe, with a limit on the length of a record.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use super::AsyncBufRead;

/// A reader cut into records at a delimiter byte. The part of a record read before a
/// cancelled call is kept for the next call.
pub(super) struct Delimited<R> {
    pub(super) reader: R,
    pub(super) delimiter: u8,
    /// The part of the next record read so far.
    record: Vec<u8>,
    /// The longest record kept, without its delimiter.
    pub(super) max_len: usize,
    /// Skipping the rest of a record that was over `max_len`, up to its delimiter.
    discarding: bool,
}

/// What [`Delimited::poll_next`] found.
pub(super) enum Record {
    /// A record, and whether its delimiter ended it (rather than the end of the stream).
    Found(Vec<u8>, bool),
    /// The end of the stream, with no record begun.
    End,
    /// A record over the limit: dropped, and the rest of it, through its delimiter, is
    /// skipped by the next call.
    TooLong,
}

impl<R> Delimited<R> {
    pub(super) fn new(reader: R, delimiter: u8) -> Delimited<R> {
        Delimited {
            reader,
            delimiter,
            record: Vec::new(),
            max_len: usize::MAX,
            discarding: false,
        }
    }

    /// The length of the record read so far, and whether a record over the limit is
    /// being skipped: for the wrappers' `Debug`.
    pub(super) fn progress(&self) -> (usize, bool) {
        (self.record.len(), self.discarding)
    }
}

impl<R: AsyncBufRead + Unpin> Delimited<R> {
    /// The next record. A record over the limit is known as soon as its first
    /// `max_len + 1` bytes arrive, without buffering more. Errors of the reader leave the
    /// record read so far for the next call; `Interrupted` is retried.
    pub(super) fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Record>> {
        let delimited = loop {
            if self.discarding && !ready!(self.poll_skip(cx))? {
                return Poll::Ready(Ok(Record::End));
            }
            let delimiter = self.delimiter;
            let (end, used, over) = match ready!(Pin::new(&mut self.reader).poll_fill_buf(cx)) {
                Ok(buffered) => {
                    // `Some(true)`: the delimiter; `Some(false)`: the end of the stream.
                    let (end, take) = match buffered.iter().position(|&b| b == delimiter) {
                        Some(at) => (Some(true), at),
                        None if buffered.is_empty() => (Some(false), 0),
                        None => (None, buffered.len()),
                    };
                    let over = self.record.len() + take > self.max_len;
                    if !over {
                        self.record.extend_from_slice(&buffered[..take]);
                    }
                    (end, take + usize::from(end == Some(true)), over)
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Poll::Ready(Err(err)),
            };
            Pin::new(&mut self.reader).consume(used);
            if over {
                // Too long however it ends: forget it rather than buffer more. Its bytes at
                // hand are consumed, and the rest, up to its delimiter, is skipped by the
                // next call (as tokio's `LinesCodec` does), not read as a record of its own.
                self.record.clear();
                self.discarding = end != Some(true);
                return Poll::Ready(Ok(Record::TooLong));
            }
            if let Some(delimited) = end {
                break delimited;
            }
        };
        if !delimited && self.record.is_empty() {
            return Poll::Ready(Ok(Record::End));
        }
        Poll::Ready(Ok(Record::Found(
            std::mem::take(&mut self.record),
            delimited,
        )))
    }

    /// Consumes the rest of a record that was over the limit, through its delimiter: true
    /// once done, false at the end of the stream.
    fn poll_skip(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<bool>> {
        loop {
            let delimiter = self.delimiter;
            let (used, done) = match ready!(Pin::new(&mut self.reader).poll_fill_buf(cx)) {
                Ok([]) => {
                    self.discarding = false;
                    return Poll::Ready(Ok(false));
                }
                Ok(buffered) => match buffered.iter().position(|&b| b == delimiter) {
                    Some(at) => (at + 1, true),
                    None => (buffered.len(), false),
                },
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Poll::Ready(Err(err)),
            };
            Pin::new(&mut self.reader).consume(used);
            if done {
                self.discarding = false;
                return Poll::Ready(Ok(true));
            }
        }
    }
}
