//! The command line: every subcommand, its flags and help text, and nothing
//! else (the flags every command shares are in [`crate::global`]).
//!
//! Parsing is clap's (derive API); its own usage errors exit with code 2,
//! which is also what this CLI uses for invalid input, so scripts see one
//! code for "you called it wrong".

use std::path::PathBuf;

use clap::error::ErrorKind;
use clap::parser::ValueSource;
use clap::{
    ArgMatches, Args, CommandFactory as _, FromArgMatches as _, Parser, Subcommand, ValueEnum,
};
use kore_clients::{ClientType, Product};

use crate::enum_value::OpenValue;
use crate::global::Global;

/// Shown after `--help`: what scripts need to know.
const AFTER_HELP: &str = "\
Credentials and endpoints, first found wins:
  1. flags: --client-id, --client-secret-stdin, --base-url, --token-url
  2. environment: KORE_CLIENT_ID, KORE_CLIENT_SECRET, KORE_BASE_URL, KORE_TOKEN_URL
  3. the profile (--profile or KORE_PROFILE, else `default`) in $KORE_CONFIG,
     $XDG_CONFIG_HOME/kore/config.toml or ~/.config/kore/config.toml
     (write one with `kore configure`)
  4. KORE's production endpoints
  A secret is never accepted as a plain flag value (it would show in `ps` and
  shell history).

Trust and proxies (the token endpoint and the API alike):
  --ca-cert FILE, KORE_CA_CERT or the profile's ca_cert add a CA to the system's
  (SSL_CERT_FILE replaces the system's); --proxy URL or the profile's proxy
  override HTTPS_PROXY / HTTP_PROXY / ALL_PROXY; NO_PROXY exempts hosts;
  --no-proxy connects directly. A refused certificate is not retried (exit 6).

Exit codes:
  0  success
  1  local failure (writing the output or the secret file, binding `kore mock`'s port,
     setting up the HTTP client)
  2  usage or invalid input (bad flags, missing credentials, a bad or readable-by-others
     config file, KORE rejected the input with 400/422, --secret-file already exists)
  3  authentication failed (the token endpoint or the API rejected the credentials, 401/403)
  4  not found (unknown client id)
  5  other API error (5xx after retries, undecodable answers, broken pagination;
     a create whose answer holds no readable secret: the raw answer is delivered)
  6  network or timeout (KORE or its token endpoint could not be reached in time;
     for reads only: a create that may have been sent exits 8)
  7  a client was created but its one-time secret could not be delivered (stdout
     closed or failing, or the secret file and then stdout); stderr names the client
  8  a create's outcome is unknown (sent, but no answer, or a 5xx): KORE may have
     created it; run the printed `kore clients list --name …` before trying again
  9  `kore doctor`: the live API deviates from the merged spec (the report lists
     each deviation by operation and JSON pointer)
  130 interrupted (Ctrl-C) before KORE answered a create; the secret file is removed

Errors are one or two lines on stderr (what failed and why, then a hint);
-v adds the full error details. Secrets never appear in errors or logs.";

/// `kore --version`: this CLI's version and the KORE API version it was generated from.
static VERSION: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "{} (KORE Client API {})",
        env!("CARGO_PKG_VERSION"),
        kore_clients::API_VERSION
    )
});

/// The whole command line, as `--help`, completions and the man page show it.
pub fn command() -> clap::Command {
    Cli::command().version(VERSION.as_str())
}

/// Command-line client for the KORE Wireless Client API.
#[derive(Debug, Parser)]
#[command(name = "kore", version, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,

    #[command(subcommand)]
    pub command: Command,
}

/// Parses the command line, exiting with clap's usage error (code 2) on a mistake,
/// including a global flag that `kore mock` would ignore.
pub fn parse() -> Cli {
    let matches = command().get_matches();
    Cli::from_arg_matches(&matches)
        .and_then(|cli| refuse_flags_mock_ignores(&cli, &matches).map(|()| cli))
        .unwrap_or_else(|err| err.exit())
}

/// Global flags about calling KORE, which `kore mock` (a server, not a client) has no
/// use for; silently ignoring them would hide a mistake.
const NOT_FOR_MOCK: [(&str, &str); 11] = [
    ("no_token_cache", "--no-token-cache"),
    ("profile", "--profile"),
    ("mock", "--mock"),
    ("mock_clients", "--mock-clients"),
    ("base_url", "--base-url"),
    ("token_url", "--token-url"),
    ("client_secret_stdin", "--client-secret-stdin"),
    ("timeout", "--timeout"),
    ("ca_cert", "--ca-cert"),
    ("proxy", "--proxy"),
    ("no_proxy", "--no-proxy"),
];

fn refuse_flags_mock_ignores(cli: &Cli, matches: &ArgMatches) -> Result<(), clap::Error> {
    let Command::Mock(args) = &cli.command else {
        return Ok(());
    };
    let ignored = NOT_FOR_MOCK
        .iter()
        .find(|(id, _)| matches.value_source(id) == Some(ValueSource::CommandLine))
        .map(|(_, flag)| *flag)
        // `kore mock` has a `--client-id` of its own, paired with `--client-secret`; a
        // lone one is the global flag, given before `mock`.
        .or_else(|| {
            (args.client_id.is_some() && args.client_secret.is_none()).then_some("--client-id")
        });
    match ignored {
        None => Ok(()),
        Some(flag) => {
            let mut command = Cli::command();
            command.build();
            let mock = command
                .find_subcommand_mut("mock")
                .expect("`kore mock` is defined");
            Err(mock.error(
                ErrorKind::ArgumentConflict,
                format!(
                    "`{flag}` does not apply to `kore mock`, which serves a mock instead of calling KORE \
                     (its own flags: `kore mock --help`)"
                ),
            ))
        }
    }
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check that KORE is reachable and the credentials work.
    #[command(after_help = "Examples:
  kore ping                          # with KORE_CLIENT_ID / KORE_CLIENT_SECRET set
  kore --profile staging ping        # with a profile from the config file
  kore --mock ping                   # against an in-process mock")]
    Ping,

    /// Write a profile (credentials and endpoints) to the config file.
    ///
    /// Asks for the client id, the secret (without echo on a terminal; from stdin's
    /// lines otherwise) and optional endpoints, and writes them under --profile
    /// (default `default`) to the config file, created with mode 0600. Other
    /// profiles in the file are kept.
    #[command(after_help = "Examples:
  kore configure                     # the `default` profile
  kore configure --profile staging   # another account
  printf '%s\\n%s\\n\\n\\n' \"$ID\" \"$SECRET\" | kore configure --profile ci")]
    Configure,

    /// Print a shell completion script to stdout.
    #[command(after_help = "Examples:
  kore completions bash > ~/.local/share/bash-completion/completions/kore
  kore completions zsh > \"${fpath[1]}/_kore\"
  kore completions fish > ~/.config/fish/completions/kore.fish
  kore completions powershell >> $PROFILE")]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },

    /// Print the man page (roff) to stdout.
    #[command(after_help = "Examples:
  kore man > ~/.local/share/man/man1/kore.1 && man kore
  kore man | man -l -")]
    Man,

    /// List, read and create the account's API clients.
    #[command(subcommand)]
    Clients(ClientsCommand),

    /// The access token: print it for other tools, see what is cached, log out.
    ///
    /// `kore` keeps each identity's token (token URL, client id, secret) in
    /// $XDG_CACHE_HOME/kore (else ~/.cache/kore) until shortly before it
    /// expires, so commands in a row make one token request between them.
    #[command(subcommand)]
    Auth(AuthCommand),

    /// Measure the live API against the merged spec and the corrections it relies on.
    ///
    /// Read-only unless --include-create: a token, ping, the first page of clients
    /// and the first listed client, each answer validated against the spec.
    Doctor(crate::commands::doctor::DoctorArgs),

    /// Run the embedded kore-mock server until Ctrl-C or SIGTERM.
    #[command(after_help = "Examples:
  kore mock --port 8080              # then KORE_BASE_URL=http://127.0.0.1:8080 ...
  kore mock --port 0 --json          # one JSON line with the URLs, for scripts")]
    ///
    /// The same server, flags, banner, `--json` readiness line and admin API (/_mock/)
    /// as the `kore-mock` binary. The global flags about connecting to KORE do not apply.
    Mock(kore_mock::cli::Args),
}

/// `kore clients ...`
#[derive(Debug, Subcommand)]
pub enum ClientsCommand {
    /// List clients: one page with its paging information, or every page with --all.
    #[command(after_help = "Examples:
  kore clients list                              # page 1 as a table
  kore clients list --all --output ndjson | jq -r .name
  kore clients list --all --output name          # every id, one per line
  kore clients list --name ci-bot                # exact name, every page
  kore clients list --name-contains bot --locked false --concurrency 4
  kore clients list --time-format relative")]
    List(ListArgs),
    /// Show one client.
    #[command(after_help = "Examples:
  kore clients get apiclient_01hv3m0ck000000000000000000
  kore clients get apiclient_01hv3m0ck000000000000000000 --output json | jq .locked")]
    Get(GetArgs),
    /// Create a client and store its one-time secret.
    #[command(after_help = "Examples:
  kore clients create --name ci-bot --product super-sim --secret-file ci-bot.secret
  kore clients create --name ci-bot --product super-sim --if-absent --secret-file ci-bot.secret
  kore clients create --name ci-bot --product super-sim --output json | jq -r .client_secret")]
    Create(CreateArgs),
}

/// `kore auth ...`
#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Print the bearer token (cached, or newly requested) alone on stdout.
    ///
    /// KORE's tokens also work for its other APIs (Super SIM, Programmable
    /// Wireless). Anyone who sees the token can act as this client until it
    /// expires: do not log it.
    #[command(after_help = "Examples:
  curl -H \"Authorization: Bearer $(kore auth token)\" https://supersim.api.korewireless.com/v1/Sims
  kore auth token -o json | jq -r .expires_at")]
    Token {
        /// Output format. json: `{\"access_token\", \"token_type\", \"expires_at\"}` with an
        /// RFC 3339 expiry.
        #[arg(long, short, value_enum, default_value_t = AuthFormat::Text)]
        output: AuthFormat,
    },
    /// Say which identity is configured and whether a token is cached (never the token).
    #[command(after_help = "Examples:
  kore auth status
  kore --profile staging auth status -o json")]
    Status {
        /// Output format. json: `{\"client_id\", \"token_url\", \"cache_file\", \"cache_off\",
        /// \"cached\", \"expires_at\"}` (null where not applicable).
        #[arg(long, short, value_enum, default_value_t = AuthFormat::Text)]
        output: AuthFormat,
    },
    /// Remove this identity's cached token (--all: every cached token).
    #[command(after_help = "Examples:
  kore auth logout
  kore auth logout --all")]
    Logout {
        /// Every cached token, whatever the identity (needs no credentials).
        #[arg(long)]
        all: bool,
    },
}

/// Output of `kore auth token` and `kore auth status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuthFormat {
    /// Plain text: the token alone, or the status for humans.
    Text,
    /// One JSON object.
    Json,
}

/// `kore clients list`
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only clients of this type: admin or standard, or a type KORE added
    /// since this kore was built (sent as given, with a note on stderr).
    #[arg(long = "type", value_name = "TYPE", value_parser = OpenValue::<ClientTypeArg, ClientType>::lenient())]
    pub client_type: Option<ClientType>,

    /// Clients per page requested from KORE.
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=i64::from(i32::MAX)))]
    pub page_size: u32,

    /// The page to show (numbered from 1).
    #[arg(long, value_name = "N", conflicts_with = "all", value_parser = clap::value_parser!(u32).range(1..=i64::from(i32::MAX)))]
    pub page: Option<u32>,

    /// Every client, fetched page by page as it is printed (progress on stderr
    /// when it is a terminal).
    #[arg(long)]
    pub all: bool,

    /// With --all: stop after N clients, fetching no further page.
    #[arg(long, value_name = "N", requires = "all")]
    pub limit: Option<usize>,

    /// Only clients named exactly NAME, from every page (implies --all;
    /// KORE has no name filter, so the whole listing is read as it streams).
    /// The check to run before repeating a create whose outcome is unknown.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["page", "name_contains"])]
    pub name: Option<String>,

    /// Only clients whose name contains TEXT (implies --all).
    #[arg(long, value_name = "TEXT", conflicts_with = "page")]
    pub name_contains: Option<String>,

    /// Only locked (`true`) or unlocked (`false`) clients (implies --all).
    #[arg(long, value_name = "BOOL", conflicts_with = "page")]
    pub locked: Option<bool>,

    /// Pages requested ahead while earlier ones are printed, in order (with --all).
    #[arg(long, value_name = "K", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,

    /// Output format. json: `{"meta": {...}, "clients": [...]}` for one page, an
    /// array for --all; ndjson: one client object per line, streamed; name: the
    /// ids, one per line.
    #[arg(long, short, value_enum, default_value_t = ListFormat::Table)]
    pub output: ListFormat,

    /// How the table shows CREATED.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = TimeFormat::Rfc3339)]
    pub time_format: TimeFormat,
}

impl ListArgs {
    /// Whether a filter asks for every page.
    pub fn filtered(&self) -> bool {
        self.name.is_some() || self.name_contains.is_some() || self.locked.is_some()
    }
}

/// `--time-format`
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TimeFormat {
    /// `2024-04-05T11:08:14Z`, in UTC.
    Rfc3339,
    /// `3 days ago`.
    Relative,
}

/// `kore clients get`
#[derive(Debug, Args)]
pub struct GetArgs {
    /// The client's id (`apiclient_…`).
    // Not named `client_id`: clap identifies arguments by name, and the
    // global `--client-id` (the caller's credential) already has that one.
    #[arg(value_name = "CLIENT_ID")]
    pub id: String,

    /// Output format. json: the client object with KORE's field names; name: its id.
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    pub output: Format,

    /// How the table shows CREATED.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = TimeFormat::Rfc3339)]
    pub time_format: TimeFormat,
}

/// `kore clients create`
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The new client's name.
    #[arg(long)]
    pub name: String,

    /// Create the client locked (it cannot request tokens until unlocked).
    #[arg(long)]
    pub locked: bool,

    /// A product the client may use (repeat for several); one KORE added
    /// since this kore was built: unlisted:NAME, with KORE's exact spelling.
    #[arg(long = "product", value_name = "PRODUCT", required = true, value_parser = OpenValue::<ProductArg, Product>::strict())]
    pub products: Vec<Product>,

    /// The account to create it in (default: the caller's account).
    #[arg(long, value_name = "ID")]
    pub account_id: Option<String>,

    /// Create nothing if a client with this name already exists: print that
    /// client instead (without a secret: KORE shows it only at creation) and
    /// exit 0. Makes provisioning scripts safe to re-run; KORE does not
    /// enforce unique names, so two concurrent runs can still both create.
    #[arg(long)]
    pub if_absent: bool,

    /// Write the one-time client secret to this new file (mode 0600; an
    /// existing file is never overwritten). Without it the secret is printed
    /// on stdout.
    #[arg(long, value_name = "PATH")]
    pub secret_file: Option<PathBuf>,

    /// Output format. json: `{"client": {...}, "secret_file": PATH}` with
    /// --secret-file, `{"client": {...}, "client_secret": "..."}` without; name:
    /// the new id only (needs --secret-file, so the secret has somewhere to go).
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    pub output: Format,
}

/// Output of commands that show one thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns for humans.
    Table,
    /// Pretty-printed JSON with KORE's field names.
    Json,
    /// The client id alone.
    Name,
}

/// Output of `clients list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// Aligned columns for humans.
    Table,
    /// Pretty-printed JSON with KORE's field names.
    Json,
    /// One compact JSON object per line, written as pages arrive.
    Ndjson,
    /// The ids, one per line, written as pages arrive.
    Name,
}

/// `--type`
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClientTypeArg {
    /// Admin clients.
    Admin,
    /// Standard clients.
    Standard,
}

impl From<ClientTypeArg> for ClientType {
    fn from(value: ClientTypeArg) -> Self {
        match value {
            ClientTypeArg::Admin => ClientType::Admin,
            ClientTypeArg::Standard => ClientType::Standard,
        }
    }
}

/// `--product`
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProductArg {
    /// Super SIM.
    SuperSim,
    /// Programmable Wireless.
    ProgrammableWireless,
}

impl From<ProductArg> for Product {
    fn from(value: ProductArg) -> Self {
        match value {
            ProductArg::SuperSim => Product::SuperSim,
            ProductArg::ProgrammableWireless => Product::ProgrammableWireless,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_definition_is_consistent() {
        command().debug_assert();
    }

    #[test]
    fn limit_needs_all_and_page_excludes_it() {
        assert!(Cli::try_parse_from(["kore", "clients", "list", "--limit", "3"]).is_err());
        assert!(Cli::try_parse_from(["kore", "clients", "list", "--all", "--page", "2"]).is_err());
        assert!(Cli::try_parse_from(["kore", "clients", "list", "--all", "--limit", "3"]).is_ok());
    }

    #[test]
    fn the_client_id_to_get_is_not_the_caller_s_client_id() {
        let parsed =
            Cli::try_parse_from(["kore", "--client-id", "me", "clients", "get", "other"]).unwrap();
        assert_eq!(parsed.global.client_id.as_deref(), Some("me"));
        let Command::Clients(ClientsCommand::Get(get)) = parsed.command else {
            panic!("parsed as {:?}", parsed.command);
        };
        assert_eq!(get.id, "other");
        let parsed = Cli::try_parse_from(["kore", "clients", "get", "other"]).unwrap();
        assert_eq!(parsed.global.client_id, None);
    }

    fn parse_from(argv: &[&str]) -> Result<Cli, clap::Error> {
        let matches = Cli::command().try_get_matches_from(argv)?;
        let cli = Cli::from_arg_matches(&matches)?;
        refuse_flags_mock_ignores(&cli, &matches).map(|()| cli)
    }

    #[test]
    fn kore_mock_takes_the_kore_mock_binary_s_flags() {
        let parsed = parse_from(&[
            "kore",
            "mock",
            "--host",
            "0.0.0.0",
            "--port",
            "0",
            "--json",
            "--seed",
            "3",
            "--clock",
            "2024-04-05T11:08:14Z",
            "--admin-anywhere",
            "--fault",
            "ping=503",
            "--client-id",
            "i",
            "--client-secret",
            "s",
            "-v",
        ])
        .unwrap();
        let Command::Mock(args) = parsed.command else {
            panic!("parsed as {:?}", parsed.command);
        };
        assert!(args.json && args.admin_anywhere);
        assert_eq!(args.listen_addr().to_string(), "0.0.0.0:0");
        assert_eq!(args.client_id.as_deref(), Some("i"));
        assert_eq!(parsed.global.verbose, 1, "-v still sets the log level");
    }

    #[test]
    fn global_flags_kore_mock_would_ignore_are_usage_errors() {
        for argv in [
            &["kore", "mock", "--mock"][..],
            &["kore", "--mock", "mock"],
            &["kore", "mock", "--timeout", "5"],
            &["kore", "mock", "--base-url", "https://x.example"],
            &["kore", "--token-url", "https://x.example", "mock"],
            &["kore", "mock", "--client-secret-stdin"],
            &["kore", "--client-id", "me", "mock"],
        ] {
            let error = parse_from(argv)
                .err()
                .unwrap_or_else(|| panic!("{argv:?} was accepted"));
            assert_eq!(error.kind(), ErrorKind::ArgumentConflict, "{argv:?}");
            assert!(
                error.to_string().contains("does not apply to `kore mock`"),
                "{error}"
            );
        }
        assert!(parse_from(&["kore", "mock", "--mock-clients", "3"]).is_err());
    }

    #[test]
    fn mock_excludes_real_endpoints() {
        let parsed = Cli::try_parse_from(["kore", "--mock", "--base-url", "https://x", "ping"]);
        assert!(parsed.is_err());
        let parsed =
            Cli::try_parse_from(["kore", "ping", "--mock", "--mock-clients", "3"]).unwrap();
        assert!(parsed.global.mock);
        assert_eq!(parsed.global.mock_clients, 3);
    }
}
