//! The command line shared by the `kore-mock` binary and `kore mock`: the flags
//! ([`Args`]), the banner or `--json` readiness line ([`announce`]), and the signals
//! that stop the server ([`shutdown_signal`]).

use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, SystemTime};

use serde_json::json;

use crate::{DEFAULT_CLIENTS, DEFAULT_SEED, Fault, MockKore, MockKoreBuilder, Route};

/// Flags of a standalone mock server; `#[command(flatten)]` them into a clap parser.
///
/// ```
/// use clap::Parser;
///
/// #[derive(Parser)]
/// struct Cli {
///     #[command(flatten)]
///     mock: kore_mock::cli::Args,
/// }
///
/// let cli = Cli::parse_from(["kore-mock", "--port", "0", "--fault", "list-clients=503,429:2"]);
/// assert_eq!(cli.mock.listen_addr().to_string(), "127.0.0.1:0");
/// assert_eq!(cli.mock.faults[0].1.len(), 2);
/// ```
#[derive(Debug, Clone, clap::Args)]
#[non_exhaustive]
pub struct Args {
    /// Address to listen on. Other hosts can reach the mock on a non-loopback address,
    /// but only loopback peers may use its admin API unless --admin-anywhere is given.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub host: IpAddr,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Number of clients seeded into the account.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_CLIENTS)]
    pub clients: usize,
    /// Seed of the seeded ids, names, owners and dates, and of the ids and secrets of
    /// clients created later.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    pub seed: u64,
    /// Date clients created through the API with this RFC 3339 instant (e.g.
    /// 2024-04-05T11:08:14Z) instead of the system clock, for stable snapshots.
    #[arg(long, value_name = "RFC3339", value_parser = parse_clock)]
    pub clock: Option<SystemTime>,
    /// Client id the token endpoint accepts.
    #[arg(long, requires = "client_secret")]
    pub client_id: Option<String>,
    /// Client secret the token endpoint accepts (a test credential).
    #[arg(long, requires = "client_id")]
    pub client_secret: Option<String>,
    /// Latency added to every request, in milliseconds.
    #[arg(long, value_name = "MS")]
    pub latency_ms: Option<u64>,
    /// Token lifetime advertised in `expires_in`.
    #[arg(long, value_name = "SECS", default_value_t = 3600)]
    pub token_lifetime_secs: u64,
    /// Reject tokens this many seconds after issuance, whatever `expires_in` said.
    #[arg(long, value_name = "SECS")]
    pub tokens_expire_after_secs: Option<u64>,
    /// Send `expires_in` as a numeric string ("3600").
    #[arg(long)]
    pub expires_in_as_string: bool,
    /// Point `next_page_url` at `http://evil.example.invalid`.
    #[arg(long)]
    pub foreign_next_page_url: bool,
    /// Script faults for the next requests of a route, e.g. `list-clients=503,503` or
    /// `token=429:5`. Routes: token, ping, list-clients, create-client, get-client.
    /// Faults: a status (400-599), 429:SECS, html-502, truncated-json, drift, delay:MS, pass.
    #[arg(long = "fault", value_name = "ROUTE=FAULT[,FAULT...]", value_parser = parse_script)]
    pub faults: Vec<(Route, Vec<Fault>)>,
    /// Serve HTTPS with a private CA generated at start (its PEM file is `ca_cert` in
    /// --json and in the banner; trust it with KORE_CA_CERT, --ca-cert or SSL_CERT_FILE).
    #[arg(long)]
    pub tls: bool,
    /// Once listening, print exactly one JSON object on stdout (base_url, token_url,
    /// admin_url, client_id, client_secret, account_id, and ca_cert with --tls)
    /// instead of the banner.
    #[arg(long)]
    pub json: bool,
    /// Answer the admin API (/_mock/) from any peer, not only loopback: anyone who can
    /// reach the port can then reset or script the mock.
    #[arg(long)]
    pub admin_anywhere: bool,
}

/// Parses `ROUTE=FAULT[,FAULT...]`, the `--fault` grammar.
///
/// # Errors
/// An unknown route or fault, or text without `=`.
pub fn parse_script(text: &str) -> Result<(Route, Vec<Fault>), String> {
    let (route, faults) = text
        .split_once('=')
        .ok_or_else(|| format!("expected ROUTE=FAULT[,FAULT...], got `{text}`"))?;
    let faults = faults
        .split(',')
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    Ok((route.parse()?, faults))
}

fn parse_clock(text: &str) -> Result<SystemTime, String> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(SystemTime::from)
        .map_err(|err| {
            format!("`{text}` is not an RFC 3339 date-time ({err}), e.g. 2024-04-05T11:08:14Z")
        })
}

impl Args {
    /// The address to bind.
    pub fn listen_addr(&self) -> SocketAddr {
        SocketAddr::new(self.host, self.port)
    }

    /// A builder configured by these flags.
    pub fn builder(&self) -> MockKoreBuilder {
        let mut builder = MockKore::builder()
            .addr(self.listen_addr())
            .clients(self.clients)
            .seed(self.seed)
            .token_lifetime(Duration::from_secs(self.token_lifetime_secs))
            .expires_in_as_string(self.expires_in_as_string)
            .foreign_next_page_url(self.foreign_next_page_url)
            .admin_anywhere(self.admin_anywhere)
            .tls(self.tls);
        if let Some(clock) = self.clock {
            builder = builder.fixed_clock(clock);
        }
        if let (Some(id), Some(secret)) = (&self.client_id, &self.client_secret) {
            builder = builder.credentials(id, secret);
        }
        if let Some(millis) = self.latency_ms {
            for route in Route::ALL {
                builder = builder.latency(route, Duration::from_millis(millis));
            }
        }
        if let Some(secs) = self.tokens_expire_after_secs {
            builder = builder.tokens_expire_after(Duration::from_secs(secs));
        }
        for (route, faults) in &self.faults {
            builder = builder.script(*route, faults.iter().cloned());
        }
        builder
    }

    /// What the admin API's exposure means for this address, when it is worth saying:
    /// `None` on a loopback address, where only this machine can connect anyway.
    pub fn admin_notice(&self) -> Option<&'static str> {
        if self.host.is_loopback() {
            None
        } else if self.admin_anywhere {
            Some(
                "WARNING: --admin-anywhere: every peer that can reach this port may use the admin API (/_mock/) to reset or script this mock",
            )
        } else {
            Some(
                "the admin API (/_mock/) answers loopback peers only; other peers get 404 there (--admin-anywhere opens it)",
            )
        }
    }
}

/// The `--json` readiness object: the URLs (never naming `0.0.0.0`), credentials
/// and, serving HTTPS, the path of the CA's PEM file (`ca_cert`).
pub fn readiness(mock: &MockKore) -> serde_json::Value {
    let mut ready = json!({
        "base_url": mock.base_url(),
        "token_url": mock.token_url(),
        "admin_url": mock.admin_url(),
        "client_id": mock.client_id(),
        "client_secret": mock.client_secret(),
        "account_id": mock.account_id(),
    });
    if let Some(path) = mock.ca_cert_path() {
        ready["ca_cert"] = json!(path.display().to_string());
    }
    ready
}

/// The banner for humans: URLs, the test credentials (meant to be shown), the
/// admin API's exposure and the variables that point `kore` or the SDK at the mock.
pub fn banner(mock: &MockKore, args: &Args) -> String {
    let base = mock.base_url();
    let token = mock.token_url();
    let id = mock.client_id();
    let secret = mock.client_secret();
    let mut text = format!(
        "kore-mock listening on {addr} with {clients} clients\n\
         \n  base URL:      {base}\
         \n  token URL:     {token}\
         \n  admin URL:     {admin}\
         \n  client_id:     {id}\
         \n  client_secret: {secret}\
         \n  account_id:    {account}\n",
        addr = mock.addr(),
        clients = args.clients,
        admin = mock.admin_url(),
        account = mock.account_id(),
    );
    let ca = mock.ca_cert_path().map(|path| path.display().to_string());
    if let Some(ca) = &ca {
        text.push_str(&format!("  CA (PEM):      {ca}\n"));
    }
    if let Some(notice) = args.admin_notice() {
        text.push_str(&format!("\n{notice}\n"));
    }
    text.push_str(&format!(
        "\nPoint kore (or the SDK's Kore::from_env) at it from another shell:\n\
         \n  export KORE_BASE_URL={base}\
         \n  export KORE_TOKEN_URL={token}\
         \n  export KORE_CLIENT_ID={id}\
         \n  export KORE_CLIENT_SECRET={secret}\n"
    ));
    if let Some(ca) = &ca {
        text.push_str(&format!("  export KORE_CA_CERT={ca}\n"));
    }
    text.push_str("\nPress Ctrl-C to stop.\n");
    text
}

/// Writes the banner, or with `--json` the one readiness line (and the admin notice,
/// if any, to stderr, so stdout stays exactly one JSON object), and flushes.
///
/// # Errors
/// Writing to `out` failed.
pub fn announce(mock: &MockKore, args: &Args, out: &mut impl Write) -> io::Result<()> {
    if args.json {
        if let Some(notice) = args.admin_notice() {
            eprintln!("kore-mock: {notice}");
        }
        writeln!(out, "{}", readiness(mock))?;
    } else {
        out.write_all(banner(mock, args).as_bytes())?;
    }
    out.flush()
}

/// Completes on Ctrl-C (SIGINT) or, on Unix, SIGTERM — what `kill`, `docker stop` and
/// service managers send. Listening for them also makes the process stop on them as
/// PID 1 in a container, where signals without a handler are ignored.
///
/// The handlers are installed when this is called, not when the future is first
/// polled: call it before announcing readiness, so that a signal sent right after the
/// banner or `--json` line is never one the process dies of.
pub fn shutdown_signal() -> impl Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            match (interrupt, terminate) {
                (Ok(mut interrupt), Ok(mut terminate)) => {
                    tokio::select! {
                        _ = interrupt.recv() => {}
                        _ = terminate.recv() => {}
                    }
                }
                (Ok(mut only), Err(_)) | (Err(_), Ok(mut only)) => {
                    only.recv().await;
                }
                // Without handlers, only killing stops the server.
                (Err(_), Err(_)) => std::future::pending::<()>().await,
            }
        }
    }
    #[cfg(not(unix))]
    async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }

    fn parse(args: &[&str]) -> Result<Args, clap::Error> {
        Cli::try_parse_from(std::iter::once("kore-mock").chain(args.iter().copied()))
            .map(|cli| cli.args)
    }

    #[test]
    fn the_command_definition_is_consistent() {
        use clap::CommandFactory as _;
        Cli::command().debug_assert();
    }

    #[test]
    fn fault_scripts_parse_in_the_admin_grammar() {
        let args = parse(&[
            "--fault",
            "list-clients=503,429:2,delay:500,html-502,truncated-json,drift,pass",
        ])
        .unwrap();
        let (route, faults) = &args.faults[0];
        assert_eq!(*route, Route::ListClients);
        let printed: Vec<String> = faults.iter().map(ToString::to_string).collect();
        assert_eq!(
            printed,
            [
                "503",
                "429:2",
                "delay:500",
                "html-502",
                "truncated-json",
                "drift",
                "pass"
            ]
        );
        for bad in ["list-clients", "nowhere=503", "ping=200", "ping=delay:x"] {
            assert!(parse(&["--fault", bad]).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_clock_is_rfc_3339() {
        let args = parse(&["--clock", "2024-04-05T13:08:14+02:00"]).unwrap();
        assert_eq!(
            httpdate::fmt_http_date(args.clock.unwrap()),
            "Fri, 05 Apr 2024 11:08:14 GMT"
        );
        assert!(parse(&["--clock", "Fri, 05 Apr 2024 11:08:14 GMT"]).is_err());
    }

    #[test]
    fn credentials_come_in_pairs() {
        assert!(parse(&["--client-id", "x"]).is_err());
        assert!(parse(&["--client-secret", "x"]).is_err());
        assert!(parse(&["--client-id", "x", "--client-secret", "y"]).is_ok());
    }

    #[test]
    fn the_admin_notice_depends_on_the_host() {
        assert_eq!(parse(&[]).unwrap().admin_notice(), None);
        let open = parse(&["--host", "0.0.0.0"])
            .unwrap()
            .admin_notice()
            .unwrap();
        assert!(open.contains("loopback peers only"), "{open}");
        let anywhere = parse(&["--host", "0.0.0.0", "--admin-anywhere"])
            .unwrap()
            .admin_notice()
            .unwrap();
        assert!(anywhere.starts_with("WARNING"), "{anywhere}");
    }
}
