//! The README documents the ranking policy's defaults and the exclusion list's
//! header; these tests keep what it says equal to what the code does.

use withhold::rank::policy::Policy;
use withhold::report::exclusions::HEADER;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md")
}

/// The fenced block of `lang` that follows `marker`.
fn block_after(text: &str, marker: &str, lang: &str) -> String {
    let at = text
        .find(marker)
        .unwrap_or_else(|| panic!("README has {marker:?}"));
    let fence = format!("```{lang}\n");
    let start = at + text[at..].find(&fence).expect("a fenced block") + fence.len();
    let end = start + text[start..].find("```").expect("the block ends");
    text[start..end].to_string()
}

#[test]
fn the_documented_policy_is_the_default_policy() {
    let toml = block_after(&readme(), "The policy file (`--policy FILE`", "toml");
    let documented = Policy::from_toml("README.md", &toml).expect("the README's policy loads");
    let json = |p: &Policy| serde_json::to_value(p).expect("serialises");
    assert_eq!(json(&documented), json(&Policy::default()));
}

#[test]
fn the_documented_header_is_the_written_header() {
    let header = HEADER.join(",");
    assert!(
        readme().contains(&format!("`{header}`")),
        "README must document the header {header}"
    );
}
