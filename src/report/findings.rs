//! `findings.jsonl`: one finding per line (DESIGN §8).

use crate::model::Finding;
use serde::Serialize;
use std::io::{self, Write};

#[derive(Serialize)]
struct FindingRecord<'a> {
    product: &'a str,
    container_key: &'a str,
    item_id: &'a str,
    item_url: &'a str,
    field: &'a str,
    comment_id: Option<&'a str>,
    rule: &'a str,
    entity: &'a str,
    category: &'a str,
    severity: &'a str,
    confidence: f32,
    start: usize,
    end: usize,
    masked: &'a str,
    fingerprint: &'a str,
    test_value: bool,
    /// JSM comments: whether the customer can see it (`jsdPublic`).
    #[serde(skip_serializing_if = "Option::is_none")]
    customer_visible: Option<bool>,
    /// A reply: the comment it answers (Confluence `parentCommentId`).
    #[serde(skip_serializing_if = "Option::is_none")]
    reply_to: Option<&'a str>,
    #[serde(rename = "match", skip_serializing_if = "Option::is_none")]
    matched: Option<&'a str>,
}

/// Write one finding as a JSON line.
pub fn write_finding<W: Write>(
    out: &mut W,
    f: &Finding,
    comment: Option<&crate::sources::CommentMeta>,
) -> io::Result<()> {
    let record = FindingRecord {
        product: f.origin.product.as_str(),
        container_key: &f.origin.container_key,
        item_id: &f.origin.item_id,
        item_url: &f.origin.item_url,
        field: f.origin.field.as_str(),
        comment_id: f.origin.comment_id.as_deref(),
        rule: &f.rule,
        entity: &f.entity,
        category: f.category.as_str(),
        severity: f.severity.as_str(),
        // Two decimals are all the precision a confidence has.
        confidence: (f.confidence * 100.0).round() / 100.0,
        start: f.start,
        end: f.end,
        masked: &f.masked,
        fingerprint: &f.fingerprint,
        test_value: f.test_value,
        customer_visible: comment.and_then(|c| c.public),
        reply_to: comment.and_then(|c| c.reply_to.as_deref()),
        matched: f.matched.as_deref(),
    };
    serde_json::to_writer(&mut *out, &record)?;
    out.write_all(b"\n")
}
