//! Keyed fingerprints: HMAC-SHA256 over a normalised value with a
//! per-installation key, so the same value is recognised across scans
//! without being stored.
//!
//! The key file is created 0600. An existing key file that its group or
//! others may read is refused, with the fix in the message
//! (`chmod 600 <file>`): whoever could read it can test guessed values
//! against every fingerprint in the outputs, so the key may already be
//! exposed, and tightening it quietly would hide that from its owner.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::io::Write;
use std::path::{Path, PathBuf};

type HmacSha256 = Hmac<Sha256>;

/// Computes fingerprints with one secret key.
#[derive(Clone)]
pub struct Fingerprinter {
    /// The HMAC with the key already absorbed: cloning it per value saves
    /// the two key-pad compressions that `new_from_slice` would redo.
    keyed: HmacSha256,
}

impl std::fmt::Debug for Fingerprinter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Fingerprinter { key: <redacted> }")
    }
}

/// Where the key lives unless `--key-file` says otherwise.
pub fn default_key_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("WITHHOLD_KEY_FILE") {
        return Some(PathBuf::from(p));
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("withhold").join("fingerprint.key"))
}

impl Fingerprinter {
    pub fn from_key(key: [u8; 32]) -> Self {
        Fingerprinter {
            keyed: HmacSha256::new_from_slice(&key).expect("HMAC takes keys of any length"),
        }
    }

    /// Load the key from `path`, creating it (0600, 32 random bytes, hex) on first use.
    pub fn load_or_create(path: &Path) -> anyhow::Result<Self> {
        use anyhow::Context;
        match std::fs::read_to_string(path) {
            Ok(text) => {
                refuse_if_shared(path)?;
                let bytes = hex::decode(text.trim()).with_context(|| {
                    format!("fingerprint key {} is not hexadecimal", path.display())
                })?;
                let key: [u8; 32] = bytes.try_into().map_err(|_| {
                    anyhow::anyhow!("fingerprint key {} must be 32 bytes", path.display())
                })?;
                Ok(Self::from_key(key))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                getrandom::fill(&mut key)
                    .map_err(|e| anyhow::anyhow!("no randomness for a fingerprint key: {e}"))?;
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("creating {}", dir.display()))?;
                }
                let mut f = crate::report::create_private(path)
                    .with_context(|| format!("creating fingerprint key {}", path.display()))?;
                writeln!(f, "{}", hex::encode(key))?;
                Ok(Self::from_key(key))
            }
            Err(e) => Err(e).with_context(|| format!("reading fingerprint key {}", path.display())),
        }
    }

    /// The fingerprint of `value` as `entity`: 128 bits of the HMAC, hex.
    pub fn fingerprint(&self, entity: &str, normalized_value: &str) -> String {
        let mut mac = self.keyed.clone();
        mac.update(entity.as_bytes());
        mac.update(&[0]);
        mac.update(normalized_value.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }
}

/// An error when the key file may be read by its group or by others (unix).
fn refuse_if_shared(path: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use anyhow::Context;
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .with_context(|| format!("reading fingerprint key {}", path.display()))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            anyhow::bail!(
                "fingerprint key {} may be read by others (mode {:03o}); it must be private to you: run `chmod 600 {}`, or delete it to start a new key (fingerprints of earlier scans will no longer match)",
                path.display(),
                mode & 0o777,
                path.display()
            );
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// The form of a value that identifies it: identifiers ignore separators and
/// case, email addresses ignore case, everything else is compared as written.
pub fn normalize_value(entity: &str, value: &str) -> String {
    let identifier = value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b' ' | b'-' | b'.' | b'/'))
        && value.bytes().filter(u8::is_ascii_digit).count() * 2 >= value.len();
    if entity == "EMAIL_ADDRESS" || entity == "CLIENT_NAME" {
        value.to_lowercase()
    } else if identifier {
        value
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_uppercase())
            .collect()
    } else {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_value_same_fingerprint_across_formatting() {
        let f = Fingerprinter::from_key([7; 32]);
        let a = f.fingerprint(
            "CREDIT_CARD",
            &normalize_value("CREDIT_CARD", "4111 1111 1111 1111"),
        );
        let b = f.fingerprint(
            "CREDIT_CARD",
            &normalize_value("CREDIT_CARD", "4111-1111-1111-1111"),
        );
        assert_eq!(a, b);
        assert_eq!(a.len(), 32);
    }

    #[test]
    fn key_and_entity_change_the_fingerprint() {
        let v = normalize_value("US_SSN", "123-45-6789");
        let f1 = Fingerprinter::from_key([1; 32]).fingerprint("US_SSN", &v);
        let f2 = Fingerprinter::from_key([2; 32]).fingerprint("US_SSN", &v);
        let f3 = Fingerprinter::from_key([1; 32]).fingerprint("US_ITIN", &v);
        assert_ne!(f1, f2);
        assert_ne!(f1, f3);
    }

    #[test]
    fn key_file_is_created_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("key");
        let a = Fingerprinter::load_or_create(&path).unwrap();
        let b = Fingerprinter::load_or_create(&path).unwrap();
        assert_eq!(a.fingerprint("X", "v"), b.fingerprint("X", "v"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_key_file_others_may_read_is_refused_with_the_fix() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        Fingerprinter::load_or_create(&path).unwrap();
        for mode in [0o644, 0o640, 0o604] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            let e = format!("{:#}", Fingerprinter::load_or_create(&path).unwrap_err());
            assert!(e.contains(&path.display().to_string()), "{e}");
            assert!(e.contains(&format!("chmod 600 {}", path.display())), "{e}");
            // Refused, not quietly tightened.
            let now = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(now & 0o777, mode);
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(Fingerprinter::load_or_create(&path).is_ok());
    }
}
