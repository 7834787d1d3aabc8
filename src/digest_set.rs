//! An exact set of 128-bit digests at 16 bytes an entry: what a scan
//! remembers of every item and comment it took, to drop repeats.
//!
//! A hash set of a million-item site's ~5 million digests costs 27–50 bytes
//! an entry (its load factor, and old and new tables side by side while it
//! grows): up to 200 MB, most of a crawl's memory. Here the digests live in
//! one sorted vector, grown exactly, with the newest in a small hash set
//! merged into it in place every [`RECENT`] inserts (a linear merge, so a
//! run of n inserts costs O(n²/RECENT) moves: about 0.3 s at 5 million).

use std::collections::HashSet;

/// How many new digests wait in the hash set before a merge.
const RECENT: usize = 1 << 16;

#[derive(Debug, Default)]
pub struct DigestSet {
    sorted: Vec<u128>,
    recent: HashSet<u128>,
}

impl DigestSet {
    /// Adds `d`; `false` when it was there already.
    pub fn insert(&mut self, d: u128) -> bool {
        if self.sorted.binary_search(&d).is_ok() || !self.recent.insert(d) {
            return false;
        }
        if self.recent.len() >= RECENT {
            self.merge();
        }
        true
    }

    pub fn contains(&self, d: &u128) -> bool {
        self.recent.contains(d) || self.sorted.binary_search(d).is_ok()
    }

    pub fn len(&self) -> usize {
        self.sorted.len() + self.recent.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Moves the recent digests into the sorted vector, merging from the
    /// back so that nothing but the vector's own growth is allocated.
    fn merge(&mut self) {
        let mut new: Vec<u128> = self.recent.drain().collect();
        new.sort_unstable();
        let old = self.sorted.len();
        self.sorted.reserve_exact(new.len());
        self.sorted.resize(old + new.len(), 0);
        let (mut i, mut k) = (old, old + new.len());
        while let Some(&n) = new.last() {
            k -= 1;
            if i > 0 && self.sorted[i - 1] > n {
                self.sorted[k] = self.sorted[i - 1];
                i -= 1;
            } else {
                self.sorted[k] = n;
                new.pop();
            }
        }
        self.recent.shrink_to(RECENT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(12))]
        // Several merges' worth, with repeats both within and across merges.
        #[test]
        fn behaves_as_a_set(values in proptest::collection::vec(0u128..400_000, 0..200_000)) {
            let mut ours = DigestSet::default();
            let mut model = HashSet::new();
            for v in &values {
                prop_assert_eq!(ours.insert(*v), model.insert(*v));
            }
            prop_assert_eq!(ours.len(), model.len());
            for v in 0u128..1_000 {
                prop_assert_eq!(ours.contains(&v), model.contains(&v));
            }
            prop_assert!(ours.sorted.windows(2).all(|w| w[0] < w[1]));
        }
    }

    #[test]
    fn merges_keep_every_digest_and_the_order() {
        let mut s = DigestSet::default();
        // Descending, so each merge puts all new digests before the old.
        let n = 3 * RECENT as u128 + 17;
        for v in (0..n).rev() {
            assert!(s.insert(v * 7));
        }
        assert!(s.sorted.len() >= 3 * RECENT);
        for v in 0..n {
            assert!(s.contains(&(v * 7)));
            assert!(!s.contains(&(v * 7 + 1)));
            assert!(!s.insert(v * 7));
        }
        assert_eq!(s.len(), n as usize);
        assert!(!s.is_empty());
    }
}
