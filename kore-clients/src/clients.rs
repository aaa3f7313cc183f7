//! The API-clients resource: `kore.clients().list() / get() / create()`.

use futures::{Stream, TryStreamExt as _};

use crate::Kore;
use crate::error::{Error, Operation, Result, UndecodedCreate};
use crate::models::{Client, CreatedClient, NewClient};
use crate::paginate::ListClients;

/// The API clients of the account. Get one with [`Kore::clients`].
#[derive(Debug, Clone, Copy)]
pub struct Clients<'a> {
    kore: &'a Kore,
}

impl Kore {
    /// The API clients of the account: list, get, create.
    pub fn clients(&self) -> Clients<'_> {
        Clients { kore: self }
    }
}

impl Clients<'_> {
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
    /// - KORE answered with success but the secret or the new client's id
    ///   cannot be read from the answer (another shape, a missing field, cut
    ///   off, not JSON): [`Error::CreatedButUndecodable`] keeps the raw
    ///   answer, secret included, and says what was missing.
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
        CreatedClient::from_raw(created).map_err(|not_created| match answer {
            Some(answer) => Error::CreatedButUndecodable {
                created: answer.into_parts().0,
                reason: not_created.reason.into(),
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
