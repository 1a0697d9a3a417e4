//! Runs the Hub simulator standalone (until the `sim` subcommand is wired):
//! `cargo run --example sim -- --listen 127.0.0.1:0 --token hf_x`.

use clap::Parser;
use lora_space_bot::sim::cli::{SimArgs, run};
use tokio_util::sync::CancellationToken;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    sim: SimArgs,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cli = Cli::parse();
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        stop.cancel();
    });
    run(cli.sim, shutdown).await?;
    Ok(())
}
