//! Checks of credential formats: the checksums some vendors build into their
//! tokens, the body of a PEM private key, and the entropy floor of shapeless
//! secrets. Each is arithmetic over the matched value, no allocation.

use base64::Engine as _;

/// The base62 alphabet GitHub and npm use for their token checksums.
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// GitHub classic tokens (`ghp_` `gho_` `ghu_` `ghs_` `ghr_`) and npm tokens
/// (`npm_`) are a 4-byte prefix, 30 random base62 characters and 6 characters
/// that are the CRC32 of those 30, written in base62 and left-padded with `0`
/// (github.blog 2021-04-05 "Behind GitHub's new authentication token formats";
/// 2021-09-23 "npm's new access token format"). A made-up token fails this
/// with probability 1 − 62⁻⁶.
pub fn base62_crc32(value: &str) -> bool {
    let Some((_, body)) = value.split_once('_') else {
        return false;
    };
    let body = body.as_bytes();
    if body.len() != 36 || !body.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let (random, check) = body.split_at(30);
    let mut n = crc32fast::hash(random);
    let mut expected = [b'0'; 6];
    for slot in expected.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    n == 0 && expected == check
}

/// The fewest base64 characters a real private key body has: an Ed25519
/// PKCS#8 key, the smallest in use, is 48 bytes = 64 characters.
const MIN_PEM_BODY: usize = 64;

/// A PEM / OpenSSH / PGP private-key block: a BEGIN line, then a body that is
/// real base64 of plausible length. `Proc-Type:`/`DEK-Info:` (encrypted PEM)
/// and `Version:`/`Comment:` (PGP armour) header lines are skipped, and so is
/// PGP's `=XXXX` checksum line. The DER of PKCS#1/#8/SEC1 keys starts with a
/// SEQUENCE (0x30); OpenSSH's with `openssh-key-v1`. A header followed by
/// `anything`, by `...` or by nothing is not a key.
pub fn pem_private_key(value: &str) -> bool {
    let Some(header_end) = value.find("-----\n").or_else(|| {
        // Bodies pasted without their line breaks: the header ends at the
        // second run of dashes.
        value
            .get(5..)
            .and_then(|rest| rest.find("-----"))
            .map(|i| i + 5)
    }) else {
        return false;
    };
    let header = &value[..header_end];
    let mut body = String::new();
    let rest = value[header_end..].trim_start_matches('-');
    let rest = rest.split("-----END").next().unwrap_or(rest);
    for line in rest.split(['\n', '\r']).map(str::trim) {
        if line.is_empty()
            || line.contains(':')
            || (header.contains("PGP") && line.starts_with('=') && line.len() <= 5)
        {
            continue;
        }
        // A body pasted on one line with spaces for its breaks.
        body.extend(line.split_ascii_whitespace().flat_map(str::chars));
    }
    let body = body.trim_end_matches('-');
    if body.len() < MIN_PEM_BODY
        || !body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=')
    {
        return false;
    }
    // Decode a whole number of quanta from the start: enough to see the
    // structure without requiring the (often cut-off) end to be complete.
    let head_len = (body.trim_end_matches('=').len() / 4 * 4).min(64);
    let Ok(der) = base64::engine::general_purpose::STANDARD.decode(&body[..head_len]) else {
        return false;
    };
    if header.contains("OPENSSH") {
        der.starts_with(b"openssh-key-v1")
    } else if header.contains("PGP") || header.contains("ENCRYPTED") {
        // PGP packets and PKCS#8-encrypted keys: base64 of plausible length.
        true
    } else {
        der.first() == Some(&0x30)
    }
}

/// Shannon entropy of the value's bytes, in bits per byte.
pub fn shannon_entropy(value: &str) -> f32 {
    let bytes = value.as_bytes();
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let n = bytes.len() as f32;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f32 / n;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a token with a correct checksum the way the vendors do.
    fn with_checksum(prefix: &str, random: &str) -> String {
        let mut n = crc32fast::hash(random.as_bytes());
        let mut check = [b'0'; 6];
        for slot in check.iter_mut().rev() {
            *slot = BASE62[(n % 62) as usize];
            n /= 62;
        }
        format!("{prefix}{random}{}", String::from_utf8_lossy(&check))
    }

    #[test]
    fn checksummed_tokens_pass_and_altered_ones_fail() {
        let t = with_checksum("ghp_", "Zq8Lm2Xr5Kd9Wn4Tb7Ys1Hc6Pv3Jg0");
        assert!(base62_crc32(&t), "{t}");
        let npm = with_checksum("npm_", "a8Fk2LmQ9xR4tZ7pW3nB6vC1yD5sE0");
        assert!(base62_crc32(&npm));
        // One character of the random part changed: the checksum no longer holds.
        let mut bad = t.clone().into_bytes();
        bad[10] = if bad[10] == b'a' { b'b' } else { b'a' };
        assert!(!base62_crc32(&String::from_utf8(bad).unwrap()));
        assert!(!base62_crc32("ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"));
        assert!(!base62_crc32("ghp_short"));
        assert!(!base62_crc32("nounderscore"));
    }

    #[test]
    fn pem_bodies_must_be_real_base64_of_a_key() {
        let rsa = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAq3TnJ8yV1hQwZr5LmK2pX9fG4tBcD7eW0sUaYoNvRiHjEgMl\nkP6zC8xQ1bVnT3yW5rA2dF7gH9jK0LmN4pQ6sR8tU1vX3zY5aB7cD9eF2gH4iJ6k\n-----END RSA PRIVATE KEY-----";
        assert!(pem_private_key(rsa));
        let one_line = rsa.replace('\n', " ");
        assert!(pem_private_key(&one_line));
        let openssh = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACDx8Xq2Vb7nM4pL9sK3jH6gF5dS2aQ1wE0rT8yU7iO6\n-----END OPENSSH PRIVATE KEY-----";
        assert!(pem_private_key(openssh));
        assert!(!pem_private_key(
            "-----BEGIN PRIVATE KEY-----\nanything\n-----END PRIVATE KEY-----"
        ));
        assert!(!pem_private_key(
            "-----BEGIN RSA PRIVATE KEY-----\n-----END RSA PRIVATE KEY-----"
        ));
        assert!(!pem_private_key("-----BEGIN RSA PRIVATE KEY-----\n..."));
        // Base64, but not of a DER structure.
        assert!(!pem_private_key("-----BEGIN PRIVATE KEY-----\nQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB\n-----END PRIVATE KEY-----"));
    }

    #[test]
    fn entropy_orders_random_above_repetitive() {
        assert_eq!(shannon_entropy("aaaaaaaa"), 0.0);
        assert!((shannon_entropy("abcd") - 2.0).abs() < 1e-6);
        assert!(shannon_entropy("q7Xk2mP9vR4tLz8nB3cY6wQ1") > 4.0);
    }
}
