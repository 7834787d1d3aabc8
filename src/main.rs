//! The `withhold` binary: parse arguments, run the library, set the exit code.

use clap::Parser;

// A long crawl frees what each page's answer took while other threads keep
// allocating: glibc's per-thread arenas keep those pages resident (a
// 200,000-item crawl held twice its live heap). mimalloc returns them.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() {
    let cli = withhold::cli::Cli::parse();
    let code = match withhold::cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("withhold: {e:#}");
            e.exit_code()
        }
    };
    std::process::exit(code);
}
