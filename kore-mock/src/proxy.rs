//! A forward proxy on 127.0.0.1 for testing clients behind a corporate proxy: it
//! opens `CONNECT` tunnels (HTTPS) and forwards absolute-form requests (HTTP), to
//! loopback targets only, optionally demands Basic credentials, and records every
//! tunnel it opened so a test can tell which requests went through it.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let proxy = kore_mock::proxy::ConnectProxy::start().await.unwrap();
//! assert!(proxy.url().starts_with("http://127.0.0.1:"));
//! assert!(proxy.tunnels().is_empty());
//! # }
//! ```

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// The longest request head the proxy reads.
const MAX_HEAD: usize = 16 * 1024;
/// How long a client may take to send its request head, and the proxy to reach
/// the target: every wait of a test is bounded.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);

/// What the proxy did for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tunnel {
    /// `CONNECT` for a tunnel, else the forwarded request's method.
    pub method: String,
    /// The `host:port` it connected to.
    pub target: String,
}

/// A running proxy; dropping it stops accepting (open tunnels end with their peers).
pub struct ConnectProxy {
    addr: SocketAddr,
    state: Arc<ProxyState>,
    shutdown: CancellationToken,
}

struct ProxyState {
    /// `Proxy-Authorization` value required, if any.
    required: Option<String>,
    tunnels: Mutex<Vec<Tunnel>>,
    /// Requests answered 407 (missing or wrong credentials) or 403 (a target
    /// that is not loopback).
    refused: Mutex<u64>,
}

impl fmt::Debug for ConnectProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectProxy")
            .field("addr", &self.addr)
            .field(
                "credentials",
                &self.state.required.as_ref().map(|_| "[redacted]"),
            )
            .finish_non_exhaustive()
    }
}

impl ConnectProxy {
    /// Starts an open proxy on `127.0.0.1:0`.
    ///
    /// # Errors
    /// The port cannot be bound.
    pub async fn start() -> io::Result<Self> {
        Self::launch(None).await
    }

    /// Starts a proxy that answers 407 unless a request carries Basic
    /// credentials `user`:`password`.
    ///
    /// # Errors
    /// The port cannot be bound.
    pub async fn with_credentials(user: &str, password: &str) -> io::Result<Self> {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        Self::launch(Some(format!("Basic {token}"))).await
    }

    async fn launch(required: Option<String>) -> io::Result<Self> {
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(ProxyState {
            required,
            tunnels: Mutex::new(Vec::new()),
            refused: Mutex::new(0),
        });
        let shutdown = CancellationToken::new();
        tokio::spawn(accept_loop(listener, state.clone(), shutdown.clone()));
        Ok(Self {
            addr,
            state,
            shutdown,
        })
    }

    /// The proxy's URL, e.g. `http://127.0.0.1:PORT`, for `HTTPS_PROXY` or `--proxy`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every tunnel opened and request forwarded so far, oldest first.
    pub fn tunnels(&self) -> Vec<Tunnel> {
        lock(&self.state.tunnels).clone()
    }

    /// Requests refused so far (407 for credentials, 403 for a non-loopback target).
    pub fn refused(&self) -> u64 {
        *lock(&self.state.refused)
    }
}

impl Drop for ConnectProxy {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

async fn accept_loop(listener: TcpListener, state: Arc<ProxyState>, shutdown: CancellationToken) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = shutdown.cancelled() => return,
        };
        if let Ok((client, _)) = accepted {
            tokio::spawn(serve(client, state.clone()));
        }
    }
}

/// Reads one request head, then tunnels or forwards the rest of the connection.
async fn serve(mut client: TcpStream, state: Arc<ProxyState>) -> io::Result<()> {
    let Ok(head) = tokio::time::timeout(HEAD_TIMEOUT, read_head(&mut client)).await else {
        return Ok(());
    };
    let (head, rest) = head?;
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut lines = text.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let method = request_line.next().unwrap_or_default().to_owned();
    let target = request_line.next().unwrap_or_default().to_owned();
    let authorization = lines
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("proxy-authorization"))
        .map(|(_, value)| value.trim().to_owned());

    if state.required.is_some() && authorization != state.required {
        *lock(&state.refused) += 1;
        client
            .write_all(
                b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"kore-mock\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            )
            .await?;
        return Ok(());
    }
    let host_port = if method == "CONNECT" {
        target.clone()
    } else {
        // Absolute form: `http://host:port/path`.
        target
            .strip_prefix("http://")
            .and_then(|rest| rest.split('/').next())
            .map(|authority| {
                if authority
                    .rsplit_once(':')
                    .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
                {
                    authority.to_owned()
                } else {
                    format!("{authority}:80")
                }
            })
            .unwrap_or_default()
    };
    if !is_loopback_target(&host_port) {
        *lock(&state.refused) += 1;
        client
            .write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .await?;
        return Ok(());
    }
    let upstream = tokio::time::timeout(HEAD_TIMEOUT, TcpStream::connect(host_port.as_str())).await;
    let mut upstream = match upstream {
        Ok(Ok(upstream)) => upstream,
        _ => {
            client
                .write_all(
                    b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                )
                .await?;
            return Ok(());
        }
    };
    lock(&state.tunnels).push(Tunnel {
        method: method.clone(),
        target: host_port,
    });
    if method == "CONNECT" {
        client
            .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            .await?;
    } else {
        // The origin server reads the absolute form as well.
        upstream.write_all(&head).await?;
    }
    upstream.write_all(&rest).await?;
    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
    Ok(())
}

/// The request head (through the blank line) and whatever followed it.
async fn read_head(client: &mut TcpStream) -> io::Result<(Vec<u8>, Vec<u8>)> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = buf.split_off(end + 4);
            return Ok((buf, rest));
        }
        if buf.len() > MAX_HEAD {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "request head too long",
            ));
        }
        let read = client.read(&mut chunk).await?;
        if read == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..read]);
    }
}

/// Whether `host:port` names this machine: a test proxy never reaches further.
fn is_loopback_target(host_port: &str) -> bool {
    let Some((host, port)) = host_port.rsplit_once(':') else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    port.parse::<u16>().is_ok()
        && (host.eq_ignore_ascii_case("localhost")
            || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_targets_are_reached() {
        for target in [
            "127.0.0.1:443",
            "localhost:8080",
            "[::1]:443",
            "LOCALHOST:1",
        ] {
            assert!(is_loopback_target(target), "{target}");
        }
        for target in [
            "example.com:443",
            "10.0.0.1:443",
            "127.0.0.1",
            "127.0.0.1:x",
            "",
        ] {
            assert!(!is_loopback_target(target), "{target}");
        }
    }
}
