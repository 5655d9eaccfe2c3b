//! The certificate roots every HTTPS client of both binaries trusts. Reading the system's store
//! (`SSL_CERT_FILE`, `SSL_CERT_DIR`, then the distribution's bundle and folder) is most of what
//! making a client costs, and a run makes several; on Linux the roots are read once per process
//! here and handed to each client. Elsewhere, and when the store yields none, a client keeps
//! reqwest's platform verifier, which asks the system itself.

use std::sync::OnceLock;

/// The system's roots, DER-encoded, read on first use; empty when there are none (or not on
/// Linux), and then the platform verifier decides.
pub fn system_roots() -> &'static [Vec<u8>] {
    static ROOTS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    ROOTS.get_or_init(|| {
        if !cfg!(target_os = "linux") {
            return Vec::new();
        }
        // A certificate the store cannot parse is skipped, as the platform verifier skips it.
        rustls_native_certs::load_native_certs().certs.into_iter().map(|c| c.as_ref().to_vec()).collect()
    })
}

/// A client builder that trusts the system's roots as read once by [`system_roots`].
/// Roots a caller adds (`tls_certs_merge`) are trusted besides them.
pub fn client_builder() -> reqwest::ClientBuilder {
    let builder = reqwest::Client::builder();
    match system_roots() {
        [] => builder,
        roots => builder.tls_certs_only(roots.iter().filter_map(|der| reqwest::Certificate::from_der(der).ok())),
    }
}

/// The same roots for oci-client's own clients.
pub fn oci_roots() -> Vec<oci_client::client::Certificate> {
    system_roots()
        .iter()
        .map(|der| oci_client::client::Certificate {
            encoding: oci_client::client::CertificateEncoding::Der,
            data: der.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(target_os = "linux")]
    fn the_system_roots_are_read_once() {
        let first = super::system_roots();
        assert!(!first.is_empty(), "this machine has a CA store");
        assert!(std::ptr::eq(first, super::system_roots()));
        assert_eq!(super::oci_roots().len(), first.len());
    }
}
