//! `withhold scan --demo --reveal` against the demo generator's own truth
//! file: every planted value is found with the right entity in the right
//! place, no look-alike is reported, and clean containers stay clean.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn scan_demo(dir: &Path) -> Vec<Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_withhold"))
        .args(["scan", "--demo", "--reveal", "--quiet", "--out"])
        .arg(dir.join("out"))
        .env("WITHHOLD_KEY_FILE", dir.join("key"))
        .output()
        .expect("the binary runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(dir.join("out/findings.jsonl"))
        .expect("findings.jsonl written")
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

fn truth() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo/truth.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("truth.json exists"))
        .expect("truth.json parses")
}

fn same_place(f: &Value, t: &Value) -> bool {
    f["container_key"] == t["container_key"]
        && f["item_id"] == t["item_id"]
        && f["field"] == t["field"]
        && (t.get("comment_id").is_none_or(Value::is_null) || f["comment_id"] == t["comment_id"])
}

#[test]
fn demo_scan_finds_every_planted_value_and_no_lookalike() {
    let dir = tempfile::tempdir().unwrap();
    let findings = scan_demo(dir.path());
    let truth = truth();

    let mut missed = Vec::new();
    let planted = truth["planted"].as_array().expect("planted list");
    assert!(!planted.is_empty());
    for p in planted {
        let value = p["value"].as_str().unwrap_or_default();
        let found = findings.iter().any(|f| {
            let m = f["match"].as_str().unwrap_or_default();
            // Term entities (a condition, a belief, a marking) report the key
            // term; the truth may hold a longer phrase around it.
            let term = f["category"] == "special_category"
                || f["category"] == "export_control"
                || f["entity"] == "HEALTH_CONDITION";
            same_place(f, p)
                && f["entity"] == p["entity"]
                && (m == value
                    || (term && !m.is_empty() && (value.contains(m) || m.contains(value)))
                    || (p["entity"] == "CLIENT_NAME" && f["masked"].as_str() == Some(value)))
        });
        if !found {
            let there: Vec<String> = findings
                .iter()
                .filter(|f| same_place(f, p))
                .map(|f| format!("{}={}", f["entity"], f["match"]))
                .collect();
            missed.push(format!(
                "{} {:?} in {}/{} {}: found there {:?}",
                p["entity"], value, p["container_key"], p["item_id"], p["field"], there
            ));
        }
    }

    let mut false_hits = Vec::new();
    for l in truth["lookalikes"].as_array().expect("lookalike list") {
        let text = l["text"].as_str().unwrap_or_default();
        for f in findings.iter().filter(|f| same_place(f, l)) {
            let m = f["match"].as_str().unwrap_or_default();
            if !m.is_empty() && (text.contains(m) || m.contains(text)) {
                false_hits.push(format!(
                    "{} {:?} reported as {} {:?}",
                    l["kind"], text, f["entity"], m
                ));
            }
        }
    }

    let clean: Vec<&Value> = truth["containers"]
        .as_array()
        .expect("containers list")
        .iter()
        .filter(|c| c["intent"] == "clean")
        .collect();
    assert!(!clean.is_empty());
    for c in &clean {
        for f in findings
            .iter()
            .filter(|f| f["container_key"] == c["key"] && f["test_value"] != true)
        {
            false_hits.push(format!(
                "clean container {} has {} {:?} in {}",
                c["key"], f["entity"], f["match"], f["item_id"]
            ));
        }
    }
    assert!(
        missed.is_empty() && false_hits.is_empty(),
        "missed:\n{}\nfalse hits:\n{}",
        missed.join("\n"),
        false_hits.join("\n")
    );

    // Every entity of the truth file is covered, one by one.
    let mut entities: Vec<&str> = planted
        .iter()
        .filter_map(|p| p["entity"].as_str())
        .collect();
    entities.sort();
    entities.dedup();
    assert!(
        entities.len() >= 40,
        "truth covers only {} entities",
        entities.len()
    );
}
