//! The accept loop and graceful shutdown.

use std::future::Future;
use std::io;
use std::pin::pin;
use std::rc::Rc;

use mirage::net::TcpListener;

use crate::config::Config;
use crate::connection::Connection;
use crate::date;
use crate::event::{Shutdown, Tracker};

/// Serves HTTP on `listener` until `stop` completes; then stops accepting, lets requests in
/// flight finish (idle keep-alive connections close at once), and returns once every
/// connection is done or `config.shutdown_grace` has passed: the connections still open
/// then are closed first, their requests unanswered.
pub async fn serve(
    listener: TcpListener,
    config: Config,
    stop: impl Future<Output = ()>,
) -> io::Result<()> {
    let config = Rc::new(config);
    let shutdown = Shutdown::default();
    // Ends the connections still open when the grace period is over.
    let cut_off = Shutdown::default();
    let connections = Tracker::default();
    let mut stop = pin!(stop);
    // Ends with this function, however it returns.
    let _date = StopOnDrop(mirage::spawn(date::keep_fresh()));
    loop {
        mirage::select! {
            accepted = listener.accept() => {
                let (stream, _peer) = accepted?;
                let _ = stream.set_nodelay(true);
                let guard = connections.enter();
                let connection = Connection::new(stream, Rc::clone(&config), shutdown.clone());
                let cut_off = cut_off.triggered();
                mirage::spawn(async move {
                    // Dropping the connection closes its socket.
                    mirage::select! {
                        () = connection.run() => {}
                        () = cut_off => {}
                    }
                    drop(guard);
                });
            }
            _ = &mut stop => break,
        }
    }
    // New connections are refused from here on.
    drop(listener);
    shutdown.trigger();
    if mirage::time::timeout(config.shutdown_grace, connections.idle())
        .await
        .is_err()
    {
        // Detached, they would live on, past the deadline, for as long as the Core runs.
        // Each ends at its next poll, which the trigger wakes it for.
        cut_off.trigger();
        connections.idle().await;
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
