//! What keeps one listing honest: a server that sends a page it sent before
//! (a cursor cycle of any length, a `startAt` it ignores, a `nextPageToken`
//! it repeats), pages past what it reported, or an item on two pages.
//!
//! Every listing (spaces, pages, comments, projects, issues, replies) owns
//! one [`Listing`]. It remembers every page it followed (cursor, token or
//! offset) and every item id it handed on, so that a listing can neither
//! loop forever nor stop early and still be called complete: each way out
//! other than the server's own "last page" is an [`Interrupted`] whose
//! reason makes the container (or product) partial.

use super::client::RequestError;
use super::{triage, Fatal};
use std::collections::HashSet;

/// The default page cap of one listing (`--max-pages`).
pub const DEFAULT_MAX_PAGES: u64 = 10_000;

/// Why a listing stopped before the server said it was over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Interrupted {
    /// A page (or cursor, token, offset) already followed came again.
    Repeated,
    /// More pages than `--max-pages` allows.
    PageCap(u64),
    /// More pages than the server's own `total` can fill, with a margin.
    PastTotal { total: u64, pages: u64 },
    /// `isLast: false` with an empty page: it promised more and sent nothing.
    EmptyNotLast,
    /// A next link that leads nowhere we can follow.
    Unfollowable,
}

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Interrupted::Repeated => f.write_str("the server repeated a page"),
            Interrupted::PageCap(n) => write!(
                f,
                "the listing reached {n} pages, the most --max-pages allows (raise it to read on)"
            ),
            Interrupted::PastTotal { total, pages } => write!(
                f,
                "the server kept paging ({pages} pages) past the {total} results it reported"
            ),
            Interrupted::EmptyNotLast => {
                f.write_str("the server said more pages followed but sent an empty page")
            }
            Interrupted::Unfollowable => {
                f.write_str("the server's next link could not be followed")
            }
        }
    }
}

/// Why a listing ended before its last page.
#[derive(Debug, Clone)]
pub enum ListingError {
    /// A request finally failed.
    Request(RequestError),
    /// The server's paging could not be trusted further.
    Interrupted(Interrupted),
}

impl From<RequestError> for ListingError {
    fn from(e: RequestError) -> Self {
        ListingError::Request(e)
    }
}

impl From<Interrupted> for ListingError {
    fn from(e: Interrupted) -> Self {
        ListingError::Interrupted(e)
    }
}

impl ListingError {
    /// The reason to record for `what` ("the page listing failed: …"), or
    /// the error that ends the whole crawl (a refused credential).
    pub(crate) fn reason(self, what: &str) -> Result<String, Fatal> {
        match self {
            ListingError::Request(e) => Ok(format!("{what} failed: {}", triage(e)?)),
            ListingError::Interrupted(i) => Ok(format!("{what} stopped early: {i}")),
        }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, ListingError::Request(RequestError::NotFound { .. }))
    }
}

/// The state of one listing.
#[derive(Debug)]
pub struct Listing {
    followed: HashSet<String>,
    ids: HashSet<String>,
    pages: u64,
    max_pages: u64,
    /// Most pages the server's `total` allows (with a margin), once known.
    bound: Option<(u64, u64)>,
}

impl Listing {
    pub fn new(max_pages: u64) -> Listing {
        Listing {
            followed: HashSet::new(),
            ids: HashSet::new(),
            pages: 0,
            max_pages: max_pages.max(1),
            bound: None,
        }
    }

    /// Before fetching the page named `key` (its cursor, token, offset or URL).
    pub fn follow(&mut self, key: &str) -> Result<(), Interrupted> {
        if !self.followed.insert(key.to_string()) {
            return Err(Interrupted::Repeated);
        }
        if self.pages >= self.max_pages {
            return Err(Interrupted::PageCap(self.max_pages));
        }
        if let Some((total, most)) = self.bound {
            if self.pages >= most {
                return Err(Interrupted::PastTotal {
                    total,
                    pages: self.pages,
                });
            }
        }
        self.pages += 1;
        Ok(())
    }

    /// Whether an item is new to this listing (an item listed twice, as
    /// servers do when content moves during a crawl, is handed on once).
    pub fn fresh(&mut self, id: &str) -> bool {
        id.is_empty() || self.ids.insert(id.to_string())
    }

    /// After a page: `new` of its `len` items were fresh. A non-empty page of
    /// items all seen before is a repeated page, whatever its cursor said.
    pub fn page_done(&self, len: usize, new: usize) -> Result<(), Interrupted> {
        if len > 0 && new == 0 {
            Err(Interrupted::Repeated)
        } else {
            Ok(())
        }
    }

    /// The server reported `total` results at `per_page` a page: the listing
    /// may take that many pages, plus a tenth and two for content added
    /// while it runs.
    pub fn expect_total(&mut self, total: u64, per_page: u64) {
        let pages = total.div_ceil(per_page.max(1));
        self.bound = Some((total, pages + pages / 10 + 2));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_followed_twice_is_a_repeated_page() {
        let mut l = Listing::new(100);
        assert_eq!(l.follow("a"), Ok(()));
        assert_eq!(l.follow("b"), Ok(()));
        assert_eq!(l.follow("a"), Err(Interrupted::Repeated));
    }

    #[test]
    fn the_page_cap_names_the_flag() {
        let mut l = Listing::new(2);
        l.follow("1").unwrap();
        l.follow("2").unwrap();
        let e = l.follow("3").unwrap_err();
        assert!(e.to_string().contains("--max-pages"), "{e}");
    }

    #[test]
    fn pages_past_the_reported_total_stop_the_listing() {
        let mut l = Listing::new(10_000);
        l.expect_total(100, 50); // 2 pages, +0 +2 margin
        for k in 0..4 {
            l.follow(&k.to_string()).unwrap();
        }
        assert!(matches!(
            l.follow("4"),
            Err(Interrupted::PastTotal { total: 100, .. })
        ));
    }

    #[test]
    fn items_are_fresh_once_and_an_all_old_page_is_repeated() {
        let mut l = Listing::new(10);
        assert!(l.fresh("1"));
        assert!(!l.fresh("1"));
        assert_eq!(l.page_done(2, 1), Ok(()));
        assert_eq!(l.page_done(0, 0), Ok(()));
        assert_eq!(l.page_done(3, 0), Err(Interrupted::Repeated));
    }
}
