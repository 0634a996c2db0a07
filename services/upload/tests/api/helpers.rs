//! The harness: one Garage per test binary (started with `scripts/s3-local`, or the one named by
//! `S3_ENDPOINT`), a fresh database per test, the upload service on a random port.

use std::{collections::HashMap, path::PathBuf, process::Command, sync::OnceLock, time::Duration};

use natter_common::TokenKeys;
use natter_db::Pool;
use natter_upload::{Application, Config, storage::Storage};
use serde_json::Value;
use tokio::sync::oneshot;

pub const TOKEN_SECRET: &str = "upload-test-secret-of-32-bytes-or-more";

/// S3 settings of a running Garage.
#[derive(Clone, Debug)]
pub struct S3Env {
    pub vars: HashMap<String, String>,
    pub data_dir: PathBuf,
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Starts (or reuses) a Garage through `scripts/s3-local` in `data_dir` on `port`.
pub fn start_garage(data_dir: &std::path::Path, port: u16) -> S3Env {
    let output = Command::new(repo_root().join("scripts/s3-local"))
        .args(["up", data_dir.to_str().expect("utf-8 path")])
        .env("S3_LOCAL_PORT", port.to_string())
        .output()
        .expect("scripts/s3-local runs");
    assert!(
        output.status.success(),
        "scripts/s3-local up failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let vars = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("export ")?.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    S3Env {
        vars,
        data_dir: data_dir.to_owned(),
    }
}

/// Stops a Garage started by [`start_garage`].
pub fn stop_garage(env: &S3Env) {
    let status = Command::new(repo_root().join("scripts/s3-local"))
        .args(["down", env.data_dir.to_str().expect("utf-8 path")])
        .status()
        .expect("scripts/s3-local runs");
    assert!(status.success());
}

/// The Garage shared by the tests of this binary: the one the environment names (`scripts/test`
/// exports `scripts/s3-local up`), else one started here and left running for the next run.
pub fn shared() -> &'static S3Env {
    static GARAGE: OnceLock<S3Env> = OnceLock::new();
    GARAGE.get_or_init(|| {
        let names = [
            "S3_ENDPOINT",
            "S3_REGION",
            "S3_BUCKET",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
        ];
        let from_env: HashMap<String, String> = names
            .iter()
            .filter_map(|n| std::env::var(n).ok().map(|v| ((*n).to_owned(), v)))
            .collect();
        if from_env.len() == names.len() {
            return S3Env {
                vars: from_env,
                data_dir: PathBuf::new(),
            };
        }
        let dir = repo_root().join(".data/test/s3-upload-tests");
        std::fs::create_dir_all(&dir).expect("data dir");
        start_garage(&dir, test_port("TEST_S3_SHARED_PORT", 3920))
    })
}

/// A port for a store the tests start themselves: `var` when set (so that two checkouts can run
/// their tests side by side), else `default`.
pub fn test_port(var: &str, default: u16) -> u16 {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A running upload service and what a test needs to talk to it.
pub struct TestApp {
    pub base_url: String,
    /// `http://<METRICS_ADDR>/metrics` of the running service.
    pub metrics_url: String,
    pub db_url: String,
    pub pool: Pool,
    /// A client that does not follow redirects, to see the 302s.
    pub http: reqwest::Client,
    pub keys: TokenKeys,
    /// The bucket, through the service's own client, to look behind its back.
    pub storage: Storage,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        natter_db::drop_test_database(&self.db_url);
    }
}

/// Starts the service with the test defaults.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(shared(), |_| {}).await
}

/// Starts the service against `s3` after `tweak` adjusted its configuration.
pub async fn spawn_app_with(s3: &S3Env, tweak: impl FnOnce(&mut Config)) -> TestApp {
    let db_url = format!(
        "postgres://postgres@127.0.0.1:5432/natter_test_{}",
        uuid::Uuid::new_v4().simple()
    );
    let mut config = config_for(s3, &db_url);
    tweak(&mut config);
    let storage = Storage::connect(&config).await;
    let app = Application::build(config)
        .await
        .expect("upload service builds");
    let base_url = format!("http://{}", app.local_addr());
    let metrics_url = format!("http://{}/metrics", app.metrics_addr());
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    TestApp {
        base_url,
        metrics_url,
        pool: natter_db::connect_without_migrating(&db_url, 2)
            .await
            .expect("pool"),
        db_url,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        keys: TokenKeys::new(TOKEN_SECRET.as_bytes(), Duration::from_secs(600)),
        storage,
        stop: Some(stop),
    }
}

fn config_for(s3: &S3Env, db_url: &str) -> Config {
    use clap::Parser;
    let mut config = Config::parse_from(["natter-upload"]);
    config.addr = "127.0.0.1:0".parse().expect("addr");
    config.metrics_addr = "127.0.0.1:0".parse().expect("addr");
    config.database.url = db_url.to_owned();
    config.secrets = natter_common::settings::SecretArgs::with_secret(TOKEN_SECRET);
    config.s3_endpoint = s3.vars["S3_ENDPOINT"].clone();
    config.s3_region = s3.vars["S3_REGION"].clone();
    config.s3_bucket = s3.vars["S3_BUCKET"].clone();
    config.s3_force_path_style = true;
    config.s3_access_key_id = Some(s3.vars["AWS_ACCESS_KEY_ID"].clone());
    config.s3_secret_access_key = Some(s3.vars["AWS_SECRET_ACCESS_KEY"].clone());
    config
}

impl TestApp {
    /// Creates a user straight in the database and returns its id and a token.
    pub async fn user(&self, name: &str) -> (i64, String) {
        let client = self.pool.get().await.expect("db");
        let id: i64 = client
            .query_one(
                "insert into users (username, nickname, password_hash) values ($1, $1, '!') returning id",
                &[&name],
            )
            .await
            .expect("user row")
            .get(0);
        (id, self.keys.issue(id, name))
    }

    /// Uploads `bytes` as multipart field `file` declared as `mime`; returns status and JSON.
    pub async fn upload(&self, token: &str, bytes: Vec<u8>, mime: &str) -> (u16, Value) {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name("upload.bin")
            .mime_str(mime)
            .expect("mime");
        let form = reqwest::multipart::Form::new().part("file", part);
        let response = self
            .http
            .post(format!("{}/api/v1/media", self.base_url))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .expect("sent");
        json_answer(response).await
    }

    /// POSTs JSON with a token; returns status and JSON.
    pub async fn post(&self, path: &str, token: &str, body: &Value) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.base_url))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("sent");
        json_answer(response).await
    }

    /// Follows `/media/...` for `token`: the status, and the bytes behind the redirect (if 302).
    pub async fn fetch_media(&self, path: &str, token: &str) -> (u16, Option<Vec<u8>>) {
        let response = self
            .http
            .get(format!("{}{path}?token={token}", self.base_url))
            .send()
            .await
            .expect("sent");
        let status = response.status().as_u16();
        if status != 302 {
            return (status, None);
        }
        let location = response.headers()["location"]
            .to_str()
            .expect("location")
            .to_owned();
        let object = reqwest::get(&location).await.expect("presigned GET");
        assert!(
            object.status().is_success(),
            "presigned GET answered {}",
            object.status()
        );
        (status, Some(object.bytes().await.expect("object").to_vec()))
    }
}

pub async fn json_answer(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}
