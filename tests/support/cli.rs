//! Running the real binary from integration tests, in a directory of the
//! test's own, with a fingerprint key there and no credentials from the
//! environment of whoever runs the tests.

use std::path::Path;
use std::process::{Command, Output};

/// `withhold ARGS` in `dir`, its key file `dir/key`.
pub fn withhold(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_withhold"))
        .args(args)
        .current_dir(dir)
        .env("WITHHOLD_KEY_FILE", dir.join("key"))
        .env_remove("ATLASSIAN_API_TOKEN")
        .env_remove("ATLASSIAN_EMAIL")
        .output()
        .expect("the binary runs")
}
