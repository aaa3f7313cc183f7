//! `kore clients list`: one page or every page of clients, filtered, in every format.
//!
//! Stdout carries the clients and nothing else, in every format; the page
//! summary, the total and the progress line go to stderr.

use std::io::{IsTerminal as _, Write};
use std::pin::pin;

use futures::{StreamExt as _, TryStreamExt as _};
use kore_clients::{Client, Kore};

use crate::cli::{ClientTypeArg, ListArgs, ListFormat};
use crate::enum_value;
use crate::exit::Failure;
use crate::output::{self, JsonArray, PageJson};
use crate::progress::Progress;

/// One page with its paging information, or every page with `--all` or a filter.
pub async fn run(
    kore: &Kore,
    args: &ListArgs,
    verbose: u8,
    out: &mut impl Write,
) -> Result<(), Failure> {
    let mut request = kore.clients().list().page_size(args.page_size);
    if let Some(client_type) = &args.client_type {
        if let Some(note) =
            enum_value::unknown_note("--type", client_type, &enum_value::names::<ClientTypeArg>())
        {
            eprintln!("{note}");
        }
        request = request.client_type(client_type.clone());
    }
    if !args.all && !args.filtered() {
        let page_number = args.page.unwrap_or(1);
        let page = request.page_number(page_number).send().await?;
        let written = match args.output {
            ListFormat::Table if page.clients().is_empty() => Ok(()),
            ListFormat::Table => output::clients_table(page.clients(), args.time_format, out),
            ListFormat::Json => output::json(
                &PageJson {
                    meta: page.meta(),
                    clients: page.clients(),
                },
                out,
            ),
            ListFormat::Ndjson => page
                .clients()
                .iter()
                .try_for_each(|client| output::ndjson(client, out)),
            ListFormat::Name => page
                .clients()
                .iter()
                .try_for_each(|client| output::name(client.client_id(), out)),
        };
        written.map_err(Failure::io("stdout"))?;
        if args.output == ListFormat::Table {
            let summary = output::page_summary(
                page.meta(),
                page.clients().len(),
                (page_number, args.page_size),
            );
            note(out, &summary)?;
        }
        return Ok(());
    }

    // Without a filter the SDK's limit also spares the pages after it; with
    // one, the limit counts matching clients.
    if let Some(limit) = args.limit.filter(|_| !args.filtered()) {
        request = request.limit(limit);
    }
    request = request.concurrency(usize::from(args.concurrency));
    // Filters apply as clients stream by: memory stays one page (and the
    // prefetched ones), however large the account.
    let filter = Filter::from(args);
    let mut clients = pin!(
        request
            .stream()
            .try_filter(move |client| std::future::ready(filter.keeps(client)))
            .take(args.limit.unwrap_or(usize::MAX))
    );
    // A profile's client_secret_command may prompt on the terminal: the
    // token comes before the spinner that would draw over the prompt.
    if std::io::stderr().is_terminal() {
        kore.tokens().bearer().await.map_err(Failure::Token)?;
    }
    // Erases its line when dropped, so an error message starts on a clean one.
    let mut progress = Progress::for_stderr(args.page_size, verbose);
    // A page's worth of clients has arrived: push it to the reader, so a
    // consumer of a long listing sees pages as they come.
    let page_size = args.page_size as usize;
    let page_done = |progress: &Progress| progress.count().is_multiple_of(page_size);

    match args.output {
        ListFormat::Ndjson | ListFormat::Name => {
            while let Some(client) = clients.next().await {
                let client = client?;
                progress.tick();
                let flush = page_done(&progress);
                progress
                    .around(|| {
                        match args.output {
                            ListFormat::Name => output::name(client.client_id(), out),
                            _ => output::ndjson(&client, out),
                        }?;
                        if flush { out.flush() } else { Ok(()) }
                    })
                    .map_err(Failure::io("stdout"))?;
            }
            progress.finish();
        }
        ListFormat::Json => {
            let mut array = JsonArray::new(&mut *out);
            let mut failure = None;
            while let Some(client) = clients.next().await {
                let client = match client {
                    Ok(client) => client,
                    Err(error) => {
                        failure = Some(error);
                        break;
                    }
                };
                progress.tick();
                let flush = page_done(&progress);
                progress
                    .around(|| {
                        array.push(&client)?;
                        if flush {
                            array.writer().flush()
                        } else {
                            Ok(())
                        }
                    })
                    .map_err(Failure::io("stdout"))?;
            }
            progress.finish();
            // Stdout always parses as one JSON document; after an error it
            // holds the clients before it, and the exit code says so.
            array.finish().map_err(Failure::io("stdout"))?;
            if let Some(error) = failure {
                return Err(error.into());
            }
        }
        ListFormat::Table => {
            // Column widths depend on every row, so a table waits for all of them.
            let mut all = Vec::new();
            while let Some(client) = clients.next().await {
                all.push(client?);
                progress.tick();
            }
            progress.finish();
            if !all.is_empty() {
                output::clients_table(&all, args.time_format, out)
                    .map_err(Failure::io("stdout"))?;
            }
            note(out, &output::total_line(all.len()))?;
        }
    }
    Ok(())
}

/// A line for the person reading, on stderr, after what stdout already holds.
fn note(out: &mut impl Write, text: &str) -> Result<(), Failure> {
    out.flush().map_err(Failure::io("stdout"))?;
    eprintln!("{text}");
    Ok(())
}

/// `--name`, `--name-contains`, `--locked`.
struct Filter {
    name: Option<String>,
    name_contains: Option<String>,
    locked: Option<bool>,
}

impl From<&ListArgs> for Filter {
    fn from(args: &ListArgs) -> Self {
        Self {
            name: args.name.clone(),
            name_contains: args.name_contains.clone(),
            locked: args.locked,
        }
    }
}

impl Filter {
    fn keeps(&self, client: &Client) -> bool {
        let name = client.name().unwrap_or("");
        self.name.as_deref().is_none_or(|wanted| name == wanted)
            && self
                .name_contains
                .as_deref()
                .is_none_or(|part| name.contains(part))
            // KORE's `locked: null` means "never locked".
            && self
                .locked
                .is_none_or(|wanted| client.locked().unwrap_or(false) == wanted)
    }
}
