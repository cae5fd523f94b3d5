//! Serving connections: how long a client may take, how many may be served at once, and a
//! shutdown that lets requests in flight finish, within a deadline.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use std::net::SocketAddr;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::Layer;

use crate::config::ServerSettings;

/// Serves `app` on `listener` until `shutdown` completes, then lets the requests in flight
/// finish for the grace period and returns.
///
/// A client has `header_timeout_secs` to send a request's headers (and a kept-alive connection
/// may sit idle as long), and at most `max_client_connections` are served at once: the next
/// waits in the listener's backlog until one closes, so half-sent requests cannot pile up
/// without end.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    settings: ServerSettings,
    shutdown: impl Future<Output = ()>,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(settings.header_timeout_secs));
    let slots = Arc::new(Semaphore::new(
        usize::try_from(settings.max_client_connections).unwrap_or(usize::MAX),
    ));
    let connections = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = accept(&listener, &slots) => accepted,
        };
        let Some((stream, peer, slot)) = accepted else {
            continue;
        };
        // Handlers read the peer's address (anonymous callers' budgets are kept by it).
        let peer = axum::Extension(ConnectInfo(peer));
        let service = TowerToHyperService::new(peer.layer(app.clone()));
        let connection = connections.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            // A connection the client broke or let time out is its own business.
            let _ = connection.await;
            drop(slot);
        });
    }
    drop(listener);
    let grace = Duration::from_secs(settings.shutdown_grace_secs);
    tracing::info!(
        grace.secs = grace.as_secs(),
        "finishing the requests in flight"
    );
    if tokio::time::timeout(grace, connections.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still in flight at the end of the grace period are dropped");
    }
}

/// The next connection, once a slot is free. Accepting can fail for a moment (out of file
/// descriptors, a connection reset before it was accepted); the server waits a little and
/// goes on.
async fn accept(
    listener: &TcpListener,
    slots: &Arc<Semaphore>,
) -> Option<(
    tokio::net::TcpStream,
    SocketAddr,
    tokio::sync::OwnedSemaphorePermit,
)> {
    let slot = Arc::clone(slots).acquire_owned().await.ok()?;
    match listener.accept().await {
        Ok((stream, peer)) => Some((stream, peer, slot)),
        Err(err) => {
            tracing::warn!(error = %err, "cannot accept a connection");
            tokio::time::sleep(Duration::from_millis(50)).await;
            None
        }
    }
}
