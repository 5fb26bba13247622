//! Limits and timeouts: what a client may send, and how long it may take.

use std::time::Duration;

/// How the server protects itself from slow, idle and oversized clients.
#[derive(Debug, Clone)]
pub struct Config {
    /// The request line plus headers, and apart from them a chunked body's trailer
    /// fields; more gets 431.
    pub max_head: usize,
    /// A request body, with the chunk extensions of a chunked one; more gets 413.
    pub max_body: usize,
    /// Time to receive a whole request head once its first byte arrived (slowloris guard).
    pub header_timeout: Duration,
    /// Time a keep-alive connection may sit idle between requests: it is closed after this
    /// much silence, plus at most [`COARSE_LAG`](crate::date::COARSE_LAG) (the requests are
    /// timed by a coarse clock that ticks once a second).
    pub idle_timeout: Duration,
    /// Time to receive a whole request body. Also the stream's write timeout: the longest
    /// one write of responses may wait for the client to make room, so a client that stops
    /// reading is cut off (one that keeps taking a few bytes within it is not).
    pub body_timeout: Duration,
    /// How long a graceful shutdown waits for requests in flight.
    pub shutdown_grace: Duration,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            max_head: 8 * 1024,
            max_body: 1024 * 1024,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            body_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(5),
        }
    }
}
