//! `natter-upload`: reads the configuration, starts logging and serves until Ctrl-C or SIGTERM.

use clap::Parser;
use natter_upload::{Application, Config, memory};

fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    // Before the runtime starts its threads.
    let tuned = memory::return_large_buffers(config.mmap_threshold_bytes);
    tokio::runtime::Runtime::new()?.block_on(serve(config, tuned))
}

async fn serve(config: Config, mmap_threshold_set: bool) -> anyhow::Result<()> {
    natter_common::telemetry::init_logging("natter_upload=info,tower_http=info,info");
    tracing::info!(
        bytes = config.mmap_threshold_bytes,
        applied = mmap_threshold_set,
        "mmap threshold for large buffers"
    );
    let app = Application::build(config).await?;
    tracing::info!(addr = %app.local_addr(), metrics = %app.metrics_addr(), "upload service listening");
    app.run_until_stopped(natter_common::shutdown::signal())
        .await
}
