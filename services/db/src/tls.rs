//! TLS to PostgreSQL as `DATABASE_URL` asks, with libpq's meaning of `sslmode`:
//!
//! | `sslmode` | encrypted | server certificate checked |
//! |---|---|---|
//! | absent, `disable` | no | - |
//! | `prefer` | if the server offers it | no |
//! | `require` | yes | no (unless `sslrootcert` is given: then as `verify-ca`) |
//! | `verify-ca` | yes | chain to `sslrootcert` |
//! | `verify-full` | yes | chain to `sslrootcert`, and the host name |
//!
//! `sslrootcert` names a PEM file of the trusted roots (for Amazon RDS, its CA bundle). Unlike
//! libpq, no `sslmode` means no TLS, as before this module. The connector is tokio-postgres-rustls
//! on rustls with the ring provider.

use std::sync::Arc;

use rustls::{
    ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
    client::{
        WebPkiServerVerifier,
        danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier},
    },
    crypto::{WebPkiSupportedAlgorithms, ring},
    pki_types::{CertificateDer, ServerName, UnixTime, pem::PemObject},
};
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::error::{DbError, DbResult};

/// A `DATABASE_URL` taken apart: the driver's settings, and the TLS connector when TLS is asked.
pub struct Target {
    pub config: tokio_postgres::Config,
    pub tls: Option<MakeRustlsConnect>,
}

/// How the server's certificate is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    Nothing,
    Chain,
    ChainAndName,
}

/// Parses a PostgreSQL URL, taking out `sslmode` and `sslrootcert` (which tokio-postgres does not
/// know in full) and building the connector they ask for.
pub fn parse(url: &str) -> DbResult<Target> {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut mode = None;
    let mut root = None;
    let mut rest = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "sslmode" => mode = Some(value.into_owned()),
            "sslrootcert" => root = Some(value.into_owned()),
            _ => {
                rest.append_pair(&key, &value);
            }
        }
    }
    let rest = rest.finish();
    let plain = if rest.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{rest}")
    };
    let mut config: tokio_postgres::Config = plain
        .parse()
        .map_err(|e: tokio_postgres::Error| DbError::Config(e.to_string()))?;
    let (ssl_mode, check) = match (mode.as_deref(), root.is_some()) {
        (None | Some("disable"), _) => {
            config.ssl_mode(SslMode::Disable);
            return Ok(Target { config, tls: None });
        }
        (Some("prefer"), _) => (SslMode::Prefer, Check::Nothing),
        (Some("require"), false) => (SslMode::Require, Check::Nothing),
        (Some("require" | "verify-ca"), true) => (SslMode::Require, Check::Chain),
        (Some("verify-full"), true) => (SslMode::Require, Check::ChainAndName),
        (Some(mode @ ("verify-ca" | "verify-full")), false) => {
            return Err(DbError::Config(format!(
                "sslmode={mode} needs sslrootcert=<PEM file of the trusted roots>"
            )));
        }
        (Some(other), _) => {
            return Err(DbError::Config(format!("unknown sslmode `{other}`")));
        }
    };
    config.ssl_mode(ssl_mode);
    let tls = connector(check, root.as_deref())?;
    Ok(Target {
        config,
        tls: Some(tls),
    })
}

fn connector(check: Check, root: Option<&str>) -> DbResult<MakeRustlsConnect> {
    let provider = Arc::new(ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| DbError::Config(format!("TLS set-up: {e}")))?;
    let config = if check == Check::Nothing {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(
                provider.signature_verification_algorithms,
            )))
            .with_no_client_auth()
    } else {
        let roots = Arc::new(load_roots(root.expect("a checked mode has a root file"))?);
        let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider)
            .build()
            .map_err(|e| DbError::Config(format!("sslrootcert: {e}")))?;
        let verifier: Arc<dyn ServerCertVerifier> = if check == Check::Chain {
            Arc::new(ChainOnly(webpki))
        } else {
            webpki
        };
        builder
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth()
    };
    Ok(MakeRustlsConnect::new(config))
}

fn load_roots(path: &str) -> DbResult<RootCertStore> {
    let unreadable = |e: rustls::pki_types::pem::Error| {
        DbError::Config(format!("sslrootcert {path} cannot be read: {e}"))
    };
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(path).map_err(unreadable)? {
        roots
            .add(cert.map_err(unreadable)?)
            .map_err(|e| DbError::Config(format!("sslrootcert {path}: {e}")))?;
    }
    if roots.is_empty() {
        return Err(DbError::Config(format!(
            "sslrootcert {path} holds no certificate"
        )));
    }
    Ok(roots)
}

/// `sslmode=require`/`prefer`: the channel is encrypted, the certificate is not checked (libpq's
/// meaning; use `verify-full` where an impostor on the network is a concern).
#[derive(Debug)]
struct AnyCertificate(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}

/// `sslmode=verify-ca`: the chain must lead to a trusted root; the host name is not compared.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        use rustls::{CertificateError, Error};
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslmode_and_sslrootcert_are_taken_out_of_the_url() {
        let plain = parse("postgres://u@h:5432/db?application_name=x").unwrap();
        assert!(plain.tls.is_none());
        assert_eq!(plain.config.get_application_name(), Some("x"));
        let required = parse("postgres://u@h/db?sslmode=require").unwrap();
        assert!(required.tls.is_some());
        assert_eq!(required.config.get_ssl_mode(), SslMode::Require);
        let missing_root = parse("postgres://u@h/db?sslmode=verify-full")
            .err()
            .unwrap();
        assert!(
            missing_root.to_string().contains("sslrootcert"),
            "{missing_root}"
        );
        let unknown = parse("postgres://u@h/db?sslmode=allow-maybe")
            .err()
            .unwrap();
        assert!(unknown.to_string().contains("allow-maybe"));
        let no_file = parse("postgres://u@h/db?sslmode=verify-full&sslrootcert=/nonexistent.pem");
        assert!(
            no_file
                .err()
                .unwrap()
                .to_string()
                .contains("/nonexistent.pem")
        );
    }
}
