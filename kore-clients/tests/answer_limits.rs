//! A gigabyte answer, from the API or from the token endpoint, is read up to
//! the answer limit and no further: the call fails with an error that says
//! so, the connection is dropped, and the heap stays near the limit.
//!
//! A binary of its own: it reads the resident set of the whole process
//! (Linux's peak, `VmHWM`, reset through `/proc/self/clear_refs`), so
//! nothing else may run beside its one test.

use kore_clients::{AuthErrorKind, DEFAULT_MAX_ANSWER_SIZE, Error, Kore, SecretString};
use kore_mock::{MockKore, Route};
use kore_testkit::tcp::{self, RawServer};

const GIB: u64 = 1024 * 1024 * 1024;
const MIB: u64 = 1024 * 1024;

/// How far above what it held before a call the resident set may grow
/// while the call reads a gigabyte answer: the limit, once, plus room for
/// the runtime, the connection's buffers and the decoder.
const HEADROOM: u64 = DEFAULT_MAX_ANSWER_SIZE + 4 * MIB;

/// A `kB` line of `/proc/self/status`, in bytes.
fn status_bytes(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .unwrap_or_else(|| panic!("{field} in /proc/self/status"));
    line.trim().trim_end_matches(" kB").parse::<u64>().unwrap() * 1024
}

/// Runs `call`, returning its output and the most the resident set grew meanwhile.
async fn peak_growth<T>(call: impl Future<Output = T>) -> (T, u64) {
    // "5" resets the peak resident set to the current one.
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
    let before = status_bytes("VmRSS");
    let output = call.await;
    let grown = status_bytes("VmHWM").saturating_sub(before);
    eprintln!("the resident set grew by {} KiB", grown / 1024);
    (output, grown)
}

/// The facts of an [`Error::AnswerTooLarge`]: status, limit, received,
/// announced and the excerpt.
fn too_large(error: &Error) -> (u16, u64, u64, Option<u64>, &str) {
    match error {
        Error::AnswerTooLarge {
            status,
            limit,
            received,
            announced,
            excerpt,
            ..
        } => (status.as_u16(), *limit, *received, *announced, excerpt),
        other => panic!("{other:?}"),
    }
}

/// A client with the token from `mock` and the API at `api`.
fn client(mock: &MockKore, api: &RawServer) -> Kore {
    Kore::builder()
        .client_id(mock.client_id())
        .client_secret(SecretString::from(mock.client_secret().to_owned()))
        .token_url(mock.token_url())
        .base_url(api.url())
        .build()
        .unwrap()
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn gigabyte_answers_stop_at_the_limit_with_the_heap_near_it() {
    let mock = MockKore::start().await;

    // The API sends a gigabyte, chunked, with a success status.
    let api = RawServer::start(|_| tcp::huge(200, GIB, false)).await;
    let kore = client(&mock, &api);
    kore.tokens().bearer().await.unwrap();
    let (result, grown) = peak_growth(kore.ping()).await;
    let error = result.unwrap_err();
    let (status, limit, received, announced, excerpt) = too_large(&error);
    assert_eq!(
        (status, limit, announced),
        (200, DEFAULT_MAX_ANSWER_SIZE, None)
    );
    assert!(received > limit && received < limit + MIB, "{received}");
    assert!(
        excerpt.starts_with("<html><body>an answer far larger"),
        "{excerpt}"
    );
    let shown = error.to_string();
    assert!(
        shown.contains("larger than the limit of 16777216 bytes")
            && shown.contains("raise `KoreBuilder::max_answer_size`"),
        "{shown}"
    );
    assert!(!error.is_retryable());
    assert_eq!(api.connections(), 1, "not retried");
    assert!(
        grown < HEADROOM,
        "the resident set grew by {} MiB",
        grown / MIB
    );
    // Reading stopped: what the server got rid of is the limit plus what
    // the sockets' buffers took, nowhere near the gigabyte.
    assert!(api.sent() < GIB / 8, "{} MiB sent", api.sent() / MIB);

    // An error status announcing a gigabyte fails at its first bytes.
    let api = RawServer::start(|_| tcp::huge(500, GIB, true)).await;
    let kore = client(&mock, &api);
    kore.tokens().bearer().await.unwrap();
    let (result, grown) = peak_growth(kore.ping()).await;
    let error = result.unwrap_err();
    let (status, _, received, announced, excerpt) = too_large(&error);
    assert_eq!((status, announced), (500, Some(GIB)));
    assert!(received < MIB, "{received}");
    assert!(excerpt.starts_with("<html>"), "{excerpt}");
    assert!(
        error.to_string().contains("it announced 1073741824 bytes"),
        "{error}"
    );
    // A 500 is retried as a status (its body unread); the last one is read.
    assert_eq!(api.connections(), 3);
    assert!(
        grown < 4 * MIB,
        "the resident set grew by {} MiB",
        grown / MIB
    );

    // The token endpoint refuses with a gigabyte, under a smaller limit.
    let token = RawServer::start(|_| tcp::huge(400, GIB, false)).await;
    let kore = Kore::builder()
        .client_id("id")
        .client_secret(SecretString::from("s3cret-value"))
        .token_url(format!("{}/token", token.url()))
        .base_url(mock.base_url())
        .max_answer_size(MIB)
        .build()
        .unwrap();
    let (result, grown) = peak_growth(kore.ping()).await;
    let error = result.unwrap_err();
    let Error::Auth { source, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(source.kind(), AuthErrorKind::AnswerTooLarge);
    assert_eq!(source.status().map(|s| s.as_u16()), Some(400));
    let shown = error.to_string();
    assert!(
        shown.contains("larger than the limit of 1048576 bytes")
            && shown.contains("it starts: <html><body>"),
        "{shown}"
    );
    assert_eq!(token.connections(), 1, "not retried");
    assert_eq!(mock.requests(Route::Ping), 0);
    assert!(
        grown < MIB + 4 * MIB,
        "the resident set grew by {} MiB",
        grown / MIB
    );
}
