//! The accept loop and graceful shutdown.

use std::future::Future;
use std::io;
use std::pin::pin;
use std::rc::Rc;

use mirage::JoinSet;
use mirage::net::TcpListener;

use crate::config::Config;
use crate::connection::Connection;
use crate::date;
use crate::event::Shutdown;

/// Serves HTTP on `listener` until `stop` completes; then stops accepting, lets requests in
/// flight finish (idle keep-alive connections close at once), and returns once every
/// connection is done or `config.shutdown_grace` has passed: the connections still open
/// then are closed first, their requests unanswered. The connections are the server's own:
/// if it returns early (a fatal accept error) or is dropped, they close with it.
pub async fn serve(
    listener: TcpListener,
    config: Config,
    stop: impl Future<Output = ()>,
) -> io::Result<()> {
    let config = Rc::new(config);
    let shutdown = Shutdown::default();
    // One task per connection; dropping the set (or `shutdown`) aborts those still live,
    // which closes their sockets. (Cheaper than a `select!` in each connection's task,
    // which every poll of it would go through.)
    let mut connections = JoinSet::new();
    let mut stop = pin!(stop);
    // Ends with this function, however it returns.
    let _date = StopOnDrop(mirage::spawn(date::keep_fresh()));
    loop {
        mirage::select! {
            accepted = listener.accept() => {
                let (stream, _peer) = accepted?;
                let _ = stream.set_nodelay(true);
                let connection = Connection::new(stream, Rc::clone(&config), shutdown.clone());
                connections.spawn(connection.run());
                // Forgets the connections that ended, so that the set holds the live ones.
                while connections.try_join_next().is_some() {}
            }
            _ = &mut stop => break,
        }
    }
    // New connections are refused from here on.
    drop(listener);
    shutdown.trigger();
    let finished = async { while connections.join_next().await.is_some() {} };
    if mirage::time::timeout(config.shutdown_grace, finished)
        .await
        .is_err()
    {
        // Detached, they would live on, past the deadline, for as long as the Core runs.
        connections.shutdown().await;
    }
    Ok(())
}

/// Aborts a helper task when dropped.
struct StopOnDrop(mirage::JoinHandle<()>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
