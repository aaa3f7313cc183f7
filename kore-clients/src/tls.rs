//! Trust: the extra CA certificates a [`crate::Kore`] accepts, and telling a
//! certificate that was refused apart from a network that failed.
//!
//! A refused certificate is not a blip: the next handshake gets the same
//! certificate and the same verdict. So it is never retried (neither at the
//! token endpoint nor at the API), and [`Error::certificate`](crate::Error::certificate) names it, so that
//! callers (and the `kore` CLI) can say what to trust instead of "check the
//! network".

use std::fmt;
use std::path::PathBuf;

/// Where an extra trusted CA certificate comes from.
#[derive(Clone)]
pub(crate) enum CaSource {
    File(PathBuf),
    Pem(Vec<u8>),
}

impl fmt::Debug for CaSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaSource::File(path) => write!(f, "File({})", path.display()),
            CaSource::Pem(bytes) => write!(f, "Pem({} bytes)", bytes.len()),
        }
    }
}

/// Reads and checks every source: a file that cannot be read or does not hold
/// a certificate is a configuration error, found before anything is sent.
pub(crate) fn load_roots(sources: &[CaSource]) -> Result<Vec<reqwest::Certificate>, String> {
    let mut roots = Vec::new();
    for source in sources {
        let (what, pem) = match source {
            CaSource::File(path) => {
                let what = format!("the CA certificate file {}", path.display());
                let pem = std::fs::read(path).map_err(|e| format!("{what} cannot be read: {e}"))?;
                (what, pem)
            }
            CaSource::Pem(pem) => ("the CA certificate PEM".to_owned(), pem.clone()),
        };
        let found = parse_pem(&pem).map_err(|reason| format!("{what} {reason}"))?;
        roots.extend(found);
    }
    Ok(roots)
}

/// The certificates of a PEM bundle, or why there are none.
fn parse_pem(pem: &[u8]) -> Result<Vec<reqwest::Certificate>, String> {
    let not_pem = || {
        "holds no PEM certificate (a `-----BEGIN CERTIFICATE-----` block); give the CA's certificate in PEM form".to_owned()
    };
    let certificates = reqwest::Certificate::from_pem_bundle(pem)
        .map_err(|e| format!("is not a valid PEM certificate bundle: {e}"))?;
    if certificates.is_empty() {
        return Err(not_pem());
    }
    // reqwest hands rustls the DER unread; parse it now, so that a broken
    // block fails here and not as a TLS set-up error at the first call.
    #[cfg(all(feature = "rustls", not(feature = "native-tls")))]
    {
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject as _;
        for (index, der) in CertificateDer::pem_slice_iter(pem).enumerate() {
            let der = der.map_err(|e| format!("is not valid PEM: {e}"))?;
            rustls::RootCertStore::empty()
                .add(der)
                .map_err(|e| format!("holds an invalid certificate (number {}): {e}", index + 1))?;
        }
    }
    Ok(certificates)
}

/// What was wrong with a server's certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CertificateProblem {
    /// Not issued by a CA this client trusts: a private CA, or a proxy that
    /// inspects TLS with its own CA. Trust that CA
    /// ([`KoreBuilder::ca_cert_file`](crate::KoreBuilder::ca_cert_file)).
    UnknownIssuer,
    /// Its validity ended.
    Expired,
    /// Its validity has not begun (or this machine's clock is wrong).
    NotYetValid,
    /// Not issued for the host name (or address) of the URL.
    WrongHost,
    /// Revoked by its issuer.
    Revoked,
    /// Refused for another reason (a bad signature or encoding, a wrong purpose).
    Invalid,
}

impl fmt::Display for CertificateProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CertificateProblem::UnknownIssuer => "is not issued by a trusted CA (unknown issuer)",
            CertificateProblem::Expired => "has expired",
            CertificateProblem::NotYetValid => {
                "is not valid yet (or this machine's clock is wrong)"
            }
            CertificateProblem::WrongHost => "is not valid for this host name",
            CertificateProblem::Revoked => "has been revoked",
            CertificateProblem::Invalid => "is invalid",
        })
    }
}

/// A server certificate the TLS library refused: which host sent it, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateFailure {
    host: Option<String>,
    problem: CertificateProblem,
}

impl CertificateFailure {
    /// The host (and port, if not the scheme's) whose certificate was refused.
    pub fn host(&self) -> Option<&str> {
        self.host.as_deref()
    }

    /// What was wrong with it.
    pub fn problem(&self) -> CertificateProblem {
        self.problem
    }
}

impl fmt::Display for CertificateFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.host {
            Some(host) => write!(f, "the TLS certificate of {host} {}", self.problem),
            None => write!(f, "the server's TLS certificate {}", self.problem),
        }
    }
}

/// What a proxy's 407 means, in the SDK's words.
pub(crate) const PROXY_REFUSAL: &str = "the proxy refused the tunnel (HTTP 407: proxy authentication required); put the right credentials in the proxy URL (http://user:password@host:port)";

/// What to do about a refused certificate, in the SDK's words.
pub(crate) const SDK_ADVICE: &str = "if it is issued by a private CA (or a TLS-inspecting proxy's), trust that CA with `KoreBuilder::ca_cert_file` or KORE_CA_CERT (or SSL_CERT_FILE); else check the URL's host name";

/// The refused certificate in a token request's error chain, with its host.
pub(crate) fn certificate_in(
    source: &(dyn std::error::Error + 'static),
) -> Option<CertificateFailure> {
    let problem = problem_in(source)?;
    let host = chain(source)
        .find_map(|e| e.downcast_ref::<reqwest::Error>())
        .and_then(reqwest::Error::url)
        .map(host_of);
    Some(CertificateFailure { host, problem })
}

/// Whether a proxy refused the tunnel anywhere in `source`'s chain.
pub(crate) fn proxy_refusal_in(source: &(dyn std::error::Error + 'static)) -> bool {
    chain(source)
        .find_map(|e| e.downcast_ref::<reqwest::Error>())
        .is_some_and(is_proxy_refusal)
}

/// The refused certificate behind a reqwest error, if any.
pub(crate) fn failure_of(error: &reqwest::Error) -> Option<CertificateFailure> {
    Some(CertificateFailure {
        problem: problem_in(error)?,
        host: error.url().map(host_of),
    })
}

/// Whether a reqwest error is a refused certificate.
pub(crate) fn is_certificate(error: &reqwest::Error) -> bool {
    problem_in(error).is_some()
}

/// Whether the proxy refused the tunnel for want of (the right) credentials:
/// a 407, which the next attempt would get as well. hyper-util keeps its
/// tunnel error type private, so its message is what can be read.
pub(crate) fn is_proxy_refusal(error: &reqwest::Error) -> bool {
    chain(error).any(|e| e.to_string().ends_with("proxy authorization required"))
}

fn host_of(url: &reqwest::Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// An error and its causes.
pub(crate) fn chain<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(error), |e| e.source())
}

/// The certificate problem anywhere in `error`'s chain. An `io::Error` is
/// looked into as well: its `source()` skips the error it wraps, which is
/// where TLS libraries put their verdict.
fn problem_in(error: &(dyn std::error::Error + 'static)) -> Option<CertificateProblem> {
    chain(error).find_map(|e| {
        problem_of(e).or_else(|| {
            let wrapped = e.downcast_ref::<std::io::Error>()?.get_ref()?;
            problem_in(wrapped)
        })
    })
}

/// The verdict of the TLS library in use, if `error` is one.
#[allow(unused_variables)] // with neither TLS feature, there is no verdict to read
fn problem_of(error: &(dyn std::error::Error + 'static)) -> Option<CertificateProblem> {
    #[cfg(feature = "rustls")]
    if let Some(rustls::Error::InvalidCertificate(refused)) = error.downcast_ref::<rustls::Error>()
    {
        use rustls::CertificateError as E;
        return Some(match refused {
            E::UnknownIssuer => CertificateProblem::UnknownIssuer,
            E::Expired | E::ExpiredContext { .. } => CertificateProblem::Expired,
            E::NotValidYet | E::NotValidYetContext { .. } => CertificateProblem::NotYetValid,
            E::NotValidForName | E::NotValidForNameContext { .. } => CertificateProblem::WrongHost,
            E::Revoked => CertificateProblem::Revoked,
            _ => CertificateProblem::Invalid,
        });
    }
    #[cfg(feature = "native-tls")]
    if let Some(refused) = error.downcast_ref::<native_tls::Error>() {
        return openssl_verdict(&refused.to_string());
    }
    None
}

/// Reads the verification result OpenSSL appends to a failed handshake's
/// message (`X509_verify_cert_error_string`); native-tls exposes no code.
#[cfg(any(feature = "native-tls", test))]
fn openssl_verdict(message: &str) -> Option<CertificateProblem> {
    let message = message.to_ascii_lowercase();
    let has = |text: &str| message.contains(text);
    Some(
        if has("local issuer")
            || has("self-signed")
            || has("self signed")
            || has("issuer certificate")
            || has("verify the first certificate")
        {
            CertificateProblem::UnknownIssuer
        } else if has("certificate has expired") {
            CertificateProblem::Expired
        } else if has("not yet valid") {
            CertificateProblem::NotYetValid
        } else if has("hostname mismatch") || has("ip address mismatch") {
            CertificateProblem::WrongHost
        } else if has("certificate revoked") {
            CertificateProblem::Revoked
        } else if has("certificate verify failed") {
            CertificateProblem::Invalid
        } else {
            return None;
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openssl_verification_results_read_as_problems() {
        let issuer = "error:0A000086:SSL routines:tls_post_process_server_certificate:certificate verify failed:../ssl/statem/statem_clnt.c:1889: (unable to get local issuer certificate)";
        assert_eq!(
            openssl_verdict(issuer),
            Some(CertificateProblem::UnknownIssuer)
        );
        // Each as OpenSSL appends it to a failed handshake's message.
        for (result, problem) in [
            (
                "self-signed certificate in certificate chain",
                CertificateProblem::UnknownIssuer,
            ),
            ("certificate has expired", CertificateProblem::Expired),
            (
                "certificate is not yet valid",
                CertificateProblem::NotYetValid,
            ),
            ("Hostname mismatch", CertificateProblem::WrongHost),
            ("IP address mismatch", CertificateProblem::WrongHost),
            ("certificate revoked", CertificateProblem::Revoked),
            (
                "unsupported certificate purpose",
                CertificateProblem::Invalid,
            ),
        ] {
            let message = format!("certificate verify failed ({result})");
            assert_eq!(openssl_verdict(&message), Some(problem), "{message}");
        }
        assert_eq!(openssl_verdict("Connection reset by peer"), None);
    }

    #[test]
    fn a_file_that_is_not_a_certificate_is_a_configuration_error() {
        for junk in [
            &b"not a certificate"[..],
            b"",
            b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            // A certificate in name only.
            b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        ] {
            let error = load_roots(&[CaSource::Pem(junk.to_vec())]).unwrap_err();
            assert!(
                error.to_string().contains("the CA certificate PEM"),
                "{error}"
            );
        }
        let missing = PathBuf::from("/nonexistent/kore-ca.pem");
        let error = load_roots(&[CaSource::File(missing)]).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("the CA certificate file /nonexistent/kore-ca.pem cannot be read"),
            "{error}"
        );
    }

    #[test]
    fn problems_say_what_is_wrong() {
        let failure = CertificateFailure {
            host: Some("127.0.0.1:8443".into()),
            problem: CertificateProblem::UnknownIssuer,
        };
        assert_eq!(
            failure.to_string(),
            "the TLS certificate of 127.0.0.1:8443 is not issued by a trusted CA (unknown issuer)"
        );
    }
}
