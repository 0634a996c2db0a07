//! The test harness: a real hub on a random port, a fresh database per test, HTTP and WebSocket clients.

use std::{net::SocketAddr, time::Duration};

use futures_util::{SinkExt, StreamExt};
use natter_db::Pool;
use natter_hub::{Application, Config};
use natter_protocol::User;
use serde_json::{Value, json};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    sync::oneshot,
    task::JoinHandle,
};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, tungstenite::Message};

/// The PostgreSQL server of the tests; each test makes its own database there.
const TEST_PG: &str = "postgres://postgres@127.0.0.1:5432";
/// Password of the users made by [`TestApp::register`].
pub const TEST_PASSWORD: &str = "correct horse";

/// A running hub and what a test needs to talk to it.
///
/// Dropping it drops the test's database, unless the test panicked or `KEEP_TEST_DB` is set
/// (then the database is kept for inspection and its name printed).
pub struct TestApp {
    /// Where the hub listens (changes on [`TestApp::restart`]).
    pub addr: SocketAddr,
    pub base_url: String,
    pub ws_url: String,
    /// `http://<METRICS_ADDR>/metrics` of the running hub.
    pub metrics_url: String,
    pub pool: Pool,
    pub http: reqwest::Client,
    pub config: Config,
    /// URL of this test's own database (`natter_test_<uuid>`).
    pub db_url: String,
    /// Whether dropping this hub drops the database (not for a second node of the same cluster).
    owns_db: bool,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
}

/// Starts a hub with the test defaults.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// A configuration tweak for tests that send faster than a person: no rate limit to speak of.
pub fn unthrottled(config: &mut Config) {
    config.rate_per_sec = 10_000;
    config.rate_burst = 10_000;
}

/// Starts a hub after `tweak` adjusted its configuration.
pub async fn spawn_app_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    natter_common::telemetry::init_logging(if std::env::var("TEST_LOG").is_ok() {
        "info"
    } else {
        "off"
    });
    let db_url = format!("{TEST_PG}/natter_test_{}", uuid::Uuid::new_v4().simple());
    let mut config = Config::for_tests(db_url.clone());
    tweak(&mut config);
    let pool = natter_db::connect_without_migrating(&db_url, 4)
        .await
        .expect("test pool");
    let mut app = TestApp {
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        base_url: String::new(),
        ws_url: String::new(),
        metrics_url: String::new(),
        pool,
        http: reqwest::Client::new(),
        config,
        db_url,
        owns_db: true,
        stop: None,
        server: None,
    };
    app.start().await;
    app
}

/// A configuration tweak that makes the hub a node of a cluster of its own on the test NATS server
/// (`TEST_NATS_URL`, default `nats://127.0.0.1:4222`): its subjects are this test's alone.
pub fn clustered(config: &mut Config) {
    let url = std::env::var("TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into());
    config.nats_url = Some(url);
    config.nats_subject_prefix = format!("natter-test-{}", uuid::Uuid::new_v4().simple());
}

impl TestApp {
    /// Another hub node of the same cluster (same database and configuration, its own node id).
    #[allow(dead_code, reason = "used by the cluster tests only")]
    pub async fn spawn_peer(&self) -> TestApp {
        let mut peer = TestApp {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            base_url: String::new(),
            ws_url: String::new(),
            metrics_url: String::new(),
            pool: self.pool.clone(),
            http: reqwest::Client::new(),
            config: self.config.clone(),
            db_url: self.db_url.clone(),
            owns_db: false,
            stop: None,
            server: None,
        };
        peer.start().await;
        peer
    }

    async fn start(&mut self) {
        let app = Application::build(self.config.clone())
            .await
            .expect("hub builds");
        let addr = app.local_addr();
        self.addr = addr;
        self.base_url = format!("http://{addr}");
        self.ws_url = format!("ws://{addr}/ws");
        self.metrics_url = format!("http://{}/metrics", app.metrics_addr());
        let (stop, stopped) = oneshot::channel::<()>();
        self.stop = Some(stop);
        self.server = Some(tokio::spawn(async move {
            app.run_until_stopped(async {
                let _ = stopped.await;
            })
            .await
            .expect("hub runs");
        }));
    }

    /// Graceful shutdown, waiting until the hub has stopped.
    pub async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("hub stopped cleanly");
        }
    }

    /// Stops the hub and starts a new one on the same database (on a new port).
    pub async fn restart(&mut self) {
        self.stop().await;
        self.start().await;
    }

    /// Registers a user (password [`TEST_PASSWORD`]); returns the user and a token.
    pub async fn register(&self, username: &str) -> (User, String) {
        let body = json!({"username": username, "password": TEST_PASSWORD, "nickname": username});
        let (status, answer) = self.post("/api/v1/register", None, &body).await;
        assert_eq!(status, 201, "register {username}: {answer}");
        let user: User = serde_json::from_value(answer["user"].clone()).expect("user");
        (user, answer["token"].as_str().expect("token").to_owned())
    }

    /// Logs a registered user in (password [`TEST_PASSWORD`]); returns the user and a fresh token.
    pub async fn login(&self, username: &str) -> (User, String) {
        let body = json!({"username": username, "password": TEST_PASSWORD});
        let (status, answer) = self.post("/api/v1/login", None, &body).await;
        assert_eq!(status, 200, "login {username}: {answer}");
        let user: User = serde_json::from_value(answer["user"].clone()).expect("user");
        (user, answer["token"].as_str().expect("token").to_owned())
    }

    /// POSTs JSON; returns the status and the JSON answer (Null when the body is empty).
    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base_url))
            .json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        answer(request.send().await.expect("request sent")).await
    }

    /// GETs JSON; returns the status and the JSON answer.
    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut request = self.http.get(format!("{}{path}", self.base_url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        answer(request.send().await.expect("request sent")).await
    }

    /// DELETEs; returns the status and the JSON answer.
    pub async fn delete(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut request = self.http.delete(format!("{}{path}", self.base_url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        answer(request.send().await.expect("request sent")).await
    }

    pub async fn add_contact(&self, token: &str, user_id: i64) {
        let (status, body) = self
            .post(
                "/api/v1/contacts",
                Some(token),
                &json!({"user_id": user_id}),
            )
            .await;
        assert!(
            status == 200 || status == 201,
            "add contact: {status} {body}"
        );
    }

    /// Creates a group; returns its JSON (`id`, `conv`, ...).
    pub async fn create_group(&self, token: &str, name: &str) -> Value {
        let (status, body) = self
            .post("/api/v1/groups", Some(token), &json!({"name": name}))
            .await;
        assert_eq!(status, 201, "create group: {body}");
        body
    }

    pub async fn join_group(&self, token: &str, group: i64) {
        let (status, body) = self
            .post(
                &format!("/api/v1/groups/{group}/join"),
                Some(token),
                &json!({}),
            )
            .await;
        assert!(
            status == 200 || status == 204,
            "join group: {status} {body}"
        );
    }

    /// The Prometheus text at `/metrics` (on the metrics address).
    pub async fn metrics(&self) -> String {
        let response = self
            .http
            .get(&self.metrics_url)
            .send()
            .await
            .expect("metrics");
        response.text().await.expect("metrics text")
    }

    /// Opens an authenticated WebSocket.
    pub async fn ws(&self, token: &str) -> WsClient {
        self.try_ws(token).await.expect("websocket opens")
    }

    /// Tries to open a WebSocket with this token.
    pub async fn try_ws(
        &self,
        token: &str,
    ) -> Result<WsClient, tokio_tungstenite::tungstenite::Error> {
        let (stream, _) =
            tokio_tungstenite::connect_async(format!("{}?token={token}", self.ws_url)).await?;
        Ok(WsClient { stream })
    }

    /// Opens a WebSocket by hand and then never reads nor answers: a stalled or silent client.
    pub async fn raw_ws(&self, token: &str) -> RawSocket {
        let stream = TcpStream::connect(self.addr).await.expect("tcp connect");
        self.raw_handshake(stream, token).await
    }

    /// [`TestApp::raw_ws`] with a small kernel receive buffer, so that the socket stalls soon.
    #[allow(dead_code, reason = "used by the flood test binary")]
    pub async fn stalled_ws(&self, token: &str) -> RawSocket {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket.set_recv_buffer_size(4096).expect("receive buffer");
        let stream = socket.connect(self.addr).await.expect("tcp connect");
        self.raw_handshake(stream, token).await
    }

    async fn raw_handshake(&self, mut stream: TcpStream, token: &str) -> RawSocket {
        let addr = self.addr;
        let request = format!(
            "GET /ws?token={token} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        stream
            .write_all(request.as_bytes())
            .await
            .expect("handshake sent");
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            let mut byte = [0u8; 1];
            stream
                .read_exact(&mut byte)
                .await
                .expect("handshake answer");
            head.push(byte[0]);
        }
        assert!(
            head.starts_with(b"HTTP/1.1 101"),
            "upgrade refused: {}",
            String::from_utf8_lossy(&head)
        );
        RawSocket { stream }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if self.owns_db {
            natter_db::drop_test_database(&self.db_url);
        }
    }
}

/// The value of a metric without labels in Prometheus text (0 when absent).
pub fn metric_value(text: &str, name: &str) -> f64 {
    text.lines()
        .find(|l| l.split([' ', '{']).next() == Some(name))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

async fn answer(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, value)
}

/// A WebSocket that the test reads only as raw bytes, so it never answers pings.
pub struct RawSocket {
    stream: TcpStream,
}

impl RawSocket {
    /// Sends a text frame (masked, as a client must) without reading anything.
    #[allow(dead_code, reason = "used by the flood test binary")]
    pub async fn send_text(&mut self, text: &str) {
        let payload = text.as_bytes();
        let mask = [0x37, 0xfa, 0x21, 0x3d];
        let mut frame = vec![0x81];
        match payload.len() {
            len @ 0..=125 => frame.push(0x80 | len as u8),
            len => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&u16::try_from(len).expect("short frame").to_be_bytes());
            }
        }
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.stream.write_all(&frame).await.expect("frame sent");
    }

    /// Reads (and discards) until the server closes the connection; false if it stays open past `timeout`.
    pub async fn closed_by_server_within(mut self, timeout: Duration) -> bool {
        let mut sink = Vec::new();
        tokio::time::timeout(timeout, self.stream.read_to_end(&mut sink))
            .await
            .is_ok()
    }
}

/// A WebSocket client speaking the hub's JSON frames.
pub struct WsClient {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl WsClient {
    pub async fn send_json(&mut self, value: Value) {
        self.send_text(value.to_string()).await;
    }

    pub async fn send_text(&mut self, text: String) {
        self.stream
            .send(Message::Text(text.into()))
            .await
            .expect("frame sent");
    }

    pub async fn send_binary(&mut self, bytes: Vec<u8>) {
        self.stream
            .send(Message::Binary(bytes.into()))
            .await
            .expect("frame sent");
    }

    /// Closes the socket (a close frame, then the end of the stream).
    pub async fn close(&mut self) {
        let _ = self.stream.close(None).await;
    }

    /// The next JSON frame within `timeout` (pings and pongs skipped); None on timeout or close.
    pub async fn next_json(&mut self, timeout: Duration) -> Option<Value> {
        self.next_json_or_close(timeout).await.ok()
    }

    /// The next JSON frame, or `Err(close code)` when the socket closes (`Err(None)` on timeout).
    pub async fn next_json_or_close(&mut self, timeout: Duration) -> Result<Value, Option<u16>> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let next = tokio::time::timeout_at(deadline, self.stream.next())
                .await
                .map_err(|_| None)?;
            match next {
                Some(Ok(Message::Text(text))) => {
                    return Ok(serde_json::from_str(text.as_str()).expect("server sends JSON"));
                }
                Some(Ok(Message::Close(frame))) => return Err(frame.map(|f| u16::from(f.code))),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Err(None),
            }
        }
    }

    /// Reads frames until one matches `wanted`; panics with what it saw if none does within `timeout`.
    pub async fn recv_until(
        &mut self,
        wanted: impl Fn(&Value) -> bool,
        timeout: Duration,
    ) -> Value {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next_json(left).await {
                Some(v) if wanted(&v) => return v,
                Some(v) => seen.push(v),
                None => panic!("no matching frame within {timeout:?}; saw {seen:?}"),
            }
        }
    }

    /// Asserts that no frame arrives for `quiet`.
    pub async fn expect_silence(&mut self, quiet: Duration) {
        if let Some(v) = self.next_json(quiet).await {
            panic!("expected silence, got {v}");
        }
    }
}
