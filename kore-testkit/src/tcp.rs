//! Raw-TCP servers on 127.0.0.1 for the faults a real HTTP server cannot be
//! made to show: an answer cut off, a connection that stalls, a reset before
//! any answer, and a port nothing listens on.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// What a [`RawServer`] does with one connection once its request has arrived.
pub enum Reply {
    /// Closes the connection without a byte: the peer sees it reset.
    Reset,
    /// Writes these bytes, then closes: an answer shorter than its
    /// `content-length` is cut off.
    ThenClose(Vec<u8>),
    /// Writes these bytes, then holds the connection open and never writes
    /// again: the peer stalls (no bytes at all: accepted and never answered).
    ThenStall(Vec<u8>),
    /// Writes `head`, then `chunk` over and over, `repeats` times or until
    /// the peer hangs up, then `tail`: a huge answer without a huge buffer
    /// (see [`huge`]).
    Endless {
        head: Vec<u8>,
        chunk: Vec<u8>,
        repeats: u64,
        tail: Vec<u8>,
    },
}

/// The bytes of each piece of a [`huge`] body.
const PIECE: usize = 64 * 1024;

/// An HTML answer with `status` and a body of `total` bytes (rounded up to
/// 64 KiB), announced in `content-length` or, if not `announce`, sent chunked.
pub fn huge(status: u16, total: u64, announce: bool) -> Reply {
    let line = b"<html><body>an answer far larger than any page</body></html>\n";
    let mut piece: Vec<u8> = line.iter().copied().cycle().take(PIECE).collect();
    let repeats = total.div_ceil(PIECE as u64);
    let (framing, tail) = if announce {
        (
            format!("content-length: {}", repeats * PIECE as u64),
            Vec::new(),
        )
    } else {
        piece = [
            format!("{PIECE:x}\r\n").into_bytes(),
            piece,
            b"\r\n".to_vec(),
        ]
        .concat();
        (
            "transfer-encoding: chunked".to_owned(),
            b"0\r\n\r\n".to_vec(),
        )
    };
    Reply::Endless {
        head: format!("HTTP/1.1 {status} X\r\ncontent-type: text/html\r\n{framing}\r\n\r\n")
            .into_bytes(),
        chunk: piece,
        repeats,
        tail,
    }
}

/// A whole HTTP/1.1 answer with `status`, a JSON `body` and `connection: close`.
pub fn answer(status: u16, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// A server on 127.0.0.1 whose `n`th connection (from 0) gets `script(n)`.
pub struct RawServer {
    /// Where it listens.
    pub addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    sent: Arc<AtomicU64>,
}

impl RawServer {
    /// Starts the server on the current tokio runtime.
    pub async fn start(script: impl Fn(usize) -> Reply + Send + Sync + 'static) -> RawServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port on 127.0.0.1");
        let addr = listener.local_addr().expect("the listening address");
        let connections = Arc::new(AtomicUsize::new(0));
        let sent = Arc::new(AtomicU64::new(0));
        let (counter, written) = (connections.clone(), sent.clone());
        let script = Arc::new(script);
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let reply = script(counter.fetch_add(1, Ordering::SeqCst));
                tokio::spawn(serve(socket, reply, written.clone()));
            }
        });
        RawServer {
            addr,
            connections,
            sent,
        }
    }

    /// Bytes of [`Reply::Endless`] answers written so far (accepted by the
    /// kernel: the peer's socket buffers hold some it never read).
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::SeqCst)
    }

    /// Its base URL, `http://127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// Reads one request (headers and a `content-length` body), then replies.
async fn serve(mut socket: TcpStream, reply: Reply, sent: Arc<AtomicU64>) {
    if !read_request(&mut socket).await {
        return;
    }
    match reply {
        Reply::Reset => drop(socket),
        Reply::ThenClose(bytes) => {
            let _ = socket.write_all(&bytes).await;
            let _ = socket.shutdown().await;
        }
        Reply::ThenStall(bytes) => {
            let _ = socket.write_all(&bytes).await;
            // Held open until the runtime ends with the test.
            std::future::pending::<()>().await;
        }
        Reply::Endless {
            head,
            chunk,
            repeats,
            tail,
        } => {
            if socket.write_all(&head).await.is_err() {
                return;
            }
            for _ in 0..repeats {
                if socket.write_all(&chunk).await.is_err() {
                    return;
                }
                sent.fetch_add(chunk.len() as u64, Ordering::SeqCst);
            }
            let _ = socket.write_all(&tail).await;
            let _ = socket.shutdown().await;
        }
    }
}

/// Whether a whole request arrived before the peer closed.
async fn read_request(socket: &mut TcpStream) -> bool {
    let mut buf = vec![0u8; 8192];
    let mut read = 0;
    loop {
        match socket.read(&mut buf[read..]).await {
            Ok(0) | Err(_) => return false,
            Ok(k) => read += k,
        }
        let text = String::from_utf8_lossy(&buf[..read]);
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if read >= end + 4 + length {
                return true;
            }
        }
    }
}

/// A 127.0.0.1 address nothing listens on (bound, then released).
pub fn closed_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
}
