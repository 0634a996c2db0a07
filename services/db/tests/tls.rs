//! TLS to the test PostgreSQL, as `sslmode` asks. Debian's PostgreSQL serves TLS with its
//! self-signed "snakeoil" certificate (CN and SAN `localhost`), which these tests trust as a root.

use natter_db::connect_without_migrating;

const SERVER: &str = "postgres@127.0.0.1:5432/postgres";
const BY_NAME: &str = "postgres@localhost:5432/postgres";

/// Whether the session of `url` is encrypted, as the server sees it.
async fn encrypted(url: &str) -> Result<bool, String> {
    let pool = connect_without_migrating(url, 1)
        .await
        .map_err(|e| e.to_string())?;
    let client = pool.get().await.map_err(|e| e.to_string())?;
    let row = client
        .query_one(
            "select ssl from pg_stat_ssl where pid = pg_backend_pid()",
            &[],
        )
        .await
        .map_err(|e| e.to_string())?;
    Ok(row.get(0))
}

/// The certificate the server presents (readable by anyone; its key is not).
async fn server_certificate() -> String {
    let pool = connect_without_migrating(&format!("postgres://{SERVER}"), 1)
        .await
        .expect("plain connection");
    let client = pool.get().await.expect("connection");
    let ssl: String = client.query_one("show ssl", &[]).await.unwrap().get(0);
    assert_eq!(
        ssl, "on",
        "the test PostgreSQL must serve TLS (Debian's default)"
    );
    client
        .query_one("show ssl_cert_file", &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn without_sslmode_the_connection_is_plain_as_before() {
    assert_eq!(encrypted(&format!("postgres://{SERVER}")).await, Ok(false));
    let disabled = format!("postgres://{SERVER}?sslmode=disable");
    assert_eq!(encrypted(&disabled).await, Ok(false));
}

#[tokio::test]
async fn sslmode_require_encrypts() {
    assert_eq!(
        encrypted(&format!("postgres://{SERVER}?sslmode=require")).await,
        Ok(true)
    );
}

#[tokio::test]
async fn verify_full_checks_the_chain_and_the_host_name() {
    let root = server_certificate().await;
    let by_name = format!("postgres://{BY_NAME}?sslmode=verify-full&sslrootcert={root}");
    assert_eq!(encrypted(&by_name).await, Ok(true));
    // The certificate names localhost, not 127.0.0.1: verify-full refuses, verify-ca accepts.
    let by_address = format!("postgres://{SERVER}?sslmode=verify-full&sslrootcert={root}");
    let refused = encrypted(&by_address).await.expect_err("wrong host name");
    assert!(refused.contains("not valid for name"), "{refused}");
    let chain_only = format!("postgres://{SERVER}?sslmode=verify-ca&sslrootcert={root}");
    assert_eq!(encrypted(&chain_only).await, Ok(true));
}

#[tokio::test]
async fn a_server_certificate_from_another_root_is_refused() {
    let root = std::env::temp_dir().join(format!("natter-other-root-{}.pem", std::process::id()));
    std::fs::write(&root, OTHER_ROOT).expect("root file written");
    let url = format!(
        "postgres://{BY_NAME}?sslmode=verify-full&sslrootcert={}",
        root.display()
    );
    let refused = encrypted(&url).await.expect_err("untrusted certificate");
    let _ = std::fs::remove_file(&root);
    assert!(refused.contains("UnknownIssuer"), "{refused}");
}

/// A self-signed root that signed nothing the server has (generated once for this test with
/// `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -subj /CN=natter-test-root
/// -days 36500`).
const OTHER_ROOT: &str = "-----BEGIN CERTIFICATE-----
MIIBjTCCATOgAwIBAgIUR1l61iPBOBrVmn6ZgWjT7YuRyBswCgYIKoZIzj0EAwIw
GzEZMBcGA1UEAwwQbmF0dGVyLXRlc3Qtcm9vdDAgFw0yNjEyMDEyMjI3MzJaGA8y
MTI2MTEwNzIyMjczMlowGzEZMBcGA1UEAwwQbmF0dGVyLXRlc3Qtcm9vdDBZMBMG
ByqGSM49AgEGCCqGSM49AwEHA0IABEDmbF79Ph+iO9/DKjCJH9vxdBAwNHB44PQj
NtQ3OZbjJJP88k/S9/5XhwcvE9lkqwjNBJ/iCM8nObeXNEmMkF6jUzBRMB0GA1Ud
DgQWBBSi7IvE3nf0JeosIYQYhmlWMdd1AzAfBgNVHSMEGDAWgBSi7IvE3nf0Jeos
IYQYhmlWMdd1AzAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIAii
QAlGYWtjjNKaGXlAkCyMOAzBxeIukEksFU7cKcFSAiEAxXkeBJBht6hUUF4bX9/O
oG8/SYRHtVZ3puigeJC7x/8=
-----END CERTIFICATE-----
";
