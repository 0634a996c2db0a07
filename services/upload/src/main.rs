//! `natter-upload`: reads the configuration, starts logging and serves until Ctrl-C or SIGTERM.

use clap::Parser;
use natter_upload::{Application, Config};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    natter_common::telemetry::init_logging("natter_upload=info,tower_http=info,info");
    let app = Application::build(Config::parse()).await?;
    tracing::info!(addr = %app.local_addr(), "upload service listening");
    app.run_until_stopped(natter_common::shutdown::signal())
        .await
}
