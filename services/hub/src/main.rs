//! `natter-hub`: reads the configuration, starts logging and runs the hub until Ctrl-C or SIGTERM.

use clap::Parser;
use natter_hub::{Application, Config};

/// mimalloc: the hub allocates many small, short-lived buffers across threads (frames, queue
/// entries), where it spends less CPU than glibc's malloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    natter_common::telemetry::init_logging("natter_hub=info,tower_http=info,info");
    let config = Config::parse();
    let app = Application::build(config).await?;
    tracing::info!(addr = %app.local_addr(), metrics = %app.metrics_addr(), "hub listening");
    app.run_until_stopped(natter_common::shutdown::signal())
        .await?;
    Ok(())
}
