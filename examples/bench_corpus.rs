//! Write the benchmark corpus and client list to a directory, so that other
//! tools (ripgrep) can be measured on exactly what `cargo bench` scans.
//!
//! `cargo run --release --example bench_corpus -- DIR [MEGABYTES]`

#[path = "../benches/support/corpus.rs"]
mod corpus;

use std::io::Write;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().unwrap_or_else(|| "target/bench-corpus".into()));
    let mb: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(64);
    std::fs::create_dir_all(&dir)?;
    let clients = corpus::client_names(10_000);
    let docs = corpus::documents(mb << 20, &clients);
    let mut out = std::io::BufWriter::new(std::fs::File::create(dir.join("corpus.txt"))?);
    for d in &docs {
        out.write_all(d.as_bytes())?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    std::fs::write(dir.join("clients.csv"), corpus::clients_csv(10_000))?;
    eprintln!("wrote {} documents to {}", docs.len(), dir.display());
    Ok(())
}
