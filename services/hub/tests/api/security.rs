//! Nobody gets in where they do not belong: the secret rule at start-up, where tokens are taken
//! from (and where they are not), the security headers, URL fields, and the token kept out of
//! the log.

use std::time::Duration;

use natter_common::settings::SecretArgs;
use natter_hub::{Application, Config};
use serde_json::json;
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, http::HeaderValue};

use crate::{
    helpers::{spawn_app, spawn_app_with},
    process::HubProcess,
};

const WAIT: Duration = Duration::from_secs(5);

async fn refused(secrets: SecretArgs) -> String {
    let mut config = Config::for_tests("postgres://postgres@127.0.0.1:5432/unused".into());
    config.secrets = secrets;
    match Application::build(config).await {
        Ok(_) => panic!("the hub started"),
        Err(e) => e.to_string(),
    }
}

#[tokio::test]
async fn the_hub_refuses_an_unset_development_or_short_secret_unless_in_development_mode() {
    let unset = refused(SecretArgs {
        token_secret: None,
        dev_login: false,
    })
    .await;
    assert!(unset.contains("TOKEN_SECRET is not set"), "{unset}");
    for development in [
        natter_common::settings::DEV_TOKEN_SECRET,
        "natter-compose-dev-secret-change-me",
    ] {
        let refusal = refused(SecretArgs::with_secret(development)).await;
        assert!(refusal.contains("development secret"), "{refusal}");
    }
    let short = refused(SecretArgs::with_secret("only-twenty-bytes-ok")).await;
    assert!(short.contains("at least 32"), "{short}");
    // DEV_LOGIN alone lets the hub start without a secret (scripts/dev-up).
    let dev = spawn_app_with(|c| {
        c.secrets = SecretArgs {
            token_secret: None,
            dev_login: true,
        }
    })
    .await;
    let (status, body) = dev.post("/api/v1/dev/login", None, &json!({"id": 1})).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn the_json_api_takes_the_bearer_header_only() {
    let app = spawn_app().await;
    let (_, token) = app.register("alice").await;
    let me = format!("{}/api/v1/me", app.base_url);
    let bearer = app.http.get(&me).bearer_auth(&token).send().await.unwrap();
    assert_eq!(bearer.status(), 200);
    let query = app
        .http
        .get(format!("{me}?token={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(query.status(), 401, "?token= is not taken by the JSON API");
    let cookie = app
        .http
        .get(&me)
        .header("cookie", format!("natter_token={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(cookie.status(), 401, "no cookie is accepted");
    let post = app
        .http
        .post(format!("{}/api/v1/groups?token={token}", app.base_url))
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 401, "nor on a state-changing route");
}

#[tokio::test]
async fn a_cookie_authenticated_websocket_from_a_foreign_origin_is_refused() {
    let app = spawn_app().await;
    let (_, token) = app.register("alice").await;
    let mut request = app.ws_url.as_str().into_client_request().unwrap();
    let headers = request.headers_mut();
    headers.insert("origin", HeaderValue::from_static("https://evil.example"));
    let cookie = HeaderValue::from_str(&format!("natter_token={token}")).unwrap();
    headers.insert("cookie", cookie);
    match tokio_tungstenite::connect_async(request).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 401);
        }
        other => panic!("a cookie must not open a socket: {:?}", other.map(|_| ())),
    }
    assert!(app.try_ws(&token).await.is_ok(), "?token= opens /ws");
}

#[tokio::test]
async fn the_page_and_the_api_carry_the_security_headers() {
    let app = spawn_app().await;
    for path in [
        "/",
        "/chat.html",
        "/api/v1/config",
        "/api/v1/me",
        "/nope",
        "/readyz",
    ] {
        let response = app
            .http
            .get(format!("{}{path}", app.base_url))
            .send()
            .await
            .unwrap();
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self';"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert!(
            csp.contains("http://127.0.0.1:8089") && csp.contains("http://127.0.0.1:3900"),
            "{path}: the upload service and the media store: {csp}"
        );
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
    }
}

#[tokio::test]
async fn link_fields_refuse_script_urls() {
    let app = spawn_app().await;
    let (bob, _) = app.register("bob").await;
    let (_, alice) = app.register("alice").await;
    let mut ws = app.ws(&alice).await;
    for (field, value) in [("url", "javascript:alert(1)"), ("pic", "data:text/html,x")] {
        ws.send_json(json!({"cmd": 10, "dstid": bob.id, "media": 7, "cid": field, field: value}))
            .await;
        let error = ws.recv_until(|v| v["cmd"] == 21, WAIT).await;
        assert_eq!(error["code"], "invalid_field", "{field}: {error}");
        assert_eq!(error["cid"], field);
    }
    ws.send_json(json!({"cmd": 10, "dstid": bob.id, "media": 7, "cid": "ok",
                        "content": "a link", "url": "https://example.com/x"}))
        .await;
    let ack = ws
        .recv_until(|v| v["cmd"] == 20 || v["cmd"] == 21, WAIT)
        .await;
    assert_eq!(ack["cmd"], 20, "an https link is stored: {ack}");
}

#[tokio::test]
async fn a_half_sent_request_is_closed_after_the_header_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app_with(|c| c.http.header_timeout_secs = 1).await;
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "the slow connection stayed open");
}

#[tokio::test]
async fn a_token_in_a_url_never_reaches_the_log() {
    let hub = HubProcess::start(&[("RUST_LOG", "debug,tokio_postgres=info,hyper=info")]).await;
    let http = reqwest::Client::new();
    let body = json!({"username": "alice", "password": "correct horse", "nickname": "alice"});
    let answer: serde_json::Value = http
        .post(format!("{}/api/v1/register", hub.base_url))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = answer["token"].as_str().expect("token").to_owned();
    let ws_url = hub.base_url.replace("http://", "ws://");
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("{ws_url}/ws?token={token}"))
        .await
        .expect("socket opens");
    let probe = format!("{}/api/v1/me?token={token}", hub.base_url);
    assert_eq!(http.get(&probe).send().await.unwrap().status(), 401);
    ws.close(None).await.unwrap();
    // The request spans were logged (with their paths), the token nowhere.
    assert!(hub.wait_for_log("/api/v1/me", WAIT).await, "{}", hub.log());
    let log = hub.log();
    assert!(log.contains("/ws") && log.contains("/api/v1/me"), "{log}");
    let signature = token.rsplit('.').next().unwrap();
    assert!(!log.contains(signature), "the token was logged:\n{log}");
}
