//! Writes the bundled demo site into `fixtures/demo/`.
//!
//! The generator lives in `tests/support/demo_gen.rs` so that the fixture test
//! can regenerate the files in memory and compare them with what is committed.
//! Run `cargo run --example gen_demo` after changing the generator.

#[path = "../tests/support/demo_gen.rs"]
mod demo_gen;

use std::path::Path;

fn main() -> std::io::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
    let files = demo_gen::generate();
    for (rel, contents) in &files {
        let path = root.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&path, contents)?;
    }
    let bytes: usize = files.iter().map(|(_, c)| c.len()).sum();
    println!(
        "wrote {} files ({} bytes) to {}",
        files.len(),
        bytes,
        root.display()
    );
    Ok(())
}
