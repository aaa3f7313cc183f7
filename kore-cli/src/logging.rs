//! `-v` / `-vv`: tracing to stderr.
//!
//! Without `-v`, stderr is ours alone: our warnings, then `error:` and
//! `hint:`. Dependencies (rustls and its verifier, hyper, reqwest) speak
//! from `-v` on, and only at `warn`: a refused certificate is reported once,
//! as our error, not also as the TLS stack's log line per handshake. Only
//! the KORE crates are raised (`kore`, `kore_clients`, `kore_mock` all start
//! with `kore`), so nothing below the SDK — which never logs secrets — can
//! print a request body holding one. `RUST_LOG`, when set, replaces these
//! levels.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

/// Installs the subscriber. `serving` is true for `kore mock`, whose
/// per-request log lines are its output and are shown without `-v`.
pub fn init(verbose: u8, serving: bool) {
    let levels = match verbose {
        0 if serving => "off,kore=warn,kore_mock=info",
        0 => "off,kore=warn",
        1 => "warn,kore=debug",
        _ => "warn,kore=trace",
    };
    let filter = match std::env::var("RUST_LOG") {
        Ok(directives) if !directives.trim().is_empty() => EnvFilter::new(directives),
        _ => EnvFilter::new(levels),
    };
    // -vv also reports each operation and attempt as it ends, with its
    // status and timing.
    let spans = if verbose >= 2 {
        FmtSpan::CLOSE
    } else {
        FmtSpan::NONE
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(spans)
        .with_writer(std::io::stderr)
        .with_ansi(crate::style::stderr())
        .with_target(verbose >= 2)
        .init();
}
