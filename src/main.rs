//! The `withhold` binary: parse arguments, run the library, set the exit code.

use clap::Parser;

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
