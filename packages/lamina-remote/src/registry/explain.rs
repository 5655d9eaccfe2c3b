//! What a registry's refusal means for the person reading it: a refusal (401/403), an absence
//! (404), an unreachable host and content that does not match its digest told apart, with what to
//! do. Never carries a credential.

use oci_client::errors::{OciDistributionError, OciErrorCode};

/// The HTTP status an error stands for, where one does.
pub fn status(e: &OciDistributionError) -> Option<u16> {
    match e {
        OciDistributionError::UnauthorizedError { .. } | OciDistributionError::AuthenticationFailure(_) => Some(401),
        OciDistributionError::ImageManifestNotFoundError(_) => Some(404),
        OciDistributionError::ServerError { code, .. } => Some(*code),
        OciDistributionError::RegistryError { envelope, .. } => envelope.errors.iter().find_map(|e| match e.code {
            OciErrorCode::Unauthorized => Some(401),
            OciErrorCode::Denied => Some(403),
            OciErrorCode::ManifestUnknown
            | OciErrorCode::BlobUnknown
            | OciErrorCode::NameUnknown
            | OciErrorCode::NotFound => Some(404),
            _ => None,
        }),
        OciDistributionError::RequestError(r) => r.status().map(|s| s.as_u16()),
        _ => None,
    }
}

/// The tag or manifest is not there (as opposed to a refusal or a failure).
pub fn is_absent(e: &OciDistributionError) -> bool {
    match e {
        OciDistributionError::RegistryError { envelope, .. } => {
            envelope.errors.iter().any(|e| matches!(e.code, OciErrorCode::ManifestUnknown | OciErrorCode::NameUnknown))
        }
        e => matches!(e, OciDistributionError::ImageManifestNotFoundError(_)) || status(e) == Some(404),
    }
}

/// The registry refused a manifest for a blob it does not know (`MANIFEST_BLOB_UNKNOWN`).
pub fn names_unknown_blob(e: &OciDistributionError) -> bool {
    match e {
        OciDistributionError::RegistryError { envelope, .. } => {
            envelope.errors.iter().any(|e| e.code == OciErrorCode::ManifestBlobUnknown)
        }
        // A manifest put's refusal comes back with the error envelope unparsed.
        OciDistributionError::ServerError { code: 400, message, .. } => message.contains("MANIFEST_BLOB_UNKNOWN"),
        _ => false,
    }
}

/// A 5xx answer: the registry failed, which a later request may not.
pub fn is_server_error(e: &OciDistributionError) -> bool {
    status(e).is_some_and(|s| s >= 500)
}

/// `what` (`read the manifest`, `upload`) of `reference` failed with `e`. `credentials` says which
/// credentials to set when the registry refused the ones given (or none).
pub fn explain(e: OciDistributionError, what: &str, reference: &str, credentials: &str) -> anyhow::Error {
    use crate::hint::{Kind, classify};
    // Content that does not match its digest is a failed check, not a remote out of reach.
    let kind = match (status(&e), &e) {
        (_, OciDistributionError::DigestError(_)) => None,
        (Some(401 | 403), _) => Some(Kind::Auth),
        _ => Some(Kind::Remote),
    };
    let explained = explained(e, what, reference, credentials);
    match kind {
        Some(kind) => classify(explained, kind),
        None => explained,
    }
}

fn explained(e: OciDistributionError, what: &str, reference: &str, credentials: &str) -> anyhow::Error {
    let host = reference.split('/').next().unwrap_or(reference);
    let fail = crate::hint::fail;
    match (status(&e), &e) {
        (Some(401), _) => fail(format!("{what} `{reference}`: the registry {host} refused access (401)"), credentials),
        (Some(403), _) => fail(
            format!("{what} `{reference}`: the registry {host} denied it (403)"),
            "the credentials lack the permission; use a user or token allowed to do this",
        ),
        (Some(404), _) => fail(
            format!("{what} `{reference}`: not found on {host} (404)"),
            "check the name and digest, or that it was published",
        ),
        (_, OciDistributionError::RequestError(r)) if r.status().is_none() => {
            let cause = crate::hint::cause(r);
            fail(
                format!("{what} `{reference}`: cannot reach the registry {host}: {cause}"),
                "check the registry's address and the network; for a private CA, point SSL_CERT_FILE at its certificate",
            )
        }
        (_, OciDistributionError::DigestError(d)) => {
            anyhow::format_err!("{what} `{reference}`: the content does not match its digest ({d}); refusing it")
        }
        (Some(code), _) => anyhow::format_err!("{what} `{reference}`: the registry {host} answered {code}: {e}"),
        (None, _) => anyhow::format_err!("{what} `{reference}` on {host}: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_refused_for_an_unknown_blob_is_told_apart() {
        let refused = |message: &str| OciDistributionError::ServerError {
            code: 400,
            url: "http://127.0.0.1:1/v2/acme/hello/manifests/x".into(),
            message: message.into(),
        };
        assert!(names_unknown_blob(&refused(r#"{"errors":[{"code":"MANIFEST_BLOB_UNKNOWN"}]}"#)));
        assert!(!names_unknown_blob(&refused(r#"{"errors":[{"code":"MANIFEST_INVALID"}]}"#)));
        assert!(is_server_error(&OciDistributionError::ServerError {
            code: 503,
            url: String::new(),
            message: String::new()
        }));
    }
}
