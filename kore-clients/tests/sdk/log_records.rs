//! Without a tracing subscriber, the SDK's spans still reach a `log` logger
//! (env_logger and the like) through tracing's `log` compatibility: the
//! SDK skips making spans only when neither would see them.

use crate::common;

use std::sync::Mutex;

use kore_mock::MockKore;

/// Every record logged, as "target message".
struct Capture(Mutex<Vec<String>>);

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        let line = format!("{} {}", record.target(), record.args());
        self.0.lock().unwrap().push(line);
    }
    fn flush(&self) {}
}

static CAPTURE: Capture = Capture(Mutex::new(Vec::new()));

#[tokio::test]
async fn without_a_tracing_subscriber_operations_reach_a_log_logger() {
    // The only test that installs a logger: a process has one.
    log::set_logger(&CAPTURE).expect("no other logger in this test binary");
    log::set_max_level(log::LevelFilter::Info);
    let (_mock, kore) = common::start(MockKore::builder()).await;
    kore.ping().await.unwrap();
    let records = CAPTURE.0.lock().unwrap().clone();
    assert!(
        records.iter().any(|r| r.contains("kore.operation")),
        "the operation's span was logged: {records:#?}"
    );
}
