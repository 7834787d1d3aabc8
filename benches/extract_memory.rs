//! Peak memory of extracting one large ADF document (not a timing bench).
//!
//! Writes a generated ADF document of about `MIB` MiB (default 50) to a temp
//! file piece by piece, reads it back into one `String` as the file source
//! does, extracts it, and prints the process's peak resident set (Linux
//! `VmHWM`) next to the document's size. `--tree` measures the other path:
//! parse into a `serde_json::Value` first, then walk the tree.
//!
//! ```text
//! cargo bench --bench extract_memory -- 50
//! cargo bench --bench extract_memory -- 50 --tree
//! ```

use std::io::Write;
use withhold::text::{adf_to_text_limited, adf_value_to_text, deep_json};

/// One block of a realistic page: a heading, a paragraph with marks, a
/// mention and a link, a two-row table and a nested list.
fn block(i: usize) -> String {
    format!(
        concat!(
            r#"{{"type":"heading","attrs":{{"level":2}},"content":[{{"type":"text","text":"Section {i}"}}]}},"#,
            r#"{{"type":"paragraph","content":[{{"type":"text","text":"Customer "}},{{"type":"text","text":"account {i}","marks":[{{"type":"strong"}}]}},"#,
            r#"{{"type":"text","text":" was reviewed by "}},{{"type":"mention","attrs":{{"id":"557058:{i}","text":"@Ann Lee"}}}},"#,
            r#"{{"type":"text","text":" see the ticket","marks":[{{"type":"link","attrs":{{"href":"https://support.example.com/t/{i}"}}}}]}}]}},"#,
            r#"{{"type":"table","content":[{{"type":"tableRow","content":[{{"type":"tableHeader","content":[{{"type":"paragraph","content":[{{"type":"text","text":"Name"}}]}}]}},"#,
            r#"{{"type":"tableHeader","content":[{{"type":"paragraph","content":[{{"type":"text","text":"Phone"}}]}}]}}]}},"#,
            r#"{{"type":"tableRow","content":[{{"type":"tableCell","content":[{{"type":"paragraph","content":[{{"type":"text","text":"Ann Lee"}}]}}]}},"#,
            r#"{{"type":"tableCell","content":[{{"type":"paragraph","content":[{{"type":"text","text":"+44 20 7946 {i:04}"}}]}}]}}]}}]}},"#,
            r#"{{"type":"bulletList","content":[{{"type":"listItem","content":[{{"type":"paragraph","content":[{{"type":"text","text":"first point of {i}"}}]}},"#,
            r#"{{"type":"bulletList","content":[{{"type":"listItem","content":[{{"type":"paragraph","content":[{{"type":"text","text":"nested point"}}]}}]}}]}}]}}]}}"#
        ),
        i = i
    )
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mib: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(50);
    let tree = args.iter().any(|a| a == "--tree");
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("doc.json");
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
        out.write_all(br#"{"version":1,"type":"doc","content":["#)?;
        let (mut written, mut i) = (0, 0);
        while written < mib << 20 {
            let b = block(i);
            if i > 0 {
                out.write_all(b",")?;
            }
            out.write_all(b.as_bytes())?;
            written += b.len() + 1;
            i += 1;
        }
        out.write_all(b"]}")?;
    }
    let before = peak_rss_kib().unwrap_or(0);
    let json = std::fs::read_to_string(&path)?;
    let size = json.len();
    let started = std::time::Instant::now();
    let text_len = if tree {
        let v = deep_json::parse_str(&json).map_err(std::io::Error::other)?;
        let r = adf_value_to_text(&v);
        deep_json::dismantle(v);
        r.text.len()
    } else {
        let r = adf_to_text_limited(&json, usize::MAX);
        assert!(r.failed.is_none(), "{:?}", r.failed);
        r.text.len()
    };
    let elapsed = started.elapsed();
    drop(json);
    let peak = peak_rss_kib().unwrap_or(0);
    println!(
        "path={} document={:.1} MiB text={:.1} MiB peak_rss={:.1} MiB ({:.2}x the document; {:.1} MiB before reading) time={:.2}s",
        if tree { "tree" } else { "stream" },
        size as f64 / 1048576.0,
        text_len as f64 / 1048576.0,
        peak as f64 / 1024.0,
        (peak * 1024) as f64 / size as f64,
        before as f64 / 1024.0,
        elapsed.as_secs_f64()
    );
    Ok(())
}
