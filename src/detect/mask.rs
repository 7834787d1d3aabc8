//! Masking: enough of a value to recognise it, never enough to use it.
//!
//! `4111 •••• •••• 1111`, `•••-••-6789`, `j•••@client.com`, `AKIA••••••••••••9986`.
//!
//! [`mask_spans`] applies the same masks inside a longer text: a container's
//! name shown in the outputs (`Payroll 4111 •••• •••• 1111`) keeps everything
//! around its findings, so the admin still recognises it.

use crate::model::Category;

const DOT: char = '•';

/// Mask `value` of `entity` in `category`.
pub fn mask(category: Category, entity: &str, value: &str) -> String {
    match (category, entity) {
        // Markings and banners are labels, not data: showing them is the point.
        (Category::ExportControl, _) => value.to_string(),
        (_, "PRIVATE_KEY") => mask_private_key(value),
        (_, "EMAIL_ADDRESS") => mask_email(value),
        _ => mask_alnum(value),
    }
}

/// A private key shows its header line (`-----BEGIN RSA PRIVATE KEY-----`),
/// which says what it is, and nothing of the key material after it.
fn mask_private_key(value: &str) -> String {
    let header = value
        .strip_prefix("-----BEGIN ")
        .and_then(|rest| rest.find("-----").map(|i| &value[..11 + i + 5]));
    match header {
        Some(h) if h.len() < value.len() => format!("{h} {DOT}{DOT}{DOT}"),
        Some(h) => h.to_string(),
        None => mask_alnum(value),
    }
}

/// `text` with every span (byte offsets into `text`, as findings carry them)
/// replaced by its masked form. Where spans overlap, the part of a later span
/// beyond the earlier one is dotted over, and a span that does not fit the
/// text dots over all of it: no part of a value is ever shown.
pub fn mask_spans<'a>(
    text: &str,
    spans: impl IntoIterator<Item = (usize, usize, &'a str)>,
) -> String {
    let mut spans: Vec<(usize, usize, &str)> = spans.into_iter().collect();
    if spans.is_empty() {
        return text.to_string();
    }
    let fits = |s: usize, e: usize| s <= e && text.get(s..e).is_some();
    if spans.iter().any(|&(s, e, _)| !fits(s, e)) {
        return dots(text);
    }
    // By start, the longest first where two start together.
    spans.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    let mut out = String::with_capacity(text.len());
    let mut cursor = 0;
    for (start, end, masked) in spans {
        if start >= cursor {
            out.push_str(&text[cursor..start]);
            out.push_str(masked);
            cursor = end;
        } else if end > cursor {
            out.push_str(&dots(&text[cursor..end]));
            cursor = end;
        }
    }
    out.push_str(&text[cursor..]);
    out
}

/// Every letter and digit dotted over; separators kept.
fn dots(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_alphanumeric() { DOT } else { c })
        .collect()
}

fn mask_email(value: &str) -> String {
    match value.rsplit_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}{}@{domain}", DOT.to_string().repeat(3))
        }
        None => mask_alnum(value),
    }
}

/// Keep separators, the first four and last four alphanumerics of long values,
/// the last four of mid-length ones, and only the first character of short ones.
fn mask_alnum(value: &str) -> String {
    let n = value.chars().filter(|c| c.is_alphanumeric()).count();
    let (keep_head, keep_tail) = match n {
        0..=4 => (1, 0),
        5..=11 => (0, 4.min(n / 2)),
        _ => (4, 4),
    };
    let mut seen = 0;
    value
        .chars()
        .map(|c| {
            if !c.is_alphanumeric() {
                return c;
            }
            seen += 1;
            if seen <= keep_head || seen > n - keep_tail {
                c
            } else {
                DOT
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_keys_show_their_header_and_no_key_material() {
        let key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAq3TnJ8yV1hQwZr5LmK2pX9fG4tBcD7eW0sUaYoNvRiHjEgMl\n-----END RSA PRIVATE KEY-----";
        let m = mask(Category::Secret, "PRIVATE_KEY", key);
        assert_eq!(m, "-----BEGIN RSA PRIVATE KEY----- •••");
        assert!(!m.contains("MIIE"));
        let bare = mask(
            Category::Secret,
            "PRIVATE_KEY",
            "MIIEowIBAAKCAQEAq3TnJ8yV1hQwZr5LmK2p",
        );
        assert!(!bare.contains("AAKCAQEAq3Tn"), "{bare}");
    }

    #[test]
    fn cards_keep_first_and_last_four() {
        assert_eq!(
            mask(Category::Financial, "CREDIT_CARD", "4111 1111 1111 1111"),
            "4111 •••• •••• 1111"
        );
    }

    #[test]
    fn ssn_keeps_last_four() {
        assert_eq!(
            mask(Category::NationalId, "US_SSN", "123-45-6789"),
            "•••-••-6789"
        );
    }

    #[test]
    fn email_keeps_first_letter_and_domain() {
        assert_eq!(
            mask(Category::Contact, "EMAIL_ADDRESS", "jane.doe@client.com"),
            "j•••@client.com"
        );
    }

    #[test]
    fn spans_are_masked_in_place_and_the_rest_kept() {
        let name = "Payroll 4111 1111 1111 1111 — jane.doe@client.com";
        let card = name.find("4111").unwrap();
        let email = name.find("jane").unwrap();
        let m = mask_spans(
            name,
            [
                (email, name.len(), "j•••@client.com"),
                (card, card + 19, "4111 •••• •••• 1111"),
            ],
        );
        assert_eq!(m, "Payroll 4111 •••• •••• 1111 — j•••@client.com");
        assert_eq!(mask_spans("Engineering", []), "Engineering");
    }

    #[test]
    fn overlapping_or_misplaced_spans_show_nothing_of_the_value() {
        // Two rules over one value, the second reaching further.
        let m = mask_spans("id 123456789 end", [(3, 9, "••••••"), (6, 12, "•••789")]);
        assert_eq!(m, "id ••••••••• end");
        assert_eq!(
            mask_spans("SSN 536-22-0811", [(4, 99, "x")]),
            "••• •••-••-••••"
        );
    }

    #[test]
    fn masked_never_contains_the_middle() {
        let v = "AKIA2E0A8F3B244C9986";
        let m = mask(Category::Secret, "AWS_ACCESS_KEY", v);
        assert_eq!(m, "AKIA••••••••••••9986");
        assert!(!m.contains("8F3B"));
    }
}
