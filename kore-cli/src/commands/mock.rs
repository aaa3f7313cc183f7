//! `kore mock`: the embedded kore-mock as a local server.

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};

use kore_mock::MockKore;

use crate::cli::MockArgs;
use crate::exit::Failure;

/// Serves until Ctrl-C (or SIGTERM), after printing how to use the server.
pub async fn run(args: &MockArgs, out: &mut impl Write) -> Result<(), Failure> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
    let mock = MockKore::builder()
        .addr(addr)
        .clients(args.clients)
        .seed(args.seed)
        .try_start()
        .await
        .map_err(|source| Failure::MockStart {
            addr: addr.to_string(),
            source,
        })?;
    // The banner is the command's output (stdout): it is what a user copies.
    // The mock's test credentials are meant to be shown.
    write!(
        out,
        "kore-mock listening on {addr} with {clients} clients (account {account})\n\
         \n  base URL:      {base}\
         \n  token URL:     {token}\
         \n  client id:     {id}\
         \n  client secret: {secret}\n\
         \nPoint kore (or the SDK's Kore::from_env) at it from another shell:\n\
         \n  export KORE_BASE_URL={base}\
         \n  export KORE_TOKEN_URL={token}\
         \n  export KORE_CLIENT_ID={id}\
         \n  export KORE_CLIENT_SECRET={secret}\n\
         \nPress Ctrl-C to stop.\n",
        addr = mock.addr(),
        clients = args.clients,
        account = mock.account_id(),
        base = mock.base_url(),
        token = mock.token_url(),
        id = mock.client_id(),
        secret = mock.client_secret(),
    )
    .and_then(|()| out.flush())
    .map_err(Failure::io("stdout"))?;

    mock.run_until(shutdown_signal())
        .await
        .map_err(Failure::io("the mock server"))?;
    eprintln!("kore-mock stopped");
    Ok(())
}

/// Ctrl-C, or SIGTERM on Unix (what `kill` and service managers send).
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            // Without a handler, only SIGTERM (or killing) stops the server.
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => ctrl_c.await,
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await;
}
