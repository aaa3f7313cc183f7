//! `list().send()` and `list().stream()` against kore-mock.

use crate::common;

use crate::common::CollectAll as _;

use std::collections::HashSet;
use std::time::Duration;

use kore_clients::{ClientType, Error};
use kore_mock::{MockKore, Route};
use kore_testkit::text::assert_contains;
use serde_json::json;
use wiremock::MockServer;

/// Every client of a listing in pages of 100, 8 at a time, stopped after `limit`.
async fn limited(kore: &kore_clients::Kore, limit: usize) -> Vec<kore_clients::Client> {
    kore.clients()
        .list()
        .page_size(100)
        .limit(limit)
        .concurrency(8)
        .all()
        .await
}

/// The last list request `mock` saw asked for each of `parameters`.
fn assert_list_query(mock: &MockKore, parameters: &[&str]) {
    let query = common::last_query(mock, Route::ListClients);
    for parameter in parameters {
        assert_contains(&query, parameter);
    }
}

#[tokio::test]
async fn send_returns_one_page_with_integer_meta() {
    let (mock, kore) = common::start(MockKore::builder().clients(25)).await;
    let page = common::page(&kore, 10, 2).await;
    assert_eq!(page.clients().len(), 10);
    let meta = page.meta();
    assert_eq!(
        (meta.count(), meta.page_number(), meta.page_size()),
        (Some(10), Some(2), Some(10))
    );
    assert!(meta.next_page_url().unwrap().contains("page_number=3"));
    assert!(meta.previous_page_url().unwrap().contains("page_number=1"));
    assert_list_query(&mock, &["page_size=10", "page_number=2"]);
}

#[tokio::test]
async fn default_page_size_is_100() {
    let (mock, kore) = common::start(MockKore::builder().clients(3)).await;
    kore.clients().list().send().await.unwrap();
    assert_list_query(&mock, &["page_size=100", "page_number=1"]);
}

#[tokio::test]
async fn stream_yields_every_client_once_in_order_and_stops_on_the_short_page() {
    let (mock, kore) = common::start(MockKore::builder().clients(250)).await;
    let all: Vec<_> = kore.clients().list().page_size(100).all().await;
    assert_eq!(all.len(), 250);
    let ids: HashSet<_> = all
        .iter()
        .map(|c| c.client_id().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 250);
    assert_eq!(
        mock.requests(Route::ListClients),
        3,
        "100 + 100 + 50, then stop"
    );
    // Same order as fetching pages one by one.
    let page2 = common::page(&kore, 100, 2).await;
    assert_eq!(all[100].client_id(), page2.clients()[0].client_id());
}

#[tokio::test]
async fn stream_stops_on_a_missing_next_page_url_even_if_the_page_is_full() {
    let (mock, kore) = common::start(MockKore::builder().clients(200)).await;
    let all: Vec<_> = kore.clients().list().page_size(100).all().await;
    assert_eq!(all.len(), 200);
    assert_eq!(
        mock.requests(Route::ListClients),
        2,
        "page 2 is full but has no next page"
    );
}

#[tokio::test]
async fn stream_stops_on_an_empty_page() {
    let (mock, kore) = common::start(MockKore::builder().clients(0)).await;
    let all: Vec<_> = kore.clients().list().all().await;
    assert!(all.is_empty());
    assert_eq!(mock.requests(Route::ListClients), 1);
}

#[tokio::test]
async fn stream_fetches_lazily() {
    let (mock, kore) = common::start(MockKore::builder().clients(50)).await;
    let mut stream = Box::pin(kore.clients().list().page_size(10).stream());
    for _ in 0..10 {
        common::next(&mut stream).await.unwrap().unwrap();
    }
    assert_eq!(
        mock.requests(Route::ListClients),
        1,
        "only the first page so far"
    );
    common::next(&mut stream).await.unwrap().unwrap();
    assert_eq!(mock.requests(Route::ListClients), 2);
}

#[tokio::test]
async fn limit_stops_without_fetching_further_pages() {
    let (mock, kore) = common::start(MockKore::builder().clients(500)).await;
    let first: Vec<_> = kore.clients().list().page_size(100).limit(10).all().await;
    assert_eq!(first.len(), 10);
    assert_eq!(mock.requests(Route::ListClients), 1);
    let more: Vec<_> = limited(&kore, 150).await;
    assert_eq!(more.len(), 150);
    assert_eq!(
        mock.requests(Route::ListClients),
        3,
        "pages 1 and 2 only, even with concurrency"
    );
    // A limit of exactly two pages asks for exactly two.
    let two: Vec<_> = limited(&kore, 200).await;
    assert_eq!(two.len(), 200);
    assert_eq!(mock.requests(Route::ListClients), 5, "pages 1 and 2 again");
    let none: Vec<_> = kore.clients().list().limit(0).all().await;
    assert!(none.is_empty());
    assert_eq!(mock.requests(Route::ListClients), 5);
}

#[tokio::test]
async fn concurrency_prefetches_and_preserves_order() {
    let (mock, kore) = common::start(common::slow_list(1000, Duration::from_millis(20))).await;
    let sequential: Vec<_> = kore.clients().list().page_size(50).all().await;
    let sequential_requests = mock.requests(Route::ListClients);
    let concurrent: Vec<_> = kore
        .clients()
        .list()
        .page_size(50)
        .concurrency(8)
        .all()
        .await;
    let ids = |v: &[kore_clients::Client]| {
        v.iter()
            .map(|c| c.client_id().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&sequential), ids(&concurrent));
    assert_eq!(concurrent.len(), 1000);
    let concurrent_requests = mock.requests(Route::ListClients) - sequential_requests;
    // 20 pages; up to 7 speculative requests past the end.
    assert!(
        (20..=27).contains(&concurrent_requests),
        "{concurrent_requests}"
    );
}

#[tokio::test]
async fn concurrency_sends_k_requests_before_the_first_page_is_read() {
    let (mock, kore) = common::start(common::slow_list(1000, Duration::from_millis(300))).await;
    kore.ping().await.unwrap();
    let mut stream = Box::pin(kore.clients().list().page_size(50).concurrency(8).stream());
    common::next(&mut stream).await.unwrap().unwrap();
    assert_eq!(
        mock.requests(Route::ListClients),
        8,
        "pages 1-8 requested together"
    );
    let mut sequential = Box::pin(kore.clients().list().page_size(50).stream());
    common::next(&mut sequential).await.unwrap().unwrap();
    assert_eq!(mock.requests(Route::ListClients), 9, "one page at a time");
}

#[tokio::test]
async fn limit_counts_from_the_starting_page() {
    let (mock, kore) = common::start(MockKore::builder().clients(100)).await;
    let clients: Vec<_> = kore
        .clients()
        .list()
        .page_size(10)
        .page_number(3)
        .limit(15)
        .concurrency(4)
        .all()
        .await;
    assert_eq!(clients.len(), 15);
    let page3 = common::page(&kore, 10, 3).await;
    assert_eq!(clients[0].client_id(), page3.clients()[0].client_id());
    assert_eq!(
        mock.requests(Route::ListClients),
        2 + 1,
        "pages 3 and 4, then the check"
    );
}

#[tokio::test]
async fn client_type_filter_is_sent_and_applied() {
    let (mock, kore) = common::start(MockKore::builder().clients(40)).await;
    let admins: Vec<_> = kore
        .clients()
        .list()
        .client_type(ClientType::Admin)
        .all()
        .await;
    assert!(!admins.is_empty());
    assert!(
        admins
            .iter()
            .all(|c| c.client_type() == Some(ClientType::Admin))
    );
    assert_list_query(&mock, &["client_type=admin"]);
}

#[tokio::test]
async fn zero_page_size_or_number_is_rejected_before_any_request() {
    let (mock, kore) = common::start(MockKore::builder()).await;
    for list in [
        kore.clients().list().page_size(0),
        kore.clients().list().page_number(0),
    ] {
        let error = list.clone().send().await.unwrap_err();
        assert!(matches!(error, Error::InvalidInput { .. }), "{error:?}");
        assert_contains(&error.to_string(), "must be at least 1");
        let streamed = list.results().await;
        assert!(matches!(
            streamed.as_slice(),
            [Err(Error::InvalidInput { .. })]
        ));
    }
    assert_eq!(mock.requests(Route::ListClients), 0);
    assert_eq!(mock.requests(Route::Token), 0, "not even a token");
}

#[tokio::test]
async fn a_foreign_next_page_url_never_receives_the_token() {
    let (mock, kore) =
        common::start(MockKore::builder().clients(30).foreign_next_page_url(true)).await;
    let page = kore.clients().list().page_size(10).send().await.unwrap();
    assert!(page.meta().next_page_url().unwrap().contains(".invalid"));
    let all: Vec<_> = kore.clients().list().page_size(10).all().await;
    assert_eq!(
        all.len(),
        30,
        "pages are fetched by number from the configured base URL"
    );
    assert_eq!(mock.requests(Route::ListClients), 1 + 3);
}

#[tokio::test]
async fn a_server_repeating_the_same_page_ends_the_stream_with_an_error() {
    let server = MockServer::start().await;
    let clients: Vec<_> = (0..2)
        .map(|i| json!({"client_id": format!("apiclient_{i}")}))
        .collect();
    common::answer_json(
        &server,
        "GET /v1/clients",
        200,
        json!({
            "meta": {"count": 2, "page_size": 2, "next_page_url": "http://127.0.0.1/next"},
            "clients": clients
        }),
    )
    .await;
    let kore = common::wiremock_kore(&server).await;
    // The repeat ends the listing: two clients, then the error.
    common::assert_listing_ends_in_pagination_error(&kore, 2, 2, "repeats page 1").await;
}

#[tokio::test]
async fn a_page_error_ends_the_stream_after_the_clients_already_yielded() {
    let (mock, kore) = common::start(MockKore::builder().clients(30)).await;
    mock.faults().script(
        Route::ListClients,
        [kore_mock::Fault::Pass, kore_mock::Fault::Status(404)],
    );
    let results = kore.clients().list().page_size(10).results().await;
    assert_eq!(results.len(), 11);
    assert!(results[..10].iter().all(Result::is_ok));
    assert_eq!(
        results[10]
            .as_ref()
            .unwrap_err()
            .status()
            .map(|s| s.as_u16()),
        Some(404)
    );
}

#[tokio::test]
async fn a_server_that_caps_the_page_size_is_walked_to_the_end() {
    // Asked for 100 per page, the server sends 50 (and says so) over 3 pages.
    let (_server, kore) = common::scripted_list(|number| {
        let clients = common::numbered_clients(number, 50);
        let next =
            (number < 3).then(|| format!("http://127.0.0.1/next?page_number={}", number + 1));
        json!({
            "meta": {"count": 50, "page_number": number, "page_size": 50, "next_page_url": next},
            "clients": clients
        })
    })
    .await;
    let all: Vec<_> = kore.clients().list().page_size(100).all().await;
    assert_eq!(all.len(), 150);
    let limited: Vec<_> = kore.clients().list().page_size(100).limit(120).all().await;
    assert_eq!(limited.len(), 120, "the limit is met across capped pages");
}

/// The `page_size` each list request of `server` asked for, in order.
async fn requested_page_sizes(server: &MockServer) -> Vec<String> {
    let requests = server.received_requests().await.unwrap();
    requests
        .iter()
        .filter(|r| r.url.path() == "/v1/clients")
        .map(|r| common::query_param(&r.url, "page_size").unwrap_or_default())
        .collect()
}

#[tokio::test]
async fn later_pages_are_asked_for_at_the_size_the_server_reports_only_when_it_is_a_cap() {
    // Each server sends 3 pages of 2 clients and reports `page_size` as
    // `reported`; the walk asks for 10 per page.
    for (reported, later) in [(5, "5"), (10, "10"), (0, "10"), (50, "10")] {
        let (server, kore) = common::scripted_list(move |number| {
            let clients = common::numbered_clients(number, 2);
            let next =
                (number < 3).then(|| format!("http://127.0.0.1/next?page_number={}", number + 1));
            json!({
                "meta": {"page_number": number, "page_size": reported, "next_page_url": next},
                "clients": clients
            })
        })
        .await;
        let all: Vec<_> = kore.clients().list().page_size(10).all().await;
        assert_eq!(all.len(), 6, "reported page_size {reported}");
        assert_eq!(
            requested_page_sizes(&server).await,
            ["10", later, later],
            "reported page_size {reported}"
        );
    }
}

#[tokio::test]
async fn pages_of_clients_without_ids_are_not_mistaken_for_repeats() {
    let (_server, kore) = common::scripted_list(|number| {
        let clients = if number <= 2 {
            vec![json!({"name": "anonymous"}), json!({"name": "anonymous"})]
        } else {
            vec![]
        };
        json!({"meta": {"page_number": number, "next_page_url": "http://127.0.0.1/next"}, "clients": clients})
    })
    .await;
    let all: Vec<_> = kore.clients().list().page_size(2).all().await;
    assert_eq!(all.len(), 4);
}
