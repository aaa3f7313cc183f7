//! HTTPS for the mock: a private CA made at start, the server certificates it
//! issues, and the TLS side of each accepted connection.
//!
//! KORE is only reachable over HTTPS, often through corporate CAs; a client under
//! test should be tested the same way. [`TestCa`] is a throw-away CA (its key never
//! leaves the process) whose PEM a client trusts; [`ServerIdentity`] is a
//! certificate and key it issued, for `localhost`/`127.0.0.1` or for other names,
//! current or expired, so tests can also provoke each certificate failure.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// The names a generated server certificate is valid for: what the mock's URLs name.
pub const SERVER_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// A private certificate authority that lives as long as this value.
///
/// ```
/// use kore_mock::tls::TestCa;
///
/// let ca = TestCa::new().unwrap();
/// assert!(ca.cert_pem().starts_with("-----BEGIN CERTIFICATE-----"));
/// let server = ca.issue(&["localhost", "127.0.0.1"]).unwrap();
/// assert_eq!(server.ca_pem(), ca.cert_pem());
/// ```
pub struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    cert_pem: String,
}

impl fmt::Debug for TestCa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestCa").finish_non_exhaustive()
    }
}

impl TestCa {
    /// Generates a CA named "kore-mock test CA" with a fresh key.
    ///
    /// # Errors
    /// Key generation or signing failed (the crypto library's error).
    pub fn new() -> io::Result<Self> {
        let mut params = CertificateParams::new(Vec::<String>::new()).map_err(io::Error::other)?;
        params
            .distinguished_name
            .push(DnType::CommonName, "kore-mock test CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let key = KeyPair::generate().map_err(io::Error::other)?;
        let cert = params.self_signed(&key).map_err(io::Error::other)?;
        Ok(Self {
            issuer: Issuer::new(params, key),
            cert_pem: cert.pem(),
        })
    }

    /// The CA certificate in PEM: what a client adds to its trusted roots.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// A server certificate for `names` (DNS names or IP addresses), valid now.
    ///
    /// # Errors
    /// A name that is neither a DNS name nor an IP address, or signing failed.
    pub fn issue(&self, names: &[&str]) -> io::Result<ServerIdentity> {
        self.issue_with(names, |_| {})
    }

    /// A server certificate for `names` that expired in 2021, for testing how a
    /// client reports an expired certificate.
    ///
    /// # Errors
    /// As for [`issue`](Self::issue).
    pub fn issue_expired(&self, names: &[&str]) -> io::Result<ServerIdentity> {
        self.issue_with(names, |params| {
            params.not_before = rcgen::date_time_ymd(2020, 1, 1);
            params.not_after = rcgen::date_time_ymd(2021, 1, 1);
        })
    }

    /// A server certificate for `names` valid only from 2100 on, for testing how a
    /// client reports a certificate that is not valid yet (or a clock that is wrong).
    ///
    /// # Errors
    /// As for [`issue`](Self::issue).
    pub fn issue_not_yet_valid(&self, names: &[&str]) -> io::Result<ServerIdentity> {
        self.issue_with(names, |params| {
            params.not_before = rcgen::date_time_ymd(2100, 1, 1);
            params.not_after = rcgen::date_time_ymd(2101, 1, 1);
        })
    }

    fn issue_with(
        &self,
        names: &[&str],
        adjust: impl FnOnce(&mut CertificateParams),
    ) -> io::Result<ServerIdentity> {
        let names: Vec<String> = names.iter().map(|name| (*name).to_owned()).collect();
        let mut params = CertificateParams::new(names).map_err(io::Error::other)?;
        params
            .distinguished_name
            .push(DnType::CommonName, "kore-mock");
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        adjust(&mut params);
        let key = KeyPair::generate().map_err(io::Error::other)?;
        let cert = params
            .signed_by(&key, &self.issuer)
            .map_err(io::Error::other)?;
        Ok(ServerIdentity {
            chain: vec![cert.der().clone()],
            key: Arc::new(key.serialize_der()),
            ca_pem: self.cert_pem.clone(),
        })
    }
}

/// A server certificate, its private key, and the PEM of the CA that issued it.
#[derive(Clone)]
pub struct ServerIdentity {
    chain: Vec<CertificateDer<'static>>,
    key: Arc<Vec<u8>>,
    ca_pem: String,
}

impl fmt::Debug for ServerIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerIdentity")
            .field("certificates", &self.chain.len())
            .field("key", &"[redacted]")
            .finish()
    }
}

impl ServerIdentity {
    /// The PEM of the CA that issued this certificate.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The rustls acceptor serving this certificate over HTTP/1.1.
    pub(crate) fn acceptor(&self) -> io::Result<tokio_rustls::TlsAcceptor> {
        // Named explicitly: the process-wide default provider may be unset, or
        // set to another one by whoever else links rustls.
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.as_ref().clone()));
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(io::Error::other)?
            .with_no_client_auth()
            .with_single_cert(self.chain.clone(), key)
            .map_err(io::Error::other)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
    }
}

/// One accepted connection, in clear text or TLS. The TLS handshake runs on the
/// connection's first read or write, inside the connection's own task, so a peer
/// that stalls its handshake holds up nobody else's.
pub(crate) enum Conn {
    Plain(TcpStream),
    Handshaking(Box<tokio_rustls::Accept<TcpStream>>),
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
    /// The handshake failed (an untrusting client hung up, or it spoke clear text).
    Failed,
}

impl Conn {
    /// Finishes the handshake, if one is under way.
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Conn::Handshaking(accept) = self {
            let handshake = ready!(Pin::new(accept.as_mut()).poll(cx));
            *self = match handshake {
                Ok(stream) => Conn::Tls(Box::new(stream)),
                Err(error) => {
                    *self = Conn::Failed;
                    return Poll::Ready(Err(error));
                }
            };
        }
        match self {
            Conn::Failed => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "the TLS handshake failed",
            ))),
            _ => Poll::Ready(Ok(())),
        }
    }

    /// The ready stream; only after [`Conn::poll_ready`] succeeded.
    fn stream(&mut self) -> Pin<&mut (dyn AsyncReadWrite + Unpin)> {
        match self {
            Conn::Plain(stream) => Pin::new(stream),
            Conn::Tls(stream) => Pin::new(stream.as_mut()),
            Conn::Handshaking(_) | Conn::Failed => unreachable!("polled before it was ready"),
        }
    }
}

trait AsyncReadWrite: AsyncRead + AsyncWrite {}
impl<T: AsyncRead + AsyncWrite> AsyncReadWrite for T {}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_ready(cx))?;
        this.stream().poll_read(cx, buf)
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_ready(cx))?;
        this.stream().poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_ready(cx))?;
        this.stream().poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_ready(cx))?;
        this.stream().poll_shutdown(cx)
    }
}
