//! A recording TCP proxy on 127.0.0.1 in front of a loopback HTTP/1.1 server (the registry,
//! whose own log has only whole seconds): it passes bytes through unchanged (the `Host` header
//! too, so the server's `Location`s point back at the proxy) and notes when bytes arrive from
//! each side. An exchange starts when the client sends after the server last did and ends with
//! the server's last bytes before the client sends again; that is one request and its answer,
//! as HTTP/1.1 clients (hyper, curl) do not pipeline. Stopped on drop.

use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Which side sent bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Client,
    Server,
}

/// `(connection, when, from)`: bytes arrived at the proxy.
type Event<T> = (u64, T, Side);

pub struct RecordingProxy {
    port: u16,
    events: Arc<Mutex<Vec<Event<Instant>>>>,
    stop: Option<(tokio::sync::watch::Sender<bool>, std::thread::JoinHandle<()>)>,
}

impl RecordingProxy {
    /// Listens on a loopback port the system picks and forwards every connection to `upstream`.
    pub fn start(upstream: std::net::SocketAddr) -> anyhow::Result<RecordingProxy> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let port = listener.local_addr()?.port();
        let events = Arc::new(Mutex::new(Vec::new()));
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let (signal, mut stopped) = tokio::sync::watch::channel(false);
        let sink = events.clone();
        let thread = std::thread::Builder::new().name("bench-proxy".to_owned()).spawn(move || {
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else { return };
                let mut next = 0u64;
                loop {
                    tokio::select! {
                        _ = stopped.wait_for(|s| *s) => return,
                        accepted = listener.accept() => {
                            let Ok((client, _)) = accepted else { continue };
                            next += 1;
                            tokio::spawn(relay(next, client, upstream, sink.clone()));
                        }
                    }
                }
            });
        })?;
        Ok(RecordingProxy { port, events, stop: Some((signal, thread)) })
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The `(start, end)` of every exchange since the last call, and forgets them.
    pub fn take_intervals(&self) -> Vec<(Instant, Instant)> {
        let events = std::mem::take(&mut *self.events.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        exchanges(&events)
    }
}

impl Drop for RecordingProxy {
    fn drop(&mut self) {
        if let Some((signal, thread)) = self.stop.take() {
            let _ = signal.send(true);
            let _ = thread.join();
        }
    }
}

/// Copies bytes both ways between `client` and a new connection to `upstream`, noting each read.
async fn relay(
    id: u64,
    client: tokio::net::TcpStream,
    upstream: std::net::SocketAddr,
    events: Arc<Mutex<Vec<Event<Instant>>>>,
) {
    let Ok(server) = tokio::net::TcpStream::connect(upstream).await else { return };
    let _ = (client.set_nodelay(true), server.set_nodelay(true));
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let pump = |mut from: tokio::net::tcp::OwnedReadHalf, mut to: tokio::net::tcp::OwnedWriteHalf, side: Side| {
        let events = events.clone();
        async move {
            let mut buf = vec![0; 64 << 10];
            loop {
                let n = match from.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                // Noted before it is passed on: a server's last bytes are in before the client has them.
                events.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push((id, Instant::now(), side));
                if to.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
            let _ = to.shutdown().await;
        }
    };
    tokio::join!(pump(client_read, server_write, Side::Client), pump(server_read, client_write, Side::Server));
}

/// The exchanges in `events`: on each connection, from the client's first bytes after the
/// server's (or the first) to the server's last bytes before the client's next; an exchange
/// the server never answered is left out.
pub fn exchanges<T: Copy + Ord>(events: &[Event<T>]) -> Vec<(T, T)> {
    let mut by_connection: std::collections::BTreeMap<u64, Vec<(T, Side)>> = std::collections::BTreeMap::new();
    for &(id, at, from) in events {
        by_connection.entry(id).or_default().push((at, from));
    }
    let mut out = Vec::new();
    for (_, mut events) in by_connection {
        events.sort_by_key(|(at, _)| *at);
        let mut open: Option<(T, Option<T>)> = None;
        for (at, from) in events {
            open = match (from, open) {
                (Side::Client, Some((start, None))) => Some((start, None)),
                (Side::Client, Some((start, Some(end)))) => {
                    out.push((start, end));
                    Some((at, None))
                }
                (Side::Client, None) => Some((at, None)),
                (Side::Server, Some((start, _))) => Some((start, Some(at))),
                // Bytes the server sends first (none in HTTP): no request to pin them to.
                (Side::Server, None) => None,
            };
        }
        if let Some((start, Some(end))) = open {
            out.push((start, end));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::Side::{Client, Server};

    #[test]
    fn an_exchange_runs_from_the_request_to_the_last_bytes_of_its_answer() {
        let events = [
            (1, 0, Client),
            (1, 1, Client), // the rest of the request (a body)
            (1, 3, Server),
            (1, 4, Server), // the rest of the answer
            (2, 2, Client), // another connection, at the same time
            (2, 5, Server),
            (1, 6, Client), // the next request on the first connection
            (1, 9, Server),
            (3, 7, Client), // never answered
        ];
        assert_eq!(super::exchanges(&events), [(0, 4), (6, 9), (2, 5)]);
    }
}
