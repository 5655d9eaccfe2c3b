//! The loopback rule: plain HTTP, which would carry tokens and credentials in clear, is spoken
//! only to this machine (`127.0.0.0/8`, `localhost`, `::1`); everything else is HTTPS. Text with
//! user information is never loopback: `127.0.0.1:1@evil.example` is `evil.example`.

use url::{Host, Url};

/// `true` for a `HOST[:PORT]` on this machine: `127.x.y.z`, `localhost` or `[::1]`.
pub fn is_loopback_host(host: &str) -> bool {
    if host.is_empty() || host.contains(['@', '/', '\\', '?', '#']) || host.contains(char::is_whitespace) {
        return false;
    }
    Url::parse(&format!("http://{host}/")).is_ok_and(|url| is_loopback_url(&url))
}

/// `true` when `url` names a host on this machine and carries no user information.
pub fn is_loopback_url(url: &Url) -> bool {
    let loopback = match url.host() {
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    loopback && url.username().is_empty() && url.password().is_none()
}

/// Refuses a URL that is not `https://`, or plain `http://` to a loopback host; and any URL with
/// user information, which would send a credential nobody configured.
pub fn check_url(text: &str) -> anyhow::Result<Url> {
    let url = Url::parse(text).map_err(|e| anyhow::format_err!("`{text}` is not a URL: {e}"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(crate::hint::fail(
            format!("`{text}` carries user information"),
            "give credentials through the environment, never inside a URL",
        ));
    }
    if url.scheme() == "https" || (url.scheme() == "http" && is_loopback_url(&url)) {
        return Ok(url);
    }
    Err(crate::hint::fail(
        format!("`{text}` is not https"),
        "plain http is accepted for loopback hosts only (127.0.0.1, localhost, ::1)",
    ))
}

/// The redirects every client follows: at most 10, never to plain HTTP off this machine (a
/// redirect would otherwise carry a download, or the request's cookies, in clear). reqwest
/// drops `Authorization` on a redirect to another host.
pub fn redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        if attempt.url().scheme() != "https" && !is_loopback_url(attempt.url()) {
            let url = attempt.url().to_string();
            attempt.error(anyhow::format_err!("a redirect to plain http `{url}` was refused"))
        } else if attempt.previous().len() > 10 {
            attempt.error(anyhow::format_err!("more than 10 redirects"))
        } else {
            attempt.follow()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hosts_on_this_machine_are_loopback() {
        for host in ["127.0.0.1", "127.0.0.1:5000", "127.1.2.3:1", "localhost", "localhost:80", "[::1]", "[::1]:5000"] {
            assert!(is_loopback_host(host), "{host}");
        }
        let foreign = [
            "ghcr.io",
            "127.0.0.1.example.com",
            "localhost.evil:80",
            "[::1]x",
            "10.0.0.1:5000",
            "127.0.0.1:1@evil.example",
            "127.0.0.1/x",
            "",
        ];
        for host in foreign {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn plain_http_only_to_loopback_and_never_with_user_information() {
        for ok in ["https://api.github.com", "http://127.0.0.1:8080/api", "http://localhost/", "http://[::1]:1/"] {
            assert!(check_url(ok).is_ok(), "{ok}");
        }
        for bad in ["http://api.github.com", "http://127.0.0.1:1@evil.example/", "https://u:p@ghcr.io/", "ftp://x/"] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
        let shown = crate::hint::render(&check_url("http://example.com").unwrap_err());
        assert_eq!(
            shown,
            "`http://example.com` is not https\n\nhint: plain http is accepted for loopback hosts only (127.0.0.1, localhost, ::1)"
        );
    }
}
