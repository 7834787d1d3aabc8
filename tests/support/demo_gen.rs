//! Deterministic generator for the bundled demo site in `fixtures/demo/`.
//!
//! The demo site is stored as the JSON the Atlassian APIs return, so that an
//! offline scan can read it directly and a fake HTTP server can serve it through
//! the real API paths. Everything is derived from one hand-written splitmix64
//! PRNG with a fixed seed and from hand-written check-digit code, so the output
//! is byte-identical on every machine and with every crate version (JSON keys
//! are re-inserted in sorted order before printing, so serde_json's
//! `preserve_order` feature cannot change the bytes either).
//!
//! `truth.json` records every planted value (where it is and what entity it is),
//! the look-alikes that must *not* be reported, and the intent of each
//! container, so that end-to-end tests can measure recall, precision and ranking.
//! The truth is exhaustive for the sensitive and contractual containers: every
//! detectable value written into them goes through [`Gen::plant`].
//!
//! This file is included with `#[path]` by `examples/gen_demo.rs` (which writes
//! the files) and `tests/demo_fixtures.rs` (which checks them), so it may use
//! only `std` and `serde_json`.
#![allow(dead_code)]

use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

pub const SITE_NAME: &str = "Acme Demo";
pub const BASE_URL: &str = "https://acme-demo.atlassian.net";
pub const CLOUD_ID: &str = "5f0c3a8e-2d41-4b6f-9e57-a1c2d3e4f5a6";
const SEED: u64 = 0x5EED_2026_0817_D3A0;

/// Returns `(path relative to fixtures/demo, file contents)` for every fixture file.
pub fn generate() -> Vec<(String, String)> {
    let mut g = Gen::new();
    g.confluence();
    g.jira();
    g.files()
}

// ---------------------------------------------------------------------------
// PRNG: splitmix64, written out so no crate version can change the sequence.

pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform-enough in `0..n`; the modulo bias is irrelevant for fixtures.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// In `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    pub fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }

    pub fn pick_from(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n)
            .map(|_| char::from(alphabet[self.below(alphabet.len() as u64) as usize]))
            .collect()
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }

    pub fn uuid(&mut self) -> String {
        let h = |r: &mut Rng, n: usize| r.pick_from(HEX, n);
        let a = h(self, 8);
        let b = h(self, 4);
        let c = h(self, 3);
        let d = h(self, 3);
        let e = h(self, 12);
        let variant = char::from(b"89ab"[self.below(4) as usize]);
        format!("{a}-{b}-4{c}-{variant}{d}-{e}")
    }
}

const HEX: &[u8] = b"0123456789abcdef";
const UPPER_DIGITS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// ---------------------------------------------------------------------------
// Check digits (detection-notes.md §7). Public so the fixture test can verify
// them against published known-good values.

fn digit_values(s: &str) -> Vec<u32> {
    s.chars().filter_map(|c| c.to_digit(10)).collect()
}

/// The Luhn digit to append to `payload`.
pub fn luhn_check_digit(payload: &str) -> u32 {
    let sum: u32 = digit_values(payload)
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    (10 - sum % 10) % 10
}

/// Luhn over all digits of `s` (separators ignored).
pub fn luhn_valid(s: &str) -> bool {
    let d = digit_values(s);
    let (body, last) = d.split_at(d.len() - 1);
    let payload: String = body.iter().map(|x| char::from(b'0' + *x as u8)).collect();
    luhn_check_digit(&payload) == last[0]
}

/// Alphanumeric string mod 97 with A=10 … Z=35 (ISO 13616).
pub fn mod97(s: &str) -> u32 {
    s.chars().fold(0u32, |r, c| {
        if let Some(d) = c.to_digit(10) {
            (r * 10 + d) % 97
        } else {
            let v = c.to_ascii_uppercase() as u32 - 'A' as u32 + 10;
            (r * 100 + v) % 97
        }
    })
}

pub fn iban_make(country: &str, bban: &str) -> String {
    let check = 98 - mod97(&format!("{bban}{country}00"));
    format!("{country}{check:02}{bban}")
}

pub fn iban_valid(s: &str) -> bool {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    s.len() > 4 && mod97(&format!("{}{}", &s[4..], &s[..4])) == 1
}

/// Groups of four, the way IBANs are printed.
pub fn group4(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn aba_valid(s: &str) -> bool {
    let d = digit_values(s);
    d.len() == 9
        && (3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + d[2] + d[5] + d[8])
            .is_multiple_of(10)
}

/// NHS mod-11 check digit for nine digits; `None` when the check would be 10 (unissued).
pub fn nhs_check(nine: &str) -> Option<u32> {
    let sum: u32 = digit_values(nine)
        .iter()
        .zip((2..=10).rev())
        .map(|(d, w)| d * w)
        .sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        c => Some(c),
    }
}

/// German Steuer-ID check digit (ISO 7064 MOD 11,10) over the first ten digits.
pub fn steuer_check(ten: &str) -> u32 {
    let mut p = 10;
    for d in digit_values(ten) {
        let mut s = (d + p) % 10;
        if s == 0 {
            s = 10;
        }
        p = (2 * s) % 11;
    }
    let c = 11 - p;
    if c == 10 {
        0
    } else {
        c
    }
}

/// Dutch BSN 11-proef.
pub fn bsn_valid(s: &str) -> bool {
    let d = digit_values(s);
    if d.len() != 9 {
        return false;
    }
    let sum: i64 = (0..8).map(|i| (9 - i as i64) * d[i] as i64).sum::<i64>() - d[8] as i64;
    sum % 11 == 0
}

pub fn dni_letter(n: u32) -> char {
    char::from(b"TRWAGMYFPDXBNJZSQVHLCKE"[(n % 23) as usize])
}

/// Spanish DNI (8 digits + letter) or NIE (X/Y/Z + 7 digits + letter).
pub fn es_id_valid(s: &str) -> bool {
    let s = s.to_ascii_uppercase();
    let (num, letter) = s.split_at(s.len() - 1);
    let num = num
        .replacen('X', "0", 1)
        .replacen('Y', "1", 1)
        .replacen('Z', "2", 1);
    num.parse::<u32>()
        .map(|n| letter.starts_with(dni_letter(n)))
        .unwrap_or(false)
}

/// French NIR key over the first 13 characters (Corsica 2A/2B handled).
pub fn nir_key(thirteen: &str) -> u64 {
    let t = thirteen.to_ascii_uppercase();
    let n: u64 = if t[5..7] == *"2A" {
        t.replacen("2A", "19", 1).parse::<u64>().unwrap()
    } else if t[5..7] == *"2B" {
        t.replacen("2B", "18", 1).parse::<u64>().unwrap()
    } else {
        t.parse::<u64>().unwrap()
    };
    97 - n % 97
}

pub fn nir_valid(s: &str) -> bool {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    s.len() == 15 && nir_key(&s[..13]) == s[13..].parse::<u64>().unwrap_or(0)
}

/// Italian codice fiscale check letter over the first 15 characters.
pub fn cf_check(fifteen: &str) -> char {
    const ODD: [u32; 26] = [
        1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24,
        23,
    ];
    let sum: u32 = fifteen
        .chars()
        .enumerate()
        .map(|(i, c)| {
            let idx = match c.to_digit(10) {
                Some(d) => d,
                None => c.to_ascii_uppercase() as u32 - 'A' as u32,
            };
            // Positions are 1-based in the specification: index 0 is "odd".
            if i % 2 == 0 {
                ODD[idx as usize]
            } else {
                idx
            }
        })
        .sum();
    char::from(b'A' + (sum % 26) as u8)
}

/// US NPI check digit: Luhn over "80840" + the nine digits.
pub fn npi_check(nine: &str) -> u32 {
    luhn_check_digit(&format!("80840{nine}"))
}

/// DEA check digit over the six digits after the two letters.
pub fn dea_check(six: &str) -> u32 {
    let d = digit_values(six);
    (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10
}

pub fn ssn_valid(s: &str) -> bool {
    let d: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
    if d.len() != 9 {
        return false;
    }
    let area: u32 = d[..3].parse().unwrap();
    let group: u32 = d[3..5].parse().unwrap();
    let serial: u32 = d[5..].parse().unwrap();
    area != 0
        && area != 666
        && area < 900
        && group != 0
        && serial != 0
        && !["078051120", "219099999", "123456789"].contains(&d.as_str())
}

fn base64(bytes: &[u8], alphabet: &[u8], pad: bool) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(alphabet[((n >> (18 - 6 * i)) & 63) as usize]));
        }
        if pad {
            for _ in chunk.len()..3 {
                out.push('=');
            }
        }
    }
    out
}

pub fn base64url(bytes: &[u8]) -> String {
    base64(bytes, B64URL, false)
}

// ---------------------------------------------------------------------------
// Dates. Everything happens in 2026; day 0 is 1 January 2026.

/// (year, month, day) from days since 1970-01-01 (Howard Hinnant's civil_from_days).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// A moment: day of 2026 and minute of that day.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct When {
    day: u32,
    minute: u32,
}

impl When {
    fn parts(self) -> (i64, u32, u32, u32, u32) {
        let (y, m, d) = civil(20_454 + i64::from(self.day));
        (y, m, d, self.minute / 60, self.minute % 60)
    }
    fn confluence(self) -> String {
        let (y, m, d, h, mi) = self.parts();
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:00.000Z")
    }
    fn jira(self) -> String {
        let (y, m, d, h, mi) = self.parts();
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:00.000+0000")
    }
    fn later(self, rng: &mut Rng, max_minutes: u64) -> When {
        let total = u64::from(self.day) * 1440 + u64::from(self.minute) + rng.range(7, max_minutes);
        When {
            day: (total / 1440) as u32,
            minute: (total % 1440) as u32,
        }
    }
}

// ---------------------------------------------------------------------------
// Confluence storage format helpers. Text arguments are plain text and are
// escaped here; arguments named `html` are already storage markup.

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn p(s: &str) -> String {
    format!("<p>{}</p>", esc(s))
}

fn p_html(html: &str) -> String {
    format!("<p>{html}</p>")
}

fn h(level: u8, s: &str) -> String {
    format!("<h{level}>{}</h{level}>", esc(s))
}

fn ul(items: &[&str]) -> String {
    let li: String = items
        .iter()
        .map(|i| format!("<li><p>{}</p></li>", esc(i)))
        .collect();
    format!("<ul>{li}</ul>")
}

fn ul_html(items: &[String]) -> String {
    let li: String = items
        .iter()
        .map(|i| format!("<li><p>{i}</p></li>"))
        .collect();
    format!("<ul>{li}</ul>")
}

fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let th: String = headers
        .iter()
        .map(|c| format!("<th><p><strong>{}</strong></p></th>", esc(c)))
        .collect();
    let trs: String = rows
        .iter()
        .map(|r| {
            let tds: String = r
                .iter()
                .map(|c| format!("<td><p>{}</p></td>", esc(c)))
                .collect();
            format!("<tr>{tds}</tr>")
        })
        .collect();
    format!("<table data-layout=\"default\"><tbody><tr>{th}</tr>{trs}</tbody></table>")
}

fn mention(account_id: &str) -> String {
    format!("<ac:link><ri:user ri:account-id=\"{account_id}\" /></ac:link>")
}

fn page_link(space: &str, title: &str) -> String {
    format!(
        "<ac:link><ri:page ri:space-key=\"{space}\" ri:content-title=\"{}\" /></ac:link>",
        esc(title)
    )
}

// ---------------------------------------------------------------------------
// Atlassian Document Format helpers.

fn doc(content: Vec<Value>) -> Value {
    json!({"type": "doc", "version": 1, "content": content})
}

fn t(s: &str) -> Value {
    json!({"type": "text", "text": s})
}

fn tm(s: &str, marks: &[&str]) -> Value {
    let marks: Vec<Value> = marks.iter().map(|m| json!({"type": m})).collect();
    json!({"type": "text", "text": s, "marks": marks})
}

fn para(content: Vec<Value>) -> Value {
    json!({"type": "paragraph", "content": content})
}

fn pt(s: &str) -> Value {
    para(vec![t(s)])
}

fn heading(level: u8, s: &str) -> Value {
    json!({"type": "heading", "attrs": {"level": level}, "content": [t(s)]})
}

fn code_block(language: &str, s: &str) -> Value {
    json!({"type": "codeBlock", "attrs": {"language": language}, "content": [t(s)]})
}

fn bullets(items: &[&str]) -> Value {
    let items: Vec<Value> = items
        .iter()
        .map(|i| json!({"type": "listItem", "content": [pt(i)]}))
        .collect();
    json!({"type": "bulletList", "content": items})
}

fn adf_mention(user: &User) -> Value {
    json!({"type": "mention", "attrs": {"id": user.id, "text": format!("@{}", user.name), "accessLevel": ""}})
}

fn adf_table(headers: &[&str], rows: &[Vec<String>]) -> Value {
    let cell = |kind: &str, s: &str| json!({"type": kind, "attrs": {}, "content": [pt(s)]});
    let mut trs = vec![
        json!({"type": "tableRow", "content": headers.iter().map(|h| cell("tableHeader", h)).collect::<Vec<_>>()}),
    ];
    for r in rows {
        trs.push(json!({"type": "tableRow", "content": r.iter().map(|c| cell("tableCell", c)).collect::<Vec<_>>()}));
    }
    json!({"type": "table", "attrs": {"isNumberColumnEnabled": false, "layout": "default"}, "content": trs})
}

fn adf_panel(kind: &str, content: Vec<Value>) -> Value {
    json!({"type": "panel", "attrs": {"panelType": kind}, "content": content})
}

fn adf_paras(texts: &[&str]) -> Vec<Value> {
    texts.iter().map(|s| pt(s)).collect()
}

// ---------------------------------------------------------------------------
// The site model.

#[derive(Clone)]
pub struct User {
    pub id: String,
    pub name: &'static str,
}

/// Where a value sits: the truth coordinates of one field of one item.
#[derive(Clone)]
struct Loc {
    product: &'static str,
    container: String,
    item: String,
    field: &'static str,
    comment: Option<String>,
    /// For Jira custom fields, which one (the truth `field` stays `body`).
    jira_field: Option<&'static str>,
}

impl Loc {
    fn field(&self, field: &'static str) -> Loc {
        Loc {
            field,
            comment: None,
            jira_field: None,
            ..self.clone()
        }
    }
    fn comment(&self, id: &str) -> Loc {
        Loc {
            field: "comment",
            comment: Some(id.to_string()),
            jira_field: None,
            ..self.clone()
        }
    }
    fn custom(&self, jira_field: &'static str) -> Loc {
        Loc {
            field: "body",
            comment: None,
            jira_field: Some(jira_field),
            ..self.clone()
        }
    }
}

#[derive(Clone)]
struct Space {
    id: String,
    key: String,
    name: String,
    homepage: String,
}

#[derive(Clone)]
struct Project {
    id: String,
    key: String,
    name: String,
    type_key: &'static str,
    next_number: u32,
}

/// A Confluence page or blog post the comments hang off.
#[derive(Clone)]
struct Content {
    id: String,
    title: String,
    webui: String,
    is_blog: bool,
    loc: Loc,
    created: When,
}

pub const CLIENTS: &[(&str, &[&str], bool)] = &[
    ("Northwind Traders", &["Northwind"], false),
    ("Contoso", &["Contoso Ltd"], false),
    ("Globex Corporation", &["Globex"], false),
    ("Initech", &[], false),
    ("Umbrella Health", &["Umbrella Health Group"], false),
    ("Wayne Enterprises", &[], false),
    ("Stark Industries", &[], false),
    ("Tyrell Corp", &["Tyrell Corporation"], false),
    ("Soylent", &["Soylent Inc"], false),
    ("Cyberdyne Systems", &["Cyberdyne"], false),
    ("Summit", &[], true),
    ("Beacon", &[], true),
];

struct Gen {
    rng: Rng,
    users: Vec<User>,
    customers: Vec<User>,
    next_content: u64,
    next_issue: u64,
    next_jira_comment: u64,
    spaces: Vec<Value>,
    pages: Vec<Value>,
    blogposts: Vec<Value>,
    footer: Vec<Value>,
    inline: Vec<Value>,
    hidden: Vec<String>,
    projects: Vec<Value>,
    issues: Vec<Value>,
    planted: Vec<Value>,
    lookalikes: Vec<Value>,
    containers: Vec<Value>,
    seen: BTreeSet<String>,
}

// Indexes into `users`, so content reads naturally.
const PRIYA: usize = 0;
const TOMASZ: usize = 1;
const HANNAH: usize = 2;
const LUIS: usize = 3;
const MEI: usize = 4;
const SAM: usize = 5;
const AISHA: usize = 6;
const JONAS: usize = 7;
const AMARA: usize = 8;

impl Gen {
    fn new() -> Gen {
        let mut rng = Rng::new(SEED);
        let names = [
            "Priya Raman",
            "Tomasz Nowak",
            "Hannah Okafor",
            "Luis Ortega",
            "Mei Chen",
            "Sam Whitfield",
            "Aisha Bello",
            "Jonas Becker",
            "Amara Nwosu",
        ];
        let users = names
            .iter()
            .map(|&name| User {
                id: format!("557058:{}", rng.uuid()),
                name,
            })
            .collect();
        let customers = [
            "Margaret Ellison",
            "Daniel Reyes",
            "Dr. Alan Whitmore",
            "Fatima Khan",
        ]
        .iter()
        .map(|&name| User {
            id: format!("712020:{}", rng.uuid()),
            name,
        })
        .collect();
        Gen {
            rng,
            users,
            customers,
            next_content: 1_081_345,
            next_issue: 10_001,
            next_jira_comment: 10_100,
            spaces: vec![],
            pages: vec![],
            blogposts: vec![],
            footer: vec![],
            inline: vec![],
            hidden: vec![],
            projects: vec![],
            issues: vec![],
            planted: vec![],
            lookalikes: vec![],
            containers: vec![],
            seen: BTreeSet::new(),
        }
    }

    fn u(&self, i: usize) -> String {
        self.users[i].id.clone()
    }

    // -- truth ---------------------------------------------------------------

    /// Records a planted value at `loc` and returns it for writing into the text.
    /// Repeats of the same value in the same field are recorded once.
    fn plant(&mut self, loc: &Loc, entity: &str, value: &str) -> String {
        let key = format!(
            "{}|{}|{}|{:?}|{:?}|{}|{}",
            loc.container, loc.item, loc.field, loc.comment, loc.jira_field, entity, value
        );
        if self.seen.insert(key) {
            let mut e = json!({
                "entity": entity,
                "value": value,
                "product": loc.product,
                "container_key": loc.container,
                "item_id": loc.item,
                "field": loc.field,
            });
            if let Some(c) = &loc.comment {
                e["comment_id"] = json!(c);
            }
            if let Some(f) = loc.jira_field {
                e["jira_field"] = json!(f);
            }
            self.planted.push(e);
        }
        value.to_string()
    }

    /// A client mention: the truth value is the canonical name, the text is as written.
    fn client(&mut self, loc: &Loc, canonical: &str, written: &str) -> String {
        self.plant(loc, "CLIENT_NAME", canonical);
        written.to_string()
    }

    /// Records a look-alike (must not be reported as any entity) and returns it.
    fn look(&mut self, loc: &Loc, kind: &str, text: &str) -> String {
        let mut e = json!({
            "text": text,
            "kind": kind,
            "product": loc.product,
            "container_key": loc.container,
            "item_id": loc.item,
            "field": loc.field,
        });
        if let Some(c) = &loc.comment {
            e["comment_id"] = json!(c);
        }
        self.lookalikes.push(e);
        text.to_string()
    }

    // -- value generators ----------------------------------------------------

    fn card_digits(&mut self, prefix: &str, len: usize) -> String {
        let body = format!("{prefix}{}", self.rng.digits(len - prefix.len() - 1));
        format!("{body}{}", luhn_check_digit(&body))
    }

    fn card(&mut self, prefix: &str) -> String {
        group4(&self.card_digits(prefix, 16))
    }

    fn amex(&mut self) -> String {
        let d = self.card_digits("37", 15);
        format!("{} {} {}", &d[..4], &d[4..10], &d[10..])
    }

    /// A Visa-shaped number whose Luhn digit is wrong.
    fn bad_card(&mut self) -> String {
        let d = self.card_digits("4", 16);
        let last = d.as_bytes()[15] - b'0';
        let wrong = (last + 1 + self.rng.below(8) as u8) % 10;
        group4(&format!("{}{}", &d[..15], wrong))
    }

    fn iban(&mut self, country: &str) -> String {
        let bban = match country {
            "DE" => self.rng.digits(18),
            "GB" => format!("NWBK{}{}", "601613", self.rng.digits(8)),
            "NL" => format!("INGB{}", self.rng.digits(10)),
            _ => unreachable!("no BBAN shape for {country}"),
        };
        group4(&iban_make(country, &bban))
    }

    fn bad_iban(&mut self) -> String {
        let good: String = self.iban("DE").replace(' ', "");
        let check: u32 = good[2..4].parse().unwrap();
        let wrong = if check >= 50 { check - 11 } else { check + 11 };
        group4(&format!("DE{wrong:02}{}", &good[4..]))
    }

    fn aba(&mut self) -> String {
        let prefixes = ["02", "03", "11", "12", "26", "31", "32"];
        let pre = prefixes[self.rng.below(prefixes.len() as u64) as usize];
        let s = format!("{pre}{}", self.rng.digits(6));
        let d = digit_values(&s);
        let partial = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + d[2] + d[5];
        format!("{s}{}", (10 - partial % 10) % 10)
    }

    fn ssn(&mut self) -> String {
        loop {
            let area = self.rng.range(1, 899);
            let s = format!(
                "{area:03}-{:02}-{:04}",
                self.rng.range(1, 99),
                self.rng.range(1, 9999)
            );
            if ssn_valid(&s) {
                return s;
            }
        }
    }

    fn itin(&mut self) -> String {
        format!(
            "9{}-{}-{}",
            self.rng.digits(2),
            self.rng.range(70, 79),
            self.rng.digits(4)
        )
    }

    fn passport(&mut self) -> String {
        format!("{}{}", self.rng.range(5, 6), self.rng.digits(8))
    }

    fn nino(&mut self, spaced: bool) -> String {
        const FIRST: &[u8] = b"ABCEGHJKLMNOPRSTWXYZ";
        const SECOND: &[u8] = b"ABCEGHJKLMNPRSTWXYZ";
        let prefix = loop {
            let pre = format!(
                "{}{}",
                self.rng.pick_from(FIRST, 1),
                self.rng.pick_from(SECOND, 1)
            );
            if !["BG", "GB", "KN", "NK", "NT", "TN", "ZZ"].contains(&pre.as_str()) {
                break pre;
            }
        };
        let d = self.rng.digits(6);
        let suffix = self.rng.pick_from(b"ABCD", 1);
        if spaced {
            format!("{prefix} {} {} {} {suffix}", &d[..2], &d[2..4], &d[4..])
        } else {
            format!("{prefix}{d}{suffix}")
        }
    }

    fn nhs(&mut self) -> String {
        loop {
            // Issued NHS numbers start 4–7 (England and Wales ranges).
            let nine = format!("{}{}", self.rng.range(4, 7), self.rng.digits(8));
            if let Some(c) = nhs_check(&nine) {
                return format!("{} {} {}{c}", &nine[..3], &nine[3..6], &nine[6..]);
            }
        }
    }

    fn steuer_id(&mut self) -> String {
        // Ten digits: nine distinct digits, one of them twice, first digit not 0.
        loop {
            let mut pool: Vec<u8> = (0..10).collect();
            for i in (1..pool.len()).rev() {
                let j = self.rng.below(i as u64 + 1) as usize;
                pool.swap(i, j);
            }
            pool.pop();
            let dup = pool[self.rng.below(9) as usize];
            pool.push(dup);
            for i in (1..pool.len()).rev() {
                let j = self.rng.below(i as u64 + 1) as usize;
                pool.swap(i, j);
            }
            if pool[0] == 0 {
                continue;
            }
            let ten: String = pool.iter().map(|d| char::from(b'0' + d)).collect();
            return format!("{ten}{}", steuer_check(&ten));
        }
    }

    fn bsn(&mut self) -> String {
        loop {
            let eight = format!("{}{}", self.rng.range(1, 6), self.rng.digits(7));
            let d = digit_values(&eight);
            let sum: u32 = (0..8).map(|i| (9 - i as u32) * d[i]).sum();
            let last = sum % 11;
            if last < 10 {
                return format!("{eight}{last}");
            }
        }
    }

    fn dni(&mut self) -> String {
        let n = self.rng.range(10_000_000, 79_999_999) as u32;
        format!("{n:08}{}", dni_letter(n))
    }

    fn nie(&mut self) -> String {
        let lead = self.rng.below(3) as u32;
        let n = self.rng.range(1_000_000, 9_999_999) as u32;
        let letter = dni_letter(lead * 10_000_000 + n);
        format!("{}{n:07}{letter}", ['X', 'Y', 'Z'][lead as usize])
    }

    fn nir(&mut self, sex: u32, yy: u32, mm: u32, dept: &str, spaced: bool) -> String {
        let commune = self.rng.range(1, 400);
        let order = self.rng.range(1, 999);
        let base = format!("{sex}{yy:02}{mm:02}{dept}{commune:03}{order:03}");
        let key = nir_key(&base);
        if spaced {
            format!("{sex} {yy:02} {mm:02} {dept} {commune:03} {order:03} {key:02}")
        } else {
            format!("{base}{key:02}")
        }
    }

    fn npi(&mut self) -> String {
        let nine = format!("1{}", self.rng.digits(8));
        format!("{nine}{}", npi_check(&nine))
    }

    fn dea(&mut self, kind: char, surname_initial: char) -> String {
        let six = self.rng.digits(6);
        format!("{kind}{surname_initial}{six}{}", dea_check(&six))
    }

    fn mbi(&mut self, dashed: bool) -> String {
        const L: &[u8] = b"ACDEFGHJKMNPQRTUVWXY";
        const AN: &[u8] = b"ACDEFGHJKMNPQRTUVWXY0123456789";
        let r = &mut self.rng;
        let s = format!(
            "{}{}{}{}{}{}{}{}{}{}{}",
            r.range(1, 9),
            r.pick_from(L, 1),
            r.pick_from(AN, 1),
            r.digits(1),
            r.pick_from(L, 1),
            r.pick_from(AN, 1),
            r.digits(1),
            r.pick_from(L, 1),
            r.pick_from(L, 1),
            r.digits(1),
            r.digits(1)
        );
        if dashed {
            format!("{}-{}-{}", &s[..4], &s[4..7], &s[7..])
        } else {
            s
        }
    }

    fn mrn(&mut self) -> String {
        format!("00{}", self.rng.digits(6))
    }

    fn account_number(&mut self, n: usize) -> String {
        format!("{}{}", self.rng.range(1, 9), self.rng.digits(n - 1))
    }

    fn aws_access_key(&mut self) -> String {
        format!(
            "AKIA{}",
            self.rng.pick_from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
        )
    }

    fn aws_secret(&mut self) -> String {
        self.rng.pick_from(B64, 40)
    }

    fn github_token(&mut self) -> String {
        format!("ghp_{}", self.rng.pick_from(ALNUM, 36))
    }

    fn slack_token(&mut self) -> String {
        let a = self.rng.range(10, 13) as usize;
        let b = self.rng.range(10, 13) as usize;
        format!(
            "xoxb-{}{}-{}{}-{}",
            self.rng.range(1, 9),
            self.rng.digits(a - 1),
            self.rng.range(1, 9),
            self.rng.digits(b - 1),
            self.rng.pick_from(ALNUM, 24)
        )
    }

    fn atlassian_token(&mut self) -> String {
        // Real tokens end in "=" and an 8-hex checksum; the body is base64url-ish.
        format!(
            "ATATT3{}={}",
            self.rng.pick_from(B64URL, 171),
            self.rng.pick_from(b"0123456789ABCDEF", 8)
        )
    }

    fn google_key(&mut self) -> String {
        format!("AIza{}", self.rng.pick_from(B64URL, 35))
    }

    fn stripe_key(&mut self) -> String {
        format!("sk_live_{}", self.rng.pick_from(ALNUM, 24))
    }

    fn jwt(&mut self, sub: &str, role: &str, iat: u64) -> String {
        let header = base64url(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = base64url(
            format!(
                r#"{{"sub":"{sub}","role":"{role}","iat":{iat},"exp":{}}}"#,
                iat + 86_400
            )
            .as_bytes(),
        );
        let sig = base64url(&self.rng.bytes(32));
        format!("{header}.{payload}.{sig}")
    }

    fn password(&mut self) -> String {
        // Letters and digits with a couple of symbols that need no XML escaping.
        let core = self.rng.pick_from(ALNUM, 12);
        let sym = self.rng.pick_from(b"!#%*@", 2);
        format!("{}{}{}{}", &core[..5], &sym[..1], &core[5..], &sym[1..])
    }

    fn pem_body(&mut self, lines: usize) -> String {
        (0..lines)
            .map(|i| {
                let n = if i + 1 == lines { 44 } else { 64 };
                self.rng.pick_from(B64, n)
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// A PKCS#1 key body: base64 whose DER starts with a SEQUENCE (`MIIE`),
    /// as the private-key validator requires.
    fn key_body(&mut self, lines: usize) -> String {
        let body = self.pem_body(lines);
        format!("MIIE{}", &body[4..])
    }

    fn ip(&mut self, first: &[u8]) -> String {
        format!(
            "{}.{}.{}.{}",
            first[self.rng.below(first.len() as u64) as usize],
            self.rng.range(1, 254),
            self.rng.range(1, 254),
            self.rng.range(2, 254)
        )
    }

    // -- ids and dates -------------------------------------------------------

    fn content_id(&mut self) -> String {
        self.next_content += self.rng.range(1, 37);
        self.next_content.to_string()
    }

    fn day(&mut self, lo: u64, hi: u64) -> When {
        When {
            day: self.rng.range(lo, hi) as u32,
            minute: self.rng.range(8 * 60, 18 * 60) as u32,
        }
    }

    fn macro_id(&mut self) -> String {
        self.rng.uuid()
    }

    fn code(&mut self, language: &str, text: &str) -> String {
        let id = self.macro_id();
        format!(
            "<ac:structured-macro ac:name=\"code\" ac:schema-version=\"1\" ac:macro-id=\"{id}\">\
             <ac:parameter ac:name=\"language\">{language}</ac:parameter>\
             <ac:plain-text-body><![CDATA[{text}]]></ac:plain-text-body></ac:structured-macro>"
        )
    }

    fn panel(&mut self, kind: &str, html: &str) -> String {
        let id = self.macro_id();
        format!(
            "<ac:structured-macro ac:name=\"{kind}\" ac:schema-version=\"1\" ac:macro-id=\"{id}\">\
             <ac:rich-text-body>{html}</ac:rich-text-body></ac:structured-macro>"
        )
    }

    fn tasks(&mut self, items: &[(bool, &str)]) -> String {
        let body: String = items
            .iter()
            .map(|(done, text)| {
                let id = self.rng.range(1, 999);
                format!(
                    "<ac:task><ac:task-id>{id}</ac:task-id><ac:task-status>{}</ac:task-status>\
                     <ac:task-body>{}</ac:task-body></ac:task>",
                    if *done { "complete" } else { "incomplete" },
                    esc(text)
                )
            })
            .collect();
        format!("<ac:task-list>{body}</ac:task-list>")
    }

    // -- Confluence objects --------------------------------------------------

    #[allow(clippy::too_many_arguments)]
    fn space(
        &mut self,
        id: &str,
        key: &str,
        name: &str,
        kind: &str,
        intent: &str,
        author: usize,
    ) -> (Space, Loc) {
        let homepage = self.content_id();
        let created = self.day(3, 40);
        self.spaces.push(json!({
            "id": id,
            "key": key,
            "name": name,
            "type": kind,
            "status": "current",
            "authorId": self.u(author),
            "createdAt": created.confluence(),
            "homepageId": homepage,
            "_links": {"webui": format!("/spaces/{key}")},
        }));
        self.containers
            .push(json!({"product": "confluence", "key": key, "intent": intent}));
        let loc = Loc {
            product: "confluence",
            container: key.to_string(),
            item: key.to_string(),
            field: "container_name",
            comment: None,
            jira_field: None,
        };
        (
            Space {
                id: id.to_string(),
                key: key.to_string(),
                name: name.to_string(),
                homepage,
            },
            loc,
        )
    }

    /// Reserves the id of a new page or blog post and returns its truth location.
    fn new_content(&mut self, sp: &Space) -> (String, Loc) {
        let id = self.content_id();
        let loc = Loc {
            product: "confluence",
            container: sp.key.clone(),
            item: id.clone(),
            field: "body",
            comment: None,
            jira_field: None,
        };
        (id, loc)
    }

    fn slug(title: &str) -> String {
        title
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '+' })
            .collect::<String>()
            .split('+')
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("+")
    }

    #[allow(clippy::too_many_arguments)]
    fn page(
        &mut self,
        sp: &Space,
        id: String,
        loc: Loc,
        parent: Option<&str>,
        title: &str,
        author: usize,
        body: String,
    ) -> Content {
        let created = self.day(40, 200);
        let edited = created.later(&mut self.rng, 60 * 24 * 30);
        let editor = self.rng.below(self.users.len() as u64) as usize;
        let position = self.pages.len() as u64 * 17 + 100;
        let webui = format!("/spaces/{}/pages/{id}/{}", sp.key, Self::slug(title));
        self.pages.push(json!({
            "id": id,
            "status": "current",
            "title": title,
            "spaceId": sp.id,
            "parentId": parent,
            "parentType": parent.map(|_| "page"),
            "position": position,
            "authorId": self.u(author),
            "ownerId": self.u(author),
            "createdAt": created.confluence(),
            "version": {
                "number": self.rng.range(2, 14),
                "message": "",
                "minorEdit": false,
                "authorId": self.u(editor),
                "createdAt": edited.confluence(),
            },
            "body": {"storage": {"representation": "storage", "value": body}},
            "_links": {"webui": webui, "editui": format!("/pages/resumedraft.action?draftId={id}")},
        }));
        Content {
            id,
            title: title.to_string(),
            webui,
            is_blog: false,
            loc,
            created,
        }
    }

    fn blogpost(
        &mut self,
        sp: &Space,
        id: String,
        loc: Loc,
        title: &str,
        author: usize,
        body: String,
    ) -> Content {
        let created = self.day(60, 220);
        let (y, m, d, _, _) = created.parts();
        let webui = format!(
            "/spaces/{}/blog/{y:04}/{m:02}/{d:02}/{id}/{}",
            sp.key,
            Self::slug(title)
        );
        self.blogposts.push(json!({
            "id": id,
            "status": "current",
            "title": title,
            "spaceId": sp.id,
            "authorId": self.u(author),
            "createdAt": created.confluence(),
            "version": {
                "number": 1,
                "message": "",
                "minorEdit": false,
                "authorId": self.u(author),
                "createdAt": created.confluence(),
            },
            "body": {"storage": {"representation": "storage", "value": body}},
            "_links": {"webui": webui},
        }));
        Content {
            id,
            title: title.to_string(),
            webui,
            is_blog: true,
            loc,
            created,
        }
    }

    fn comment_object(
        &mut self,
        on: &Content,
        id: &str,
        parent: Option<&str>,
        author: usize,
        body: &str,
        when: When,
    ) -> Value {
        let mut c = json!({
            "id": id,
            "status": "current",
            "title": format!("Re: {}", on.title),
            "version": {
                "number": 1,
                "message": "",
                "minorEdit": false,
                "authorId": self.u(author),
                "createdAt": when.confluence(),
            },
            "body": {"storage": {"representation": "storage", "value": body}},
            "_links": {"webui": format!("{}?focusedCommentId={id}", on.webui)},
        });
        if on.is_blog {
            c["blogPostId"] = json!(on.id);
        } else {
            c["pageId"] = json!(on.id);
        }
        if let Some(parent) = parent {
            c["parentCommentId"] = json!(parent);
        }
        c
    }

    /// Adds footer comments: `(parent index in this list, author, body html)`.
    /// Bodies are built by `make` with the comment's truth location, after its id exists.
    fn footer_thread(
        &mut self,
        on: &Content,
        thread: Vec<(Option<usize>, usize, CommentBody)>,
    ) -> Vec<String> {
        let mut ids: Vec<String> = vec![];
        let mut when = on.created.later(&mut self.rng, 60 * 24 * 3);
        for (parent, author, make) in thread {
            let id = self.content_id();
            let loc = on.loc.comment(&id);
            let body = make(self, &loc);
            when = when.later(&mut self.rng, 60 * 30);
            let parent_id = parent.map(|i| ids[i].clone());
            let c = self.comment_object(on, &id, parent_id.as_deref(), author, &body, when);
            self.footer.push(c);
            ids.push(id);
        }
        ids
    }

    /// Adds one inline comment thread on `selection` (plain page text).
    fn inline_thread(
        &mut self,
        on: &Content,
        selection: &str,
        resolved: bool,
        thread: Vec<(Option<usize>, usize, CommentBody)>,
    ) {
        let marker = self.rng.uuid();
        let mut ids: Vec<String> = vec![];
        let mut when = on.created.later(&mut self.rng, 60 * 24 * 3);
        for (parent, author, make) in thread {
            let id = self.content_id();
            let loc = on.loc.comment(&id);
            let body = make(self, &loc);
            when = when.later(&mut self.rng, 60 * 30);
            let parent_id = parent.map(|i| ids[i].clone());
            let mut c = self.comment_object(on, &id, parent_id.as_deref(), author, &body, when);
            c["resolutionStatus"] = json!(if resolved { "resolved" } else { "open" });
            // Replies share the marker; only the root carries the selected text.
            c["properties"] = if parent.is_none() {
                json!({"inlineMarkerRef": marker, "inlineOriginalSelection": selection})
            } else {
                json!({"inlineMarkerRef": marker})
            };
            self.inline.push(c);
            ids.push(id);
        }
    }
}

/// Builds a comment body once its id (and so its truth location) is known.
type CommentBody = Box<dyn FnOnce(&mut Gen, &Loc) -> String>;

/// A comment with fixed text and nothing planted.
fn plain(
    author: usize,
    parent: Option<usize>,
    text: &'static str,
) -> (Option<usize>, usize, CommentBody) {
    (parent, author, Box::new(move |_, _| p(text)))
}

fn with(
    author: usize,
    parent: Option<usize>,
    f: impl FnOnce(&mut Gen, &Loc) -> String + 'static,
) -> (Option<usize>, usize, CommentBody) {
    (parent, author, Box::new(f))
}

// ---------------------------------------------------------------------------
// Confluence content.

impl Gen {
    fn confluence(&mut self) {
        self.eng_space();
        self.hr_space();
        self.sales_space();
        self.nwm_space();
        self.docs_space();
        self.personal_space();
    }

    fn home(&mut self, sp: &Space, title: &str, author: usize, body: String) -> Content {
        let loc = Loc {
            product: "confluence",
            container: sp.key.clone(),
            item: sp.homepage.clone(),
            field: "body",
            comment: None,
            jira_field: None,
        };
        self.page(sp, sp.homepage.clone(), loc, None, title, author, body)
    }

    fn eng_space(&mut self) {
        let (sp, _) = self.space("98306", "ENG", "Engineering", "global", "sensitive", PRIYA);
        let body = [
            p("Welcome to the Engineering space. This is where the platform, payments and SRE teams keep runbooks, design notes and postmortems. If something here is out of date, fix it or ping the owner listed at the top of the page."),
            h(2, "Where things live"),
            ul(&[
                "Runbooks for every production service live under this page and are named “Runbook: <service>”.",
                "Postmortems are written within five working days of a Sev1 or Sev2 and reviewed in the Thursday ops meeting.",
                "Architecture decision records are numbered and never edited after acceptance — supersede them instead.",
            ]),
            p_html(&format!("Space owner: {}", mention(&self.u(PRIYA)))),
        ]
        .concat();
        let home = self.home(&sp, "Engineering", PRIYA, body);

        // Runbook with AWS keys, a database password and the bastion IP.
        let (id, l) = self.new_content(&sp);
        let bastion = self.ip(&[18, 52, 34]);
        let bastion = self.plant(&l, "IP_ADDRESS", &bastion);
        let ak = self.aws_access_key();
        let ak = self.plant(&l, "AWS_ACCESS_KEY", &ak);
        let sk = self.aws_secret();
        let sk = self.plant(&l, "AWS_SECRET_KEY", &sk);
        let pw = self.password();
        let pw = self.plant(&l, "PASSWORD_ASSIGNMENT", &pw);
        let info = self.panel("info", &p("Deploys go out on Tuesdays and Thursdays only. Ask in #payments-eng before deploying outside the window, and never on a Friday afternoon."));
        let creds = self.code(
            "ini",
            &format!("[deploy-prod]\naws_access_key_id = {ak}\naws_secret_access_key = {sk}\nregion = eu-west-1"),
        );
        let migrate = self.code(
            "bash",
            &format!("export PGHOST=payments-db.internal\nexport PGUSER=payments_app\nexport DB_PASSWORD='{pw}'\n./scripts/migrate.sh --env prod --dry-run\n./scripts/migrate.sh --env prod"),
        );
        let tasks = self.tasks(&[
            (true, "Announce the deploy in #payments-eng"),
            (false, "Check the error budget dashboard"),
            (false, "Tag the release and attach the changelog"),
        ]);
        let body = [
            info,
            h(2, "Prerequisites"),
            p(&format!("You need the deploy role in the production AWS account and SSH access to the bastion host at {bastion}. Request both through the access form; approval takes a day.")),
            h(2, "Configure the CLI"),
            p("The pipeline still uses the long-lived deploy user. Until the migration to OIDC is finished, these are the credentials the Jenkins job uses (profile deploy-prod):"),
            creds,
            h(2, "Database migrations"),
            p("Migrations run from the bastion. The connection settings normally come from the pipeline environment; if the pipeline is down, use:"),
            migrate,
            p("Always run the dry run first and paste its output into the deploy thread."),
            h(2, "Checklist"),
            tasks,
            p_html(&format!("Owner: {}", mention(&self.u(MEI)))),
        ]
        .concat();
        let runbook = self.page(
            &sp,
            id,
            l,
            Some(&home.id),
            "Runbook: payments-api deploy",
            MEI,
            body,
        );
        self.eng_runbook_thread(&runbook);
        self.inline_thread(
            &runbook,
            "the long-lived deploy user",
            false,
            vec![
                plain(TOMASZ, None, "Is there a ticket for the OIDC migration? This has been “temporary” since last year."),
                with(MEI, Some(0), |g, l| {
                    let pw = g.password();
                    let pw = g.plant(l, "PASSWORD_ASSIGNMENT", &pw);
                    p(&format!("OPS has it. Meanwhile, if the pipeline is broken, the deploy user’s console password: {pw} — don’t share it outside the team."))
                }),
                plain(TOMASZ, Some(1), "Noted. Rotating it as soon as OIDC lands."),
            ],
        );

        // CI/CD token inventory.
        let (id, l) = self.new_content(&sp);
        let ghp = self.github_token();
        let ghp = self.plant(&l, "GITHUB_TOKEN", &ghp);
        let xoxb = self.slack_token();
        let xoxb = self.plant(&l, "SLACK_TOKEN", &xoxb);
        let atatt = self.atlassian_token();
        let atatt = self.plant(&l, "ATLASSIAN_API_TOKEN", &atatt);
        let body = [
            p("This page lists the tokens our build system depends on, who owns them and when they expire. Yes, the values should not be here. The move to the secrets manager is tracked in OPS and this page will be deleted when it lands."),
            table(
                &["System", "Owner", "Token", "Expires"],
                &[
                    vec!["GitHub Actions (release bot)".into(), "Tomasz Nowak".into(), ghp, "end of December".into()],
                    vec!["Slack deploy notifications".into(), "Mei Chen".into(), xoxb, "never".into()],
                    vec!["Jira automation user".into(), "Priya Raman".into(), atatt, "March".into()],
                ],
            ),
            p("If you rotate a token, update the table and the pipeline variables in the same change, otherwise the nightly build breaks and nobody knows why."),
        ]
        .concat();
        let inventory = self.page(
            &sp,
            id,
            l,
            Some(&home.id),
            "CI/CD tokens inventory",
            TOMASZ,
            body,
        );
        self.footer_thread(
            &inventory,
            vec![
                with(TOMASZ, None, |g, l| {
                    let tok = g.github_token();
                    let tok = g.plant(l, "GITHUB_TOKEN", &tok);
                    p(&format!("The release bot token was rotated on Monday. New one: {tok}"))
                }),
                plain(PRIYA, Some(0), "Thanks. Please stop pasting them here though, the page is readable by the whole company."),
                plain(TOMASZ, Some(1), "Agreed — last time, promise. The secrets manager migration is next sprint."),
            ],
        );

        // Postmortem with Stripe and Google keys and a JWT in an info panel.
        let (id, l) = self.new_content(&sp);
        let sk_live = self.stripe_key();
        let sk_live = self.plant(&l, "STRIPE_KEY", &sk_live);
        let aiza = self.google_key();
        let aiza = self.plant(&l, "GOOGLE_API_KEY", &aiza);
        let jwt = self.jwt("admin@acme-demo.com", "admin", 1_784_041_500);
        let jwt = self.plant(&l, "JWT", &jwt);
        // The JWT payload carries an email address, but only inside base64url:
        // nothing readable to record.
        let what = self.panel(
            "info",
            &[
                p(&format!("The leaked key was {sk_live}.")),
                p(&format!("The same debugging script also printed a Google Maps key, {aiza}, and a session token for the admin console: {jwt}")),
            ]
            .concat(),
        );
        let tasks = self.tasks(&[
            (true, "Rotate the Stripe key and redeploy payments-api"),
            (true, "Restrict the Google key to our referrers"),
            (false, "Add secret scanning to the contractor laptop image"),
            (false, "Move all payment secrets to Vault"),
        ]);
        let body = [
            h(2, "Summary"),
            p("At 14:05 UTC on 14 July a live Stripe secret key was committed to a public gist by a contractor’s debugging script. Stripe’s leak detection revoked it eleven minutes later. No fraudulent charges were made, but checkout was degraded for 35 minutes while we rotated keys."),
            h(2, "What leaked"),
            what,
            h(2, "Timeline"),
            table(
                &["Time (UTC)", "Event"],
                &[
                    vec!["14:05".into(), "Gist published".into()],
                    vec!["14:16".into(), "Stripe revokes the key and emails security".into()],
                    vec!["14:40".into(), "Payments on-call rotates keys and redeploys".into()],
                    vec!["16:10".into(), "Google key restricted to our referrers".into()],
                ],
            ),
            h(2, "Actions"),
            tasks,
        ]
        .concat();
        let pm = self.page(
            &sp,
            id,
            l,
            Some(&home.id),
            "Postmortem: leaked Stripe key (14 July)",
            PRIYA,
            body,
        );
        self.footer_thread(
            &pm,
            vec![
                plain(SAM, None, "Good write-up. Do we know whether the gist was indexed by search engines before it was deleted?"),
                plain(PRIYA, Some(0), "GitHub support says it was not. We asked for the access logs anyway."),
            ],
        );

        // Bastion access with a private key.
        let (id, l) = self.new_content(&sp);
        let ip = self.ip(&[18, 52, 34]);
        let ip = self.plant(&l, "IP_ADDRESS", &ip);
        // The whole block is the finding: the header alone is not a key.
        let pem = self.key_body(6);
        let block = self.plant(
            &l,
            "PRIVATE_KEY",
            &format!("-----BEGIN RSA PRIVATE KEY-----\n{pem}\n-----END RSA PRIVATE KEY-----"),
        );
        let key = self.code("text", &block);
        let body = [
            p(&format!("The bastion at {ip} is the only way into the production VPC. Access is by SSH key; your key is added by SRE when your access request is approved.")),
            p("The emergency key below is for when the identity provider is down. It lives here because the offline safe was not ready in time; it will move."),
            key,
            p("After using it, tell SRE in #sre so the key can be rotated. Sessions are recorded."),
        ]
        .concat();
        self.page(
            &sp,
            id,
            l,
            Some(&runbook.id),
            "Bastion host access",
            TOMASZ,
            body,
        );

        // On-call handbook with phone numbers and emails.
        let (id, l) = self.new_content(&sp);
        let ph1 = self.plant(&l, "PHONE_NUMBER", "+44 20 7946 0958");
        let ph2 = self.plant(&l, "PHONE_NUMBER", "(415) 555-0132");
        let e1 = self.plant(&l, "EMAIL_ADDRESS", "tomasz.nowak@acme-demo.com");
        let e2 = self.plant(&l, "EMAIL_ADDRESS", "mei.chen@acme-demo.com");
        let body = [
            p("Primary on-call carries the pager for a week, Monday 10:00 to Monday 10:00 London time. Swap shifts in the rota, not in DMs."),
            table(
                &["Role", "Name", "Phone", "Email"],
                &[
                    vec!["SRE lead".into(), "Tomasz Nowak".into(), ph1, e1],
                    vec!["Payments lead".into(), "Mei Chen".into(), ph2, e2],
                ],
            ),
            h(2, "Escalation"),
            p("If the primary does not acknowledge within 15 minutes, the page goes to the secondary, then to the engineering manager. Out of hours, phone rather than Slack."),
        ]
        .concat();
        self.page(&sp, id, l, Some(&home.id), "On-call handbook", TOMASZ, body);

        // Export-controlled firmware notes.
        let (id, l) = self.new_content(&sp);
        let cui = self.plant(&l, "CUI_MARKING", "CUI//SP-EXPT");
        let itar = self.plant(&l, "ITAR_MARKING", "ITAR");
        let eccn = self.plant(&l, "EAR_MARKING", "5A002");
        let ear99 = self.plant(&l, "EAR_MARKING", "EAR99");
        let body = [
            p_html(&format!("<strong>{cui}</strong>")),
            p(&format!("WARNING: This document contains technical data whose export is restricted by the Arms Export Control Act and the International Traffic in Arms Regulations ({itar}), 22 CFR 120-130.")),
            p(&format!("The DSP board firmware is classified under ECCN {eccn} because of the encryption module; the test harness on its own is {ear99}.")),
            p("Build steps are in the repository README. Do not copy this page to any space that non-US persons can read, and do not attach build artefacts here."),
        ]
        .concat();
        let radar = self.page(
            &sp,
            id,
            l,
            Some(&home.id),
            "Radar signal processing: firmware build notes",
            PRIYA,
            body,
        );
        self.footer_thread(
            &radar,
            vec![with(SAM, None, |g, l| {
                let banner = g.plant(l, "CLASSIFICATION_BANNER", "SECRET//NOFORN");
                p(&format!("The customer’s interface spec we received last week is marked {banner}. It must not be stored in Confluence at all — I’ve asked security to purge the attachment."))
            })],
        );

        let (id, l) = self.new_content(&sp);
        let banner = self.plant(&l, "CLASSIFICATION_BANNER", "CONFIDENTIAL//REL TO USA, GBR");
        let cui = self.plant(&l, "CUI_MARKING", "CONTROLLED UNCLASSIFIED INFORMATION");
        let body = [
            p_html(&format!("<strong>{}</strong>", esc(&banner))),
            p(&format!("{cui} — distribution limited to the programme team.")),
            p("Review of the interface control document for the sensor gateway. Comments are due by the end of the month; the open questions are about timing tolerances on the serial bus and the watchdog reset behaviour."),
            ul(&["Clarify the maximum frame jitter.", "Agree on the error codes returned during self-test.", "Confirm who owns the calibration tables."]),
        ]
        .concat();
        let icd = self.page(
            &sp,
            id,
            l,
            Some(&radar.id),
            "Interface control document review",
            SAM,
            body,
        );
        self.footer_thread(
            &icd,
            vec![with(PRIYA, None, |g, l| {
                let itar = g.plant(l, "ITAR_MARKING", "ITAR CONTROLLED");
                p(&format!("Reminder that the appendix is {itar}; check the reader list before sharing the link."))
            })],
        );

        // Blog post with a second AWS key.
        let (id, l) = self.new_content(&sp);
        let ak = self.aws_access_key();
        let ak = self.plant(&l, "AWS_ACCESS_KEY", &ak);
        let snippet = self.code("text", &format!("aws_access_key_id={ak}"));
        let body = [
            p("Over the next quarter every service moves from environment-file secrets to Vault with short-lived credentials. The trigger was the July incident, but honestly we should have done this years ago."),
            p("A quick search of our own wiki found long-lived keys in eleven pages. One example, from an old runbook that is still linked from the deploy docs:"),
            snippet,
            p("What changes for you:"),
            ul(&[
                "Services read secrets from Vault at start-up; no more .env files in the repo.",
                "Database credentials are issued per deploy and expire after 24 hours.",
                "Personal access tokens for CI are replaced by the GitHub app.",
            ]),
        ]
        .concat();
        let blog = self.blogpost(&sp, id, l, "Moving our secrets to Vault", PRIYA, body);
        self.footer_thread(
            &blog,
            vec![
                plain(
                    TOMASZ,
                    None,
                    "Will Vault replace the bastion emergency key as well?",
                ),
                plain(
                    PRIYA,
                    Some(0),
                    "Yes, that’s phase two, after the payment services.",
                ),
            ],
        );

        // A page the scanning account cannot see: its content is not in truth.
        let (id, _) = self.new_content(&sp);
        let pw = self.password();
        let ak = self.aws_access_key();
        let body = [
            p("Restricted to SRE. Break-glass credentials for the root AWS account, used only when SSO is down."),
            p(&format!("Root user password: {pw}")),
            p(&format!("Emergency access key: {ak}")),
        ]
        .concat();
        let hidden_loc = Loc {
            product: "confluence",
            container: sp.key.clone(),
            item: id.clone(),
            field: "body",
            comment: None,
            jira_field: None,
        };
        let hidden = self.page(
            &sp,
            id.clone(),
            hidden_loc,
            Some(&home.id),
            "Break-glass credentials (restricted)",
            TOMASZ,
            body,
        );
        self.hidden.push(id);
        // Written directly (not through `plant`): it must stay out of truth.
        let cid = self.content_id();
        let pw2 = self.password();
        let when = hidden.created.later(&mut self.rng, 60 * 24);
        let c = self.comment_object(
            &hidden,
            &cid,
            None,
            TOMASZ,
            &p(&format!(
                "Rotated after the drill. New root password: {pw2}"
            )),
            when,
        );
        self.footer.push(c);
    }

    /// The long footer-comment thread on the deploy runbook: over 30 root
    /// comments plus replies and replies to replies, with a token planted after
    /// the first 25 roots so that a crawler that does not paginate misses it.
    fn eng_runbook_thread(&mut self, runbook: &Content) {
        let thread = vec![
            plain(MEI, None, "Deployed 4.18.2 to prod, no errors in the first 30 minutes."),
            plain(TOMASZ, None, "Step 3 times out if the bastion session is idle for more than ten minutes. Worth a note?"),
            plain(MEI, Some(1), "Added a note to step 3."),
            plain(SAM, None, "Can we move the smoke tests before the traffic shift instead of after?"),
            plain(PRIYA, Some(3), "+1, the canary catches less than we think."),
            plain(SAM, Some(4), "Raised it in the Thursday ops meeting; agreed to try it for two weeks."),
            plain(AISHA, None, "The canary dashboard link in step 5 is dead."),
            plain(MEI, Some(6), "Fixed the dashboard link."),
            plain(TOMASZ, None, "Rollback took 12 minutes today because the old task definition had been deregistered."),
            plain(PRIYA, Some(8), "We should keep the last three task definitions around. I’ll raise a ticket."),
            plain(TOMASZ, Some(9), "Ticket is in OPS, linked from the checklist."),
            plain(MEI, None, "Reminder: no deploys during the Black Friday freeze."),
            plain(JONAS, None, "Is the migration step idempotent? I ran it twice by accident."),
            plain(MEI, Some(12), "It is, the tool records applied migrations in a table and skips them."),
            plain(SAM, None, "Deploy window moves to 11:00 on Thursdays from next week."),
            plain(AISHA, None, "Who owns the error budget dashboard now?"),
            plain(SAM, Some(15), "SRE does, ask Tomasz."),
            plain(TOMASZ, None, "Can we automate the changelog step? It is the step everyone forgets."),
            plain(PRIYA, Some(17), "There’s a GitHub Action for it, testing it on the staging pipeline."),
            plain(TOMASZ, Some(18), "Works on staging. Rolling it out next week."),
            plain(MEI, None, "Staging deploy failed on the schema check, looking."),
            plain(MEI, Some(20), "False alarm, the check ran against the wrong database."),
            plain(JONAS, None, "Please add the feature-flag cleanup to the checklist."),
            plain(MEI, Some(22), "Done."),
            plain(SAM, None, "Postgres minor upgrade goes out with next Tuesday’s deploy."),
            plain(AISHA, None, "The runbook still says eu-west-1 for the DR region; it’s eu-central-1 now."),
            // 26..40: more root comments, so the page has over 25 roots and
            // the per-page listing (roots only, default limit 25) needs a second page.
            plain(MEI, None, "Deployed 4.18.3 (hotfix for the refund rounding bug)."),
            plain(JONAS, None, "The screenshots in step 4 are from the old console; I’ll refresh them."),
            plain(SAM, None, "Reminder that the load balancer change goes out with Tuesday’s deploy."),
            plain(AISHA, None, "Support saw no customer impact from today’s deploy."),
            plain(TOMASZ, None, "Bastion image updated; reconnect if your session drops."),
            plain(MEI, None, "Deployed 4.18.4. Migration took 40 seconds on the primary."),
            plain(PRIYA, None, "Q3 deploy stats: 31 deploys, 2 rollbacks, no incidents."),
            plain(SAM, None, "Please note the deploy ticket number in the thread from now on."),
            plain(JONAS, None, "Added a glossary link for “traffic shift” for new joiners."),
            plain(AISHA, None, "Could the announcement template include a support contact?"),
            plain(MEI, None, "Template updated with the support rota link."),
            plain(TOMASZ, None, "Error budget is at 62% for the month, fine to deploy."),
            plain(SAM, None, "Skipping Thursday’s window; nothing is ready."),
            plain(PRIYA, None, "New joiners: read this runbook end to end before your first deploy."),
            // 40: the token, after the first 25 roots.
            with(TOMASZ, None, |g, l| {
                let tok = g.atlassian_token();
                let tok = g.plant(l, "ATLASSIAN_API_TOKEN", &tok);
                p(&format!("Jenkins lost its Jira credentials again. Until the Vault path works, the automation user’s API token is {tok} — paste it into the job config."))
            }),
            plain(PRIYA, Some(40), "Please don’t post tokens in comments. Rotating it after today’s deploy."),
            plain(TOMASZ, Some(41), "Sorry. Rotated and stored in Vault."),
            plain(MEI, Some(25), "Updated the DR region, thanks for spotting it."),
            plain(SAM, None, "Deploy of 4.19.0 went fine; the new smoke-test order caught a broken migration before traffic moved."),
            plain(JONAS, None, "Could we link the rollback section from the incident template?"),
            plain(PRIYA, Some(45), "Linked."),
            plain(AISHA, None, "Thanks all, this runbook is in much better shape than a month ago."),
        ];
        self.footer_thread(runbook, thread);
    }

    fn hr_space(&mut self) {
        let (sp, _) = self.space("131074", "HR", "People Team", "global", "sensitive", HANNAH);
        let body = [
            p("The People team looks after hiring, onboarding, payroll, benefits and employee relations. Most pages in this space are restricted; if you can read this one, you can read the public policies below."),
            ul(&["Holiday and leave policy", "Expenses policy", "Parental leave", "Working from abroad"]),
            p_html(&format!("Questions: {}", mention(&self.u(HANNAH)))),
        ]
        .concat();
        let home = self.home(&sp, "People Team", HANNAH, body);

        // US payroll onboarding.
        let (id, l) = self.new_content(&sp);
        let dob = self.plant(&l, "DATE_OF_BIRTH", "1987-03-14");
        let ssn = self.ssn();
        let ssn = self.plant(&l, "US_SSN", &ssn);
        let pass = self.passport();
        let pass = self.plant(&l, "US_PASSPORT", &pass);
        let aba = self.aba();
        let aba = self.plant(&l, "ABA_ROUTING_NUMBER", &aba);
        let acct = self.account_number(12);
        let acct = self.plant(&l, "US_BANK_NUMBER", &acct);
        let card = self.card("5425");
        let card = self.plant(&l, "CREDIT_CARD", &card);
        // The card is split across inline marks and joined with &nbsp;, as the editor writes it.
        let groups: Vec<&str> = card.split(' ').collect();
        let card_html = format!(
            "<strong>{}</strong>&nbsp;{}&nbsp;<em>{}</em>&nbsp;{}",
            groups[0], groups[1], groups[2], groups[3]
        );
        let tasks = self.tasks(&[
            (true, "I-9 verified in person"),
            (false, "Benefits enrolment sent"),
            (false, "Laptop shipped to the Austin office"),
        ]);
        let body = [
            p("Daniel starts on 3 August in the Austin office as a Senior Payments Engineer. Payroll needs the details below before the first pay run on the 15th."),
            table(
                &["Field", "Value"],
                &[
                    vec!["Legal name".into(), "Daniel J. Price".into()],
                    vec!["DOB".into(), dob],
                    vec!["SSN".into(), ssn],
                    vec!["Passport number".into(), pass],
                    vec!["Bank".into(), "Lakeside Community Bank".into()],
                    vec!["Routing number".into(), aba],
                    vec!["Account number".into(), acct],
                ],
            ),
            p_html(&format!("Corporate card issued: {card_html} (limit 5,000 USD). To be collected from reception on day one.")),
            tasks,
            p_html(&format!("HR contact: {}", mention(&self.u(HANNAH)))),
        ]
        .concat();
        self.page(
            &sp,
            id,
            l,
            Some(&home.id),
            "New starter: US payroll details (Daniel Price)",
            HANNAH,
            body,
        );

        // Contractors with ITINs and a card written with &nbsp; only.
        let (id, l) = self.new_content(&sp);
        let itin1 = self.itin();
        let itin1 = self.plant(&l, "US_ITIN", &itin1);
        let itin2 = self.itin();
        let itin2 = self.plant(&l, "US_ITIN", &itin2);
        let card = self.card("4");
        let card = self.plant(&l, "CREDIT_CARD", &card);
        let body = [
            p("Contractors paid through US payroll need a taxpayer identification number on their W-9. Two of this quarter’s contractors do not have an SSN:"),
            ul(&[
                &format!("Ana Lucía Torres (design contractor): her ITIN is {itin1}."),
                &format!("Kwame Mensah (data contractor): his ITIN is {itin2}."),
            ]),
            p_html(&format!(
                "Expenses for both are reimbursed to the programme card on file, {}.",
                card.replace(' ', "&nbsp;")
            )),
        ]
        .concat();
        self.page(
            &sp,
            id,
            l,
            Some(&home.id),
            "Contractor onboarding: tax IDs",
            HANNAH,
            body,
        );

        // UK and EU identifiers.
        let (id, l) = self.new_content(&sp);
        let nino = self.nino(true);
        let nino = self.plant(&l, "UK_NINO", &nino);
        let nhs = self.nhs();
        let nhs = self.plant(&l, "UK_NHS", &nhs);
        let steuer = self.steuer_id();
        let steuer = self.plant(&l, "DE_TAX_ID", &steuer);
        let bsn = self.bsn();
        let bsn = self.plant(&l, "NL_BSN", &bsn);
        let dni = self.dni();
        let dni = self.plant(&l, "ES_NIF", &dni);
        let nie = self.nie();
        let nie = self.plant(&l, "ES_NIE", &nie);
        let nir = self.nir(2, 91, 4, "75", true);
        let nir = self.plant(&l, "FR_NIR", &nir);
        let cf_base = "BNCGLI90E52F205";
        let cf = format!("{cf_base}{}", cf_check(cf_base));
        let cf = self.plant(&l, "IT_FISCAL_CODE", &cf);
        let iban = self.iban("NL");
        let iban = self.plant(&l, "IBAN_CODE", &iban);
        let bic = self.plant(&l, "SWIFT_CODE", "INGBNL2A");
        let records = table(
            &["Employee", "Country", "Identifier", "Value"],
            &[
                vec![
                    "Oliver Grant".into(),
                    "UK".into(),
                    "National Insurance number".into(),
                    nino,
                ],
                vec!["Oliver Grant".into(), "UK".into(), "NHS number".into(), nhs],
                vec![
                    "Lena Hoffmann".into(),
                    "DE".into(),
                    "Steuer-ID".into(),
                    steuer,
                ],
                vec!["Sanne de Vries".into(), "NL".into(), "BSN".into(), bsn],
                vec!["Javier Morales".into(), "ES".into(), "DNI/NIF".into(), dni],
                vec!["Ioana Popescu".into(), "ES".into(), "NIE".into(), nie],
                vec![
                    "Camille Laurent".into(),
                    "FR".into(),
                    "NIR (numéro de sécurité sociale)".into(),
                    nir,
                ],
                vec![
                    "Giulia Bianchi".into(),
                    "IT".into(),
                    "Codice fiscale".into(),
                    cf,
                ],
            ],
        );
        let body = [
            p("Payroll providers in each country need the national identifiers below. Keep this page restricted to the People team; it is linked from the payroll calendar."),
            records,
            p(&format!("Sanne’s salary goes to IBAN {iban} (SWIFT/BIC {bic}). The Amsterdam provider asked us to confirm it in writing.")),
        ]
        .concat();
        let records = self.page(
            &sp,
            id,
            l,
            Some(&home.id),
            "UK and EU employee records (restricted)",
            HANNAH,
            body,
        );
        self.inline_thread(
            &records,
            "Payroll providers in each country",
            true,
            vec![
                plain(AMARA, None, "Marco Ferrari (Milan) is missing from the table."),
                with(HANNAH, Some(0), |g, l| {
                    let base = "FRRMRC84C07H501";
                    let cf2 = format!("{base}{}", cf_check(base));
                    let cf2 = g.plant(l, "IT_FISCAL_CODE", &cf2);
                    p(&format!("Added: his codice fiscale is {cf2}. I’ll move it into the table."))
                }),
                with(AMARA, Some(1), |g, l| {
                    let nino2 = g.nino(false);
                    let nino2 = g.plant(l, "UK_NINO", &nino2);
                    p(&format!("While you’re there: Emma Clarke (UK, starts in October) — NI number {nino2}."))
                }),
            ],
        );
        self.footer_thread(
            &records,
            vec![
                with(AMARA, None, |g, l| {
                    let s = g.steuer_id();
                    let s = g.plant(l, "DE_TAX_ID", &s);
                    p(&format!("Lena’s Steuer-ID in the table is her old one. The correct one is {s}."))
                }),
                plain(HANNAH, Some(0), "Thanks, the Berlin provider has the new one."),
                with(AMARA, None, |g, l| {
                    let b = g.bsn();
                    let b = g.plant(l, "NL_BSN", &b);
                    p(&format!("Pieter Jansen’s BSN for the Amsterdam payroll: {b}"))
                }),
                with(HANNAH, None, |g, l| {
                    let n = g.nie();
                    let n = g.plant(l, "ES_NIE", &n);
                    let d = g.dni();
                    let d = g.plant(l, "ES_NIF", &d);
                    p(&format!("Madrid office: Ioana’s partner joins in January, NIE {n}. Javier’s replacement has DNI {d}."))
                }),
                with(AMARA, Some(3), |g, l| {
                    let n = g.nir(1, 85, 11, "2A", false);
                    let n = g.plant(l, "FR_NIR", &n);
                    p(&format!("And Hugo Martin (Paris) — NIR {n}, in the compact form the provider wants."))
                }),
                plain(HANNAH, Some(4), "All added to the provider portals. Deleting these comments next week."),
            ],
        );

        // Occupational health: health condition, MRN, ICD-10, NPI, NHS number.
        let (id, l) = self.new_content(&sp);
        let cond = self.plant(&l, "HEALTH_CONDITION", "type 2 diabetes");
        let mrn = self.mrn();
        let mrn = self.plant(&l, "MEDICAL_RECORD_NUMBER", &mrn);
        let icd = self.plant(&l, "ICD10_CODE", "E11.9");
        let npi = self.npi();
        let npi = self.plant(&l, "US_NPI", &npi);
        let nhs = self.nhs();
        let nhs = self.plant(&l, "UK_NHS", &nhs);
        let chemo = self.plant(&l, "HEALTH_DATA", "chemotherapy");
        let body = [
            p("Referrals to the occupational health provider are logged here so that managers can see a referral is in progress without seeing the details. Details belong in the provider portal."),
            h(3, "Referral: Oliver Grant"),
            p(&format!("Oliver Grant (employee, Platform team) was referred on 12 May. The employee was diagnosed with {cond} and is on medication; he has asked for flexible start times around his appointments.")),
            p(&format!("Provider reference MRN {mrn}, diagnosis (ICD-10) {icd}. Referring physician NPI {npi}. NHS number for the GP letter: {nhs}.")),
            h(3, "Referral: Priyanka Shah"),
            p(&format!("She is undergoing {chemo} until October and will work reduced hours; her manager should plan cover for the release in September.")),
        ]
        .concat();
        self.page(
            &sp,
            id,
            l,
            Some(&home.id),
            "Occupational health referrals",
            HANNAH,
            body,
        );

        // Special-category data in adjustments and leave.
        let (id, l) = self.new_content(&sp);
        let muslim = self.plant(&l, "RELIGIOUS_BELIEF", "Muslim");
        let gay = self.plant(&l, "SEXUAL_ORIENTATION", "gay");
        let union = self.plant(&l, "TRADE_UNION_MEMBERSHIP", "trade union");
        let pregnant = self.plant(&l, "HEALTH_DATA", "pregnant");
        let body = [
            p("Log approved adjustments here so that facilities and managers can act on them. Keep the reason short."),
            ul(&[
                &format!("Yusuf Ahmed (employee, Support): requested a quiet room for Friday prayers; he is a practising {muslim} and will take his lunch break at 13:00 on Fridays."),
                &format!("Daniel Price: asked that his husband be added to the medical plan; he mentioned he is {gay} and not out to his new team, so keep this within HR."),
                &format!("Rachel Adams (employee, Warehouse Ops): she is a {union} representative and needs paid time off for branch meetings twice a month."),
                &format!("Sofia Marin: she is {pregnant} and has asked for a parking space closer to the entrance from June."),
            ]),
        ]
        .concat();
        let adj = self.page(
            &sp,
            id,
            l,
            Some(&home.id),
            "Reasonable adjustments and leave requests",
            HANNAH,
            body,
        );
        self.footer_thread(
            &adj,
            vec![
                with(AMARA, None, |g, l| {
                    let j = g.plant(l, "RELIGIOUS_BELIEF", "Jewish");
                    p(&format!("Tom Reilly (employee) also needs Yom Kippur off — he is {j} and asked that we don’t schedule the offsite that week."))
                }),
                with(HANNAH, None, |g, l| {
                    let s = g.plant(l, "SEXUAL_ORIENTATION", "lesbian");
                    p(&format!("Ana asked that her wife be listed as her emergency contact; she is {s} and prefers that her manager is not told."))
                }),
                with(AMARA, Some(1), |g, l| {
                    let u = g.plant(l, "TRADE_UNION_MEMBERSHIP", "union member");
                    p(&format!("Noted. Separately, Ben Carter (employee) told me he is a {u} as well and wants to join Rachel at the branch meetings."))
                }),
            ],
        );

        // Blog post with a date of birth in a comment.
        let (id, l) = self.new_content(&sp);
        let body = [
            p("Open enrolment for medical, dental and vision runs from 1 to 31 October. If you do nothing, your current elections roll over, except the flexible spending account, which always needs a new election."),
            p("New this year: the high-deductible plan now comes with a company contribution to your savings account, and the dental plan covers orthodontics for adults."),
            p("Drop-in sessions with the benefits broker are on Tuesdays at noon in the Austin and London offices."),
        ]
        .concat();
        let blog = self.blogpost(
            &sp,
            id,
            l,
            "Benefits enrolment opens 1 October",
            HANNAH,
            body,
        );
        self.footer_thread(
            &blog,
            vec![
                with(JONAS, None, |g, l| {
                    let d = g.plant(l, "DATE_OF_BIRTH", "2014-06-09");
                    p(&format!("My daughter was added with the wrong date of birth — it should be {d}, not the other way round."))
                }),
                plain(HANNAH, Some(0), "Fixed with the broker, you should see it in the portal tomorrow."),
            ],
        );

        // Hidden page (not in truth).
        let (id, loc) = self.new_content(&sp);
        let nino = self.nino(true);
        let body = [
            p("Restricted to HR business partners. Case notes for the warehouse incident in June."),
            p(&format!("Employee: Mark Dunn, NI number {nino}. Investigation meeting held on 2 July; outcome letter sent.")),
        ]
        .concat();
        self.page(
            &sp,
            id.clone(),
            loc,
            Some(&home.id),
            "Disciplinary case: warehouse incident",
            HANNAH,
            body,
        );
        self.hidden.push(id);
    }

    fn sales_space(&mut self) {
        let (sp, _) = self.space("163842", "SALES", "Sales", "global", "contractual", LUIS);
        let body = [
            p("Pipeline reviews happen every Monday at 16:00. Account plans for our top accounts are children of this page; call notes go under the account plan, not in Slack."),
            p_html(&format!("Sales operations: {}", mention(&self.u(LUIS)))),
        ]
        .concat();
        let home = self.home(&sp, "Sales", LUIS, body);

        let (id, l) = self.new_content(&sp);
        let title = format!(
            "Account plan: {}",
            self.client(&l.field("title"), "Northwind Traders", "Northwind Traders")
        );
        let nw = self.client(&l, "Northwind Traders", "Northwind Traders");
        let nw2 = self.client(&l, "Northwind Traders", "Northwind");
        let e1 = self.plant(&l, "EMAIL_ADDRESS", "julia.alvarez@northwindtraders.com");
        let e2 = self.plant(&l, "EMAIL_ADDRESS", "m.okoro@northwindtraders.com");
        let ph1 = self.plant(&l, "PHONE_NUMBER", "+1 (206) 555-0147");
        let ph2 = self.plant(&l, "PHONE_NUMBER", "+44 20 7946 0321");
        let body = [
            p(&format!("{nw} is our largest logistics customer: 1,400 seats across nine warehouses. The renewal is due in March and procurement has asked for a three-year term with a price cap.")),
            table(
                &["Contact", "Role", "Email", "Phone"],
                &[
                    vec!["Julia Alvarez".into(), "VP Operations".into(), e1, ph1],
                    vec!["Martin Okoro".into(), "Procurement lead".into(), e2, ph2],
                ],
            ),
            h(2, "Risks"),
            p(&format!("{nw2} is piloting a competitor in two warehouses, and Julia wants the route-optimisation module included at no extra cost.")),
        ]
        .concat();
        let plan = self.page(&sp, id, l, Some(&home.id), &title, LUIS, body);
        self.inline_thread(
            &plan,
            "The renewal is due in March",
            false,
            vec![
                with(AMARA, None, |g, l| {
                    let ph = g.plant(l, "PHONE_NUMBER", "+1 (206) 555-0199");
                    p(&format!("Julia’s direct line changed last week: {ph}"))
                }),
                plain(LUIS, Some(0), "Updated in the CRM too."),
            ],
        );

        let (id, l) = self.new_content(&sp);
        let rows = vec![
            vec![
                self.client(&l, "Contoso", "Contoso Ltd"),
                "Negotiation".into(),
                "USD 420k".into(),
                "Luis Ortega".into(),
                "Legal review of the DPA".into(),
            ],
            vec![
                self.client(&l, "Globex Corporation", "Globex"),
                "Proposal".into(),
                "USD 180k".into(),
                "Luis Ortega".into(),
                "Pricing call on Thursday".into(),
            ],
            vec![
                self.client(&l, "Initech", "Initech"),
                "Discovery".into(),
                "USD 65k".into(),
                "Amara Nwosu".into(),
                "Security questionnaire".into(),
            ],
            vec![
                self.client(&l, "Summit", "Summit"),
                "Closed won".into(),
                "USD 210k".into(),
                "Amara Nwosu".into(),
                "Kick-off in two weeks".into(),
            ],
            vec![
                self.client(&l, "Wayne Enterprises", "Wayne Enterprises"),
                "Qualification".into(),
                "USD 900k".into(),
                "Luis Ortega".into(),
                "Exec sponsor meeting".into(),
            ],
        ];
        let body = [
            p("Pipeline as of Monday’s review. Amounts are annual contract value; stages follow the sales playbook."),
            table(&["Account", "Stage", "ACV", "Owner", "Next step"], &rows),
            p("Forecast call moves to Tuesday next week because of the public holiday."),
        ]
        .concat();
        self.page(&sp, id, l, Some(&home.id), "Q3 pipeline review", LUIS, body);

        let (id, l) = self.new_content(&sp);
        let title = format!(
            "{} renewal call notes",
            self.client(&l.field("title"), "Contoso", "Contoso")
        );
        let c = self.client(&l, "Contoso", "Contoso");
        let e = self.plant(&l, "EMAIL_ADDRESS", "ben.whitaker@contoso.com");
        let ph = self.plant(&l, "PHONE_NUMBER", "(415) 555-0173");
        let tasks = self.tasks(&[
            (false, "Send the data-processing addendum"),
            (false, "Book the SSO workshop with their IT team"),
            (true, "Share the renewal quote"),
        ]);
        let body = [
            p(&format!("Call with {c} on 2 September. From our side Luis Ortega and Amara Nwosu; from theirs Ben Whitaker (IT Director, {e}, {ph}).")),
            p("They want SSO through their Okta tenant and asked whether our AI features train on their data. Answer: no, and we will send the data-processing addendum to confirm it in writing."),
            tasks,
        ]
        .concat();
        self.page(&sp, id, l, Some(&home.id), &title, AMARA, body);

        let (id, l) = self.new_content(&sp);
        let ty = self.client(&l, "Tyrell Corp", "Tyrell Corporation");
        let so = self.client(&l, "Soylent", "Soylent Inc");
        let body = [
            p(&format!("{ty} referred us to {so} after their successful rollout. Referral fee is 10% of first-year ACV, paid when the customer’s first invoice is settled.")),
            p("Partners must register a referral before the first meeting; unregistered referrals are not paid."),
        ]
        .concat();
        self.page(&sp, id, l, Some(&home.id), "Partner referrals", LUIS, body);

        let (id, l) = self.new_content(&sp);
        let title = format!(
            "{} signs a three-year deal",
            self.client(
                &l.field("title"),
                "Globex Corporation",
                "Globex Corporation"
            )
        );
        let g1 = self.client(&l, "Globex Corporation", "Globex Corporation");
        let body = [
            p(&format!("Big win for the team: {g1} signed a three-year agreement on Friday covering all of their European distribution centres.")),
            p_html(&format!("Huge thanks to {} for running the security review and to the solutions team for the pilot.", mention(&self.u(AMARA)))),
        ]
        .concat();
        let blog = self.blogpost(&sp, id, l, &title, LUIS, body);
        self.footer_thread(
            &blog,
            vec![
                with(SAM, None, |g, l| {
                    let e = g.plant(l, "EMAIL_ADDRESS", "d.haller@globex.com");
                    p(&format!(
                        "Congrats! Their CFO ({e}) wants to do a case study."
                    ))
                }),
                plain(LUIS, Some(0), "Great — looping in marketing."),
            ],
        );
    }

    fn nwm_space(&mut self) {
        let (sp, name_loc) = self.space(
            "196610",
            "NWM",
            "Northwind Migration",
            "collaboration",
            "contractual",
            SAM,
        );
        self.client(&name_loc, "Northwind Traders", "Northwind");
        let l = Loc {
            product: "confluence",
            container: sp.key.clone(),
            item: sp.homepage.clone(),
            field: "body",
            comment: None,
            jira_field: None,
        };
        self.client(&l.field("title"), "Northwind Traders", "Northwind");
        let nw = self.client(&l, "Northwind Traders", "Northwind Traders");
        let body = [
            p(&format!("This space tracks the migration of {nw}’ warehouse management data from their on-premise Oracle cluster to our platform. Cutover is planned for the weekend of 14 November.")),
            p("Status is updated every Friday. Decisions are logged on the cutover plan."),
        ]
        .concat();
        let home = self.home(&sp, &sp.name.clone(), SAM, body);

        let (id, l) = self.new_content(&sp);
        let ip1 = self.ip(&[10]);
        let ip1 = self.plant(&l, "IP_ADDRESS", &ip1);
        let ip2 = self.ip(&[10]);
        let ip2 = self.plant(&l, "IP_ADDRESS", &ip2);
        let nw = self.client(&l, "Northwind Traders", "Northwind");
        let e = self.plant(&l, "EMAIL_ADDRESS", "priit.kask@northwindtraders.com");
        let steps = table(
            &["Step", "Owner", "Window"],
            &[
                vec![
                    "Freeze writes on the source".into(),
                    "Customer DBA".into(),
                    "Sat 06:00".into(),
                ],
                vec![
                    "Final incremental export".into(),
                    "Sam Whitfield".into(),
                    "Sat 06:15".into(),
                ],
                vec![
                    "Load and verify row counts".into(),
                    "Migration team".into(),
                    "Sat 08:00".into(),
                ],
                vec![
                    "Switch DNS and reopen".into(),
                    "Customer IT".into(),
                    "Sun 10:00".into(),
                ],
            ],
        );
        let body = [
            p(&format!("Source database primary {ip1} ({nw} DC1), replica {ip2}. Our loader connects through their site-to-site VPN; the tunnel is up from Friday evening.")),
            p(&format!("Customer DBA: Priit Kask, {e}.")),
            steps,
        ]
        .concat();
        let plan = self.page(&sp, id, l, Some(&home.id), "Cutover plan", SAM, body);
        self.footer_thread(
            &plan,
            vec![
                with(LUIS, None, |g, l| {
                    let nw = g.client(l, "Northwind Traders", "Northwind");
                    p(&format!("{nw} asked whether cutover can move a week later because of their peak season."))
                }),
                plain(SAM, Some(0), "Possible, but the VPN change window would need re-booking. Discussing on Friday."),
            ],
        );

        let (id, l) = self.new_content(&sp);
        let nw = self.client(&l, "Northwind Traders", "Northwind");
        let body = [
            p(&format!("{nw}’s order and shipment tables map onto our model as below. Their customer table holds end-customer names and phone numbers; we migrate those columns encrypted and never show them in logs.")),
            table(
                &["Source table", "Target", "Notes"],
                &[
                    vec!["ORD_HDR".into(), "orders".into(), "status codes remapped".into()],
                    vec!["ORD_LINE".into(), "order_lines".into(), "quantities in base units".into()],
                    vec!["SHIP".into(), "shipments".into(), "carrier codes via lookup".into()],
                ],
            ),
        ]
        .concat();
        self.page(
            &sp,
            id,
            l,
            Some(&home.id),
            "Data mapping: orders and shipments",
            SAM,
            body,
        );
    }

    fn docs_space(&mut self) {
        let (sp, _) = self.space(
            "229378",
            "DOCS",
            "Product Docs",
            "knowledge_base",
            "clean",
            JONAS,
        );
        let body = [
            p("Customer-facing documentation for the Acme platform. Pages in this space are published to the help centre every night; drafts stay under the Drafts page until reviewed."),
            p("Style: short sentences, second person, one task per page."),
        ]
        .concat();
        let home = self.home(&sp, "Product Docs", JONAS, body);

        let (id, l) = self.new_content(&sp);
        let akx = self.look(&l, "placeholder_aws_key", "AKIAXXXXXXXXXXXXXXXX");
        let xoxb = self.look(&l, "placeholder_slack_token", "xoxb-your-token-here");
        let pubkey = self.look(&l, "public_key_header", "-----BEGIN PUBLIC KEY-----");
        let curl = self.code(
            "bash",
            "curl -H \"Authorization: Bearer $ACME_API_KEY\" https://api.acme-demo.com/v1/orders",
        );
        let pem = self.pem_body(2);
        let verify = self.code(
            "text",
            &format!("{pubkey}\n{pem}\n-----END PUBLIC KEY-----"),
        );
        let body = [
            p("All API requests use an API key sent in the Authorization header. Create keys in Settings → API keys; each key can be limited to read-only access."),
            curl,
            p(&format!("When you configure the AWS integration, paste your access key ID into the form. In support tickets, never use a real key; write a placeholder such as {akx} instead.")),
            p(&format!("For the Slack integration, set the bot token in your environment to your own value; our examples show it as {xoxb}.")),
            p("Webhook payloads are signed. Verify the signature with our public key:"),
            verify,
        ]
        .concat();
        let auth = self.page(
            &sp,
            id,
            l,
            Some(&home.id),
            "API authentication",
            JONAS,
            body,
        );
        self.inline_thread(
            &auth,
            "Verify the signature with our public key",
            false,
            vec![
                plain(
                    PRIYA,
                    None,
                    "Should we say which signature algorithm we use here?",
                ),
                plain(
                    JONAS,
                    Some(0),
                    "Good idea, adding a sentence about ECDSA P-256.",
                ),
            ],
        );

        let (id, l) = self.new_content(&sp);
        let ver = self.look(&l, "version_number", "version 10.2.3.4");
        let uuid = self.rng.uuid();
        let uuid = self.look(&l, "uuid", &uuid);
        let ts = self.look(&l, "iso_timestamp", "2026-08-17T10:15:00Z");
        let ticket = self.look(&l, "ticket_key", "PAY-1234");
        let body = [
            p(&format!("This is {ver}, a maintenance release. Build id {uuid}.")),
            p(&format!("Scheduled maintenance for the upgrade starts at {ts} and takes about twenty minutes.")),
            h(2, "Fixed"),
            ul(&[
                &format!("{ticket}: refunds over 10,000 were rounded to the nearest unit."),
                "Exports no longer time out for accounts with many warehouses.",
                "The date picker respects the first day of the week from your profile.",
            ]),
        ]
        .concat();
        self.page(
            &sp,
            id,
            l,
            Some(&home.id),
            "Release notes 10.2",
            JONAS,
            body,
        );

        let (id, l) = self.new_content(&sp);
        let bad = self.bad_card();
        let bad = self.look(&l, "card_failing_luhn", &bad);
        let bad_iban = self.bad_iban();
        let bad_iban = self.look(&l, "iban_bad_check_digits", &bad_iban);
        let order = self.look(&l, "order_number", "order #48213377");
        let s1 = self.look(&l, "invalid_ssn", "000-12-3456");
        let s2 = self.look(&l, "invalid_ssn", "666-12-3456");
        let s3 = self.look(&l, "invalid_ssn", "923-45-6789");
        let body = [
            p(&format!("If a payment fails with “invalid card”, check the number for typos. For example {bad} fails the checksum and is rejected before it reaches the bank.")),
            p(&format!("An IBAN with wrong check digits, such as {bad_iban}, is rejected at import with error E-204.")),
            p(&format!("Order numbers look like {order}; they are not card numbers and can be shared with support.")),
            p(&format!("The tax-form field rejects numbers that are never issued, such as {s1}, {s2} and {s3}.")),
        ]
        .concat();
        let trouble = self.page(
            &sp,
            id,
            l,
            Some(&home.id),
            "Troubleshooting card payments",
            JONAS,
            body,
        );
        self.footer_thread(
            &trouble,
            vec![
                plain(
                    AISHA,
                    None,
                    "The link to the error code list at the bottom is broken.",
                ),
                plain(JONAS, Some(0), "Fixed, thanks."),
            ],
        );

        let (id, l) = self.new_content(&sp);
        let cui = self.look(&l, "ordinary_phrase", "cui bono");
        let summit = self.look(&l, "ordinary_word", "the summit");
        let beacon = self.look(&l, "ordinary_word", "a beacon");
        let a10 = self.look(&l, "part_number", "A10.1");
        let c12 = self.look(&l, "part_number", "C12");
        let body = [
            h(2, "Glossary"),
            ul(&[
                &format!("{cui}: “who benefits” — the first question in our fraud-analysis guide."),
                &format!("the annual customer conference is informally called {summit}."),
                &format!("beacon mode: the scanner acts as {beacon} so that forklifts can find it."),
                &format!("cradle: the charging dock; the handheld scanner is model {a10} and the cradle is model {c12}."),
            ]),
        ]
        .concat();
        self.page(&sp, id, l, Some(&home.id), "Glossary", JONAS, body);

        let (id, l) = self.new_content(&sp);
        let cert = self.look(&l, "certificate_header", "-----BEGIN CERTIFICATE-----");
        let pem = self.pem_body(3);
        let chain = self.code("text", &format!("{cert}\n{pem}\n-----END CERTIFICATE-----"));
        let body = [
            p("Custom domains need a certificate chain in PEM format. Paste the leaf certificate first, then the intermediates; do not include the root."),
            chain,
            p("Certificates are renewed automatically 30 days before they expire if you use our managed option."),
        ]
        .concat();
        self.page(
            &sp,
            id,
            l,
            Some(&home.id),
            "TLS setup for custom domains",
            JONAS,
            body,
        );

        let (id, l) = self.new_content(&sp);
        let uuid = self.rng.uuid();
        let uuid = self.look(&l, "uuid", &uuid);
        let body = [
            p("The help centre now has search suggestions and a feedback button on every article."),
            p(&format!("If an article is missing, open the feedback form and quote the article id, for example {uuid}.")),
        ]
        .concat();
        self.blogpost(&sp, id, l, "What’s new in the help centre", JONAS, body);

        // Hidden draft: client names and pricing the scanning account cannot see.
        let (id, loc) = self.new_content(&sp);
        let body = p("Draft price list for partners, not for publication: Initech and Wayne Enterprises get the enterprise discount until renewal.");
        self.page(
            &sp,
            id.clone(),
            loc,
            Some(&home.id),
            "Draft: partner pricing",
            LUIS,
            body,
        );
        self.hidden.push(id);
    }

    fn personal_space(&mut self) {
        let (sp, _) = self.space(
            "262146",
            "~5570585c2a9f41e7b3d6c8a1",
            "Priya Raman",
            "personal",
            "clean",
            PRIYA,
        );
        let home = self.home(
            &sp,
            "Priya Raman",
            PRIYA,
            p("Scratch notes. Nothing here is authoritative; the real docs live in the Engineering space."),
        );
        let (id, l) = self.new_content(&sp);
        let ts = self.look(&l, "iso_timestamp", "2026-09-03T08:00:00Z");
        let body = [
            h(2, "Reading list"),
            ul(&[
                "Designing Data-Intensive Applications — chapters 5 and 9 again",
                "The Site Reliability Workbook — the alerting chapter",
                "Accelerate — for the metrics discussion with leadership",
            ]),
            p(&format!(
                "Book club restarts {ts} (Thursday morning, before stand-up)."
            )),
        ]
        .concat();
        self.page(&sp, id, l, Some(&home.id), "Reading list", PRIYA, body);
        let (id, l) = self.new_content(&sp);
        let link = page_link("ENG", "Runbook: payments-api deploy");
        let tasks = self.tasks(&[
            (false, "Review the deploy runbook comments"),
            (false, "Draft the Q4 platform goals"),
            (true, "Book the team offsite venue"),
        ]);
        let v = self.look(&l, "version_number", "version 10.2.3.4");
        let body = [
            p_html(&format!("Things to follow up on. See also {link}.")),
            tasks,
            p(&format!(
                "Check whether {v} of the scanner firmware fixed the pairing bug."
            )),
        ]
        .concat();
        self.page(&sp, id, l, Some(&home.id), "Follow-ups", PRIYA, body);
    }
}

// ---------------------------------------------------------------------------
// Jira content.

/// One Jira comment before it is numbered: author, body, and (JSM only) public flag.
type JiraCommentBody = Box<dyn FnOnce(&mut Gen, &Loc) -> Value>;

struct JiraComment {
    author: User,
    public: Option<bool>,
    body: JiraCommentBody,
}

fn jc(author: &User, f: impl FnOnce(&mut Gen, &Loc) -> Value + 'static) -> JiraComment {
    JiraComment {
        author: author.clone(),
        public: None,
        body: Box::new(f),
    }
}

fn jc_text(author: &User, text: &'static str) -> JiraComment {
    jc(author, move |_, _| doc(vec![pt(text)]))
}

fn jsm(mut c: JiraComment, public: bool) -> JiraComment {
    c.public = Some(public);
    c
}

impl Gen {
    fn project(
        &mut self,
        id: &str,
        key: &str,
        name: &str,
        type_key: &'static str,
        intent: &str,
        first_number: u32,
    ) -> Project {
        let simplified = type_key == "business";
        self.projects.push(json!({
            "self": format!("{BASE_URL}/rest/api/3/project/{id}"),
            "id": id,
            "key": key,
            "name": name,
            "projectTypeKey": type_key,
            "simplified": simplified,
            "style": if simplified { "next-gen" } else { "classic" },
            "isPrivate": false,
        }));
        let product = if type_key == "service_desk" {
            "jsm"
        } else {
            "jira"
        };
        self.containers
            .push(json!({"product": product, "key": key, "intent": intent}));
        Project {
            id: id.to_string(),
            key: key.to_string(),
            name: name.to_string(),
            type_key,
            next_number: first_number,
        }
    }

    /// Reserves the next issue key in `pr` and returns its truth location.
    fn issue_loc(&mut self, pr: &mut Project) -> Loc {
        let key = format!("{}-{}", pr.key, pr.next_number);
        pr.next_number += 1;
        Loc {
            product: if pr.type_key == "service_desk" {
                "jsm"
            } else {
                "jira"
            },
            container: pr.key.clone(),
            item: key,
            field: "body",
            comment: None,
            jira_field: None,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn issue(
        &mut self,
        pr: &Project,
        loc: &Loc,
        kind: &str,
        summary: &str,
        description: Value,
        notes: Option<Value>,
        reference: Option<String>,
        comments: Vec<JiraComment>,
    ) {
        let id = self.next_issue.to_string();
        self.next_issue += 1;
        let created = self.day(120, 230);
        let mut when = created;
        let mut out = vec![];
        for c in comments {
            let cid = self.next_jira_comment.to_string();
            self.next_jira_comment += 1;
            let body = (c.body)(self, &loc.comment(&cid));
            when = when.later(&mut self.rng, 60 * 20);
            let mut v = json!({
                "self": format!("{BASE_URL}/rest/api/3/issue/{id}/comment/{cid}"),
                "id": cid,
                "author": {"accountId": c.author.id, "displayName": c.author.name, "active": true},
                "body": body,
                "created": when.jira(),
                "updated": when.jira(),
            });
            if pr.type_key == "service_desk" {
                v["jsdPublic"] = json!(c.public.unwrap_or(true));
            } else {
                assert!(c.public.is_none(), "jsdPublic only exists on JSM issues");
            }
            out.push(v);
        }
        let updated = when.later(&mut self.rng, 60 * 24 * 4);
        let n = out.len();
        self.issues.push(json!({
            "id": id,
            "key": loc.item,
            "self": format!("{BASE_URL}/rest/api/3/issue/{id}"),
            "fields": {
                "summary": summary,
                "description": description,
                "issuetype": {"name": kind},
                "project": {"id": pr.id, "key": pr.key, "name": pr.name, "projectTypeKey": pr.type_key},
                "created": created.jira(),
                "updated": updated.jira(),
                "customfield_10050": notes,
                "customfield_10051": reference,
                "comment": {"comments": out, "maxResults": n, "total": n, "startAt": 0},
            },
        }));
    }

    fn jira(&mut self) {
        self.pay_project();
        self.ops_project();
        self.help_project();
        self.road_project();
    }

    fn pay_project(&mut self) {
        let mut pr = self.project("10000", "PAY", "Payments", "software", "sensitive", 201);
        let users = self.users.clone();
        let (mei, tomasz, sam, priya, aisha) = (
            &users[MEI],
            &users[TOMASZ],
            &users[SAM],
            &users[PRIYA],
            &users[AISHA],
        );

        // A card split across two text nodes with different marks, an IBAN in
        // the "Account reference" field and an SSN in "Customer notes".
        let l = self.issue_loc(&mut pr);
        let card = self.card("4716");
        let card = self.plant(&l, "CREDIT_CARD", &card);
        let (first, rest) = card.split_at(9);
        let description = doc(vec![
            pt("A refund for a merchant order went to the customer’s old card instead of the card used for the purchase."),
            para(vec![t("Customer card on the order: "), tm(first, &["strong"]), tm(rest, &["em"]), t(". The refund shows on the previous card in the gateway logs.")]),
            heading(3, "Steps to reproduce"),
            bullets(&["Create an order with card A", "Update the customer’s default card to card B", "Refund the order from the dashboard"]),
        ]);
        let iban = self.iban("GB");
        let iban = self.plant(&l.custom("customfield_10051"), "IBAN_CODE", &iban);
        let ssn = self.ssn();
        let ssn = self.plant(&l.custom("customfield_10050"), "US_SSN", &ssn);
        let notes = doc(vec![pt(&format!("Customer called twice and is upset. SSN given for identity verification: {ssn}. Prefers a call back in the afternoon."))]);
        self.issue(&pr, &l, "Bug", "Refund sent to the wrong card for merchant order", description, Some(notes), Some(iban), vec![
            jc_text(mei, "Reproduced on staging: the refund uses the customer’s default card, not the payment’s card."),
            jc_text(tomasz, "Fix is to read the card from the original charge. PR up."),
            jc_text(priya, "Released in 4.19.1. Support will contact the customer."),
        ]);

        let l = self.issue_loc(&mut pr);
        let sk = self.stripe_key();
        let sk = self.plant(&l, "STRIPE_KEY", &sk);
        let description = doc(vec![
            pt("Follow-up from the July postmortem: rotate the live Stripe key and the webhook signing secret, and move both to Vault."),
            pt("The key currently configured in the payments-api environment:"),
            code_block("bash", &format!("STRIPE_SECRET_KEY={sk}\nSTRIPE_WEBHOOK_TOLERANCE=300")),
        ]);
        self.issue(&pr, &l, "Task", "Rotate Stripe live key and webhook secret", description, None, None, vec![
            jc(mei, |g, l| {
                let x = g.slack_token();
                let x = g.plant(l, "SLACK_TOKEN", &x);
                doc(vec![pt(&format!("Done. I also rotated the Slack alert bot token while I was in there; new value for the alerting config: {x}"))])
            }),
            jc_text(priya, "Thanks. Please move the Slack token to Vault too, not the config file."),
        ]);

        let l = self.issue_loc(&mut pr);
        let iban = self.iban("DE");
        let iban = self.plant(&l, "IBAN_CODE", &iban);
        let bic = self.plant(&l, "SWIFT_CODE", "COBADEFFXXX");
        let description = doc(vec![
            pt("A SEPA payout was rejected by the beneficiary bank with reason AC01 (incorrect account number). The merchant says the details are right."),
            adf_table(&["Field", "Value"], &[
                vec!["Beneficiary".into(), "Keller Logistik GmbH".into()],
                vec!["IBAN".into(), iban],
                vec!["SWIFT/BIC".into(), bic],
                vec!["Amount".into(), "EUR 18,240.00".into()],
            ]),
        ]);
        self.issue(&pr, &l, "Bug", "SEPA payout rejected: IBAN mismatch", description, None, None, vec![
            jc_text(sam, "The IBAN in our database has a trailing space; the bank’s validator treats it as part of the account number."),
            jc_text(mei, "Trimming on save and on payout. Backfill script ready."),
        ]);

        let l = self.issue_loc(&mut pr);
        let aba = self.aba();
        let aba = self.plant(&l, "ABA_ROUTING_NUMBER", &aba);
        let acct = self.account_number(10);
        let acct = self.plant(&l, "US_BANK_NUMBER", &acct);
        let description = doc(vec![
            pt("As a US merchant I want to collect payments by ACH direct debit so that I avoid card fees on large invoices."),
            pt(&format!("Pilot merchant’s settlement account for the first live test: routing number {aba}, account number {acct} (checking).")),
            bullets(&["Support same-day ACH where the bank allows it", "Handle R01 and R03 returns", "Show the mandate in the merchant dashboard"]),
        ]);
        self.issue(
            &pr,
            &l,
            "Story",
            "ACH direct debit for US merchants",
            description,
            None,
            None,
            vec![jc_text(
                priya,
                "Scope for the pilot: debit only, no credits.",
            )],
        );

        let l = self.issue_loc(&mut pr);
        let description = doc(vec![
            pt("Card-not-present chargebacks doubled over the last two weeks, mostly on digital goods merchants. We need to find the common pattern before the card scheme monitoring programme flags us."),
            bullets(&["Chargeback ratio last week: 0.91%", "Threshold for the monitoring programme: 0.9%", "Top reason code: 10.4 (fraud, card absent)"]),
        ]);
        let comments = self.chargeback_thread(&users);
        self.issue(
            &pr,
            &l,
            "Bug",
            "Chargeback spike from card-not-present transactions",
            description,
            None,
            None,
            comments,
        );

        let l = self.issue_loc(&mut pr);
        let pan = self.card_digits("51", 16);
        let pan = self.plant(&l, "CREDIT_CARD", &pan);
        let description = doc(vec![
            pt("payment-gateway logs the full card number at INFO when a charge request is retried. Example line from production:"),
            code_block("text", &format!("2026-08-30 11:02:13 INFO retry charge request merchant=m_2231 pan={pan} exp=09/28 cvv=***")),
            pt("Logs are shipped to the shared log cluster that 40 people can read."),
        ]);
        self.issue(&pr, &l, "Bug", "Debug logging leaks card numbers in payment-gateway", description, None, None, vec![
            jc(tomasz, |g, l| {
                let pem = g.key_body(4);
                let block = g.plant(
                    l,
                    "PRIVATE_KEY",
                    &format!("-----BEGIN RSA PRIVATE KEY-----\n{pem}\n-----END RSA PRIVATE KEY-----"),
                );
                doc(vec![
                    pt("Worse: the gateway also prints its request-signing key at start-up when DEBUG is on:"),
                    code_block("text", &block),
                ])
            }),
            jc_text(mei, "Both fixed in the logging filter. Purging the affected indices tonight; the signing key is being rotated."),
        ]);

        let l = self.issue_loc(&mut pr);
        let key = self.google_key();
        let key = self.plant(&l, "GOOGLE_API_KEY", &key);
        let description = doc(vec![
            pt("Address autocomplete on the checkout page stopped working at 09:12; the Places API returns OVER_QUERY_LIMIT."),
            para(vec![t("The browser key "), tm(&key, &["code"]), t(" has no referrer restriction, so anyone can use our quota.")]),
        ]);
        self.issue(
            &pr,
            &l,
            "Bug",
            "Places autocomplete quota exceeded",
            description,
            None,
            None,
            vec![jc_text(
                sam,
                "Restricted to our checkout domains and raised the quota. Usage is back to normal.",
            )],
        );

        let l = self.issue_loc(&mut pr);
        let description = doc(vec![
            pt("Payouts over USD 50,000 need a manual identity check before release. This one is for a marketplace seller."),
        ]);
        self.issue(&pr, &l, "Task", "Identity verification for high-value payout", description, None, None, vec![
            jc(aisha, |g, l| {
                let ssn = g.ssn();
                let ssn = g.plant(l, "US_SSN", &ssn);
                let dob = g.plant(l, "DATE_OF_BIRTH", "1979-11-02");
                doc(vec![pt(&format!("Verified by phone: John Sutherland, SSN {ssn}, DOB {dob}. Matches the KYC record."))])
            }),
            jc_text(mei, "Payout released."),
        ]);

        let l = self.issue_loc(&mut pr);
        let description = doc(vec![
            pt("Merchants want to see which card a payment used without seeing the whole number."),
            bullets(&[
                "Show the brand and the last four digits only",
                "Same masking in CSV exports",
                "Support agents see the same view as merchants",
            ]),
        ]);
        self.issue(
            &pr,
            &l,
            "Story",
            "Show masked card numbers in the merchant dashboard",
            description,
            None,
            None,
            vec![jc_text(priya, "Design is in Figma, linked from the epic.")],
        );

        let l = self.issue_loc(&mut pr);
        let pw = self.password();
        let pw = self.plant(&l, "PASSWORD_ASSIGNMENT", &pw);
        let description = doc(vec![
            pt("The nightly payout job connects to the database as the admin user with a password from the config file in the repository:"),
            code_block("yaml", &format!("payout:\n  db_host: payments-db.internal\n  db_user: admin\n  password: {pw}\n  batch_size: 500")),
            pt("It should use the payouts role with a Vault-issued credential."),
        ]);
        self.issue(
            &pr,
            &l,
            "Bug",
            "Payout job uses the database admin password from config",
            description,
            None,
            None,
            vec![jc_text(
                tomasz,
                "Vault role created. Switching the job over on Thursday.",
            )],
        );
        let _ = pr;
    }

    /// More than 25 comments on one issue; the search API returns only the
    /// first 20, and two planted values sit beyond that.
    fn chargeback_thread(&mut self, users: &[User]) -> Vec<JiraComment> {
        let (mei, tomasz, sam, priya, aisha) = (
            &users[MEI],
            &users[TOMASZ],
            &users[SAM],
            &users[PRIYA],
            &users[AISHA],
        );
        let texts: Vec<(&User, &'static str)> = vec![
            (sam, "Pulled last week’s chargebacks: 212, up from 98."),
            (mei, "83% are on three merchants, all selling gift cards."),
            (aisha, "Support has seen a spike in “I did not make this purchase” calls too."),
            (priya, "Do the three merchants share an acquirer or a checkout integration?"),
            (mei, "Same checkout plugin version, 3.2. It skips 3-D Secure when the amount is under 30."),
            (tomasz, "That matches: nearly all disputed payments are between 25 and 29.99."),
            (sam, "Card testing pattern. Lots of small authorisations from the same BIN ranges."),
            (priya, "Can we force 3-D Secure for these merchants today?"),
            (mei, "Yes, there is a merchant-level override. Enabling it."),
            (aisha, "Notifying the merchants so they aren’t surprised by the extra step."),
            (sam, "Velocity rule proposal: max 5 authorisations per card per hour per merchant."),
            (tomasz, "The fraud model already has a feature for that, it is just weighted low."),
            (priya, "Let’s do the rule now and retrain later."),
            (mei, "Rule deployed in shadow mode."),
            (sam, "Shadow mode would have blocked 1,900 attempts yesterday with 4 false positives."),
            (priya, "Good enough. Turn it on."),
            (mei, "Enforcing since 15:20."),
            (aisha, "One merchant complained about a blocked legitimate bulk purchase; whitelisted the customer."),
            (sam, "Chargebacks for yesterday: 11. Back to normal levels."),
            (tomasz, "The plugin vendor has a fix in 3.2.1."),
            (priya, "Please ask the three merchants to upgrade."),
            (aisha, "Two upgraded, the third is scheduled for Monday."),
            (mei, "Writing up the timeline for the scheme report."),
        ];
        let mut out: Vec<JiraComment> = texts.iter().map(|(u, s)| jc_text(u, s)).collect();
        // Comment 24: a disputed card pasted by support (beyond the first 20).
        out.push(jc(aisha, |g, l| {
            let card = g.amex();
            let card = g.plant(l, "CREDIT_CARD", &card);
            doc(vec![pt(&format!("Another dispute came in on the old plugin: card {card}, amount 29.50. Customer confirms it wasn’t them."))])
        }));
        // Comment 25: credentials for the fraud-model bucket in a code block.
        out.push(jc(tomasz, |g, l| {
            let ak = g.aws_access_key();
            let ak = g.plant(l, "AWS_ACCESS_KEY", &ak);
            let sk = g.aws_secret();
            let sk = g.plant(l, "AWS_SECRET_KEY", &sk);
            doc(vec![
                pt("For the retraining job, the read-only credentials for the fraud features bucket:"),
                code_block("ini", &format!("[fraud-reader]\naws_access_key_id = {ak}\naws_secret_access_key = {sk}")),
            ])
        }));
        out.push(jc_text(
            priya,
            "Please move those to Vault; don’t paste credentials in tickets.",
        ));
        out.push(jc_text(tomasz, "Done, and rotated."));
        out.push(jc_text(sam, "Closing: ratio for the month ends at 0.62%."));
        out
    }

    fn ops_project(&mut self) {
        let mut pr = self.project("10001", "OPS", "Operations", "software", "contractual", 88);
        let users = self.users.clone();
        let (sam, tomasz, luis, aisha) = (&users[SAM], &users[TOMASZ], &users[LUIS], &users[AISHA]);

        let l = self.issue_loc(&mut pr);
        let summary = format!(
            "{} SSO login failures",
            self.client(&l.field("title"), "Stark Industries", "Stark Industries")
        );
        let stark = self.client(&l, "Stark Industries", "Stark Industries");
        let ip = self.ip(&[52, 54]);
        let ip = self.plant(&l, "IP_ADDRESS", &ip);
        let description = doc(vec![
            pt(&format!("Since 09:20 UTC users at {stark} get “SAML response invalid” when signing in. Their IdP at {ip} started signing with a new certificate this morning.")),
            pt("Impact: about 600 users cannot sign in; API traffic is unaffected."),
        ]);
        self.issue(
            &pr,
            &l,
            "Incident",
            &summary,
            description,
            None,
            None,
            vec![
                jc(luis, |g, l| {
                    let e = g.plant(l, "EMAIL_ADDRESS", "p.ng@starkindustries.com");
                    doc(vec![para(vec![
                        t("Their IT contact is "),
                        t(&e),
                        t(", she has the new certificate ready to send."),
                    ])])
                }),
                jc_text(
                    sam,
                    "New certificate uploaded, sign-ins working again at 10:05.",
                ),
            ],
        );

        let l = self.issue_loc(&mut pr);
        let summary = format!(
            "{} data export request",
            self.client(&l.field("title"), "Tyrell Corp", "Tyrell Corp")
        );
        let ty = self.client(&l, "Tyrell Corp", "Tyrell Corp");
        let ip = self.ip(&[34, 35]);
        let ip = self.plant(&l, "IP_ADDRESS", &ip);
        let description = doc(vec![
            pt(&format!("{ty} asked for a full export of their shipment history for an audit. Deliver it to their SFTP server at {ip}; they have allow-listed our egress addresses.")),
        ]);
        self.issue(
            &pr,
            &l,
            "Task",
            &summary,
            description,
            None,
            None,
            vec![
                jc_text(tomasz, "Export generated (38 GB). Upload running."),
                jc_text(tomasz, "Delivered. Checksums sent separately."),
            ],
        );

        let l = self.issue_loc(&mut pr);
        let description = doc(vec![
            pt("Move every secret currently stored in Confluence pages and Jira tickets into the secrets manager, then delete the pages."),
            bullets(&["Inventory pages found by the wiki scan", "Rotate each secret as it moves", "Delete or redact the original"]),
        ]);
        self.issue(
            &pr,
            &l,
            "Task",
            "Migrate secrets from Confluence to the secrets manager",
            description,
            None,
            None,
            vec![jc_text(sam, "Inventory done: 14 pages, 9 tickets.")],
        );

        let l = self.issue_loc(&mut pr);
        let summary = format!(
            "{} reports intermittent 502s",
            self.client(&l.field("title"), "Beacon", "Beacon")
        );
        let b = self.client(&l, "Beacon", "Beacon");
        let ph = self.plant(&l, "PHONE_NUMBER", "+1 (312) 555-0178");
        let description = doc(vec![
            pt(&format!("{b} sees 502 responses on about 2% of API calls since the load balancer change on Tuesday. Their on-call engineer can be reached at {ph}.")),
        ]);
        self.issue(&pr, &l, "Incident", &summary, description, None, None, vec![
            jc_text(tomasz, "Idle timeout on the new load balancer is shorter than the upstream keep-alive. Aligning them."),
            jc_text(sam, "No 502s since the change. Closing after 24 hours."),
        ]);

        let l = self.issue_loc(&mut pr);
        let summary = format!(
            "{} onboarding: IP allow-list",
            self.client(&l.field("title"), "Cyberdyne Systems", "Cyberdyne Systems")
        );
        let cy = self.client(&l, "Cyberdyne Systems", "Cyberdyne");
        let mut rows = vec![];
        for site in ["Head office", "Data centre", "VPN egress"] {
            let ip = self.ip(&[54, 64, 81]);
            let ip = self.plant(&l, "IP_ADDRESS", &ip);
            rows.push(vec![site.to_string(), ip]);
        }
        let description = doc(vec![
            pt(&format!(
                "{cy} needs these addresses allow-listed on the API gateway before go-live:"
            )),
            adf_table(&["Site", "Address"], &rows),
        ]);
        self.issue(
            &pr,
            &l,
            "Task",
            &summary,
            description,
            None,
            None,
            vec![jc_text(
                sam,
                "Added to the gateway allow-list in all regions.",
            )],
        );

        let l = self.issue_loc(&mut pr);
        let support = aisha.clone();
        let description = doc(vec![
            pt("The log cluster crossed 85% disk usage on two nodes. Retention is 30 days; the debug logging change doubled volume."),
        ]);
        self.issue(
            &pr,
            &l,
            "Bug",
            "Disk usage alert on the log cluster",
            description,
            None,
            None,
            vec![
                jc(tomasz, move |_, _| {
                    doc(vec![para(vec![
                        adf_mention(&support),
                        t(" can you check whether support needs debug logs older than a week?"),
                    ])])
                }),
                jc_text(
                    sam,
                    "Retention for debug indices cut to 7 days; usage is at 61%.",
                ),
            ],
        );

        let l = self.issue_loc(&mut pr);
        let description = doc(vec![
            pt("Quarterly review of who has production access."),
            adf_table(
                &["Team", "Accounts", "Reviewer"],
                &[
                    vec!["SRE".into(), "6".into(), "Tomasz Nowak".into()],
                    vec!["Payments".into(), "9".into(), "Mei Chen".into()],
                    vec!["Support".into(), "4".into(), "Aisha Bello".into()],
                ],
            ),
        ]);
        self.issue(
            &pr,
            &l,
            "Task",
            "Quarterly production access review",
            description,
            None,
            None,
            vec![jc_text(tomasz, "Removed three leavers’ accounts.")],
        );

        let l = self.issue_loc(&mut pr);
        let summary = format!(
            "{} webhook deliveries delayed",
            self.client(&l.field("title"), "Soylent", "Soylent")
        );
        let so = self.client(&l, "Soylent", "Soylent");
        let uh = self.client(
            &l.custom("customfield_10050"),
            "Umbrella Health",
            "Umbrella Health",
        );
        let e = self.plant(
            &l.custom("customfield_10050"),
            "EMAIL_ADDRESS",
            "it-ops@umbrellahealth.com",
        );
        let description = doc(vec![
            pt(&format!("Webhook deliveries to {so} are delayed by up to 40 minutes. Other customers on the same queue are affected too.")),
        ]);
        let notes = doc(vec![pt(&format!(
            "{uh} is on the same queue and asked for a status email every two hours to {e}."
        ))]);
        self.issue(&pr, &l, "Incident", &summary, description, Some(notes), None, vec![
            jc_text(sam, "A poison message blocked the partition. Moved it to the dead-letter queue; backlog cleared in 25 minutes."),
            jc_text(aisha, "Status emails sent."),
        ]);
        let _ = pr;
    }

    fn help_project(&mut self) {
        let mut pr = self.project(
            "10002",
            "HELP",
            "Customer Help Desk",
            "service_desk",
            "sensitive",
            311,
        );
        let users = self.users.clone();
        let customers = self.customers.clone();
        let aisha = &users[AISHA];
        let (margaret, daniel, alan, fatima) =
            (&customers[0], &customers[1], &customers[2], &customers[3]);

        let l = self.issue_loc(&mut pr);
        let dob = self.plant(&l, "DATE_OF_BIRTH", "02/11/1979");
        let ph = self.plant(&l, "PHONE_NUMBER", "(415) 555-0186");
        let description = doc(vec![pt(&format!("I can’t log into the billing portal since yesterday. My date of birth is {dob} and my phone number is {ph} if you need to verify me."))]);
        self.issue(&pr, &l, "Get IT help", "Can’t log in to the billing portal", description, None, None, vec![
            jsm(jc(aisha, |g, l| {
                let ssn = g.ssn();
                let ssn = g.plant(l, "US_SSN", &ssn);
                doc(vec![pt(&format!("Internal: verified identity with SSN {ssn} from the billing record before resetting."))])
            }), false),
            jsm(jc_text(aisha, "Hi Margaret, we’ve reset your password; you should have an email with a link. Let us know if it doesn’t arrive."), true),
            jsm(jc_text(margaret, "Got it, thank you!"), true),
        ]);

        let l = self.issue_loc(&mut pr);
        let mbi = self.mbi(true);
        let mbi = self.plant(&l, "US_MBI", &mbi);
        let mrn = self.mrn();
        let mrn = self.plant(&l, "MEDICAL_RECORD_NUMBER", &mrn);
        let description = doc(vec![pt(&format!("Clinic front desk here. The invoice for patient MRN {mrn} shows the wrong Medicare number. The Medicare MBI on the card is {mbi}; please correct it and reissue."))]);
        self.issue(&pr, &l, "Billing question", "Wrong Medicare number on invoice", description, None, None, vec![
            jsm(jc(aisha, |g, l| {
                let m = g.mbi(false);
                let m = g.plant(l, "US_MBI", &m);
                doc(vec![pt(&format!("Internal: the invoice used the spouse’s Medicare MBI {m}. Corrected and reissued."))])
            }), false),
            jsm(jc_text(aisha, "We’ve corrected the invoice and sent a new copy to the clinic."), true),
        ]);

        let l = self.issue_loc(&mut pr);
        let dea = self.dea('A', 'W');
        let dea = self.plant(&l, "US_DEA", &dea);
        let npi = self.npi();
        let npi = self.plant(&l, "US_NPI", &npi);
        let description = doc(vec![
            para(vec![t("Our e-prescribing integration rejects refills for Dr. Alan Whitmore. His DEA number "), tm(&dea, &["strong"]), t(&format!(" and NPI {npi} are on file and valid."))]),
        ]);
        self.issue(&pr, &l, "Get IT help", "Prescription refill blocked: DEA number rejected", description, None, None, vec![
            jsm(jc(aisha, |g, l| {
                let d = g.dea('B', 'W');
                let d = g.plant(l, "US_DEA", &d);
                doc(vec![pt(&format!("Internal: the integration sent the hospital’s DEA {d} instead of the prescriber’s. Mapping fixed."))])
            }), false),
            jsm(jc_text(alan, "Refills are going through now. Thanks."), true),
        ]);

        let l = self.issue_loc(&mut pr);
        let description = doc(vec![pt("An insurance claim generated by the portal was denied for a missing diagnosis code. Can you check what was sent?")]);
        self.issue(&pr, &l, "Billing question", "Insurance claim denied", description, None, None, vec![
            jsm(jc(aisha, |g, l| {
                let icd = g.plant(l, "ICD10_CODE", "J45.909");
                let asthma = g.plant(l, "HEALTH_CONDITION", "asthma");
                doc(vec![pt(&format!("Internal: claim was missing diagnosis (ICD-10) {icd}. The patient has {asthma} and the visit was the quarterly review; resubmitted with the code."))])
            }), false),
            jsm(jc_text(aisha, "We found the problem and resubmitted the claim. You’ll hear from the insurer within 10 days."), true),
        ]);

        let l = self.issue_loc(&mut pr);
        let card = self.card("4");
        let card = self.plant(&l, "CREDIT_CARD", &card);
        let description = doc(vec![pt(&format!("Please charge my new card from now on: {card}, expiry 08/29. The old one was cancelled."))]);
        self.issue(&pr, &l, "Billing question", "Update my payment card", description, None, None, vec![
            jsm(jc_text(aisha, "Hi Daniel, please never send card numbers by email or in tickets. Use the “Payment methods” page in the portal instead; we’ve removed the number from our records."), true),
            jsm(jc(aisha, |g, l| {
                let jwt = g.jwt("712020:daniel.reyes", "customer", 1_785_490_000);
                let jwt = g.plant(l, "JWT", &jwt);
                doc(vec![
                    pt("Internal: the HAR file the customer attached contains his session token:"),
                    code_block("text", &jwt),
                    pt("Session revoked."),
                ])
            }), false),
            jsm(jc_text(daniel, "Sorry about that, updated it in the portal."), true),
        ]);

        let l = self.issue_loc(&mut pr);
        let pass = self.passport();
        let pass = self.plant(&l, "US_PASSPORT", &pass);
        let itin = self.itin();
        let itin = self.plant(&l, "US_ITIN", &itin);
        let description = doc(vec![pt(&format!("I’m registering as a patient while on a work assignment. My passport number is {pass} and my ITIN is {itin} for the tax receipt."))]);
        self.issue(&pr, &l, "Get IT help", "Registering as an international patient", description, None, None, vec![
            jsm(jc_text(aisha, "Thanks Fatima, your registration is complete. We don’t need your passport details, so we’ve removed them from this request."), true),
            jsm(jc_text(fatima, "Great, thank you."), true),
        ]);

        let l = self.issue_loc(&mut pr);
        let old = self.plant(&l, "EMAIL_ADDRESS", "m.ellison1962@mailbox.org");
        let new = self.plant(&l, "EMAIL_ADDRESS", "margaret.ellison@fastmail.com");
        let description = doc(vec![pt(&format!(
            "Please change my login email from {old} to {new}."
        ))]);
        self.issue(
            &pr,
            &l,
            "Get IT help",
            "Change my email address",
            description,
            None,
            None,
            vec![jsm(
                jc_text(aisha, "Done. You’ll get a confirmation at the new address."),
                true,
            )],
        );

        let l = self.issue_loc(&mut pr);
        let mrn = self.mrn();
        let mrn = self.plant(&l, "MEDICAL_RECORD_NUMBER", &mrn);
        let ip = self.ip(&[81, 86]);
        let ip = self.plant(&l, "IP_ADDRESS", &ip);
        let description = doc(vec![pt(&format!("When I logged in this morning the portal showed another patient’s record, MRN {mrn}. I was on my home connection ({ip}). This is serious."))]);
        self.issue(&pr, &l, "Report a problem", "Portal showed another patient’s record", description, None, None, vec![
            jsm(jc_text(aisha, "Thank you for telling us. We have escalated this to our security team and will update you within 24 hours."), true),
            jsm(jc_text(aisha, "Internal: cache key collision on the CDN; security incident opened, DPO informed."), false),
        ]);

        let l = self.issue_loc(&mut pr);
        let description = doc(vec![pt("It would be great if the portal had a dark mode; the white screen is hard to read at night.")]);
        self.issue(
            &pr,
            &l,
            "Suggest a new feature",
            "Dark mode for the portal",
            description,
            None,
            None,
            vec![jsm(
                jc_text(
                    aisha,
                    "Thanks for the suggestion, we’ve passed it to the product team.",
                ),
                true,
            )],
        );

        let l = self.issue_loc(&mut pr);
        let summary = format!(
            "{}: bulk statement reprint",
            self.client(&l.field("title"), "Umbrella Health", "Umbrella Health")
        );
        let uh = self.client(&l, "Umbrella Health", "Umbrella Health Group");
        let description = doc(vec![pt(&format!("{uh} needs all patient statements for August reprinted after the print vendor lost a batch."))]);
        let notes = doc(vec![pt(
            "Vendor confirmed the lost batch was shredded, not mailed.",
        )]);
        self.issue(
            &pr,
            &l,
            "Billing question",
            &summary,
            description,
            Some(notes),
            None,
            vec![jsm(
                jc_text(aisha, "Reprint job scheduled for tonight."),
                false,
            )],
        );
        let _ = pr;
    }

    fn road_project(&mut self) {
        let mut pr = self.project("10003", "ROAD", "Roadmap", "business", "clean", 12);
        let users = self.users.clone();
        let (priya, jonas, luis) = (&users[PRIYA], &users[JONAS], &users[LUIS]);

        let l = self.issue_loc(&mut pr);
        let summit = self.look(&l, "ordinary_word", "the summit");
        let ts = self.look(&l, "iso_timestamp", "2026-10-01T09:00:00Z");
        let description = doc(vec![
            pt(&format!("Q4 themes, to be presented at {summit} in November: reliability, faster onboarding, and fewer clicks for warehouse staff.")),
            pt(&format!("Planning freeze at {ts}.")),
        ]);
        self.issue(
            &pr,
            &l,
            "Task",
            "Q4 themes",
            description,
            None,
            None,
            vec![
                jc_text(
                    luis,
                    "Sales would like onboarding first; it is the most common objection.",
                ),
                jc_text(priya, "Agreed, onboarding leads the list."),
            ],
        );

        let l = self.issue_loc(&mut pr);
        let uuid = self.rng.uuid();
        let uuid = self.look(&l, "uuid", &uuid);
        let description = doc(vec![pt(&format!("Deprecate the v1 webhook format by the end of Q1. Each subscription carries an id like {uuid}; send a notice to every subscription still on v1."))]);
        self.issue(
            &pr,
            &l,
            "Task",
            "Deprecate v1 webhooks",
            description,
            None,
            None,
            vec![jc_text(jonas, "Docs for the migration are drafted.")],
        );

        let l = self.issue_loc(&mut pr);
        let bad = self.bad_card();
        let bad = self.look(&l, "card_failing_luhn", &bad);
        let bad_iban = self.bad_iban();
        let bad_iban = self.look(&l, "iban_bad_check_digits", &bad_iban);
        let description = doc(vec![
            pt("Validate card numbers and IBANs as the user types, so that typos are caught before submit."),
            pt(&format!("Examples for the design review: {bad} should show “check the number”; {bad_iban} should show “check digits do not match”.")),
        ]);
        self.issue(
            &pr,
            &l,
            "Task",
            "Inline validation for card and bank details",
            description,
            None,
            None,
            vec![jc_text(priya, "Keep the error text friendly; no codes.")],
        );

        let l = self.issue_loc(&mut pr);
        let a10 = self.look(&l, "part_number", "A10.1");
        let c12 = self.look(&l, "part_number", "C12");
        let beacon = self.look(&l, "ordinary_word", "a beacon");
        let description = doc(vec![
            pt(&format!("Warehouse scanners ({a10}) should queue scans when Wi-Fi drops and sync when they are back in the {c12} cradle.")),
            pt(&format!("Stretch goal: the scanner acts as {beacon} so that a lost device can be found.")),
        ]);
        self.issue(
            &pr,
            &l,
            "Task",
            "Offline mode for warehouse scanners",
            description,
            None,
            None,
            vec![jc_text(
                jonas,
                "We’ll need a help article on conflict resolution.",
            )],
        );

        let l = self.issue_loc(&mut pr);
        let order = self.look(&l, "order_number", "order #48213377");
        let ticket = self.look(&l, "ticket_key", "PAY-1234");
        let description = doc(vec![pt(&format!("Searching for {order} returns nothing unless the hash is removed. Same root cause as {ticket}."))]);
        self.issue(
            &pr,
            &l,
            "Task",
            "Improve order search",
            description,
            None,
            None,
            vec![jc_text(
                priya,
                "Let’s normalise the query before it reaches the index.",
            )],
        );

        let l = self.issue_loc(&mut pr);
        let cui = self.look(&l, "ordinary_phrase", "cui bono");
        let akx = self.look(&l, "placeholder_aws_key", "AKIAXXXXXXXXXXXXXXXX");
        let description = doc(vec![
            pt(&format!("Security hardening for next year. For every integration, ask {cui}: who benefits from the access we grant?")),
            pt(&format!("Docs and examples must only ever show placeholder keys such as {akx}.")),
        ]);
        self.issue(
            &pr,
            &l,
            "Task",
            "Security hardening themes",
            description,
            None,
            None,
            vec![jc(priya, |_, _| {
                doc(vec![pt(
                    "Adding a review of integration scopes to the list.",
                )])
            })],
        );
        let _ = pr;
    }
}

// ---------------------------------------------------------------------------
// Output.

/// Rebuilds every object with keys inserted in sorted order, so the printed
/// bytes are the same whether or not serde_json's `preserve_order` is enabled.
fn canonical(v: Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            let mut out = Map::new();
            for (k, v) in entries {
                out.insert(k, canonical(v));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(canonical).collect()),
        other => other,
    }
}

fn pretty(v: Value) -> String {
    let mut s = serde_json::to_string_pretty(&canonical(v)).expect("JSON values always serialise");
    s.push('\n');
    s
}

impl Gen {
    fn files(self) -> Vec<(String, String)> {
        let mut clients = String::from("name,aliases,ordinary_word\n");
        for (name, aliases, ordinary) in CLIENTS {
            clients.push_str(&format!("{name},{},{ordinary}\n", aliases.join("|")));
        }
        let fields = json!([
            {"id": "summary", "key": "summary", "name": "Summary", "custom": false, "orderable": true, "navigable": true, "searchable": true,
             "clauseNames": ["summary"], "schema": {"type": "string", "system": "summary"}},
            {"id": "description", "key": "description", "name": "Description", "custom": false, "orderable": true, "navigable": true, "searchable": true,
             "clauseNames": ["description"], "schema": {"type": "string", "system": "description"}},
            {"id": "comment", "key": "comment", "name": "Comment", "custom": false, "orderable": true, "navigable": false, "searchable": true,
             "clauseNames": ["comment"], "schema": {"type": "comments-page", "system": "comment"}},
            {"id": "issuetype", "key": "issuetype", "name": "Issue Type", "custom": false, "orderable": true, "navigable": true, "searchable": true,
             "clauseNames": ["issuetype", "type"], "schema": {"type": "issuetype", "system": "issuetype"}},
            {"id": "project", "key": "project", "name": "Project", "custom": false, "orderable": false, "navigable": true, "searchable": true,
             "clauseNames": ["project"], "schema": {"type": "project", "system": "project"}},
            {"id": "created", "key": "created", "name": "Created", "custom": false, "orderable": false, "navigable": true, "searchable": true,
             "clauseNames": ["created", "createdDate"], "schema": {"type": "datetime", "system": "created"}},
            {"id": "updated", "key": "updated", "name": "Updated", "custom": false, "orderable": false, "navigable": true, "searchable": true,
             "clauseNames": ["updated", "updatedDate"], "schema": {"type": "datetime", "system": "updated"}},
            {"id": "customfield_10050", "key": "customfield_10050", "name": "Customer notes", "custom": true, "orderable": true, "navigable": true, "searchable": true,
             "clauseNames": ["cf[10050]", "Customer notes"],
             "schema": {"type": "string", "custom": "com.atlassian.jira.plugin.system.customfieldtypes:textarea", "customId": 10050}},
            {"id": "customfield_10051", "key": "customfield_10051", "name": "Account reference", "custom": true, "orderable": true, "navigable": true, "searchable": true,
             "clauseNames": ["cf[10051]", "Account reference"],
             "schema": {"type": "string", "custom": "com.atlassian.jira.plugin.system.customfieldtypes:textfield", "customId": 10051}},
        ]);
        vec![
            (
                "site.json".into(),
                pretty(json!({"name": SITE_NAME, "baseUrl": BASE_URL, "cloudId": CLOUD_ID})),
            ),
            (
                "confluence/spaces.json".into(),
                pretty(Value::Array(self.spaces)),
            ),
            (
                "confluence/pages.json".into(),
                pretty(Value::Array(self.pages)),
            ),
            (
                "confluence/blogposts.json".into(),
                pretty(Value::Array(self.blogposts)),
            ),
            (
                "confluence/footer-comments.json".into(),
                pretty(Value::Array(self.footer)),
            ),
            (
                "confluence/inline-comments.json".into(),
                pretty(Value::Array(self.inline)),
            ),
            ("confluence/hidden.json".into(), pretty(json!(self.hidden))),
            (
                "jira/projects.json".into(),
                pretty(Value::Array(self.projects)),
            ),
            ("jira/fields.json".into(), pretty(fields)),
            ("jira/issues.json".into(), pretty(Value::Array(self.issues))),
            ("clients.csv".into(), clients),
            ("connectors.toml".into(), CONNECTORS_TOML.into()),
            ("org.toml".into(), ORG_TOML.into()),
            (
                "truth.json".into(),
                pretty(json!({
                    "planted": self.planted,
                    "lookalikes": self.lookalikes,
                    "containers": self.containers,
                })),
            ),
        ]
    }
}

/// The demo organization's connector inventory: two synced connectors with
/// sensitive scope or notes, one synced public website, one direct.
const CONNECTORS_TOML: &str = r#"# The demo organization's Teamwork Graph connectors, as an admin would list
# them for `withhold scan --connectors` (no API lists connectors).

[[connector]]
name = "Google Drive"
type = "google-drive"
sync = "synced"
scope = "Shared drives: People Ops, Payroll, Sales"
owner = "it-admins@acme-demo.com"
notes = "Synced since June for Rovo search"

[[connector]]
name = "Salesforce"
type = "salesforce"
sync = "synced"
scope = "Accounts, opportunities and cases"
owner = "revops@acme-demo.com"
notes = "Northwind Traders and Contoso accounts included"

[[connector]]
name = "Slack"
type = "slack"
sync = "direct"
scope = "Public channels"
owner = "it-admins@acme-demo.com"
notes = ""

[[connector]]
name = "Public website"
type = "custom-website"
sync = "synced"
scope = "https://www.acme-demo.com/docs"
owner = "web@acme-demo.com"
notes = "Product documentation, public"
"#;

/// The demo organization as its admin describes it: Standard with a Premium
/// trial, two organizations, EU residency — every posture check has something to say.
const ORG_TOML: &str = r#"# The demo organization, as its admin would describe it for `--org`
# (see `withhold posture --help` and examples/org/).
name = "Acme Demo"
plan = "standard"
in_app = "on"
metadata = "on"
organizations = 2
data_residency = "EU"

[[trial]]
plan = "premium"
product = "confluence"
ends = "2026-12-15"
"#;
