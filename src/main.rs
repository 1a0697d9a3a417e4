//! `lora-space-bot`: parse the command line, hand over to [`lora_space_bot::cli`].

/// jemalloc returns freed pages to the system (dirty/muzzy decay, purged by its background
/// thread), where glibc's malloc kept a connection flood's memory for the process's lifetime
/// (bench/flood.sh: 15 → 219 → 215 MiB).
#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    // Purge decayed pages from a background thread, so memory returns also while idle.
    let _ = tikv_jemalloc_ctl::background_thread::write(true);
    let cli = <lora_space_bot::cli::Cli as clap::Parser>::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(lora_space_bot::cli::run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
