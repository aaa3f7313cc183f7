//! `kore configure`: writes a profile to the config file.

use std::io::{BufRead, IsTerminal as _, Write as _};

use kore_clients::{ExposeSecret as _, Kore, SecretString};

use crate::exit::Failure;
use crate::global::Global;
use crate::profile;

/// Asks for a profile's values on stderr and saves them (file mode 0600).
/// On a terminal the secret is read without echo; otherwise the values are
/// stdin's lines: id, secret, base URL, token URL (the URLs may be empty).
pub fn run(global: &Global) -> Result<(), Failure> {
    let name = match &global.profile {
        Some(name) => name.clone(),
        None => std::env::var("KORE_PROFILE")
            .ok()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| profile::DEFAULT_PROFILE.to_owned()),
    };
    let path = profile::config_path().ok_or_else(|| {
        Failure::usage(
            "cannot tell where the config file goes: neither KORE_CONFIG, XDG_CONFIG_HOME nor HOME is set",
            "set KORE_CONFIG to the path to write",
        )
    })?;
    let stdin = std::io::stdin();
    let interactive = stdin.is_terminal();
    let mut lines = stdin.lock();
    eprintln!("profile {name:?} in {}", path.display());
    let client_id = ask(&mut lines, "client id: ")?;
    if client_id.is_empty() {
        return Err(Failure::usage(
            "the client id is empty",
            "give the id of a KORE API client (apiclient_…)",
        ));
    }
    let secret = if interactive {
        rpassword::prompt_password("client secret (not shown): ")
            .map_err(Failure::io("the terminal"))?
    } else {
        ask(&mut lines, "client secret: ")?
    };
    let secret = SecretString::from(secret.trim().to_owned());
    if secret.expose_secret().is_empty() {
        return Err(Failure::usage(
            "the client secret is empty",
            "give the secret KORE showed when the client was created",
        ));
    }
    let base_url = ask(&mut lines, "base URL (Enter for KORE's production API): ")?;
    let token_url = ask(
        &mut lines,
        "token URL (Enter for KORE's production endpoint): ",
    )?;

    // The same checks as every command's, before anything is written.
    let mut check = Kore::builder()
        .client_id(&client_id)
        .client_secret(secret.clone());
    if !base_url.is_empty() {
        check = check.base_url(&base_url);
    }
    if !token_url.is_empty() {
        check = check.token_url(&token_url);
    }
    check.build()?;

    let mut values = vec![
        ("client_id", client_id),
        ("client_secret", secret.expose_secret().to_owned()),
    ];
    if !base_url.is_empty() {
        values.push(("base_url", base_url));
    }
    if !token_url.is_empty() {
        values.push(("token_url", token_url));
    }
    profile::save(&path, &name, &values).map_err(|source| Failure::Io {
        context: format!("the config file {}", path.display()),
        source,
    })?;
    eprintln!(
        "wrote profile {name:?} to {} (mode 0600); use it with `kore --profile {name} …`{}",
        path.display(),
        if name == profile::DEFAULT_PROFILE {
            " or without --profile"
        } else {
            ""
        }
    );
    Ok(())
}

/// Prompts on stderr and reads one line.
fn ask(input: &mut impl BufRead, prompt: &str) -> Result<String, Failure> {
    eprint!("{prompt}");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    input.read_line(&mut line).map_err(Failure::io("stdin"))?;
    Ok(line.trim().to_owned())
}
