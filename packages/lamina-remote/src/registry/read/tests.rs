//! Reads against a scripted registry on loopback: 5xx and dropped connections are retried under
//! the one policy, 4xx never.

use crate::registry::{Options, Registry, parse};
use crate::retry::ATTEMPTS;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::thread::JoinHandle;

#[test]
fn a_remote_s_words_are_shown_without_escapes_and_cut() {
    assert_eq!(super::shown("denied\u{1b}[31m\nhint: fake"), "denied[31mhint: fake");
    let long = "x".repeat(1000);
    assert_eq!(super::shown(&long).chars().count(), super::SHOWN_ERROR + 1);
}

/// The manifest a [`Scripted`] registry serves.
const MANIFEST: &str =
    r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{},"layers":[]}"#;

/// Requests a [`Scripted`] registry answers at most, `/stop` included.
const MOST_REQUESTS: usize = 50;

/// A registry on loopback (`127.0.0.1:0`), one connection per request, wanting no token: it
/// answers `/v2/` with 200 and each manifest request with the next status of its script, the
/// last one holding (0: the connection is cut before any answer; 200: [`MANIFEST`]). It serves
/// until asked for `/stop`, or until dropped, and returns every request line it saw.
struct Scripted {
    host: String,
    served: Option<JoinHandle<Vec<String>>>,
}

impl Scripted {
    fn start(script: &[u16]) -> Scripted {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let host = listener.local_addr().unwrap().to_string();
        let script = script.to_vec();
        let served = std::thread::spawn(move || {
            let mut seen = Vec::new();
            let mut next = script.iter().copied();
            let mut last = 0;
            for _ in 0..MOST_REQUESTS {
                let (mut conn, _) = listener.accept().unwrap();
                let line = request_line(&conn);
                let path = line.split(' ').nth(1).unwrap_or_default().to_owned();
                if path == "/stop" {
                    break;
                }
                seen.push(line.clone());
                let status = match path.as_str() {
                    "/v2/" => 200,
                    _ => {
                        last = next.next().unwrap_or(last);
                        last
                    }
                };
                if status != 0 {
                    conn.write_all(&reply(status, line.starts_with("HEAD "), path == "/v2/")).unwrap();
                }
            }
            seen
        });
        Scripted { host, served: Some(served) }
    }

    /// `HOST:PORT/acme/x:1`.
    fn reference(&self) -> oci_client::Reference {
        parse(&format!("{}/acme/x:1", self.host)).unwrap()
    }

    fn registry(&self) -> Registry {
        let options = Options { plain_http: vec![self.host.clone()], user_agent: "test", ..Options::default() };
        Registry::new([self.host.as_str()], options).unwrap()
    }

    /// Stops the server; the request lines it saw.
    fn stop(mut self) -> Vec<String> {
        self.halt().expect("the scripted registry failed")
    }

    fn halt(&mut self) -> Option<Vec<String>> {
        let served = self.served.take()?;
        // Refused only when the server is gone already (it panicked, or served its most).
        if let Ok(mut conn) = TcpStream::connect(&self.host) {
            let _ = conn.write_all(b"GET /stop HTTP/1.1\r\n\r\n");
        }
        served.join().ok()
    }
}

impl Drop for Scripted {
    fn drop(&mut self) {
        self.halt();
    }
}

/// The request line of the request on `conn`, its headers read past.
fn request_line(conn: &TcpStream) -> String {
    conn.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    let mut reader = BufReader::new(conn);
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    for _ in 0..100 {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap() == 0 || header.trim().is_empty() {
            break;
        }
    }
    line.trim().to_owned()
}

/// An answer with `status`: [`MANIFEST`] for 200 (`root`: the empty answer of `/v2/`), a
/// distribution error envelope otherwise; a HEAD answer has the headers only.
fn reply(status: u16, head: bool, root: bool) -> Vec<u8> {
    let (reason, body, extra) = match status {
        200 if root => ("OK", String::new(), String::new()),
        200 => {
            let digest = crate::digest::sha256(MANIFEST.as_bytes());
            let extra = format!(
                "content-type: application/vnd.oci.image.manifest.v1+json\r\ndocker-content-digest: {digest}\r\n"
            );
            ("OK", MANIFEST.to_owned(), extra)
        }
        404 => (
            "Not Found",
            r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#.into(),
            String::new(),
        ),
        403 => (
            "Forbidden",
            r#"{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}"#.into(),
            String::new(),
        ),
        _ => ("Failed", r#"{"errors":[{"code":"UNKNOWN","message":"unknown error"}]}"#.into(), String::new()),
    };
    let length = body.len();
    let mut out = format!("HTTP/1.1 {status} {reason}\r\n{extra}content-length: {length}\r\nconnection: close\r\n\r\n");
    if !head {
        out.push_str(&body);
    }
    out.into_bytes()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

/// A registry that fails a few times (500, a cut connection, 502, 503, 504), as docker-registry
/// may while another client moves tags, then answers: the digest and the manifest are read,
/// each failure asked again, and the token asked for once.
#[test]
fn a_read_answered_5xx_or_cut_is_asked_again() {
    let digest = crate::digest::sha256(MANIFEST.as_bytes());
    let script = [500, 0, 502, 503, 504, 200];
    let registry = Scripted::start(&script);
    let read = runtime().block_on(registry.registry().digest(&registry.reference()));
    let seen = registry.stop();
    assert_eq!(read.unwrap(), Some(digest.clone()));
    let head = "HEAD /v2/acme/x/manifests/1 HTTP/1.1";
    assert_eq!(seen, [vec!["GET /v2/ HTTP/1.1"], vec![head; script.len()]].concat());

    let script = [503, 500, 200];
    let registry = Scripted::start(&script);
    let read = runtime().block_on(registry.registry().manifest(&registry.reference()));
    let seen = registry.stop();
    assert_eq!(read.unwrap().digest, digest);
    let get = "GET /v2/acme/x/manifests/1 HTTP/1.1";
    assert_eq!(seen, [vec!["GET /v2/ HTTP/1.1"], vec![get; script.len()]].concat());
}

/// A registry that always fails: the read stops after the policy's attempts, saying so, what
/// the registry answered, and what to do.
#[test]
fn a_registry_that_keeps_failing_is_given_up_on_after_the_attempts() {
    let hint = "hint: the registry failed every attempt; run the command again later, or look at the registry's logs";
    for (status, method, what) in [(500, "GET", "read the manifest"), (503, "HEAD", "read the digest of")] {
        let registry = Scripted::start(&[status]);
        let client = registry.registry();
        let failed = runtime().block_on(async {
            match method {
                "GET" => client.manifest(&registry.reference()).await.map(drop),
                _ => client.digest(&registry.reference()).await.map(drop),
            }
        });
        let (host, seen) = (registry.host.clone(), registry.stop());
        let request = format!("{method} /v2/acme/x/manifests/1 HTTP/1.1");
        assert_eq!(seen, [vec!["GET /v2/ HTTP/1.1".to_owned()], vec![request; ATTEMPTS]].concat());
        let error = failed.unwrap_err();
        // A HEAD answer has no body to show.
        let body = match method {
            "GET" => r#"{"errors":[{"code":"UNKNOWN","message":"unknown error"}]}"#,
            _ => "",
        };
        let expected = format!(
            "{what} `{host}/acme/x:1`: gave up after {ATTEMPTS} attempts: the registry {host} answered {status}: \
             Server error: url http://{host}/v2/acme/x/manifests/1, code: {status}, message: {body}\n\n{hint}"
        );
        assert_eq!(crate::hint::render(&error), expected);
        assert_eq!(crate::hint::kind(&error), Some(crate::hint::Kind::Remote));
    }
}

/// A 404 is the answer (absent), and a 403 a refusal: either is taken at once, one request.
#[test]
fn a_4xx_is_never_asked_again() {
    let head = "HEAD /v2/acme/x/manifests/1 HTTP/1.1";
    let get = "GET /v2/acme/x/manifests/1 HTTP/1.1";
    let registry = Scripted::start(&[404]);
    let absent = runtime().block_on(registry.registry().digest(&registry.reference()));
    assert_eq!(registry.stop(), ["GET /v2/ HTTP/1.1", head]);
    assert_eq!(absent.unwrap(), None);

    let registry = Scripted::start(&[404]);
    let absent = runtime().block_on(registry.registry().manifest(&registry.reference()));
    assert_eq!(registry.stop(), ["GET /v2/ HTTP/1.1", get]);
    let shown = crate::hint::render(&absent.unwrap_err());
    assert!(shown.contains("(404)") && !shown.contains("gave up"), "{shown}");

    let registry = Scripted::start(&[403]);
    let denied = runtime().block_on(registry.registry().digest(&registry.reference()));
    assert_eq!(registry.stop(), ["GET /v2/ HTTP/1.1", head]);
    let error = denied.unwrap_err();
    assert!(crate::hint::render(&error).contains("denied it (403)"), "{error:#}");
    assert_eq!(crate::hint::kind(&error), Some(crate::hint::Kind::Auth));
}
