//! The API-clients resource: `kore.clients().list() / get() / create()`.

use futures::{Stream, TryStreamExt as _};

use crate::Kore;
use crate::error::{Error, Operation, Result, UndecodedCreate};
use crate::models::{Client, ClientType, CreatedClient, NewClient, Open, Page};
use crate::paginate;

/// Default page size of [`ListClients`].
pub const DEFAULT_PAGE_SIZE: u32 = 100;

/// The API clients of the account. Get one with [`Kore::clients`].
#[derive(Debug, Clone, Copy)]
pub struct Clients<'a> {
    kore: &'a Kore,
}

impl<'a> Clients<'a> {
    pub(crate) fn new(kore: &'a Kore) -> Self {
        Self { kore }
    }

    /// Lists clients: one page with [`ListClients::send`], or all of them
    /// with [`ListClients::stream`].
    pub fn list(&self) -> ListClients {
        ListClients::new(self.kore.clone())
    }

    /// One client by id (`apiclient_…`).
    pub async fn get(&self, client_id: &str) -> Result<Client> {
        let client_id = client_id.trim();
        if client_id.is_empty() {
            return Err(Error::invalid_input(
                Operation::GetClient,
                "the client id must not be empty",
            ));
        }
        let envelope = self
            .kore
            .call(Operation::GetClient, |raw| {
                raw.get_client().client_id(client_id).send()
            })
            .await?;
        if !envelope.extra.is_empty() {
            crate::drift::note_unknown_fields("ClientEnvelope", &envelope.extra);
        }
        envelope
            .client
            .map(Client::from_raw)
            .ok_or_else(|| Error::Decode {
                operation: Operation::GetClient,
                status: reqwest::StatusCode::OK,
                message: "the response has no `client` object".into(),
                excerpt: String::new(),
            })
    }

    /// Creates a client. The result holds its one-time secret.
    ///
    /// KORE has no idempotency key, so this is retried only when the request
    /// provably never reached KORE (connection refused) or KORE answered 429.
    /// What can go wrong, and what is kept:
    /// - KORE answered with success but the secret cannot be read from the
    ///   answer (another shape, cut off, not JSON): [`Error::CreatedButUndecodable`]
    ///   keeps the raw answer, secret included.
    /// - The request may have reached KORE but no answer came (a timeout or
    ///   a connection lost after sending, a gateway's 5xx):
    ///   [`Error::CreateOutcomeUnknown`]. Look for the client with
    ///   [`find_by_name`](Self::find_by_name) before creating it again;
    ///   [`is_retryable`](Error::is_retryable) is false.
    pub async fn create(&self, client: NewClient) -> Result<CreatedClient> {
        let body = client
            .to_body()
            .map_err(|message| Error::invalid_input(Operation::CreateClient, message))?;
        let (created, answer) = self
            .kore
            .call_keeping_answer(Operation::CreateClient, |raw| {
                raw.create_client().body(body).send()
            })
            .await
            .map_err(|error| error.for_create(client.name()))?;
        CreatedClient::from_raw(created).map_err(|_| match answer {
            Some(answer) => Error::CreatedButUndecodable {
                created: answer.into_parts().0,
                reason: "it has no `client_secret` where the spec puts it".into(),
            },
            // Not reached: a success answer to a create is always kept.
            None => Error::CreatedButUndecodable {
                created: UndecodedCreate::new(reqwest::StatusCode::CREATED, b""),
                reason: "the SDK did not keep the answer (a bug: please report it)".into(),
            },
        })
    }

    /// Every client named exactly `name`, as a stream over the whole listing
    /// (KORE has no name filter, so every page is read and filtered here).
    ///
    /// ```no_run
    /// # async fn example(kore: kore_clients::Kore) -> kore_clients::Result<()> {
    /// use futures::TryStreamExt as _;
    /// let bots: Vec<_> = kore.clients().find_by_name("ci-bot").try_collect().await?;
    /// # let _ = bots;
    /// # Ok(())
    /// # }
    /// ```
    pub fn find_by_name(
        &self,
        name: impl Into<String>,
    ) -> impl Stream<Item = Result<Client>> + Send + 'static {
        let name = name.into();
        self.list()
            .stream()
            .try_filter(move |client| std::future::ready(client.name() == Some(name.as_str())))
    }

    /// Creates `client` unless a client with its name already exists, which
    /// is then returned instead (without a secret: KORE shows it only once).
    ///
    /// KORE does not enforce unique names and this is a look-up followed by
    /// a create, not one atomic step: two callers racing on the same name
    /// can both create. Use it to make provisioning scripts safe to re-run,
    /// not as a lock.
    pub async fn create_if_absent(&self, client: NewClient) -> Result<CreateIfAbsent> {
        let mut existing = std::pin::pin!(self.find_by_name(client.name()));
        if let Some(found) = existing.try_next().await? {
            return Ok(CreateIfAbsent::Existing(found));
        }
        self.create(client).await.map(CreateIfAbsent::Created)
    }
}

/// What [`Clients::create_if_absent`] did.
#[derive(Debug)]
pub enum CreateIfAbsent {
    /// No client had the name; this one was created, with its secret.
    Created(CreatedClient),
    /// A client with the name already existed; nothing was created.
    Existing(Client),
}

/// A list request: filters, paging, and how to run it.
///
/// ```no_run
/// # async fn example(kore: kore_clients::Kore) -> kore_clients::Result<()> {
/// use futures::TryStreamExt as _;
/// use kore_clients::ClientType;
///
/// let page = kore.clients().list().page_size(50).page_number(2).send().await?;
/// let admins: Vec<_> = kore
///     .clients()
///     .list()
///     .client_type(ClientType::Admin)
///     .concurrency(4)
///     .stream()
///     .try_collect()
///     .await?;
/// let first_ten: Vec<_> = kore.clients().list().limit(10).stream().try_collect().await?;
/// # let _ = (page, admins, first_ten);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a list request does nothing until `send` or `stream`"]
pub struct ListClients {
    kore: Kore,
    pub(crate) page_size: u32,
    pub(crate) page_number: u32,
    pub(crate) client_type: Option<Open<ClientType>>,
    pub(crate) limit: Option<usize>,
    pub(crate) concurrency: usize,
}

impl ListClients {
    fn new(kore: Kore) -> Self {
        Self {
            kore,
            page_size: DEFAULT_PAGE_SIZE,
            page_number: 1,
            client_type: None,
            limit: None,
            concurrency: 1,
        }
    }

    /// Clients per page (default 100; must be at least 1).
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.page_size = page_size;
        self
    }

    /// The page [`send`](Self::send) fetches, or where
    /// [`stream`](Self::stream) starts (default 1; must be at least 1).
    pub fn page_number(mut self, page_number: u32) -> Self {
        self.page_number = page_number;
        self
    }

    /// Only clients of this type. A type KORE added after this SDK was
    /// built can be given as [`Open::parse`]`("service")`; KORE's answer, not
    /// the SDK, then decides whether it exists.
    pub fn client_type(mut self, client_type: impl Into<Open<ClientType>>) -> Self {
        self.client_type = Some(client_type.into());
        self
    }

    /// [`stream`](Self::stream) stops after `n` clients, fetching no page
    /// beyond the one that holds the `n`th.
    pub fn limit(mut self, n: usize) -> Self {
        self.limit = Some(n);
        self
    }

    /// [`stream`](Self::stream) keeps up to `k` page requests in flight,
    /// still yielding clients in page order (default 1: one page at a time).
    pub fn concurrency(mut self, k: usize) -> Self {
        self.concurrency = k.max(1);
        self
    }

    /// Checks page size, number and an unlisted type before any request.
    pub(crate) fn validate(&self) -> Result<()> {
        let invalid = |message: String| Err(Error::invalid_input(Operation::ListClient, message));
        if let Some(text) = self.client_type.as_ref().and_then(Open::unknown)
            && (text.is_empty() || text.trim() != text)
        {
            return invalid(format!(
                "the client type {text:?} is empty or has surrounding spaces: give KORE's exact name"
            ));
        }
        for (name, value) in [
            ("page_size", self.page_size),
            ("page_number", self.page_number),
        ] {
            if value == 0 {
                return invalid(format!(
                    "{name} must be at least 1 (pages are numbered from 1)"
                ));
            }
            if i32::try_from(value).is_err() {
                return invalid(format!(
                    "{name} {value} is larger than KORE accepts ({})",
                    i32::MAX
                ));
            }
        }
        Ok(())
    }

    /// Fetches one page: `page_number` (default 1) of `page_size` clients.
    pub async fn send(self) -> Result<Page> {
        self.validate()?;
        fetch_page(
            &self.kore,
            self.page_size,
            self.page_number,
            self.client_type,
        )
        .await
    }

    /// Every client from `page_number` on, fetched lazily page by page as
    /// the stream is read (see [`concurrency`](Self::concurrency) and
    /// [`limit`](Self::limit)). The stream ends after an empty page, a
    /// short page, or a page without a next-page URL; a server that repeats
    /// a page ends it with [`Error::Pagination`] instead of looping.
    ///
    /// Pages are requested by number from the configured base URL; the URLs
    /// in the responses' `meta` are never followed, so the bearer token only
    /// ever goes to KORE.
    pub fn stream(self) -> impl Stream<Item = Result<Client>> + Send + 'static {
        paginate::stream(self)
    }

    pub(crate) fn kore(&self) -> &Kore {
        &self.kore
    }
}

/// One page request (arguments already validated).
pub(crate) async fn fetch_page(
    kore: &Kore,
    page_size: u32,
    page_number: u32,
    client_type: Option<Open<ClientType>>,
) -> Result<Page> {
    let raw = kore
        .call(Operation::ListClient, |raw| {
            let mut request = raw
                .list_client()
                .page_size(page_size)
                .page_number(page_number);
            if let Some(client_type) = &client_type {
                request = request.client_type(client_type.clone());
            }
            request.send()
        })
        .await?;
    Ok(Page::from_raw(raw))
}
