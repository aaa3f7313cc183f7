//! `kore clients list`

use std::io::Write;
use std::pin::pin;

use futures::{StreamExt as _, TryStreamExt as _};
use kore_clients::Kore;

use crate::cli::{ListArgs, ListFormat};
use crate::exit::Failure;
use crate::output::{self, JsonArray, PageJson};
use crate::progress::Progress;

/// One page with its paging information, or every page with `--all`.
pub async fn run(kore: &Kore, args: &ListArgs, out: &mut impl Write) -> Result<(), Failure> {
    let mut request = kore.clients().list().page_size(args.page_size);
    if let Some(client_type) = args.client_type {
        request = request.client_type(client_type.into());
    }
    if !args.all && args.name.is_none() {
        let page_number = args.page.unwrap_or(1);
        let page = request.page_number(page_number).send().await?;
        let written = match args.output {
            ListFormat::Table => if page.clients().is_empty() {
                Ok(())
            } else {
                output::clients_table(page.clients(), out).and_then(|()| writeln!(out))
            }
            .and_then(|()| {
                let summary = output::page_summary(
                    page.meta(),
                    page.clients().len(),
                    (page_number, args.page_size),
                );
                writeln!(out, "{summary}")
            }),
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
        };
        return written.map_err(Failure::io("stdout"));
    }

    if let Some(limit) = args.limit {
        request = request.limit(limit);
    }
    let name = args.name.clone();
    let mut clients = pin!(request.stream().try_filter(move |client| {
        std::future::ready(
            name.as_deref()
                .is_none_or(|name| client.name() == Some(name)),
        )
    }));
    // Erases its line when dropped, so an error message starts on a clean one.
    let mut progress = Progress::for_stderr();
    // A page's worth of clients has arrived: push it to the reader, so a
    // consumer of a long listing sees pages as they come.
    let page_size = args.page_size as usize;
    let page_done = |progress: &Progress| progress.count().is_multiple_of(page_size);

    match args.output {
        ListFormat::Ndjson => {
            while let Some(client) = clients.next().await {
                let client = client?;
                output::ndjson(&client, out).map_err(Failure::io("stdout"))?;
                progress.tick();
                if page_done(&progress) {
                    out.flush().map_err(Failure::io("stdout"))?;
                }
            }
        }
        ListFormat::Json => {
            let mut array = JsonArray::new(&mut *out);
            while let Some(client) = clients.next().await {
                // On an error, what was written stays on stdout as a prefix
                // of the array; the exit code says it is incomplete.
                let client = client?;
                array.push(&client).map_err(Failure::io("stdout"))?;
                progress.tick();
                if page_done(&progress) {
                    array.writer().flush().map_err(Failure::io("stdout"))?;
                }
            }
            array.finish().map_err(Failure::io("stdout"))?;
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
                output::clients_table(&all, out)
                    .and_then(|()| writeln!(out))
                    .map_err(Failure::io("stdout"))?;
            }
            writeln!(out, "{}", output::total_line(all.len())).map_err(Failure::io("stdout"))?;
        }
    }
    progress.finish();
    Ok(())
}
