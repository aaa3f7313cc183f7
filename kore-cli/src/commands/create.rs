//! `kore clients create`
//!
//! The one command that handles a secret. KORE returns the new client's
//! secret once; it goes to `--secret-file` or, without one, to stdout with
//! a warning on stderr, and nowhere else (no logs, no errors).

use std::io::Write;

use kore_clients::{Error, ExposeSecret as _, Kore, NewClient};

use crate::cli::{CreateArgs, Format};
use crate::exit::Failure;
use crate::output::{self, CreatedJson};
use crate::secret_file::SecretFile;

const SHOWN_ONCE: &str = "warning: the client secret is on stdout and KORE will not show it again; store it now (or use --secret-file)";

/// Creates the client and delivers its secret.
pub async fn run(kore: &Kore, args: &CreateArgs, out: &mut impl Write) -> Result<(), Failure> {
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
        request = request.product((*product).into());
    }
    if let Some(account_id) = &args.account_id {
        request = request.account_id(account_id);
    }

    let created = match kore.clients().create(request).await {
        Ok(created) => created,
        Err(Error::CreatedButUndecodable { created, reason }) => {
            // The client exists and the raw answer may hold its only copy
            // of the secret: deliver it like the secret itself.
            let body = created.expose_body();
            match reserved {
                Some(file) => {
                    let path = file.path().display().to_string();
                    match file.write(body.as_bytes()) {
                        Ok(_) => eprintln!(
                            "note: KORE's raw answer, which holds the one-time secret, was saved to {path}"
                        ),
                        Err(error) => {
                            eprintln!(
                                "warning: cannot write {path} ({error}); KORE's raw answer follows on stdout"
                            );
                            print_raw(out, body)?;
                        }
                    }
                }
                None => {
                    print_raw(out, body)?;
                    eprintln!(
                        "warning: KORE's raw answer, which holds the one-time secret, is printed above on stdout; store it now"
                    );
                }
            }
            return Err(Error::CreatedButUndecodable { created, reason }.into());
        }
        // `reserved` drops here and removes the empty file.
        Err(error) => return Err(error.into()),
    };
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
                    writeln!(out, "client_secret: {secret}").map_err(Failure::io("stdout"))?;
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

    match args.output {
        Format::Table => {
            output::created_table(&created, out).map_err(Failure::io("stdout"))?;
            match &secret_file {
                Some(path) => writeln!(out, "\nSecret written to {} (mode 0600).", path.display()),
                None => writeln!(out, "\nclient_secret: {secret}"),
            }
            .map_err(Failure::io("stdout"))?;
        }
        Format::Json => {
            let shape = CreatedJson {
                client: &created,
                secret_file: secret_file.as_ref().map(|p| p.display().to_string()),
                client_secret: secret_file.is_none().then_some(secret),
            };
            output::json(&shape, out).map_err(Failure::io("stdout"))?;
        }
    }
    if secret_file.is_none() {
        // Flushed first, so the warning follows the secret on a terminal.
        out.flush().map_err(Failure::io("stdout"))?;
        eprintln!("{SHOWN_ONCE}");
    }
    Ok(())
}

fn print_raw(out: &mut impl Write, body: &str) -> Result<(), Failure> {
    writeln!(out, "{body}")
        .and_then(|()| out.flush())
        .map_err(Failure::io("stdout"))
}
