//! Floods do not take the hub down: sign-in limits and the password hashers' queue, and the caps
//! on WebSocket connections (each refusal a plain HTTP status before the upgrade).

use std::{
    net::{IpAddr, SocketAddr},
    time::{Duration, Instant},
};

use futures_util::future::join_all;
use serde_json::{Value, json};
use tokio::net::TcpSocket;
use tokio_tungstenite::tungstenite;

use crate::{
    helpers::{TEST_PASSWORD, spawn_app_with},
    process::HubProcess,
};

/// Wrong logins sent at once, as in issue 10.
const FLOOD: usize = 300;

/// An HTTP client whose connections come from `local` (any 127.0.0.0/8 address is this machine).
fn client_from(local: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(local.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
}

async fn login(
    http: &reqwest::Client,
    base: &str,
    username: &str,
    password: &str,
) -> (u16, Option<String>) {
    let response = http
        .post(format!("{base}/api/v1/login"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .expect("login sent");
    let retry = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (response.status().as_u16(), retry)
}

/// Wrong logins for `FLOOD` different usernames, all at once.
async fn flood(http: &reqwest::Client, base: &str) -> Vec<(u16, Option<String>)> {
    let tries = (0..FLOOD).map(|i| {
        let name = format!("victim{i}");
        async move { login(http, base, &name, "wrong password").await }
    });
    join_all(tries).await
}

/// How long `/healthz` takes, repeatedly, until `done` is set.
async fn health_while(base: &str, done: &tokio::sync::Notify) -> Vec<Duration> {
    let http = reqwest::Client::new();
    let mut times = Vec::new();
    loop {
        let started = Instant::now();
        let healthy = tokio::select! {
            () = done.notified() => return times,
            answer = http.get(format!("{base}/healthz")).send() => answer.is_ok_and(|r| r.status() == 200),
        };
        assert!(healthy, "/healthz failed during the flood");
        times.push(started.elapsed());
    }
}

#[tokio::test]
async fn a_login_flood_from_one_address_is_throttled_while_others_sign_in() {
    let app = spawn_app_with(|_| {}).await;
    app.register("bob").await;
    let base = app.base_url.clone();
    let attacker = client_from("127.0.0.1");
    let flooding = flood(&attacker, &base);
    let bob = async {
        let (status, _) = login(&client_from("127.0.0.2"), &base, "bob", TEST_PASSWORD).await;
        status
    };
    let (answers, bob) = tokio::join!(flooding, bob);

    assert_eq!(bob, 200, "another user signs in during the flood");
    let throttled = answers.iter().filter(|(s, _)| *s == 429).count();
    let limit = app.config.signin_per_addr_per_min as usize;
    assert!(
        throttled >= FLOOD - limit,
        "{throttled} of {FLOOD} throttled"
    );
    assert!(
        answers.iter().all(|(s, _)| *s == 429 || *s == 401),
        "{answers:?}"
    );
    assert!(
        answers.iter().filter(|(s, _)| *s == 429).all(|(_, r)| r
            .as_deref()
            .is_some_and(|r| r.parse::<u64>().is_ok_and(|s| s >= 1))),
        "every 429 says when to retry"
    );
}

#[tokio::test]
async fn one_username_is_limited_from_any_address() {
    let app = spawn_app_with(|c| c.signin_per_username_per_min = 3).await;
    let base = app.base_url.clone();
    let mut statuses = Vec::new();
    for i in 0..4 {
        let from = client_from(&format!("127.0.1.{}", i + 1));
        statuses.push(login(&from, &base, "Carol", "guess").await.0);
    }
    assert_eq!(statuses, [401, 401, 401, 429]);
    let register = client_from("127.0.1.9")
        .post(format!("{base}/api/v1/register"))
        .json(&json!({"username": "carol", "password": TEST_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        register.status(),
        429,
        "register counts for the username too"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_wrong_logins_wait_for_few_hashers_and_memory_stays_bounded() {
    // No sign-in limits here: only the hashers' queue stands between the flood and the memory.
    let hub = HubProcess::start(&[
        ("SIGNIN_PER_ADDR_PER_MIN", "0"),
        ("SIGNIN_PER_USERNAME_PER_MIN", "0"),
        ("PASSWORD_HASH_CONCURRENCY", "4"),
    ])
    .await;
    let base = hub.base_url.clone();
    let http = reqwest::Client::new();
    let registered = http
        .post(format!("{base}/api/v1/register"))
        .json(&json!({"username": "bob", "password": TEST_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 201);
    let before = hub.peak_rss_kib();
    let started = Instant::now();
    let done = tokio::sync::Notify::new();
    let flooding = async {
        let answers = flood(&http, &base).await;
        done.notify_waiters();
        answers
    };
    // Bob queues with the flood; a 503 (the queue was longer than the hub waits) is retried,
    // as a client does.
    let bob = async {
        loop {
            match login(&http, &base, "bob", TEST_PASSWORD).await {
                (503, Some(_)) => continue,
                (status, _) => return status,
            }
        }
    };
    let (answers, health, bob) = tokio::join!(flooding, health_while(&base, &done), bob);

    assert_eq!(bob, 200, "another user signs in during the flood");
    let wrong = answers.iter().filter(|(s, _)| *s == 401).count();
    let busy = answers
        .iter()
        .filter(|(s, r)| *s == 503 && r.is_some())
        .count();
    assert_eq!(
        wrong + busy,
        FLOOD,
        "401, or 503 with Retry-After: {answers:?}"
    );
    let slowest = health.iter().max().copied().unwrap_or_default();
    eprintln!(
        "flood of {FLOOD}: {wrong} answered 401, {busy} 503 in {:?}; {} /healthz probes, slowest {slowest:?}",
        started.elapsed(),
        health.len()
    );
    assert!(
        slowest < Duration::from_secs(1),
        "/healthz took {slowest:?}"
    );
    // argon2 takes 19 MiB a hash: 4 at once is under 80 MiB; 300 at once would be 5.7 GiB.
    let grown_mib = hub.peak_rss_kib().saturating_sub(before) / 1024;
    eprintln!("grew {grown_mib} MiB");
    assert!(grown_mib < 150, "the hub grew by {grown_mib} MiB");
}

/// Opened sockets, kept open until the test ends.
type Open = Vec<tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>>;

/// Opens `/ws` with `token` from `local` (kept in `open`): 101, or the status and body of the
/// refusal.
async fn ws_from(
    open: &mut Open,
    addr: SocketAddr,
    local: &str,
    token: &str,
    xff: Option<&str>,
) -> (u16, Value) {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(format!("{local}:0").parse().unwrap()).unwrap();
    let stream = socket.connect(addr).await.expect("tcp connect");
    let mut request = tungstenite::client::IntoClientRequest::into_client_request(format!(
        "ws://{addr}/ws?token={token}"
    ))
    .unwrap();
    if let Some(xff) = xff {
        request
            .headers_mut()
            .insert("x-forwarded-for", xff.parse().unwrap());
    }
    match tokio_tungstenite::client_async(request, stream).await {
        Ok((ws, _)) => {
            open.push(ws);
            (101, Value::Null)
        }
        Err(tungstenite::Error::Http(response)) => {
            let body = response
                .body()
                .as_ref()
                .and_then(|b| serde_json::from_slice(b).ok())
                .unwrap_or(Value::Null);
            (response.status().as_u16(), body)
        }
        Err(other) => panic!("upgrade failed: {other}"),
    }
}

#[tokio::test]
async fn connections_are_capped_per_user_per_address_and_in_all() {
    let app = spawn_app_with(|c| {
        c.max_conns_per_user = 2;
        c.max_conns_per_addr = 3;
        c.max_conns = 5;
    })
    .await;
    let (_, alice) = app.register("alice").await;
    let (_, bob) = app.register("bob").await;
    let (_, carol) = app.register("carol").await;
    let (addr, mut open) = (app.addr, Open::new());
    assert_eq!(
        ws_from(&mut open, addr, "127.0.0.1", &alice, None).await.0,
        101
    );
    assert_eq!(
        ws_from(&mut open, addr, "127.0.0.1", &alice, None).await.0,
        101
    );
    let (status, body) = ws_from(&mut open, addr, "127.0.0.2", &alice, None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (429, Some("too_many_connections")),
        "{body}"
    );
    assert_eq!(
        ws_from(&mut open, addr, "127.0.0.1", &bob, None).await.0,
        101
    );
    let (status, body) = ws_from(&mut open, addr, "127.0.0.1", &carol, None).await;
    assert_eq!(status, 429, "the fourth from one address: {body}");
    assert_eq!(
        ws_from(&mut open, addr, "127.0.0.2", &bob, None).await.0,
        101
    );
    assert_eq!(
        ws_from(&mut open, addr, "127.0.0.3", &carol, None).await.0,
        101
    );
    let (status, body) = ws_from(&mut open, addr, "127.0.0.4", &carol, None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (503, Some("server_full")),
        "{body}"
    );
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_is_the_client() {
    let app = spawn_app_with(|c| {
        c.max_conns_per_addr = 1;
        c.http.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let (_, alice) = app.register("alice").await;
    let (addr, mut open) = (app.addr, Open::new());
    let one = Some("198.51.100.1");
    assert_eq!(
        ws_from(&mut open, addr, "127.0.0.1", &alice, one).await.0,
        101
    );
    assert_eq!(
        ws_from(&mut open, addr, "127.0.0.1", &alice, Some("198.51.100.2"))
            .await
            .0,
        101
    );
    assert_eq!(
        ws_from(&mut open, addr, "127.0.0.1", &alice, one).await.0,
        429
    );
    // From an untrusted peer the header is ignored: the peer is the client.
    assert_eq!(
        ws_from(&mut open, addr, "127.0.0.2", &alice, one).await.0,
        101
    );
    assert_eq!(
        ws_from(&mut open, addr, "127.0.0.2", &alice, Some("198.51.100.3"))
            .await
            .0,
        429
    );
}

#[tokio::test]
async fn a_closed_connection_gives_its_place_back() {
    let app = spawn_app_with(|c| c.max_conns_per_user = 1).await;
    let (_, alice) = app.register("alice").await;
    let mut first = app.ws(&alice).await;
    assert!(app.try_ws(&alice).await.is_err(), "one connection only");
    first.close().await;
    // The session ends on the server once it has read the close: wait for that, not for a time.
    let deadline = Instant::now() + Duration::from_secs(5);
    while app.try_ws(&alice).await.is_err() {
        assert!(Instant::now() < deadline, "the place never came back");
    }
}
