//! Failure → exit code and the one or two lines a human reads on stderr.
//!
//! Every failure of a command becomes a [`Failure`]; [`Failure::exit`] is the
//! one place that decides the exit code, and [`Failure::report`] the one
//! place that words the message. Secrets cannot end up here: the SDK's
//! errors are scrubbed of the client secret, and the CLI's own failures only
//! ever name paths and flags.
//!
//! One file, because each failure's exit code and its wording are decided
//! per variant in two matches that must stay in step.

use std::fmt;
use std::io;
use std::path::PathBuf;

use kore_clients::{AuthErrorKind, CertificateProblem, Error, Operation};

use crate::secret_command::CommandFailed;

/// The exit codes documented in `kore --help`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: the command did what was asked.
    Success = 0,
    /// 1: a local failure (writing the output or the secret file).
    Local = 1,
    /// 2: usage or invalid input.
    Usage = 2,
    /// 3: the token endpoint or the API rejected the credentials.
    Auth = 3,
    /// 4: the client (or route) does not exist.
    NotFound = 4,
    /// 5: any other API failure, including 5xx after retries.
    Api = 5,
    /// 6: KORE or its token endpoint could not be reached in time.
    Network = 6,
    /// 7: a client was created, but its one-time secret could not be
    /// delivered (stdout closed or failing, the secret file unwritable).
    SecretUndelivered = 7,
    /// 8: a create whose outcome is unknown: it may have reached KORE but
    /// its answer never arrived. Check with `kore clients list --name`.
    CreateUnknown = 8,
    /// 9: `kore doctor` found the live API deviating from the merged spec.
    Deviates = 9,
    /// 130: interrupted (Ctrl-C) before KORE answered.
    Interrupted = 130,
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> u8 {
        self as u8
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        std::process::ExitCode::from(exit.code())
    }
}

/// Why a command failed.
#[derive(Debug)]
pub enum Failure {
    /// The SDK's error, as KORE or the network caused it.
    Kore(Error),
    /// Input the CLI refuses before sending anything (missing credentials, ...).
    Usage {
        /// What is wrong.
        message: String,
        /// What to do instead.
        hint: Option<String>,
    },
    /// `--secret-file` cannot be created; nothing was sent to KORE.
    SecretFile {
        /// The path given.
        path: PathBuf,
        /// Why it cannot be created.
        source: io::Error,
    },
    /// A local I/O failure after the request (writing stdout or the secret).
    Io {
        /// What was being written.
        context: String,
        /// The I/O error.
        source: io::Error,
    },
    /// The client was created but its secret could not be written anywhere.
    SecretUndelivered {
        /// The new client's id, if KORE sent one.
        client_id: Option<String>,
        /// Where the secret was to go.
        context: String,
        /// Why writing it failed.
        source: io::Error,
    },
    /// Ctrl-C before KORE answered a create: it may or may not exist.
    CreateInterrupted {
        /// The name it was to be created with.
        name: String,
    },
    /// `kore doctor`: the live API sent what the merged spec does not
    /// describe (the report on stdout lists each place).
    Deviates {
        /// How many deviations the report lists.
        count: usize,
    },
    /// `kore doctor` could not check everything: calls failed or answered
    /// with an error status (the report on stdout says which).
    DoctorIncomplete {
        /// The calls that did not succeed, e.g. `listClient (HTTP 503)`.
        calls: Vec<String>,
        /// Whether one got no answer at all (network, timeout).
        network: bool,
    },
    /// `kore doctor --include-create`: the create was sent but its outcome is unknown.
    DoctorCreateUnknown {
        /// The name the client was to be created with.
        name: String,
        /// What happened to the request.
        what: String,
    },
    /// `kore auth token`: no token could be had.
    Token(kore_clients::AuthError),
    /// The in-process mock could not start (port taken, ...).
    MockStart {
        /// The address it tried.
        addr: String,
        /// Why it failed.
        source: io::Error,
    },
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure::Kore(error)
    }
}

impl Failure {
    /// A usage failure with a hint.
    pub fn usage(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Failure::Usage {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }

    /// A failure writing `context` (stdout, a file).
    pub fn io(context: impl Into<String>) -> impl FnOnce(io::Error) -> Self {
        let context = context.into();
        move |source| Failure::Io { context, source }
    }

    /// Whether the reader of stdout went away (`kore ... | head`): the
    /// command stops, and that is not an error worth a message.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Failure::Io { source, .. } if source.kind() == io::ErrorKind::BrokenPipe)
    }

    /// The exit code for this failure.
    pub fn exit(&self) -> Exit {
        match self {
            Failure::Kore(error) => classify(error),
            Failure::Token(error) => classify_auth(error.kind()),
            Failure::Usage { .. } | Failure::SecretFile { .. } => Exit::Usage,
            Failure::Io { .. } | Failure::MockStart { .. } => Exit::Local,
            Failure::SecretUndelivered { .. } => Exit::SecretUndelivered,
            Failure::CreateInterrupted { .. } => Exit::Interrupted,
            Failure::Deviates { .. } => Exit::Deviates,
            Failure::DoctorIncomplete { network: true, .. } => Exit::Network,
            Failure::DoctorIncomplete { network: false, .. } => Exit::Api,
            Failure::DoctorCreateUnknown { .. } => Exit::CreateUnknown,
        }
    }

    /// The lines for stderr: what failed and why, then what to try.
    pub fn report(&self) -> Report {
        match self {
            Failure::Kore(error) => report(error),
            Failure::Token(error) if error.kind() == AuthErrorKind::SecretUnavailable => {
                secret_report(error)
            }
            Failure::Token(error) => Report {
                message: format!("cannot get an access token: {error}"),
                hint: Some(match error.kind() {
                    AuthErrorKind::Rejected => "check KORE_CLIENT_ID and KORE_CLIENT_SECRET (or the profile) and that the client is not locked",
                    AuthErrorKind::Unreachable => "check the network and --token-url / KORE_TOKEN_URL",
                    _ => "check that --token-url points at KORE's token endpoint, or retry later",
                }.to_owned()),
            },
            Failure::Usage { message, hint } => Report {
                message: message.clone(),
                hint: hint.clone(),
            },
            Failure::SecretFile { path, source } => Report {
                message: format!(
                    "cannot create the secret file {}: {source}; no client was created",
                    path.display()
                ),
                hint: Some(if source.kind() == io::ErrorKind::AlreadyExists {
                    "choose a new path: an existing file is never overwritten".to_owned()
                } else {
                    "check that the directory exists and is writable".to_owned()
                }),
            },
            Failure::Io { context, source } => Report {
                message: format!("cannot write {context}: {source}"),
                hint: None,
            },
            Failure::SecretUndelivered {
                client_id,
                context,
                source,
            } => Report {
                message: format!(
                    "the client {}was created, but its one-time secret could not be delivered: cannot write {context}: {source}",
                    client_id
                        .as_deref()
                        .map(|id| format!("{id} "))
                        .unwrap_or_default()
                ),
                hint: Some(
                    "KORE will not show the secret again: delete the client and create another, with --secret-file to keep the secret out of pipes".to_owned(),
                ),
            },
            Failure::CreateInterrupted { name } => Report {
                message: format!(
                    "create client: interrupted before KORE answered; the client {name:?} may or may not have been created"
                ),
                hint: Some(format!(
                    "check with `{}` before creating it again",
                    kore_clients::check_command(name)
                )),
            },
            Failure::Deviates { count } => Report {
                message: format!(
                    "the live API deviates from the merged spec in {count} place(s), listed in the report"
                ),
                hint: Some(
                    "each names the operation and JSON pointer; fix it with a correction in openapi/corrections.json (see openapi/README.md), or report it to KORE".to_owned(),
                ),
            },
            Failure::DoctorIncomplete { calls, network } => Report {
                message: format!(
                    "kore doctor could not check everything: {} did not succeed",
                    calls.join(", ")
                ),
                hint: Some(if *network {
                    "check the network and --base-url, or raise --timeout, then run it again".to_owned()
                } else {
                    "the report shows each answer; run it again later, or with -v".to_owned()
                }),
            },
            Failure::DoctorCreateUnknown { name, what } => Report {
                message: format!(
                    "kore doctor: the create request for {name:?} was sent, but {what}; KORE may have created the client"
                ),
                hint: Some(format!(
                    "check with `{}` before running the doctor with --include-create again",
                    kore_clients::check_command(name)
                )),
            },
            Failure::MockStart { addr, source } => Report {
                message: format!("kore-mock cannot listen on {addr}: {source}"),
                hint: Some("choose another --port, or --port 0 for a free one".to_owned()),
            },
        }
    }

    /// The underlying error, for the `-v` details.
    pub fn source_error(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Failure::Kore(error) => Some(error),
            Failure::Token(error) => Some(error),
            Failure::SecretFile { source, .. }
            | Failure::Io { source, .. }
            | Failure::SecretUndelivered { source, .. }
            | Failure::MockStart { source, .. } => Some(source),
            Failure::Usage { .. }
            | Failure::CreateInterrupted { .. }
            | Failure::Deviates { .. }
            | Failure::DoctorIncomplete { .. }
            | Failure::DoctorCreateUnknown { .. } => None,
        }
    }
}

/// What a human reads: one line saying what failed and why, and optionally
/// a second one saying what to try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// What failed and why.
    pub message: String,
    /// What to try.
    pub hint: Option<String>,
}

impl Report {
    /// The report for a terminal: `error:` in bold red, `hint:` in cyan, when `color`.
    pub fn painted(&self, color: bool) -> String {
        let mut text = format!(
            "{} {}",
            crate::style::paint("error:", "1;31", color),
            self.message
        );
        if let Some(hint) = &self.hint {
            text.push_str(&format!(
                "\n{} {hint}",
                crate::style::paint("hint:", "36", color)
            ));
        }
        text
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\nhint: {hint}")?;
        }
        Ok(())
    }
}

/// The exit code for an SDK error: the one mapping from
/// `kore_clients::Error` to the documented codes.
pub fn classify(error: &Error) -> Exit {
    match error {
        Error::Config { .. } | Error::InvalidInput { .. } => Exit::Usage,
        Error::HttpClient { .. } => Exit::Local,
        Error::CreateOutcomeUnknown { .. } => Exit::CreateUnknown,
        Error::Auth { source, .. } => classify_auth(source.kind()),
        Error::Api { status, .. } => classify_status(status.as_u16()),
        // A non-JSON error page is a gateway's or a proxy's, not KORE's
        // verdict on the id, so only credentials keep their meaning.
        Error::UnexpectedResponse { status, .. } => match status.as_u16() {
            401 | 403 => Exit::Auth,
            _ => Exit::Api,
        },
        Error::Timeout { .. } | Error::OperationTimeout { .. } | Error::Transport { .. } => {
            Exit::Network
        }
        // Answers that could not be read (`Decode`, `CreatedButUndecodable`,
        // `Pagination`) are API failures, and so is any variant a later SDK
        // adds (the enum is non-exhaustive) until this function learns better.
        _ => Exit::Api,
    }
}

/// Token failures: refused credentials are the user's to fix (3), an
/// unreachable endpoint is the network's (6), and a token endpoint that
/// answers nonsense (or 5xx) is an API failure (5).
pub fn classify_auth(kind: AuthErrorKind) -> Exit {
    match kind {
        AuthErrorKind::Rejected | AuthErrorKind::ApiRejected => Exit::Auth,
        AuthErrorKind::Unreachable => Exit::Network,
        // Where the secret comes from is the profile's to fix.
        AuthErrorKind::SecretUnavailable => Exit::Usage,
        _ => Exit::Api,
    }
}

/// KORE's JSON error answers by status.
pub fn classify_status(status: u16) -> Exit {
    match status {
        400 | 422 => Exit::Usage,
        401 | 403 => Exit::Auth,
        404 => Exit::NotFound,
        _ => Exit::Api,
    }
}

/// Words an SDK error for the terminal. The SDK's own messages are complete
/// but speak of builder methods; where they do, the CLI says it with flags.
pub fn report(error: &Error) -> Report {
    let hint = |text: &str| Some(text.to_owned());
    if let Some(report) = route_report(error) {
        return report;
    }
    match error {
        Error::Config { message, .. } => Report {
            message: format!("invalid configuration: {}", in_cli_words(message)),
            hint: hint(config_hint(message)),
        },
        Error::Auth { source, .. } if source.kind() == AuthErrorKind::SecretUnavailable => {
            secret_report(source)
        }
        Error::Auth {
            operation, source, ..
        } => {
            let mut what = match source.kind() {
                AuthErrorKind::Rejected => "the token endpoint rejected the credentials".to_owned(),
                AuthErrorKind::ApiRejected => {
                    "KORE rejected a freshly issued access token".to_owned()
                }
                AuthErrorKind::Unreachable => "could not reach the token endpoint".to_owned(),
                AuthErrorKind::Unavailable => "the token endpoint is unavailable".to_owned(),
                AuthErrorKind::AnswerTooLarge => {
                    "the token endpoint's answer is too large".to_owned()
                }
                _ => "the token endpoint's answer is not a usable token".to_owned(),
            };
            let status = source.status().map(|s| s.as_u16().to_string());
            let details: Vec<String> = status
                .iter()
                .map(|s| format!("HTTP {s}"))
                // KORE's token errors repeat the status as their code.
                .chain(
                    source
                        .error_code()
                        .filter(|code| Some(*code) != status.as_deref())
                        .map(str::to_owned),
                )
                .collect();
            if !details.is_empty() {
                what.push_str(&format!(" ({})", details.join(" ")));
            }
            if let Some(description) = source.description() {
                what.push_str(&format!(": {description}"));
            }
            if let Some(cause) = std::error::Error::source(source) {
                what.push_str(&format!(": {}", chain(cause)));
            }
            Report {
                message: format!("{}: {what}", short(*operation)),
                hint: match source.kind() {
                    AuthErrorKind::Rejected | AuthErrorKind::ApiRejected => hint(
                        "check KORE_CLIENT_ID and KORE_CLIENT_SECRET (or --client-id with --client-secret-stdin) and that the client is not locked",
                    ),
                    AuthErrorKind::Unreachable => {
                        hint("check the network and --token-url / KORE_TOKEN_URL")
                    }
                    // Without a token nothing was sent: a create is safe to run again.
                    _ if *operation == Operation::CreateClient => hint(
                        "nothing was sent to KORE; check that --token-url points at KORE's token endpoint, then run the create again",
                    ),
                    _ => hint(
                        "check that --token-url points at KORE's token endpoint, or retry later",
                    ),
                },
            }
        }
        Error::Timeout {
            operation,
            attempts,
            ..
        } => Report {
            message: format!(
                "{}: timed out after {attempts} attempt(s)",
                short(*operation)
            ),
            hint: hint("raise --timeout, or retry later"),
        },
        Error::OperationTimeout {
            operation,
            limit,
            attempts,
            ..
        } => Report {
            message: format!(
                "{}: did not finish within {limit:?} ({attempts} attempt(s) started)",
                short(*operation)
            ),
            hint: hint(
                "raise --timeout (each attempt gets it, the whole call three times it and 30 s), or retry later",
            ),
        },
        Error::Transport {
            operation,
            attempts,
            source,
            ..
        } => Report {
            message: format!(
                "{}: could not reach KORE after {attempts} attempt(s): {}",
                short(*operation),
                chain(source)
            ),
            hint: hint("check the network and --base-url / KORE_BASE_URL"),
        },
        Error::CreatedButUndecodable {
            created, reason, ..
        } => Report {
            message: format!(
                "create client: KORE created the client{}, but its answer could not be decoded ({reason})",
                created
                    .client_id()
                    .map(|id| format!(" {id}"))
                    .unwrap_or_default()
            ),
            hint: hint(
                "do not simply retry: the client exists. Its raw answer, with the one-time secret, was saved as reported above",
            ),
        },
        Error::Api { status, .. } => Report {
            message: error.to_string(),
            hint: match status.as_u16() {
                404 if error.operation() == Some(Operation::GetClient) => {
                    hint("list the account's clients with `kore clients list`")
                }
                404 => hint("check --base-url / KORE_BASE_URL"),
                // Reads were already retried with backoff by the SDK.
                500..=599 if !error.operation().is_some_and(Operation::is_write) => {
                    hint("it failed on every attempt; -v shows each retry")
                }
                // A create is never retried after a 5xx: KORE may have
                // created the client anyway.
                500..=599 => hint(
                    "KORE may have created the client anyway: check `kore clients list` before retrying",
                ),
                _ => None,
            },
        },
        Error::UnexpectedResponse { .. } => Report {
            message: error.to_string(),
            hint: hint("check that --base-url points at KORE's Client API"),
        },
        Error::CreateOutcomeUnknown { name, .. } => Report {
            message: error.to_string(),
            hint: Some(format!(
                "do not simply run the create again: `{}` first; -v shows what happened to the request",
                kore_clients::check_command(name)
            )),
        },
        Error::HttpClient { source, .. } => Report {
            message: format!(
                "cannot set up the HTTP client: {}; nothing was sent",
                chain(source)
            ),
            hint: hint(
                "this is a local problem (TLS set-up, system configuration); -v shows details",
            ),
        },
        Error::AnswerTooLarge {
            operation,
            status,
            limit,
            received,
            announced,
            excerpt,
            ..
        } => Report {
            message: format!(
                "{}: the answer (HTTP {}, {} bytes or more) is larger than the {} MiB kore reads; it starts: {excerpt}",
                short(*operation),
                status.as_u16(),
                announced.unwrap_or(*received),
                limit / (1024 * 1024),
            ),
            hint: hint(if *operation == Operation::ListClient {
                "ask for smaller pages with --page-size"
            } else {
                "KORE, or a proxy on the way, sent far more than any answer holds; retry later, and report it if it persists"
            }),
        },
        Error::Decode { .. } | Error::Pagination { .. } => Report {
            message: error.to_string(),
            hint: hint(
                "KORE's answer does not match its documented shape; rerun with -v and report it",
            ),
        },
        _ => Report {
            message: error.to_string(),
            hint: None,
        },
    }
}

/// No secret from the profile's `client_secret_command`: in the command's
/// own words (they name the profile and the key) when it failed, else what
/// the SDK says (it stopped waiting, or the command is still running from
/// an earlier request).
fn secret_report(error: &kore_clients::AuthError) -> Report {
    let failed = std::error::Error::source(error).and_then(|cause| {
        std::iter::successors(Some(cause), |e| e.source())
            .find_map(|e| e.downcast_ref::<CommandFailed>())
    });
    match failed {
        Some(failed) => Report {
            message: failed.to_string(),
            hint: Some(failed.hint()),
        },
        None => Report {
            message: format!(
                "no client secret from the profile's client_secret_command: {}",
                std::error::Error::source(error).map_or_else(|| error.to_string(), chain)
            ),
            hint: Some(format!(
                "run the command by hand to see why, or give it longer with {}",
                crate::secret_command::TIMEOUT_KEY
            )),
        },
    }
}

/// A refused certificate or a proxy's 407: what the TLS stack or the proxy
/// said, the host, and which flag fixes it — not "check the network".
fn route_report(error: &Error) -> Option<Report> {
    let (operation, endpoint) = match error {
        Error::Transport { operation, .. } => (short(*operation), ""),
        Error::Auth { operation, .. } => (short(*operation), " (the token endpoint)"),
        _ => return None,
    };
    if let Some(refused) = error.certificate() {
        let hint = match refused.problem() {
            CertificateProblem::Expired | CertificateProblem::NotYetValid => {
                "check this machine's clock; if it is right, the server (or a proxy in between) presents an outdated certificate"
            }
            CertificateProblem::WrongHost => {
                "check the host name in --base-url / --token-url; a proxy that inspects TLS presents its own certificate: trust its CA with --ca-cert FILE or KORE_CA_CERT"
            }
            _ => {
                "if KORE is reached through a private CA or a TLS-inspecting proxy, trust that CA's certificate (PEM) with --ca-cert FILE, KORE_CA_CERT or the profile's ca_cert (SSL_CERT_FILE replaces the system's CAs)"
            }
        };
        return Some(Report {
            message: format!("{operation}: {refused}{endpoint}; not retried"),
            hint: Some(hint.to_owned()),
        });
    }
    error.is_proxy_refusal().then(|| Report {
        message: format!(
            "{operation}: the proxy refused the tunnel{endpoint} (HTTP 407 Proxy Authentication Required)"
        ),
        hint: Some(
            "give the proxy's credentials in its URL: --proxy http://user:password@host:port, the profile's proxy, or HTTPS_PROXY".to_owned(),
        ),
    })
}

/// What to check for a configuration error, by what it is about.
fn config_hint(message: &str) -> &'static str {
    if message.contains("CA certificate") {
        "--ca-cert, KORE_CA_CERT and the profile's ca_cert name a PEM file with the CA's certificate (-----BEGIN CERTIFICATE-----)"
    } else if message.contains("the proxy") {
        "--proxy and the profile's proxy take http://[user:password@]host:port"
    } else {
        "check --base-url / KORE_BASE_URL and --token-url / KORE_TOKEN_URL (https://, or http:// to 127.0.0.1)"
    }
}

/// The SDK's configuration messages speak of builder methods; the CLI's
/// user sets flags and variables instead.
fn in_cli_words(message: &str) -> String {
    const WORDS: [(&str, &str); 6] = [
        (
            "KoreBuilder::client_id or KORE_CLIENT_ID",
            "--client-id or KORE_CLIENT_ID",
        ),
        (
            "KoreBuilder::client_secret or KORE_CLIENT_SECRET",
            "KORE_CLIENT_SECRET or --client-secret-stdin",
        ),
        (
            ". Use https://, or KoreBuilder::allow_insecure_http(true) for a test setup",
            "; use https:// (http:// only to 127.0.0.1 or localhost)",
        ),
        (
            "use client_id/client_secret",
            "use --client-id and KORE_CLIENT_SECRET",
        ),
        ("the base URL", "--base-url"),
        ("the token URL", "--token-url"),
    ];
    WORDS.iter().fold(message.to_owned(), |text, (sdk, cli)| {
        text.replace(sdk, cli)
    })
}

/// The operation as a user calls it.
fn short(operation: Operation) -> &'static str {
    // The words of the `kore` command that makes the call; an operation with
    // no command of its own (reached through the SDK's raw client) by the
    // words of its operation id.
    match operation {
        Operation::GetPingStatus => "ping",
        Operation::ListClient => "list clients",
        Operation::CreateClient => "create client",
        Operation::GetClient => "get client",
        other => other.words(),
    }
}

/// `error: cause: cause...`, de-duplicated: reqwest repeats its cause in
/// its own message on some platforms.
pub fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut out = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        next = cause.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;
    use std::time::Duration;

    use http::StatusCode;
    use kore_clients::{Kore, KoreBuilder, RetryPolicy, SecretString, testing};
    use kore_mock::{Fault, MockKore, Route};

    use super::*;

    /// A port nothing listens on: bound, then released.
    fn closed_port() -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    }

    fn kore(base_url: &str, token_url: &str, id: &str, secret: &str) -> Kore {
        Kore::builder()
            .client_id(id)
            .client_secret(SecretString::from(secret.to_owned()))
            .base_url(base_url)
            .token_url(token_url)
            .timeout(Duration::from_secs(5))
            .retry(RetryPolicy::default().initial_backoff(Duration::from_millis(1)))
            .build()
            .unwrap()
    }

    fn for_mock(mock: &MockKore) -> Kore {
        kore(
            &mock.base_url(),
            &mock.token_url(),
            mock.client_id(),
            mock.client_secret(),
        )
    }

    fn api(status: StatusCode) -> Error {
        testing::api(
            Operation::GetClient,
            status,
            Some(i64::from(status.as_u16())),
            Some("Client not found"),
        )
    }

    #[test]
    fn invalid_input_and_configuration_are_usage_errors() {
        let config = testing::config("the base URL \"x\" is not a URL");
        assert_eq!(classify(&config), Exit::Usage);
        assert!(report(&config).hint.unwrap().contains("--base-url"));
        let input = testing::invalid_input(Operation::ListClient, "page_size must be at least 1");
        assert_eq!(classify(&input), Exit::Usage);
        assert_eq!(classify(&api(StatusCode::BAD_REQUEST)), Exit::Usage);
    }

    #[test]
    fn api_statuses_map_to_their_classes() {
        assert_eq!(classify(&api(StatusCode::UNAUTHORIZED)), Exit::Auth);
        assert_eq!(classify(&api(StatusCode::FORBIDDEN)), Exit::Auth);
        assert_eq!(classify(&api(StatusCode::NOT_FOUND)), Exit::NotFound);
        assert_eq!(classify(&api(StatusCode::SERVICE_UNAVAILABLE)), Exit::Api);
        assert_eq!(classify(&api(StatusCode::TOO_MANY_REQUESTS)), Exit::Api);
        let not_found = report(&api(StatusCode::NOT_FOUND));
        assert!(not_found.message.contains("404"), "{not_found:?}");
        assert!(not_found.hint.unwrap().contains("kore clients list"));
    }

    #[test]
    fn api_error_hints_depend_on_status_and_operation() {
        let hint_of = |operation, status| {
            let error = testing::api(operation, status, None, None);
            report(&error).hint
        };
        let hint = |operation, status| hint_of(operation, status).unwrap_or_default();
        assert!(hint(Operation::GetClient, StatusCode::NOT_FOUND).contains("kore clients list"));
        // A list or a ping has no id to get wrong: the route itself is missing.
        let route = hint(Operation::ListClient, StatusCode::NOT_FOUND);
        assert!(route.starts_with("check --base-url"), "{route}");
        let read = hint(Operation::ListClient, StatusCode::SERVICE_UNAVAILABLE);
        assert!(read.starts_with("it failed on every attempt"), "{read}");
        let create = hint(Operation::CreateClient, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(
            create.starts_with("KORE may have created the client"),
            "{create}"
        );
        assert_eq!(hint_of(Operation::GetClient, StatusCode::CONFLICT), None);
    }

    #[test]
    fn gateway_pages_and_undecodable_answers_are_api_errors() {
        let page = |status| {
            testing::unexpected_response(
                Operation::ListClient,
                status,
                Some("text/html"),
                "<html>502 Bad Gateway</html>",
            )
        };
        assert_eq!(classify(&page(StatusCode::BAD_GATEWAY)), Exit::Api);
        assert_eq!(classify(&page(StatusCode::NOT_FOUND)), Exit::Api);
        assert_eq!(classify(&page(StatusCode::FORBIDDEN)), Exit::Auth);
        let hint = report(&page(StatusCode::BAD_GATEWAY)).hint.unwrap();
        assert!(
            hint.contains("--base-url points at KORE's Client API"),
            "{hint}"
        );
        let decode = testing::decode(
            Operation::ListClient,
            StatusCode::OK,
            "EOF while parsing",
            "{\"clients\": [",
        );
        assert_eq!(classify(&decode), Exit::Api);
        let pagination = testing::pagination(Operation::ListClient, "page 2 repeated page 1");
        assert_eq!(classify(&pagination), Exit::Api);
        for error in [decode, pagination] {
            let hint = report(&error).hint.unwrap();
            assert!(
                hint.contains("does not match its documented shape"),
                "{hint}"
            );
        }
    }

    /// The report on `error`, which must exit with `exit` and say `says`.
    fn reported(error: &Error, exit: Exit, says: &str) -> Report {
        assert_eq!(classify(error), exit, "{error:?}");
        let report = report(error);
        assert!(report.message.contains(says), "{report:?}");
        report
    }

    /// What building a client with a secret and `settings` fails with.
    fn build_error(settings: impl FnOnce(KoreBuilder) -> KoreBuilder) -> Error {
        settings(Kore::builder().client_secret(SecretString::from("secret")))
            .build()
            .unwrap_err()
    }

    #[test]
    fn an_http_client_that_cannot_be_built_is_a_local_failure() {
        let error = build_error(|b| b.client_id("id").user_agent("not\na header value"));
        assert!(matches!(error, Error::HttpClient { .. }), "{error:?}");
        let report = reported(&error, Exit::Local, "nothing was sent");
        assert!(report.hint.unwrap().contains("a local problem"));
    }

    #[test]
    fn configuration_errors_speak_in_flags() {
        for (error, flag) in [
            (
                build_error(|b| b.client_id("id").base_url("http://10.0.0.1")),
                "--base-url",
            ),
            (build_error(|b| b), "--client-id"),
        ] {
            let text = report(&error).to_string();
            assert!(!text.contains("KoreBuilder"), "{text}");
            assert!(text.contains(flag), "{text}");
        }
    }

    #[test]
    fn timeouts_are_network_errors() {
        let timeout = testing::timeout(Operation::GetPingStatus, 3);
        assert_eq!(classify(&timeout), Exit::Network);
        assert_eq!(
            report(&timeout),
            Report {
                message: "ping: timed out after 3 attempt(s)".into(),
                hint: Some("raise --timeout, or retry later".into()),
            }
        );
    }

    #[test]
    fn an_operation_deadline_says_how_far_it_got_and_what_to_raise() {
        let timeout = testing::operation_timeout(Operation::ListClient, Duration::from_secs(30), 2);
        assert_eq!(classify(&timeout), Exit::Network);
        let report = report(&timeout);
        assert_eq!(
            report.message,
            "list clients: did not finish within 30s (2 attempt(s) started)"
        );
        assert!(
            report
                .hint
                .unwrap()
                .starts_with("raise --timeout (each attempt")
        );
    }

    #[test]
    fn operations_are_named_as_a_user_calls_them() {
        let named: Vec<_> = [
            Operation::GetPingStatus,
            Operation::ListClient,
            Operation::CreateClient,
            Operation::GetClient,
        ]
        .into_iter()
        .map(short)
        .collect();
        assert_eq!(
            named,
            ["ping", "list clients", "create client", "get client",]
        );
    }

    #[test]
    fn a_chain_adds_each_cause_its_error_does_not_already_say() {
        #[derive(Debug)]
        struct Layer(&'static str, Option<Box<Layer>>);
        impl fmt::Display for Layer {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.0)
            }
        }
        impl std::error::Error for Layer {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                self.1.as_deref().map(|l| l as _)
            }
        }
        // reqwest-style: the outer message already repeats its cause.
        let error = Layer(
            "error sending request: connection refused",
            Some(Box::new(Layer(
                "connection refused",
                Some(Box::new(Layer("os error 111", None))),
            ))),
        );
        assert_eq!(
            chain(&error),
            "error sending request: connection refused: os error 111"
        );
    }

    #[test]
    fn auth_kinds_map_to_their_classes() {
        assert_eq!(classify_auth(AuthErrorKind::Rejected), Exit::Auth);
        assert_eq!(classify_auth(AuthErrorKind::ApiRejected), Exit::Auth);
        assert_eq!(classify_auth(AuthErrorKind::Unreachable), Exit::Network);
        assert_eq!(classify_auth(AuthErrorKind::InvalidResponse), Exit::Api);
    }

    // The variants below carry types only the SDK can build (`AuthError`,
    // `reqwest::Error`), so they are produced the real way, against a mock.

    #[tokio::test]
    async fn rejected_credentials_exit_3_without_the_secret() {
        let mock = MockKore::start().await;
        let secret = "wrong-secret-5f1e0c";
        let error = kore(
            &mock.base_url(),
            &mock.token_url(),
            mock.client_id(),
            secret,
        )
        .ping()
        .await
        .unwrap_err();
        assert_eq!(classify(&error), Exit::Auth);
        let text = report(&error).to_string();
        assert!(text.contains("rejected the credentials"), "{text}");
        assert!(!text.contains(secret), "{text}");
        assert!(!format!("{error:?}").contains(secret));
    }

    #[tokio::test]
    async fn an_unreachable_token_endpoint_exits_6() {
        let mock = MockKore::start().await;
        let token_url = format!("http://127.0.0.1:{}/token", closed_port());
        let error = kore(&mock.base_url(), &token_url, mock.client_id(), "s")
            .ping()
            .await
            .unwrap_err();
        assert_eq!(classify(&error), Exit::Network);
        assert!(report(&error).hint.unwrap().contains("--token-url"));
    }

    #[tokio::test]
    async fn a_token_endpoint_failing_with_5xx_exits_5() {
        let mock = MockKore::builder()
            // 500 on every attempt the SDK's retry policy makes.
            .script(Route::Token, std::iter::repeat_n(Fault::Status(500), 3))
            .start()
            .await;
        let error = for_mock(&mock).ping().await.unwrap_err();
        assert!(
            matches!(&error, Error::Auth { source, .. } if source.kind() == AuthErrorKind::Unavailable),
            "{error:?}"
        );
        let words = reported(
            &error,
            Exit::Api,
            "the token endpoint is unavailable (HTTP 500)",
        );
        let hint = words.hint.unwrap();
        assert!(hint.ends_with("or retry later"), "{hint}");
        assert!(!hint.contains("nothing was sent"), "{hint}");
        // A create that never got a token was never sent: safe to run again.
        mock.faults()
            .script(Route::Token, std::iter::repeat_n(Fault::Status(500), 3));
        let error = for_mock(&mock)
            .clients()
            .create(kore_clients::NewClient::new("x").product(kore_clients::Product::SuperSim))
            .await
            .unwrap_err();
        let hint = report(&error).hint.unwrap();
        assert!(hint.starts_with("nothing was sent to KORE"), "{hint}");
    }

    #[tokio::test]
    async fn a_token_kore_refuses_twice_exits_3_and_says_so() {
        let mock = MockKore::builder()
            // The first 401 gets a fresh token; the second is KORE's verdict on it.
            .script(Route::Ping, [Fault::Status(401), Fault::Status(401)])
            .start()
            .await;
        let error = for_mock(&mock).ping().await.unwrap_err();
        let report = reported(
            &error,
            Exit::Auth,
            "KORE rejected a freshly issued access token",
        );
        assert!(report.hint.unwrap().contains("KORE_CLIENT_SECRET"));
    }

    #[tokio::test]
    async fn an_unreachable_api_exits_6() {
        let mock = MockKore::start().await;
        let base_url = format!("http://127.0.0.1:{}", closed_port());
        let error = kore(
            &base_url,
            &mock.token_url(),
            mock.client_id(),
            mock.client_secret(),
        )
        .ping()
        .await
        .unwrap_err();
        assert!(matches!(error, Error::Transport { .. }), "{error:?}");
        assert_eq!(classify(&error), Exit::Network);
        let report = report(&error);
        assert!(
            report
                .message
                .starts_with("ping: could not reach KORE after 3 attempt(s)")
        );
    }

    #[tokio::test]
    async fn an_undecodable_create_exits_5() {
        let mock = MockKore::builder()
            .script(Route::CreateClient, [Fault::TruncatedJson])
            .start()
            .await;
        let error = for_mock(&mock)
            .clients()
            .create(kore_clients::NewClient::new("x").product(kore_clients::Product::SuperSim))
            .await
            .unwrap_err();
        assert!(
            matches!(error, Error::CreatedButUndecodable { .. }),
            "{error:?}"
        );
        let report = reported(&error, Exit::Api, "KORE created the client");
        assert!(report.hint.unwrap().starts_with("do not simply retry"));
    }

    #[test]
    fn local_failures_have_their_own_codes() {
        let exists = Failure::SecretFile {
            path: "secret.txt".into(),
            source: io::Error::from(io::ErrorKind::AlreadyExists),
        };
        assert_eq!(exists.exit(), Exit::Usage);
        assert!(exists.report().message.contains("no client was created"));
        let pipe = Failure::io("stdout")(io::Error::from(io::ErrorKind::BrokenPipe));
        assert!(pipe.is_broken_pipe());
        assert_eq!(pipe.exit(), Exit::Local);
        assert_eq!(Failure::usage("x", "y").exit(), Exit::Usage);
    }
}
