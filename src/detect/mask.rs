//! Masking: enough of a value to recognise it, never enough to use it.
//!
//! `4111 •••• •••• 1111`, `•••-••-6789`, `j•••@client.com`, `AKIA••••••••••••9986`.

use crate::model::Category;

const DOT: char = '•';

/// Mask `value` of `entity` in `category`.
pub fn mask(category: Category, entity: &str, value: &str) -> String {
    match (category, entity) {
        // Markings and banners are labels, not data: showing them is the point.
        (Category::ExportControl, _) | (_, "PRIVATE_KEY") => value.to_string(),
        (_, "EMAIL_ADDRESS") => mask_email(value),
        _ => mask_alnum(value),
    }
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
    fn masked_never_contains_the_middle() {
        let v = "AKIA2E0A8F3B244C9986";
        let m = mask(Category::Secret, "AWS_ACCESS_KEY", v);
        assert_eq!(m, "AKIA••••••••••••9986");
        assert!(!m.contains("8F3B"));
    }
}
