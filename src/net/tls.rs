//! TLS settings for the loop (rustls with the ring provider): server
//! certificates from PEM files or made at start (rcgen), and client
//! verification against the webpki roots, a CA file, or nothing
//! (`--insecure`). The loop wraps a connection's bytes in a
//! [`rustls::Connection`]; sessions never see TLS, only plaintext.

use std::path::Path;
use std::sync::Arc;

use pki_types::pem::PemObject;
use pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::ring as provider;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, ServerConfig, SignatureScheme};

/// A server's TLS identity, ready for handshakes.
#[derive(Clone)]
pub struct ServerTls {
    /// The rustls configuration shared by every connection.
    pub config: Arc<ServerConfig>,
    /// SHA-256 of the leaf certificate (DER), as `AB:CD:...`.
    pub fingerprint: String,
}

impl ServerTls {
    /// A server-side TLS connection for one accepted socket.
    pub fn accept(&self) -> Option<rustls::Connection> {
        rustls::ServerConnection::new(self.config.clone())
            .ok()
            .map(rustls::Connection::Server)
    }
}

/// What a client needs for its handshakes: the configuration and the name
/// the server's certificate must carry.
#[derive(Clone)]
pub struct ClientTls {
    /// The rustls configuration (roots or `--insecure`).
    pub config: Arc<ClientConfig>,
    /// The `--server` host.
    pub name: ServerName<'static>,
}

impl ClientTls {
    /// A client-side TLS connection for one outbound socket.
    pub fn connect(&self) -> Option<rustls::Connection> {
        rustls::ClientConnection::new(self.config.clone(), self.name.clone())
            .ok()
            .map(rustls::Connection::Client)
    }
}

/// Colon-separated upper-case hex SHA-256 of `der`, as browsers and
/// `openssl x509 -fingerprint -sha256` show certificates.
pub fn fingerprint(der: &[u8]) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, der);
    d.as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Why a TLS identity or client configuration could not be made (the
/// message says which file and what to do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsError(pub String);

impl std::fmt::Display for TlsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TlsError {}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(provider::default_provider())
}

fn server_config(
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<ServerTls, TlsError> {
    let fingerprint = certs.first().map(|c| fingerprint(c)).unwrap_or_default();
    let config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError(format!("TLS setup: {e}")))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| TlsError(format!("the certificate and key do not go together: {e}")))?;
    Ok(ServerTls {
        config: Arc::new(config),
        fingerprint,
    })
}

/// Loads a PEM certificate chain and private key (`--tls-cert`, `--tls-key`).
pub fn server_from_files(cert: &Path, key: &Path) -> Result<ServerTls, TlsError> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| {
            TlsError(format!(
                "cannot read certificates from {}: {e}",
                cert.display()
            ))
        })?
        .collect::<Result<_, _>>()
        .map_err(|e| {
            TlsError(format!(
                "cannot read certificates from {}: {e}",
                cert.display()
            ))
        })?;
    if certs.is_empty() {
        return Err(TlsError(format!(
            "{} holds no PEM certificate",
            cert.display()
        )));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| {
        TlsError(format!(
            "cannot read a private key from {}: {e}",
            key.display()
        ))
    })?;
    server_config(certs, key)
}

/// A certificate for `hostname` (and localhost, 127.0.0.1, ::1) made now
/// (`--tls-self-signed`); clients must skip verification or pin its
/// fingerprint.
pub fn server_self_signed(hostname: &str) -> Result<ServerTls, TlsError> {
    let mut names = vec![hostname.to_owned()];
    for n in ["localhost", "127.0.0.1", "::1"] {
        if !names.iter().any(|x| x == n) {
            names.push(n.to_owned());
        }
    }
    let made = rcgen::generate_simple_self_signed(names)
        .map_err(|e| TlsError(format!("cannot make a certificate: {e}")))?;
    let cert = made.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(made.signing_key.serialize_der().into());
    server_config(vec![cert], key)
}

/// How a client checks the server's certificate.
#[derive(Debug, Clone)]
pub enum Verify {
    /// Against the Mozilla roots (webpki-roots) and the server name.
    Roots,
    /// Against the certificates in a PEM file (`--ca-file`).
    CaFile(std::path::PathBuf),
    /// Not at all (`--insecure`): the connection is encrypted but the
    /// server unauthenticated.
    Insecure,
}

/// A client configuration for `verify`.
pub fn client_config(verify: &Verify) -> Result<Arc<ClientConfig>, TlsError> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError(format!("TLS setup: {e}")))?;
    let config = match verify {
        Verify::Insecure => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerify(provider())))
            .with_no_client_auth(),
        Verify::Roots | Verify::CaFile(_) => {
            let mut roots = RootCertStore::empty();
            if let Verify::CaFile(path) = verify {
                for c in CertificateDer::pem_file_iter(path).map_err(|e| {
                    TlsError(format!("cannot read --ca-file {}: {e}", path.display()))
                })? {
                    let c = c.map_err(|e| {
                        TlsError(format!("cannot read --ca-file {}: {e}", path.display()))
                    })?;
                    roots
                        .add(c)
                        .map_err(|e| TlsError(format!("--ca-file {}: {e}", path.display())))?;
                }
            } else {
                roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
    };
    Ok(Arc::new(config))
}

/// The name a client checks the certificate against: the `--server` host.
pub fn server_name(host: &str) -> Result<ServerName<'static>, TlsError> {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(h.to_owned())
        .map_err(|_| TlsError(format!("{host:?} is not a valid TLS server name")))
}

/// The `--insecure` verifier: accepts any certificate, still checks the
/// handshake signatures (so the peer holds the key it presents).
#[derive(Debug)]
struct NoVerify(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_signed_and_insecure_client_configs_build() {
        let s = server_self_signed("mail.example").unwrap();
        assert_eq!(s.fingerprint.len(), 32 * 3 - 1);
        client_config(&Verify::Insecure).unwrap();
        client_config(&Verify::Roots).unwrap();
        assert!(server_name("127.0.0.1").is_ok());
        assert!(server_name("mail.example").is_ok());
    }
}
