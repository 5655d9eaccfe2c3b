//! `SHA256SUMS` in the format `sha256sum -c` reads: `<hex>  <name>`, one line per asset.

/// The checksum file over `(name, sha256)` pairs, in the given order.
pub fn render(sums: &[(String, String)]) -> String {
    sums.iter().map(|(name, hex)| format!("{hex}  {name}\n")).collect()
}
