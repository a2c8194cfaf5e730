//! gRPC over TLS, as public nodes serve it: a client reaches an `https://` endpoint whose
//! certificate chains to a CA it trusts (Mozilla's roots, or a `ca_file`), and refuses one it
//! cannot check; a plaintext client cannot talk to it.

use loopin_chain_client::{ChainClient, ChainConfig, ChainQuerier, ClientError};
use loopin_chain_tests::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_https_endpoint_is_reached_over_tls_with_a_trusted_ca_only() {
    let home = fresh_home("tls");
    std::fs::create_dir_all(&home).unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert_pem, key_pem) = (home.join("cert.pem"), home.join("key.pem"));
    std::fs::write(&cert_pem, cert.cert.pem()).unwrap();
    std::fs::write(&key_pem, cert.key_pair.serialize_pem()).unwrap();

    let node = loopin_devnet::start(loopin_devnet::Config {
        home: home.join("chain"),
        grpc_addr: "127.0.0.1:0".into(),
        block_time_ms: 100,
        accounts: vec![loopin_devnet::GenesisAccount {
            address: address(1),
            amount: FUNDS,
        }],
        tls_cert: Some(cert_pem.clone()),
        tls_key: Some(key_pem),
        ..loopin_devnet::Config::default()
    })
    .await
    .expect("devnet over TLS");
    let port = node.grpc_url().rsplit(':').next().unwrap().to_string();
    let https = ChainConfig {
        grpc: format!("https://localhost:{port}"),
        ca_file: Some(cert_pem.clone()),
        poll_interval_ms: 25,
        ..ChainConfig::default()
    };

    // Trusting the node's CA: queries and a signed transaction go through.
    let client = ChainClient::connect(https.clone(), key(1))
        .await
        .expect("TLS");
    client
        .bank_send(&address(2), 5)
        .await
        .expect("send over TLS");
    assert_eq!(client.balance(&address(2), DENOM).await.unwrap(), 5);

    // Without that CA (Mozilla's roots only): the handshake fails, nothing is sent.
    let untrusted = ChainConfig {
        ca_file: None,
        ..https.clone()
    };
    let err = ChainQuerier::connect(untrusted)
        .await
        .err()
        .expect("refused");
    assert!(matches!(err, ClientError::Transport(_)), "{err}");

    // Plaintext to a TLS port: refused.
    let plain = ChainConfig {
        grpc: format!("http://127.0.0.1:{port}"),
        ca_file: None,
        ..https.clone()
    };
    assert!(ChainQuerier::connect(plain).await.is_err());

    // A CA file for a plaintext endpoint is a configuration error, caught before connecting.
    let mixed = ChainConfig {
        grpc: format!("http://127.0.0.1:{port}"),
        ..https
    };
    let err = ChainQuerier::connect(mixed).await.err().expect("refused");
    assert!(
        matches!(err, ClientError::Config(ref m) if m.contains("not an https")),
        "{err}"
    );

    node.stop().await;
    let _ = std::fs::remove_dir_all(home);
}
