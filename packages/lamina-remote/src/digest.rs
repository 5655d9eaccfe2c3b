//! SHA-256 of bytes, readers and files, as lowercase hex or as an OCI digest (`sha256:<hex>`):
//! the one digest every artifact, asset, blob and index entry is named by.

use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;

/// Lowercase hex SHA-256 of bytes in memory.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// `sha256:<hex>` of bytes in memory, as OCI descriptors name content.
pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", sha256_hex(bytes))
}

/// Lowercase hex SHA-256 and length of everything `reader` yields, never held whole in memory.
pub fn sha256_reader(mut reader: impl Read) -> std::io::Result<(String, u64)> {
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 64 * 1024];
    let mut total = 0;
    loop {
        let n = reader.read(&mut buffer)?;
        if n == 0 {
            return Ok((hex::encode(hasher.finalize()), total));
        }
        hasher.update(&buffer[..n]);
        total += n as u64;
    }
}

/// [`sha256_reader`] of a file.
pub fn sha256_file(path: &Path) -> std::io::Result<(String, u64)> {
    sha256_reader(std::fs::File::open(path)?)
}

/// [`sha256_file`], or `None` when the file does not exist.
pub fn sha256_if_present(path: &Path) -> std::io::Result<Option<(String, u64)>> {
    match sha256_file(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        other => other.map(Some),
    }
}

/// The hex of a `sha256:` digest (a blob's file name), refusing anything else.
pub fn hex_of(digest: &str) -> anyhow::Result<&str> {
    match digest.strip_prefix("sha256:") {
        Some(hex) if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) => {
            Ok(hex)
        }
        _ => anyhow::bail!("`{digest}` is not a sha256 digest (sha256:<64 lowercase hex>)"),
    }
}

/// The first 12 hex digits of a digest, for lines people read.
pub fn short(digest: &str) -> &str {
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    hex.get(..12).unwrap_or(hex)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_agree_in_memory_and_streamed() {
        let (hex, size) = sha256_reader(&b"abc"[..]).unwrap();
        assert_eq!(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!((sha256(b"abc"), size), (format!("sha256:{hex}"), 3));
        assert_eq!(hex_of(&sha256(b"abc")).unwrap(), hex);
        assert!(hex_of("sha256:ABC").is_err() && hex_of("sha512:00").is_err() && hex_of(&hex).is_err());
        assert_eq!(short(&sha256(b"abc")), "ba7816bf8f01");
    }
}
