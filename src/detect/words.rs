//! Bytes eight at a time (SWAR, no `unsafe`): the masks that gate the client
//! dictionary on word starts and the literal tier on identifier-part starts,
//! so that both look closely at one position in six instead of every byte.

pub(crate) const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
pub(crate) const HIGH: u64 = 0x8080_8080_8080_8080;

pub(crate) const fn splat(b: u8) -> u64 {
    (b as u64) * 0x0101_0101_0101_0101
}

/// Per byte lane of `x`: high bit set when `lo <= lane <= hi` (hi < 0x80).
/// Classic SWAR: no lane can carry into the next.
#[inline]
pub(crate) fn lanes_in_range(x: u64, lo: u8, hi: u8) -> u64 {
    let y = x & LOW7;
    let at_least_lo = y + splat(0x80 - lo);
    let above_hi = y + splat(0x7f - hi);
    at_least_lo & !above_hi & !x & HIGH
}

/// Per byte lane of `x`: high bit set when the lane is a word byte
/// (`[A-Za-z0-9_]`, as [`is_word_byte`]).
#[inline]
pub(crate) fn word_lanes(x: u64) -> u64 {
    let letters = lanes_in_range(x | splat(0x20), b'a', b'z');
    let digits = lanes_in_range(x, b'0', b'9');
    let y = x ^ splat(b'_');
    let underscore = !(((y & LOW7) + LOW7) | y) & HIGH;
    letters | digits | underscore
}

/// The lanes' high bits gathered into the low 8 bits, lane 0 first.
#[inline]
pub(crate) fn gather_high_bits(lanes: u64) -> u64 {
    ((lanes >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56
}

/// Bit j set when byte j of `block` is a word byte. Eight bytes at a time:
/// several times faster than a byte loop, without `unsafe`.
#[inline]
pub(crate) fn word_mask_block(block: &[u8; 64]) -> u64 {
    let mut mask = 0u64;
    for k in 0..8 {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(&block[k * 8..k * 8 + 8]);
        mask |= gather_high_bits(word_lanes(u64::from_le_bytes(eight))) << (8 * k);
    }
    mask
}

/// `f` of the `b`-th 64-byte block of `bytes`, zero-padded past the end.
#[inline]
fn on_block(bytes: &[u8], b: usize, f: impl FnOnce(&[u8; 64]) -> u64) -> u64 {
    match bytes.get(b * 64..b * 64 + 64).map(<&[u8; 64]>::try_from) {
        Some(Ok(full)) => f(full),
        _ => {
            let mut padded = [0u8; 64];
            let chunk = bytes.get(b * 64..).unwrap_or_default();
            let n = chunk.len().min(64);
            padded[..n].copy_from_slice(&chunk[..n]);
            f(&padded)
        }
    }
}

/// [`word_mask_block`] for a chunk of at most 64 bytes (the text's tail).
#[cfg(test)]
fn word_mask(chunk: &[u8]) -> u64 {
    on_block(chunk, 0, word_mask_block)
}

/// The word mask of the `b`-th 64-byte block of `bytes` (0 past the end).
#[inline]
pub(crate) fn block_word_mask(bytes: &[u8], b: usize) -> u64 {
    on_block(bytes, b, word_mask_block)
}

/// What the previous eight bytes ended in, for [`gate_mask_block`].
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct GateCarry {
    alnum: u64,
    lower: u64,
}

/// Bit j set when byte j of `block` may begin a literal-tier match: where an
/// identifier part begins (a letter or digit after a byte that is neither,
/// so after `_`, `-`, `.` too; an upper-case letter after a lower-case one,
/// as in `myDatadogKey`) or an ASCII punctuation byte (`-----BEGIN`,
/// `_zoom`, `"apikey`). About one byte in five of prose.
#[inline]
pub(crate) fn gate_mask_block(block: &[u8; 64], carry: &mut GateCarry) -> u64 {
    let mut mask = 0u64;
    for k in 0..8 {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(&block[k * 8..k * 8 + 8]);
        let x = u64::from_le_bytes(eight);
        let lower = lanes_in_range(x, b'a', b'z');
        let upper = lanes_in_range(x, b'A', b'Z');
        let alnum = lower | upper | lanes_in_range(x, b'0', b'9');
        let punctuation = lanes_in_range(x, 0x21, 0x7e) & !alnum;
        // Each lane's left neighbour: shifted one lane up, the previous
        // eight bytes' last lane entering at lane 0.
        let alnum_before = (alnum << 8) | (carry.alnum >> 56);
        let lower_before = (lower << 8) | (carry.lower >> 56);
        carry.alnum = alnum;
        carry.lower = lower;
        let starts = (alnum & !alnum_before) | (upper & lower_before);
        mask |= gather_high_bits(starts | punctuation) << (8 * k);
    }
    mask
}

/// [`gate_mask_block`] for the `b`-th 64-byte block of `bytes`, zero-padded
/// past the end.
#[inline]
pub(crate) fn block_gate_mask(bytes: &[u8], b: usize, carry: &mut GateCarry) -> u64 {
    on_block(bytes, b, |block| gate_mask_block(block, carry))
}

/// The gate of one position, byte by byte: what [`gate_mask_block`] computes.
#[cfg(test)]
pub(crate) fn is_gate(bytes: &[u8], i: usize) -> bool {
    let Some(&b) = bytes.get(i) else {
        return false;
    };
    let prev = i.checked_sub(1).and_then(|j| bytes.get(j)).copied();
    let part_start = b.is_ascii_alphanumeric() && !prev.is_some_and(|p| p.is_ascii_alphanumeric());
    let camel = b.is_ascii_uppercase() && prev.is_some_and(|p| p.is_ascii_lowercase());
    part_start || camel || b.is_ascii_punctuation()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::context::is_word_byte;

    #[test]
    fn word_mask_agrees_with_is_word_byte_on_every_byte() {
        for first in 0..=255u8 {
            let chunk: Vec<u8> = (0..64).map(|j| first.wrapping_add(j as u8 * 4)).collect();
            let expected = chunk
                .iter()
                .enumerate()
                .fold(0u64, |m, (j, &b)| m | (u64::from(is_word_byte(b)) << j));
            assert_eq!(word_mask(&chunk), expected, "block starting at {first}");
        }
        assert_eq!(word_mask(b"ab c"), 0b1011);
    }

    #[test]
    fn gate_mask_agrees_with_the_byte_rule_on_every_pair_of_bytes() {
        // Every byte after every byte, across lane and block edges.
        let mut text = Vec::new();
        for a in 0..=255u8 {
            for b in [b'a', b'A', b'_', b'-', b' ', b'7', 0xc3, a] {
                text.push(a);
                text.push(b);
            }
        }
        let mut carry = GateCarry::default();
        for block in 0..text.len().div_ceil(64) {
            let mask = block_gate_mask(&text, block, &mut carry);
            for j in 0..64 {
                let i = block * 64 + j;
                assert_eq!(
                    mask >> j & 1 == 1,
                    is_gate(&text, i),
                    "byte {i}: {:?}",
                    text.get(i.saturating_sub(1)..=i)
                );
            }
        }
        // Identifier parts begin after `_` and `-`, and at a lower-to-upper step.
        let text = b"MY_AZURE my-Ke myKey";
        let gates: Vec<usize> = (0..text.len()).filter(|&i| is_gate(text, i)).collect();
        assert_eq!(gates, [0, 2, 3, 9, 11, 12, 15, 17]);
    }
}
