//! `kore clients create`: one new client, and the one delivery of its secret.
//!
//! The one command that handles a secret. KORE returns the new client's
//! secret once; it goes to `--secret-file` or, without one, to stdout with
//! a warning on stderr, and nowhere else (no logs, no errors, never stderr).
//!
//! What is guaranteed, and how each failure ends (see the README):
//! - the secret file is reserved before anything is sent, and is either
//!   written completely or removed;
//! - a secret that cannot be delivered (stdout closed, the file and then
//!   stdout failing) ends with exit 7 and the client's id on stderr, never
//!   with a quiet 0;
//! - a create that may have reached KORE without an answer, or that Ctrl-C
//!   interrupted, ends with exit 8 or 130 and the `kore clients list --name`
//!   command to run before trying again;
//! - `--if-absent` creates nothing when a client of that name exists.

use std::io::Write;

use kore_clients::{CreateIfAbsent, CreatedClient, Error, ExposeSecret as _, Kore, NewClient};

use crate::cli::{CreateArgs, Format, TimeFormat};
use crate::exit::Failure;
use crate::output::{self, CreatedJson};
use crate::secret_file::SecretFile;

const SHOWN_ONCE: &str = "warning: the client secret is on stdout and KORE will not show it again; store it now (or use --secret-file)";

/// Creates the client (unless `--if-absent` finds one) and delivers its secret.
pub async fn run(kore: &Kore, args: &CreateArgs, out: &mut impl Write) -> Result<(), Failure> {
    if args.output == Format::Name && args.secret_file.is_none() {
        return Err(Failure::usage(
            "--output name prints only the new client's id, so its one-time secret would have nowhere to go",
            "add --secret-file PATH, or use --output json",
        ));
    }
    // Before anything is sent: a path that cannot be created must not
    // leave behind a client whose secret has nowhere to go.
    let reserved = match &args.secret_file {
        Some(path) => Some(
            SecretFile::reserve(path).map_err(|source| Failure::SecretFile {
                path: path.clone(),
                source,
            })?,
        ),
        None => None,
    };

    let mut request = NewClient::new(&args.name).locked(args.locked);
    for product in &args.products {
        request = request.product(product.clone());
    }
    if let Some(account_id) = &args.account_id {
        request = request.account_id(account_id);
    }

    let create = async {
        if args.if_absent {
            kore.clients().create_if_absent(request).await
        } else {
            kore.clients()
                .create(request)
                .await
                .map(CreateIfAbsent::Created)
        }
    };
    // Ctrl-C while the request is out: stop, remove the reserved file (it
    // drops on return) and say how to find out what happened. Once KORE has
    // answered, the handler stays installed and swallows Ctrl-C, so the
    // secret is always delivered whole.
    let outcome = tokio::select! {
        // An answer that is ready wins over a Ctrl-C in the same instant.
        biased;
        outcome = create => outcome,
        () = interrupted() => {
            return Err(Failure::CreateInterrupted { name: args.name.clone() });
        }
    };

    let created = match outcome {
        Ok(CreateIfAbsent::Created(created)) => created,
        Ok(CreateIfAbsent::Existing(client)) => {
            drop(reserved);
            eprintln!(
                "note: a client named {:?} already exists ({}); nothing was created, and KORE shows a secret only at creation",
                args.name,
                client.client_id().unwrap_or("no id")
            );
            return match args.output {
                Format::Table => output::clients_table([&client], TimeFormat::Rfc3339, out),
                Format::Json => output::json(&client, out),
                Format::Name => output::name(client.client_id(), out),
            }
            .map_err(Failure::io("stdout"));
        }
        Err(error) => {
            // `reserved` drops when this arm returns and removes the empty file.
            let Error::CreatedButUndecodable { created, .. } = &error else {
                return Err(error.into());
            };
            // An empty answer holds no secret to save: say so, keep no file.
            if created.expose_body().is_empty() {
                drop(reserved);
                return Err(error.into());
            }
            // The client exists and the raw answer may hold its only copy
            // of the secret: deliver it like the secret itself.
            let id = created.client_id().map(str::to_owned);
            let body = created.expose_body().as_bytes();
            match reserved {
                Some(file) => {
                    let path = file.path().display().to_string();
                    match file.write(body) {
                        Ok(_) => eprintln!(
                            "note: KORE's raw answer, which holds the one-time secret, was saved to {path}"
                        ),
                        Err(error) => {
                            eprintln!(
                                "warning: cannot write {path} ({error}); KORE's raw answer follows on stdout"
                            );
                            deliver(out, body, &id, &format!("{path}, then stdout"))?;
                        }
                    }
                }
                None => {
                    deliver(out, body, &id, "stdout")?;
                    eprintln!(
                        "warning: KORE's raw answer, which holds the one-time secret, is printed above on stdout; store it now"
                    );
                }
            }
            return Err(error.into());
        }
    };
    deliver_created(&created, reserved, args.output, out)
}

/// Writes the new client and its secret: the secret to the reserved file
/// (or stdout without one), the client to stdout.
fn deliver_created(
    created: &CreatedClient,
    reserved: Option<SecretFile>,
    format: Format,
    out: &mut impl Write,
) -> Result<(), Failure> {
    let id = Some(created.client_id().to_owned());
    let secret = created.client_secret().expose_secret();

    let secret_file = match reserved {
        Some(file) => {
            let path = file.path().to_owned();
            match file.write(secret.as_bytes()) {
                Ok(path) => Some(path),
                Err(error) => {
                    // The client exists now; losing the secret is worse
                    // than showing it.
                    eprintln!(
                        "warning: cannot write the secret to {} ({error}); printing it on stdout instead",
                        path.display()
                    );
                    let line = format!("client_secret: {secret}");
                    deliver(
                        out,
                        line.as_bytes(),
                        &id,
                        &format!("{}, then stdout", path.display()),
                    )?;
                    eprintln!("{SHOWN_ONCE}");
                    return Err(Failure::Io {
                        context: format!("the secret file {}", path.display()),
                        source: error,
                    });
                }
            }
        }
        None => None,
    };

    let mut rendered = Vec::new();
    match format {
        Format::Table => {
            output::created_table(created, &mut rendered).map_err(Failure::io("stdout"))?;
            if secret_file.is_none() {
                writeln!(rendered, "\nclient_secret: {secret}").map_err(Failure::io("stdout"))?;
            }
        }
        // Only with --secret-file (checked before the request).
        Format::Name => {
            output::name(id.as_deref(), &mut rendered).map_err(Failure::io("stdout"))?
        }
        Format::Json => {
            let shape = CreatedJson {
                client: created,
                secret_file: secret_file.as_ref().map(|p| p.display().to_string()),
                client_secret: secret_file.is_none().then_some(secret),
            };
            output::json(&shape, &mut rendered).map_err(Failure::io("stdout"))?;
        }
    }
    if let Some(path) = &secret_file {
        // The secret is safe in its file; stdout only carries the client.
        out.write_all(&rendered)
            .and_then(|()| out.flush())
            .map_err(Failure::io("stdout"))?;
        eprintln!("note: the secret is in {} (mode 0600)", path.display());
        return Ok(());
    }
    deliver(out, &rendered, &id, "stdout")?;
    eprintln!("{SHOWN_ONCE}");
    Ok(())
}

/// Writes and flushes `bytes`, which hold a secret: failing to is
/// [`Failure::SecretUndelivered`], never a broken pipe to shrug off.
fn deliver(
    out: &mut impl Write,
    bytes: &[u8],
    client_id: &Option<String>,
    context: &str,
) -> Result<(), Failure> {
    out.write_all(bytes)
        .and_then(|()| {
            if bytes.ends_with(b"\n") {
                Ok(())
            } else {
                out.write_all(b"\n")
            }
        })
        .and_then(|()| out.flush())
        .map_err(|source| Failure::SecretUndelivered {
            client_id: client_id.clone(),
            context: context.to_owned(),
            source,
        })
}

/// Completes on Ctrl-C; never, if the handler cannot be installed.
async fn interrupted() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}
