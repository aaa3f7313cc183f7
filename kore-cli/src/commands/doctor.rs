//! `kore doctor`: the calls that measure the live API against the merged spec.
//!
//! The calls: a token grant and a ping through the SDK (so credentials and
//! reachability fail exactly as `kore ping` does), then each operation once
//! more by hand — `ping`, the first page of `list`, `get` of the first listed
//! client and, with `--include-create` and a confirmation, one `create` — to
//! read the raw answers the generated types would otherwise reshape. What
//! they show is judged by [`kore_conformance::live`] and printed by
//! [`report`].
//!
//! The doctor's own create is a real create: KORE shows its secret once and
//! this API cannot delete a client. So it needs `--secret-file` (reserved
//! before anything is sent, written with mode 0600, like `kore clients
//! create`), the client is created locked, and its outcome is handled like
//! create's: unknown (exit 8), interrupted (130), secret undeliverable (7).

use std::io::{BufRead as _, IsTerminal as _, Write};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};
use kore_clients::Kore;
use kore_clients::reqwest::{self, Method, Url, header};
use kore_conformance::live::{self, Body, Call, Outcome};
use serde_json::{Value, json};

use crate::exit::Failure;
use crate::global::Global;
use crate::secret_file::SecretFile;

mod report;

use report::{Created, DoctorReport};

/// Per-request timeout when `--timeout` is not given (the SDK's default).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// `kore doctor`
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Also create one client (locked, product Super SIM) and check the create
    /// response. KORE cannot delete it through this API. Asks for confirmation
    /// unless --yes; the one-time secret goes to --secret-file.
    #[arg(long, requires = "secret_file")]
    pub include_create: bool,

    /// With --include-create: write the new client's one-time secret to this new
    /// file (mode 0600; an existing file is never overwritten).
    #[arg(long, value_name = "PATH", requires = "include_create")]
    pub secret_file: Option<PathBuf>,

    /// With --include-create: the new client's name [default: kore-doctor-YYYYMMDDTHHMMSSZ, the UTC time].
    #[arg(long, value_name = "NAME", requires = "include_create")]
    pub create_name: Option<String>,

    /// With --include-create: do not ask for confirmation.
    #[arg(long, requires = "include_create")]
    pub yes: bool,

    /// Clients per page of the list request (1 also checks the smallest page size).
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=i64::from(i32::MAX)))]
    pub page_size: u32,

    /// Output format. json: the whole report as one object, for CI.
    #[arg(long, short, value_enum, default_value_t = DoctorFormat::Text)]
    pub output: DoctorFormat,
}

/// Output of `kore doctor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DoctorFormat {
    /// A report for humans.
    Text,
    /// One JSON object: calls, deviations, observations, corrections.
    Json,
}

/// Runs the checks and prints the report; a deviation or an incomplete
/// check becomes the command's failure (after the report is written).
pub async fn run(
    kore: &Kore,
    args: &DoctorArgs,
    global: &Global,
    out: &mut impl Write,
) -> Result<(), Failure> {
    let create_name = args.include_create.then(|| {
        args.create_name.clone().unwrap_or_else(|| {
            format!(
                "kore-doctor-{}",
                kore_clients::chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
            )
        })
    });
    if let Some(name) = &create_name
        && !args.yes
    {
        confirm(kore, name, global.client_secret_stdin)?;
    }

    // The token grant, the credentials and the route to KORE, with the SDK's
    // retries and its error messages and exit codes.
    kore.ping().await?;
    let token = kore
        .tokens()
        .bearer()
        .await
        .map_err(|error| Failure::DoctorIncomplete {
            calls: vec![format!("the token grant after ping ({error})")],
            network: error.is_network(),
        })?;
    // The SDK's client: the same CA (--ca-cert), proxy and connection as
    // the calls the doctor checks.
    let probe = Probe {
        http: kore.http_client().clone(),
        kore: kore.clone(),
        timeout: global.timeout.unwrap_or(DEFAULT_TIMEOUT),
        base: kore.base_url().trim_end_matches('/').to_owned(),
        authorization: token.header().clone(),
    };

    let mut calls = vec![Call {
        operation: "token".to_owned(),
        method: "POST".to_owned(),
        path: kore.token_url().to_owned(),
        parameters: Vec::new(),
        outcome: Outcome::ThroughSdk {
            note: "granted (by the SDK, for its ping)".to_owned(),
        },
    }];
    calls.push(
        probe
            .send("getPingStatus", Method::GET, "/v1/ping", Vec::new(), None)
            .await,
    );
    let page_size = args.page_size.to_string();
    let list = probe
        .send(
            "listClient",
            Method::GET,
            "/v1/clients",
            vec![("page_size", page_size), ("page_number", "1".to_owned())],
            None,
        )
        .await;
    let first_id = list.json().and_then(|body| {
        body.pointer("/clients/0/client_id")
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    calls.push(list);
    calls.push(match first_id {
        Some(id) => probe.get_client(&id).await,
        None => Call::skipped(
            "getClient",
            "GET",
            "/v1/clients/{client_id}",
            "the first page listed no client id",
        ),
    });

    let mut created = None;
    let mut undelivered = None;
    let mut unknown = None;
    match (&create_name, &args.secret_file) {
        (Some(name), Some(path)) => {
            let reserved = SecretFile::reserve(path).map_err(|source| Failure::SecretFile {
                path: path.clone(),
                source,
            })?;
            let body = json!({"name": name, "locked": true, "scopes": {"products": ["SuperSIM"]}});
            let create = probe.send(
                "createClient",
                Method::POST,
                "/v1/clients",
                Vec::new(),
                Some(&body),
            );
            let call = tokio::select! {
                call = create => call,
                () = interrupted() => {
                    return Err(Failure::CreateInterrupted { name: name.clone() });
                }
            };
            match &call.outcome {
                Outcome::Answered { status, body } if (200..300).contains(status) => {
                    match deliver_secret(reserved, body) {
                        Ok(c) => created = Some(c),
                        Err(failure) => undelivered = Some(failure),
                    }
                }
                Outcome::Answered { status, .. } if *status >= 500 => {
                    unknown = Some(Failure::DoctorCreateUnknown {
                        name: name.clone(),
                        what: format!("the answer was HTTP {status}"),
                    });
                }
                Outcome::Failed { sent: true, error } => {
                    unknown = Some(Failure::DoctorCreateUnknown {
                        name: name.clone(),
                        what: format!("no answer arrived ({error})"),
                    });
                }
                // Refused (4xx) or never sent: nothing was created, and the
                // reserved file is removed as it drops.
                _ => {}
            }
            calls.push(call);
        }
        _ => calls.push(Call::skipped(
            "createClient",
            "POST",
            "/v1/clients",
            "read-only run (--include-create adds one create)",
        )),
    }

    let report = DoctorReport {
        live: live::Report::judge(kore.base_url(), &calls),
        created,
    };
    // The raw answers (a create's holds the new secret) go once judged:
    // the report holds no body.
    drop(calls);
    match args.output {
        DoctorFormat::Text => report.write_text(out),
        DoctorFormat::Json => report.write_json(out),
    }
    .and_then(|()| out.flush())
    .map_err(Failure::io("stdout"))?;

    if let Some(failure) = undelivered.or(unknown) {
        return Err(failure);
    }
    let report = report.live;
    let deviations = report.deviations.len();
    if deviations > 0 {
        return Err(Failure::Deviates { count: deviations });
    }
    let incomplete = report.incomplete();
    if !incomplete.is_empty() {
        return Err(Failure::DoctorIncomplete {
            network: report.network_failed(),
            calls: incomplete,
        });
    }
    Ok(())
}

/// Asks on stderr, reads the answer from stdin: only `yes` creates.
fn confirm(kore: &Kore, name: &str, secret_on_stdin: bool) -> Result<(), Failure> {
    if secret_on_stdin {
        return Err(Failure::usage(
            "--include-create asks for confirmation on stdin, which --client-secret-stdin already uses; nothing was created",
            "add --yes to confirm the create on the command line",
        ));
    }
    eprint!(
        "kore doctor will create a client named {name:?} (locked, product Super SIM) at {} as {}; \
         it cannot be deleted through this API. Type yes to create it: ",
        kore.base_url(),
        kore.client_id()
    );
    let _ = std::io::stderr().flush();
    let stdin = std::io::stdin();
    let interactive = stdin.is_terminal();
    let mut answer = String::new();
    let read = stdin.lock().read_line(&mut answer);
    if !interactive {
        eprintln!();
    }
    match read {
        Ok(_) if answer.trim().eq_ignore_ascii_case("yes") => Ok(()),
        _ => Err(Failure::usage(
            "kore doctor --include-create was not confirmed; nothing was sent",
            "type yes at the prompt, or pass --yes",
        )),
    }
}

/// Writes the created client's one-time secret to its reserved file (or,
/// when no secret can be read from the answer, the raw answer, which may
/// hold it), as `kore clients create` does.
fn deliver_secret(reserved: SecretFile, body: &Body) -> Result<Created, Failure> {
    let path = reserved.path().to_owned();
    let (contents, client_id, raw) = match body {
        Body::Json(value) => {
            let id = value
                .get("client_id")
                .and_then(Value::as_str)
                .map(str::to_owned);
            match value.get("client_secret").and_then(Value::as_str) {
                Some(secret) if !secret.is_empty() => (secret.as_bytes().to_vec(), id, false),
                _ => (value.to_string().into_bytes(), id, true),
            }
        }
        Body::Other { raw, .. } => (raw.clone(), None, true),
    };
    match reserved.write(&contents) {
        Ok(path) => {
            if raw {
                eprintln!(
                    "note: no client_secret could be read from KORE's create answer; the raw answer, which may hold it, was saved to {}",
                    path.display()
                );
            }
            Ok(Created {
                client_id,
                secret_file: path.display().to_string(),
                raw_answer_saved: raw,
            })
        }
        Err(source) => Err(Failure::SecretUndelivered {
            client_id,
            context: path.display().to_string(),
            source,
        }),
    }
}

/// Sends the doctor's requests, one attempt each, with the SDK's token.
struct Probe {
    http: reqwest::Client,
    /// For the SDK's bound on what an answer may hold.
    kore: kore_clients::Kore,
    timeout: Duration,
    base: String,
    authorization: header::HeaderValue,
}

impl Probe {
    async fn get_client(&self, id: &str) -> Call {
        let mut url = match Url::parse(&format!("{}/v1/clients", self.base)) {
            Ok(url) => url,
            Err(e) => {
                return Call::failed(
                    "getClient",
                    "GET",
                    "/v1/clients/{client_id}".into(),
                    e.to_string(),
                    false,
                );
            }
        };
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.push(id);
        }
        let shown = format!(
            "/v1/clients/{}",
            url.path().rsplit('/').next().unwrap_or_default()
        );
        self.execute("getClient", Method::GET, url, shown, Vec::new(), None)
            .await
    }

    async fn send(
        &self,
        operation: &'static str,
        method: Method,
        path: &str,
        query: Vec<(&'static str, String)>,
        body: Option<&Value>,
    ) -> Call {
        let shown = if query.is_empty() {
            path.to_owned()
        } else {
            let pairs: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("{path}?{}", pairs.join("&"))
        };
        match Url::parse(&format!("{}{path}", self.base)) {
            Ok(mut url) => {
                if !query.is_empty() {
                    url.query_pairs_mut()
                        .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
                }
                self.execute(operation, method, url, shown, query, body)
                    .await
            }
            Err(e) => Call::failed(operation, method.as_str(), shown, e.to_string(), false),
        }
    }

    async fn execute(
        &self,
        operation: &'static str,
        method: Method,
        url: Url,
        shown: String,
        query: Vec<(&'static str, String)>,
        body: Option<&Value>,
    ) -> Call {
        let method_name = method.to_string();
        let mut request = self
            .http
            .request(method, url)
            .timeout(self.timeout)
            .header(
                header::USER_AGENT,
                concat!("kore-cli/", env!("CARGO_PKG_VERSION"), " (doctor)"),
            )
            .header(header::AUTHORIZATION, self.authorization.clone())
            .header(header::ACCEPT, "application/json");
        if let Some(body) = body {
            request = request.json(body);
        }
        let mut parameters: Vec<(String, String)> =
            query.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        if operation == "getClient"
            && let Some(id) = shown.rsplit('/').next()
        {
            parameters.push(("client_id".to_owned(), id.to_owned()));
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => {
                // A refused connection provably sent nothing.
                let sent = !error.is_connect();
                return Call::failed(operation, &method_name, shown, describe(&error), sent);
            }
        };
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = match self.kore.limit_answer(response).bytes().await {
            Ok(bytes) => bytes,
            Err(error) => {
                return Call::failed(operation, &method_name, shown, describe(&error), true);
            }
        };
        let body = match serde_json::from_slice::<Value>(&bytes) {
            Ok(value) => Body::Json(value),
            Err(_) => Body::Other {
                raw: bytes.to_vec(),
                content_type,
            },
        };
        Call {
            operation: operation.to_owned(),
            method: method_name,
            path: shown,
            parameters,
            outcome: Outcome::Answered { status, body },
        }
    }
}

/// A reqwest error in words, without its URL (which holds nothing secret,
/// but repeats what the report already shows).
fn describe(error: &reqwest::Error) -> String {
    let what = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else if error.is_body() || error.is_decode() {
        "the answer could not be read"
    } else {
        "the request failed"
    };
    match std::error::Error::source(error) {
        Some(cause) => format!("{what}: {cause}"),
        None => what.to_owned(),
    }
}

/// Completes on Ctrl-C; never, if the handler cannot be installed.
async fn interrupted() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}
