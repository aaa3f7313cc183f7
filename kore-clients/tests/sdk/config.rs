//! Configuration: environment variables, transport security, custom HTTP clients.

use crate::common;

use std::process::Command;

use kore_clients::{Error, Kore, SecretString};
use kore_mock::{MockKore, Route};
use kore_testkit::text::assert_contains;

/// The KORE variables, in the order [`run_child`] takes their values.
const KORE_VARS: [&str; 4] = [
    "KORE_CLIENT_ID",
    "KORE_CLIENT_SECRET",
    "KORE_BASE_URL",
    "KORE_TOKEN_URL",
];

/// Runs `test` of this binary in a child process whose whole KORE
/// environment is `values`, one for each of [`KORE_VARS`] in order; the
/// variables past the end of `values` are unset (edition 2024 makes changing
/// our own environment unsafe).
fn run_child(test: &str, values: &[&str]) {
    let mut command = Command::new(std::env::current_exe().unwrap());
    let name = format!("config::{test}");
    command.args([name.as_str(), "--exact", "--quiet", "--test-threads=1"]);
    for name in KORE_VARS {
        command.env_remove(name);
    }
    command
        .env("KORE_CONFIG_TEST_CHILD", "1")
        .envs(KORE_VARS.into_iter().zip(values.iter().copied()));
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "child {test} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn is_child() -> bool {
    std::env::var_os("KORE_CONFIG_TEST_CHILD").is_some()
}

#[test]
fn from_env_reads_credentials_and_urls() {
    if !is_child() {
        return run_child(
            "from_env_reads_credentials_and_urls",
            &[
                "env-client",
                "env-secret",
                "http://127.0.0.1:9/",
                "http://127.0.0.1:9/token",
            ],
        );
    }
    let kore = Kore::from_env().unwrap();
    assert_eq!(kore.client_id(), "env-client");
    assert_eq!(kore.base_url(), "http://127.0.0.1:9");
    assert_eq!(kore.token_url(), "http://127.0.0.1:9/token");
    assert!(!format!("{kore:?}").contains("env-secret"));
}

#[test]
fn from_env_treats_blank_variables_as_unset() {
    if !is_child() {
        return run_child(
            "from_env_treats_blank_variables_as_unset",
            &[" id ", "secret", "   ", ""],
        );
    }
    let kore = Kore::from_env().unwrap();
    assert_eq!(kore.client_id(), "id", "values are trimmed");
    assert_eq!(kore.base_url(), kore_clients::DEFAULT_BASE_URL);
    assert_eq!(kore.token_url(), kore_clients::DEFAULT_TOKEN_URL);
}

#[test]
fn from_env_defaults_to_kore_production() {
    if !is_child() {
        return run_child("from_env_defaults_to_kore_production", &["id", "secret"]);
    }
    let kore = Kore::from_env().unwrap();
    assert_eq!(kore.base_url(), kore_clients::DEFAULT_BASE_URL);
    assert_eq!(kore.token_url(), kore_clients::DEFAULT_TOKEN_URL);
}

#[test]
fn from_env_names_the_missing_variable() {
    if !is_child() {
        return run_child("from_env_names_the_missing_variable", &["id"]);
    }
    let error = Kore::from_env().unwrap_err();
    assert!(matches!(error, Error::Config { .. }), "{error:?}");
    assert_contains(&error.to_string(), "KORE_CLIENT_SECRET");
}

#[test]
fn builder_requires_credentials() {
    let error = Kore::builder().build().unwrap_err();
    assert_contains(&error.to_string(), "client id");
    let error = Kore::builder().client_id("id").build().unwrap_err();
    assert_contains(&error.to_string(), "client secret");
    let error = Kore::builder()
        .client_id("id")
        .client_secret(SecretString::from(""))
        .build()
        .unwrap_err();
    assert_contains(&error.to_string(), "empty");
}

#[test]
fn the_default_deadline_is_what_the_retry_policy_can_spend() {
    use std::time::Duration;
    let builder = || {
        Kore::builder()
            .client_id("id")
            .client_secret(SecretString::from("secret"))
    };
    let deadline =
        |builder: kore_clients::KoreBuilder| builder.build().unwrap().operation_timeout();
    // Token: 3 attempts of 10 s and 2 waits of 20 s; the call: 3 of 30 s and 2 of 20 s.
    assert_eq!(deadline(builder()), Duration::from_secs(70 + 130));
    let policy = kore_clients::RetryPolicy::default()
        .max_attempts(4)
        .max_backoff(Duration::from_secs(5));
    assert_eq!(
        deadline(builder().retry(policy).timeout(Duration::from_secs(7))),
        Duration::from_secs((4 * 10 + 3 * 5) + (4 * 7 + 3 * 5))
    );
    assert_eq!(
        deadline(builder().retry(kore_clients::RetryPolicy::disabled())),
        Duration::from_secs(10 + 30)
    );
    // A store's bound counts twice: lock and load before the grant, save after it.
    struct Nowhere;
    impl kore_clients::token_store::TokenStore for Nowhere {
        fn load(
            &self,
            _: &kore_clients::token_store::TokenKey,
        ) -> std::io::Result<Option<kore_clients::token_store::StoredToken>> {
            Ok(None)
        }
        fn save(
            &self,
            _: &kore_clients::token_store::TokenKey,
            _: &kore_clients::token_store::StoredToken,
        ) -> std::io::Result<()> {
            Ok(())
        }
        fn forget(&self, _: &kore_clients::token_store::TokenKey) -> std::io::Result<()> {
            Ok(())
        }
    }
    assert_eq!(
        deadline(
            builder()
                .token_store(Nowhere)
                .token_store_timeout(Duration::from_secs(3))
        ),
        Duration::from_secs(2 * 3 + 200)
    );
    // A given deadline is kept as it is.
    assert_eq!(
        deadline(builder().operation_timeout(Duration::from_secs(9))),
        Duration::from_secs(9)
    );
}

#[test]
fn every_timeout_is_kept_and_a_zero_one_is_refused_by_name() {
    let builder = || {
        Kore::builder()
            .client_id("id")
            .client_secret(SecretString::from("secret"))
    };
    let second = std::time::Duration::from_secs(1);
    let set = builder()
        .timeout(second)
        .connect_timeout(second * 2)
        .token_timeout(second * 3)
        .operation_timeout(second * 4)
        .token_store_timeout(second * 5)
        .max_answer_size(6);
    let shown = format!("{set:?}");
    for field in [
        "timeout: Some(1s)",
        "connect_timeout: Some(2s)",
        "token_timeout: Some(3s)",
        "operation_timeout: Some(4s)",
        "token_store_timeout: Some(5s)",
        "max_answer_size: Some(6)",
    ] {
        assert!(shown.contains(field), "{field} in {shown}");
    }
    set.build().unwrap();
    let zero = std::time::Duration::ZERO;
    for (builder, name) in [
        (builder().timeout(zero), "the timeout"),
        (builder().connect_timeout(zero), "the connect_timeout"),
        (builder().token_timeout(zero), "the token_timeout"),
        (builder().operation_timeout(zero), "the operation_timeout"),
        (
            builder().token_store_timeout(zero),
            "the token_store_timeout",
        ),
        (builder().max_answer_size(0), "the max_answer_size"),
    ] {
        let error = builder.build().unwrap_err();
        assert!(
            error.to_string().contains(&format!("{name} is zero")),
            "{error}"
        );
    }
}

#[test]
fn clear_text_http_to_a_remote_host_is_refused_unless_opted_in() {
    let builder = Kore::builder()
        .client_id("id")
        .client_secret(SecretString::from("secret"))
        .base_url("http://client.api.korewireless.com");
    let error = builder.clone().build().unwrap_err();
    assert!(matches!(error, Error::Config { .. }));
    assert_contains(&error.to_string(), "allow_insecure_http");
    let error = Kore::builder()
        .client_id("id")
        .client_secret(SecretString::from("secret"))
        .token_url("http://api.korewireless.com/api-services/v1/auth/token")
        .build()
        .unwrap_err();
    assert_contains(&error.to_string(), "token URL");
    builder.allow_insecure_http(true).build().unwrap();
}

#[tokio::test]
async fn a_callers_reqwest_client_and_user_agent_are_used() {
    let mock = MockKore::builder().start().await;
    let kore = common::kore_for(&mock, |b| b.user_agent("my-app/1.2"));
    kore.ping().await.unwrap();
    assert_eq!(
        mock.last_request(Route::Ping).unwrap().header("user-agent"),
        Some("my-app/1.2")
    );
    assert_eq!(
        mock.last_request(Route::Token)
            .unwrap()
            .header("user-agent"),
        Some("my-app/1.2")
    );

    let own = reqwest::Client::builder()
        .user_agent("callers-client")
        .build()
        .unwrap();
    let kore = common::kore_for(&mock, |b| b.http_client(own));
    kore.ping().await.unwrap();
    assert_eq!(
        mock.last_request(Route::Ping).unwrap().header("user-agent"),
        Some("callers-client")
    );
}

#[tokio::test]
async fn kore_is_cheap_to_clone_and_shares_its_token_across_tasks() {
    fn assert_send_sync<T: Send + Sync + Clone + 'static>() {}
    assert_send_sync::<Kore>();
    let (mock, kore) = common::start(MockKore::builder()).await;
    let clone = kore.clone();
    tokio::spawn(async move { clone.ping().await.unwrap() })
        .await
        .unwrap();
    kore.ping().await.unwrap();
    assert_eq!(mock.token_grants(), 1);
}

// The raw client is behind `unstable-raw`; the workspace's test run has it
// (kore-bench turns it on).
#[cfg(feature = "unstable-raw")]
#[tokio::test]
async fn the_raw_client_has_authentication_attached() {
    let (mock, kore) = common::start(MockKore::builder().clients(3)).await;
    let page = kore
        .raw()
        .list_client()
        .page_size(2)
        .page_number(1)
        .send()
        .await
        .unwrap();
    assert_eq!(page.clients.len(), 2);
    assert!(
        mock.last_request(Route::ListClients)
            .unwrap()
            .header("authorization")
            .is_some()
    );
}
