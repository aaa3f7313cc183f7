//! The `kore-mock` binary: command-line flags, startup banner, request log on
//! stderr, and shutdown on Ctrl-C.

use std::io::IsTerminal;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use kore_mock::{DEFAULT_CLIENTS, DEFAULT_SEED, Fault, MockKore, Route};

/// Stateful mock of KORE Wireless's OAuth token endpoint and Client API.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    host: IpAddr,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Number of clients seeded into the account.
    #[arg(long, default_value_t = DEFAULT_CLIENTS)]
    clients: usize,
    /// Seed of the generated ids, names, owners and dates.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// Client id the token endpoint accepts.
    #[arg(long, requires = "client_secret")]
    client_id: Option<String>,
    /// Client secret the token endpoint accepts.
    #[arg(long, requires = "client_id")]
    client_secret: Option<String>,
    /// Latency added to every request, in milliseconds.
    #[arg(long, value_name = "MS")]
    latency_ms: Option<u64>,
    /// Token lifetime advertised in `expires_in`.
    #[arg(long, value_name = "SECS", default_value_t = 3600)]
    token_lifetime_secs: u64,
    /// Reject tokens this many seconds after issuance, whatever `expires_in` said.
    #[arg(long, value_name = "SECS")]
    tokens_expire_after_secs: Option<u64>,
    /// Send `expires_in` as a numeric string ("3600").
    #[arg(long)]
    expires_in_as_string: bool,
    /// Point `next_page_url` at http://evil.example.invalid.
    #[arg(long)]
    foreign_next_page_url: bool,
    /// Script faults for the next requests of a route, e.g. `list-clients=503,503` or
    /// `token=429:5`. Routes: token, ping, list-clients, create-client, get-client.
    /// Faults: a status (400-599), 429:<secs>, html-502, truncated-json, delay:<ms>, pass.
    #[arg(long = "fault", value_name = "ROUTE=FAULT[,FAULT...]", value_parser = parse_script)]
    faults: Vec<(Route, Vec<Fault>)>,
}

fn parse_script(text: &str) -> Result<(Route, Vec<Fault>), String> {
    let (route, faults) = text
        .split_once('=')
        .ok_or_else(|| format!("expected ROUTE=FAULT[,FAULT...], got `{text}`"))?;
    let faults = faults
        .split(',')
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    Ok((route.parse()?, faults))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .init();

    let mut builder = MockKore::builder()
        .addr(SocketAddr::new(args.host, args.port))
        .clients(args.clients)
        .seed(args.seed)
        .token_lifetime(Duration::from_secs(args.token_lifetime_secs))
        .expires_in_as_string(args.expires_in_as_string)
        .foreign_next_page_url(args.foreign_next_page_url);
    if let (Some(id), Some(secret)) = (args.client_id, args.client_secret) {
        builder = builder.credentials(id, secret);
    }
    if let Some(millis) = args.latency_ms {
        for route in Route::ALL {
            builder = builder.latency(route, Duration::from_millis(millis));
        }
    }
    if let Some(secs) = args.tokens_expire_after_secs {
        builder = builder.tokens_expire_after(Duration::from_secs(secs));
    }
    for (route, faults) in args.faults {
        builder = builder.script(route, faults);
    }

    let mock = match builder.try_start().await {
        Ok(mock) => mock,
        Err(err) => {
            eprintln!(
                "kore-mock: cannot listen on {}:{}: {err}",
                args.host, args.port
            );
            return ExitCode::FAILURE;
        }
    };
    // The banner goes to stdout on purpose: it is what a user copies into their config.
    println!("kore-mock listening");
    println!("  base URL:      {}", mock.base_url());
    println!("  token URL:     {}", mock.token_url());
    println!("  client_id:     {}", mock.client_id());
    println!("  client_secret: {}", mock.client_secret());
    println!("  account_id:    {}", mock.account_id());

    let stopped = mock
        .run_until(async {
            if let Err(err) = tokio::signal::ctrl_c().await {
                tracing::error!("cannot listen for Ctrl-C: {err}");
                std::future::pending::<()>().await;
            }
        })
        .await;
    match stopped {
        Ok(()) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(err) => {
            tracing::error!("server failed: {err}");
            ExitCode::FAILURE
        }
    }
}
