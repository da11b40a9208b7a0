//! The `weigrid` binary against a grid registry that requires mutual TLS,
//! configured as the town centre would: a configuration file with the
//! https:// address, the CA, the CLI's certificate and key, and a token file
//! (no token on the command line).

use std::path::{Path, PathBuf};
use std::process::Command;

use grid_registry::testing::{TestApp, test_config, token};
use platform::auth::Role;
use platform::testing::unique_prefix;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use sqlx::PgPool;

/// A CA, a server certificate for 127.0.0.1 and a client certificate, in `dir`.
fn certificates(dir: &Path) -> [PathBuf; 5] {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::from_params(&ca_params, &ca_key);
    let issue = |name: &str| {
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(vec![name.to_owned()])
            .unwrap()
            .signed_by(&key, &issuer)
            .unwrap();
        (cert.pem(), key.serialize_pem())
    };
    let write = |file: &str, text: &str| {
        let path = dir.join(file);
        std::fs::write(&path, text).unwrap();
        path
    };
    let (server_cert, server_key) = issue("localhost");
    let (client_cert, client_key) = issue("town-centre-operator");
    [
        write("ca.pem", &ca_cert.pem()),
        write("server.pem", &server_cert),
        write("server.key", &server_key),
        write("client.pem", &client_cert),
        write("client.key", &client_key),
    ]
}

fn weigrid(config: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_weigrid"))
        .arg("--config")
        .arg(config)
        .args(args)
        // Nothing from the environment of whoever runs the tests.
        .env_remove("WEIGRID_TOKEN")
        .env_remove("WEIGRID_REGISTRY_URL")
        .output()
        .expect("the weigrid binary runs")
}

#[sqlx::test(migrations = false)]
async fn the_cli_reaches_a_service_over_mutual_tls_with_its_configuration_file(pool: PgPool) {
    let dir = std::env::temp_dir().join(format!("weigrid-cli-tls-{}", unique_prefix()));
    std::fs::create_dir_all(&dir).unwrap();
    let [ca, server_cert, server_key, client_cert, client_key] = certificates(&dir);
    let config = test_config(
        &unique_prefix(),
        &[
            ("GRPC__TLS__CERT_PATH", server_cert.display().to_string()),
            ("GRPC__TLS__KEY_PATH", server_key.display().to_string()),
            ("GRPC__TLS__CLIENT_CA_PATH", ca.display().to_string()),
        ],
    );
    let app = TestApp::spawn_with(pool, config).await;
    let token_file = dir.join("token");
    std::fs::write(&token_file, token(Role::TownOperator, None)).unwrap();
    let address = format!("https://{}", app.addr);
    let with_certificate = dir.join("config.toml");
    std::fs::write(
        &with_certificate,
        format!(
            "registry = \"{address}\"\ntls_domain = \"localhost\"\nca_cert = \"{}\"\ncert = \"{}\"\nkey = \"{}\"\ntoken_file = \"{}\"\n",
            ca.display(),
            client_cert.display(),
            client_key.display(),
            token_file.display()
        ),
    )
    .unwrap();
    let listed = tokio::task::spawn_blocking({
        let config = with_certificate.clone();
        move || weigrid(&config, &["grid", "list", "--output", "json"])
    })
    .await
    .unwrap();
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );

    // Without its certificate the CLI is turned away by TLS itself.
    let without_certificate = dir.join("no-cert.toml");
    std::fs::write(
        &without_certificate,
        format!(
            "registry = \"{address}\"\ntls_domain = \"localhost\"\nca_cert = \"{}\"\ntoken_file = \"{}\"\n",
            ca.display(),
            token_file.display()
        ),
    )
    .unwrap();
    let refused =
        tokio::task::spawn_blocking(move || weigrid(&without_certificate, &["grid", "list"]))
            .await
            .unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("CertificateRequired") || stderr.contains("--cert and --key"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
