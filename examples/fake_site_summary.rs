//! Print the summary of a generated fake site: `cargo run --example fake_site_summary -- 2000 7`.
fn main() {
    let mut args = std::env::args().skip(1);
    let items = args.next().and_then(|a| a.parse().ok()).unwrap_or(2000);
    let seed = args.next().and_then(|a| a.parse().ok()).unwrap_or(7);
    let t = std::time::Instant::now();
    let data = withhold::fake_site::SiteData::generate(items, seed);
    let s = data.summary();
    println!("generated in {:?}", t.elapsed());
    println!(
        "spaces {} pages {} blogposts {} hidden {} footer roots {} replies {} inline roots {} replies {}",
        s.spaces,
        s.pages,
        s.blogposts,
        s.hidden_page_ids.len(),
        s.footer_root_comments,
        s.footer_replies,
        s.inline_root_comments,
        s.inline_replies
    );
    println!(
        "projects {} issues {} comments {} issues over 20 comments {}",
        s.projects, s.issues, s.issue_comments, s.issues_over_20_comments
    );
    println!(
        "{}",
        data.pages
            .first()
            .map(|p| p["body"]["storage"]["value"].to_string())
            .unwrap_or_default()
    );
}
