//! A TLS terminator in front of DynamoDB Local, so that functions reach it over HTTPS the
//! way they reach DynamoDB on AWS: the benchmark times the first handshake (and whatever
//! the TLS stack does on first use), and the tests prove the functions' HTTPS client and
//! trust store work. A throwaway CA, made at start, signs a certificate for `localhost`
//! and `127.0.0.1`; processes trust it through `SSL_CERT_FILE` (the Rust SDK's rustls
//! reads the native trust store, which honours it) and `AWS_CA_BUNDLE` (boto3).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

/// Why the terminator could not start.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The CA or the server certificate could not be made.
    #[error("cannot make the certificates: {0}")]
    Certificate(#[from] rcgen::Error),
    /// rustls refused the configuration.
    #[error("cannot configure TLS: {0}")]
    Config(#[from] rustls::Error),
    /// The upstream is not an `http://<ip>:<port>` endpoint.
    #[error("cannot put TLS in front of {0}: not http://<ip>:<port>")]
    Upstream(String),
    /// The trust bundle could not be written or the port opened.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Where the system's CA bundle usually is; the functions' bundle is it plus our CA, so
/// they load a store of realistic size, as they would on Lambda.
const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
];

/// The system's CA bundle file, if there is one.
pub fn system_bundle() -> Option<PathBuf> {
    SYSTEM_BUNDLES
        .iter()
        .map(PathBuf::from)
        .find(|path| path.is_file())
}

/// A running terminator: `https://localhost:<port>` → DynamoDB Local over plain TCP.
pub struct TlsTerminator {
    /// The endpoint URL functions are given.
    pub endpoint: String,
    /// The PEM file of the system's CAs plus ours (for `SSL_CERT_FILE` / `AWS_CA_BUNDLE`).
    pub ca_bundle: PathBuf,
    task: JoinHandle<()>,
}

impl TlsTerminator {
    /// Makes a CA and a server certificate (RSA 2048, as DynamoDB's), writes the trust
    /// bundle under `dir`, and starts forwarding connections to `upstream`, a plain-HTTP
    /// endpoint such as DynamoDB Local's `http://127.0.0.1:<port>`.
    ///
    /// # Errors
    /// When `upstream` is not `http://<ip>:<port>`, or the certificates cannot be made,
    /// the bundle written or a port opened.
    pub async fn start(upstream: &str, dir: &Path) -> Result<TlsTerminator, TlsError> {
        TlsTerminator::start_as(upstream, dir, "localhost", (Ipv4Addr::LOCALHOST, 0).into()).await
    }

    /// [`TlsTerminator::start`], but with a certificate for `host` (and `listen`'s address)
    /// and listening on `listen`: with a name such as `dynamodb.us-east-1.amazonaws.com`
    /// mapped to that address, a process reaches it by DynamoDB's real name (port 443
    /// gives an endpoint without a port, as the SDK's own). The endpoint is `https://host`.
    ///
    /// # Errors
    /// As [`TlsTerminator::start`].
    pub async fn start_as(
        upstream: &str,
        dir: &Path,
        host: &str,
        listen: SocketAddr,
    ) -> Result<TlsTerminator, TlsError> {
        let upstream: SocketAddr = upstream
            .strip_prefix("http://")
            .and_then(|address| address.trim_end_matches('/').parse().ok())
            .ok_or_else(|| TlsError::Upstream(upstream.to_owned()))?;
        let (ca_pem, chain, key) = certificates(host, listen.ip())?;
        std::fs::create_dir_all(dir)?;
        let mut bundle = SYSTEM_BUNDLES
            .iter()
            .find_map(|path| std::fs::read_to_string(path).ok())
            .unwrap_or_default();
        bundle.push('\n');
        bundle.push_str(&ca_pem);
        let ca_bundle = dir.join("ca-bundle.pem");
        std::fs::write(&ca_bundle, bundle)?;

        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(chain, key)?;
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind(listen).await?;
        let port = listener.local_addr()?.port();
        let endpoint = if port == 443 {
            format!("https://{host}")
        } else {
            format!("https://{host}:{port}")
        };
        let task = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let _ = forward(acceptor, client, upstream).await;
                });
            }
        });
        Ok(TlsTerminator {
            endpoint,
            ca_bundle,
            task,
        })
    }

    /// Stops accepting connections.
    pub fn stop(self) {
        self.task.abort();
    }
}

/// One client connection: the handshake, then bytes both ways until either side closes.
async fn forward(
    acceptor: TlsAcceptor,
    client: TcpStream,
    upstream: SocketAddr,
) -> std::io::Result<()> {
    client.set_nodelay(true)?;
    let mut tls = acceptor.accept(client).await?;
    let mut server = TcpStream::connect(upstream).await?;
    server.set_nodelay(true)?;
    tokio::io::copy_bidirectional(&mut tls, &mut server).await?;
    Ok(())
}

/// A CA (its PEM) and a certificate chain for a host name and address, with its key.
type Certificates = (String, Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

fn certificates(host: &str, address: IpAddr) -> Result<Certificates, TlsError> {
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "Bookshelf benchmark CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_key = KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256)?;
    let ca_cert = ca.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca, ca_key);

    let mut leaf = CertificateParams::new(vec![host.to_owned()])?;
    leaf.subject_alt_names.push(SanType::IpAddress(address));
    leaf.distinguished_name.push(DnType::CommonName, host);
    let leaf_key = KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256)?;
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer)?;

    let chain = vec![leaf_cert.der().clone(), ca_cert.der().clone()];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    Ok((ca_cert.pem(), chain, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn refuses_an_upstream_that_is_not_plain_http_to_an_address() {
        let dir = std::env::temp_dir().join(format!("tls-{}", uuid::Uuid::new_v4()));
        for upstream in [
            "https://127.0.0.1:8000",
            "http://localhost:8000",
            "127.0.0.1:8000",
        ] {
            let result = TlsTerminator::start(upstream, &dir).await;
            assert!(
                matches!(&result, Err(TlsError::Upstream(given)) if given == upstream),
                "{upstream}: {:?}",
                result.err()
            );
        }
    }
}
