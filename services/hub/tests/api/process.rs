//! The hub as a separate process (the real binary), for what an in-process test cannot see: the
//! log it writes and the memory it takes.

use std::{
    net::SocketAddr,
    process::Stdio,
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
    sync::{Notify, oneshot},
};

/// A running `natter-hub` binary on its own database, killed (and its database dropped) on drop.
pub struct HubProcess {
    child: Child,
    pub base_url: String,
    pub db_url: String,
    lines: Arc<Lines>,
}

/// What the process printed, and a signal for each new line.
#[derive(Default)]
struct Lines {
    all: Mutex<Vec<String>>,
    added: Notify,
}

impl HubProcess {
    /// Starts the binary with JSON logs and `env` on top of the test defaults; returns once it
    /// has logged that it listens.
    pub async fn start(env: &[(&str, &str)]) -> Self {
        let db_url = format!(
            "postgres://postgres@127.0.0.1:5432/natter_test_{}",
            uuid::Uuid::new_v4().simple()
        );
        let mut command = Command::new(env!("CARGO_BIN_EXE_natter-hub"));
        command
            .env_clear()
            .env("DATABASE_URL", &db_url)
            .env("TOKEN_SECRET", "natter-hub-process-test-secret-32-bytes")
            .env("HUB_ADDR", "127.0.0.1:0")
            .env("METRICS_ADDR", "127.0.0.1:0")
            .env("LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        let mut child = command.spawn().expect("natter-hub starts");
        let stdout = child.stdout.take().expect("stdout");
        let lines = Arc::new(Lines::default());
        let (listening, addr) = oneshot::channel();
        tokio::spawn(collect(stdout, lines.clone(), listening));
        let addr = tokio::time::timeout(Duration::from_secs(60), addr)
            .await
            .expect("the hub listens within 60 s")
            .expect("the hub logged its address");
        Self {
            child,
            base_url: format!("http://{addr}"),
            db_url,
            lines,
        }
    }

    /// Everything the process logged so far.
    pub fn log(&self) -> String {
        self.lines.all.lock().expect("lines").join("\n")
    }

    /// Waits until a logged line contains `text`; false if none does within `timeout`.
    pub async fn wait_for_log(&self, text: &str, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let added = self.lines.added.notified();
            if self.log().contains(text) {
                return true;
            }
            if tokio::time::timeout_at(deadline, added).await.is_err() {
                return false;
            }
        }
    }

    /// The most memory the process has had resident, in KiB (`VmHWM`).
    pub fn peak_rss_kib(&self) -> u64 {
        let pid = self.child.id().expect("running");
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .expect("VmHWM")
    }
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        natter_db::drop_test_database(&self.db_url);
    }
}

/// Keeps every line; sends the address of the "hub listening" line.
async fn collect(
    stdout: tokio::process::ChildStdout,
    lines: Arc<Lines>,
    listening: oneshot::Sender<SocketAddr>,
) {
    let mut listening = Some(listening);
    let mut reader = BufReader::new(stdout).lines();
    while let Ok(Some(line)) = reader.next_line().await {
        if let Some(addr) = listening_addr(&line)
            && let Some(tx) = listening.take()
        {
            let _ = tx.send(addr);
        }
        lines.all.lock().expect("lines").push(line);
        lines.added.notify_waiters();
    }
}

fn listening_addr(line: &str) -> Option<SocketAddr> {
    let value: serde_json::Value = serde_json::from_str(line).ok()?;
    if value["message"] != "hub listening" {
        return None;
    }
    value["addr"].as_str()?.parse().ok()
}
