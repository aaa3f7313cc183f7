//! Bounded reads: no answer, from the API or the token endpoint, is read
//! past [`KoreBuilder::max_answer_size`](crate::KoreBuilder::max_answer_size).
//!
//! A response whose `Content-Length` is within the limit is left as it is:
//! hyper delivers no more than that length, so the common case costs
//! nothing. Any other response (no length, or a length past the limit) gets
//! a body that counts what passes through it and fails with [`TooLarge`]
//! once the limit is passed (with its first bytes, for an announced length
//! past it). The
//! reader then stops and drops the response, which closes the connection
//! instead of draining it. The failure keeps the first bytes of the answer,
//! for an excerpt.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::Stream;
use reqwest::ResponseBuilderExt as _;

/// The bytes of a too-large answer kept for its excerpt: more than the
/// excerpt reads (`auth::EXCERPT_LIMIT` characters of up to 4 bytes each,
/// plus 1 KiB), so that it can still say it left something out.
const HEAD: usize = 4096;

/// An answer passed the limit; reading stopped.
pub(crate) struct TooLarge {
    /// The limit, in bytes.
    pub(crate) limit: u64,
    /// What had arrived when reading stopped, in bytes.
    pub(crate) received: u64,
    /// The `Content-Length` the server announced, if it did.
    pub(crate) announced: Option<u64>,
    /// The first bytes of the answer (unscrubbed: quote them only through
    /// the token cache's excerpt, which removes secrets).
    pub(crate) head: Vec<u8>,
}

// Not derived: the head may quote a secret.
impl fmt::Debug for TooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TooLarge")
            .field("limit", &self.limit)
            .field("received", &self.received)
            .field("announced", &self.announced)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for TooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the answer is larger than the limit of {} bytes",
            self.limit
        )?;
        match self.announced {
            Some(announced) => write!(f, " (it announced {announced} bytes)"),
            None => write!(f, " (reading stopped after {} bytes)", self.received),
        }
    }
}

impl std::error::Error for TooLarge {}

/// The [`TooLarge`] in `error`'s chain, if reading stopped at the limit.
pub(crate) fn too_large<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a TooLarge> {
    crate::tls::chain(error).find_map(|e| e.downcast_ref::<TooLarge>())
}

/// `response` with a body that fails with [`TooLarge`] past `limit` bytes.
pub(crate) fn bounded(response: reqwest::Response, limit: u64) -> reqwest::Response {
    let announced = response.content_length();
    if announced.is_some_and(|length| length <= limit) {
        return response;
    }
    let status = response.status();
    let version = response.version();
    let url = response.url().clone();
    let mut headers = response.headers().clone();
    let body = reqwest::Body::wrap_stream(Counted {
        chunks: Box::pin(response.bytes_stream()),
        limit,
        announced,
        received: 0,
        head: Vec::new(),
        done: false,
    });
    let mut rebuilt = http::Response::builder()
        .status(status)
        .version(version)
        .url(url)
        .body(body)
        .expect("status and version come from a valid response");
    std::mem::swap(rebuilt.headers_mut(), &mut headers);
    reqwest::Response::from(rebuilt)
}

type Chunks = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;

/// The body [`bounded`] gives: the original chunks, counted.
struct Counted {
    chunks: Chunks,
    limit: u64,
    announced: Option<u64>,
    received: u64,
    head: Vec<u8>,
    /// The limit was passed: nothing more is read.
    done: bool,
}

impl Stream for Counted {
    type Item = Result<Bytes, Box<dyn std::error::Error + Send + Sync>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        let chunk = match self.chunks.as_mut().poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => chunk,
            Poll::Ready(Some(Err(error))) => return Poll::Ready(Some(Err(error.into()))),
            Poll::Ready(None) => return Poll::Ready(None),
            Poll::Pending => return Poll::Pending,
        };
        let this = &mut *self;
        this.received = this.received.saturating_add(chunk.len() as u64);
        let room = HEAD.saturating_sub(this.head.len()).min(chunk.len());
        this.head.extend_from_slice(&chunk[..room]);
        let over = this.received > this.limit || this.announced.is_some_and(|a| a > this.limit);
        if !over {
            return Poll::Ready(Some(Ok(chunk)));
        }
        this.done = true;
        Poll::Ready(Some(Err(Box::new(TooLarge {
            limit: this.limit,
            received: this.received,
            announced: this.announced,
            head: std::mem::take(&mut this.head),
        }))))
    }
}
