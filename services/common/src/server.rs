//! Binding and serving a router.
//!
//! The connection loop is hyper's HTTP/1 server, because `axum::serve` has no header-read
//! timeout: a client that opens connections and sends its headers a byte at a time (slowloris)
//! would hold each one forever. Here a connection whose request headers are not complete within
//! `HTTP_HEADER_TIMEOUT_SECS` (idle keep-alive connections included) is closed. Connections from
//! the trusted proxies are exempt: a load balancer keeps idle connections to its targets open for
//! its own idle timeout (closing them first races its next request into a 502), and it is the one
//! that holds slow clients at bay there. Every request carries [`ConnectInfo`] and its
//! [`ClientAddr`]; WebSocket upgrades work as with `axum::serve`.

use std::{convert::Infallible, future::Future, io, net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    Router,
    extract::{ConnectInfo, Request},
    response::Response,
};
use clap::Args;
use hyper::{body::Incoming, server::conn::http1};
use hyper_util::rt::{TokioIo, TokioTimer};
use ipnet::IpNet;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::{sync::CancellationToken, task::TaskTracker};
use tower::{ServiceExt, util::Oneshot};

use crate::client_addr::{TrustedProxies, parse_net};

/// How both services serve HTTP.
#[derive(Debug, Clone, Args)]
pub struct HttpArgs {
    /// Seconds a client has to send a request's headers (and an idle keep-alive connection to
    /// start its next request) before the connection is closed.
    #[arg(long, env = "HTTP_HEADER_TIMEOUT_SECS", default_value_t = 20)]
    pub header_timeout_secs: u64,
    /// Addresses or CIDR ranges of the load balancers in front (comma-separated); only their
    /// `X-Forwarded-For` is believed. Empty: the peer address is the client.
    #[arg(long, env = "TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_net)]
    pub trusted_proxies: Vec<IpNet>,
}

impl HttpArgs {
    /// Defaults, as with no environment.
    pub fn defaults() -> Self {
        Self {
            header_timeout_secs: 20,
            trusted_proxies: Vec::new(),
        }
    }
}

/// A bound listener and how it serves; not yet serving.
pub struct Server {
    listener: TcpListener,
    header_timeout: Duration,
    proxies: Arc<TrustedProxies>,
    nodelay: bool,
}

impl Server {
    /// Binds `addr` (port 0 picks a free port).
    pub async fn bind(addr: SocketAddr, args: &HttpArgs) -> io::Result<Self> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")))?;
        Ok(Self {
            listener,
            header_timeout: Duration::from_secs(args.header_timeout_secs.max(1)),
            proxies: Arc::new(TrustedProxies::new(args.trusted_proxies.clone())),
            nodelay: false,
        })
    }

    /// Turns Nagle's algorithm off on accepted sockets (for small, latency-bound frames).
    pub fn with_nodelay(mut self) -> Self {
        self.nodelay = true;
        self
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves `router` until `shutdown` completes; then stops accepting, lets requests in flight
    /// finish, closes idle connections and returns once every connection is done. Upgraded
    /// connections (WebSockets) leave this loop at the upgrade: their owner closes them.
    pub async fn serve(self, router: Router, shutdown: impl Future<Output = ()>) -> io::Result<()> {
        let mut builder = http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(self.header_timeout);
        let mut from_proxy = builder.clone();
        from_proxy.header_read_timeout(None);
        let stop = CancellationToken::new();
        let connections = TaskTracker::new();
        tokio::pin!(shutdown);
        loop {
            let (stream, peer) = tokio::select! {
                () = &mut shutdown => break,
                accepted = self.listener.accept() => match accepted {
                    Ok(pair) => pair,
                    Err(error) => {
                        accept_failed(error).await;
                        continue;
                    }
                },
            };
            self.tune(&stream);
            let service = PerRequest {
                router: router.clone(),
                peer,
                proxies: self.proxies.clone(),
            };
            let trusted = self.proxies.trusts(peer.ip().to_canonical());
            let connection = if trusted { &from_proxy } else { &builder }
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            connections.spawn(drive(connection, stop.clone()));
        }
        drop(self.listener);
        stop.cancel();
        connections.close();
        connections.wait().await;
        Ok(())
    }

    fn tune(&self, stream: &TcpStream) {
        if self.nodelay
            && let Err(error) = stream.set_nodelay(true)
        {
            tracing::debug!(%error, "could not set TCP_NODELAY");
        }
    }
}

/// Runs one connection to its end, shutting it down gracefully once `stop` is cancelled.
async fn drive<F>(connection: F, stop: CancellationToken)
where
    F: Future<Output = hyper::Result<()>> + GracefulShutdown,
{
    tokio::pin!(connection);
    let result = tokio::select! {
        result = connection.as_mut() => result,
        () = stop.cancelled() => {
            connection.as_mut().begin_shutdown();
            connection.await
        }
    };
    if let Err(error) = result {
        // Timeouts and clients that hang up are routine; nothing a request could see.
        tracing::debug!(%error, "connection ended with an error");
    }
}

/// A connection that can be asked to finish its current request and close.
trait GracefulShutdown {
    fn begin_shutdown(self: std::pin::Pin<&mut Self>);
}

impl GracefulShutdown for http1::UpgradeableConnection<TokioIo<TcpStream>, PerRequest> {
    fn begin_shutdown(self: std::pin::Pin<&mut Self>) {
        self.graceful_shutdown();
    }
}

/// Running out of file descriptors must not spin the loop; a client that gave up is nothing.
async fn accept_failed(error: io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        error.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::warn!(%error, "accept failed");
    metrics::counter!("natter_accept_errors_total").increment(1);
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// The router, with the peer and client address added to each request.
#[derive(Clone)]
struct PerRequest {
    router: Router,
    peer: SocketAddr,
    proxies: Arc<TrustedProxies>,
}

impl hyper::service::Service<hyper::Request<Incoming>> for PerRequest {
    type Response = Response;
    type Error = Infallible;
    type Future = Oneshot<Router, Request<Incoming>>;

    fn call(&self, mut request: hyper::Request<Incoming>) -> Self::Future {
        let client = self.proxies.client(self.peer.ip(), request.headers());
        request.extensions_mut().insert(ConnectInfo(self.peer));
        request.extensions_mut().insert(client);
        self.router.clone().oneshot(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client_addr::ClientAddr;
    use axum::routing::get;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn start(
        timeout_secs: u64,
        proxy: &str,
    ) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
        let args = HttpArgs {
            header_timeout_secs: timeout_secs,
            trusted_proxies: vec![parse_net(proxy).unwrap()],
        };
        let server = Server::bind("127.0.0.1:0".parse().unwrap(), &args)
            .await
            .unwrap();
        let addr = server.local_addr();
        let router = Router::new().route(
            "/who",
            get(|client: ClientAddr| async move { client.0.to_string() }),
        );
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(server.serve(router, async {
            let _ = stopped.await;
        }));
        (addr, stop)
    }

    /// Sends half a request; whether the server closed the connection within `within`.
    async fn half_request_closed(addr: SocketAddr, within: Duration) -> bool {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET /who HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        let mut answer = Vec::new();
        tokio::time::timeout(within, stream.read_to_end(&mut answer))
            .await
            .is_ok()
    }

    #[tokio::test]
    async fn a_half_sent_request_is_closed_after_the_header_timeout() {
        let (addr, _stop) = start(1, "192.0.2.1").await;
        let started = std::time::Instant::now();
        assert!(
            half_request_closed(addr, Duration::from_secs(5)).await,
            "stayed open"
        );
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(900),
            "closed early: {waited:?}"
        );
    }

    #[tokio::test]
    async fn a_trusted_proxy_keeps_its_idle_connections() {
        let (addr, _stop) = start(1, "127.0.0.1").await;
        assert!(
            !half_request_closed(addr, Duration::from_secs(2)).await,
            "the load balancer's connection was closed"
        );
    }

    #[tokio::test]
    async fn requests_carry_the_client_address_behind_a_trusted_proxy() {
        let (addr, stop) = start(5, "127.0.0.1").await;
        let client = reqwest::Client::new();
        let url = format!("http://{addr}/who");
        let direct = client.get(&url).send().await.unwrap().text().await.unwrap();
        assert_eq!(direct, "127.0.0.1");
        let proxied = client
            .get(&url)
            .header("x-forwarded-for", "203.0.113.9")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(proxied, "203.0.113.9");
        stop.send(()).unwrap();
    }
}
