//! A real wasmd network on loopback: four validators keep making blocks with one of them killed,
//! the killed one catches up when restarted, and a stopped network resumes its state.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use loopin_chain_client::{ChainClient, ChainQuerier, Key};
use loopin_localnet::{Account, NetError, Network, Outage, Spec};

const PREFIX: &str = "loopin";

fn home(name: &str) -> std::path::PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "loopin-localnet-{name}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn spec(name: &str, validators: usize, base_port: u16) -> Spec {
    Spec {
        validators,
        accounts: vec![Account {
            address: Key::development(1, PREFIX).unwrap().address.to_string(),
            amount: 1_000_000_000,
        }],
        ..Spec::single(
            loopin_localnet::wasmd_path(),
            home(name),
            "loopin-local-1",
            base_port,
        )
    }
}

async fn height_of(spec: &Spec, node: usize) -> i64 {
    let querier = ChainQuerier::connect(spec.chain_config(node, PREFIX))
        .await
        .expect("node serves gRPC");
    querier.latest_block().await.expect("latest block").0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_validators_keep_the_quorum_with_one_killed_and_it_catches_up() {
    let spec = spec("quorum", 4, 28600);
    let mut network = Network::start(spec.clone()).await.expect("network starts");

    // While validator 3 is down (the planned outage of the main job), a transfer is committed
    // through validator 0.
    let client = ChainClient::connect(
        spec.chain_config(0, PREFIX),
        Key::development(1, PREFIX).unwrap(),
    )
    .await
    .unwrap();
    let to = Key::development(2, PREFIX).unwrap().address.to_string();
    let transfer = tokio::spawn({
        let to = to.clone();
        async move {
            tokio::time::sleep(Duration::from_secs(2)).await;
            client.bank_send(&to, 1_234).await
        }
    });
    let outage = Outage {
        node: 3,
        after: Duration::ZERO,
        down: Duration::from_secs(8),
    };
    let record = outage.run(&mut network).await.expect("the outage runs");
    let sent = transfer.await.unwrap().expect("send with 3 of 4");

    // Three of four validators hold more than two thirds of the power: blocks went on.
    assert!(record.blocks_while_down >= 5, "{record:?}");
    assert!(
        sent.height > record.killed_at_height && sent.height <= record.restarted_at_height,
        "the transfer at {} was made while validator 3 was down: {record:?}",
        sent.height
    );
    // It caught up, and replayed the block with the transfer.
    assert!(record.caught_up_height >= record.restarted_at_height);
    assert!(network.is_running(3));
    let node3 = ChainQuerier::connect(spec.chain_config(3, PREFIX))
        .await
        .unwrap();
    assert_eq!(node3.balance(&to, "uloop").await.unwrap(), 1_234);
    assert!(height_of(&spec, 3).await >= record.caught_up_height);

    // An outage of a validator the network does not have is refused.
    let missing = Outage { node: 4, ..outage };
    assert!(matches!(
        missing.run(&mut network).await,
        Err(NetError::Spec(_))
    ));
    network.stop().await;
    let _ = std::fs::remove_dir_all(&spec.home);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_network_resumes_its_state() {
    let spec = spec("resume", 1, 28700);
    let network = Network::start(spec.clone()).await.expect("network starts");
    let client = ChainClient::connect(
        spec.chain_config(0, PREFIX),
        Key::development(1, PREFIX).unwrap(),
    )
    .await
    .unwrap();
    let to = Key::development(3, PREFIX).unwrap().address.to_string();
    client.bank_send(&to, 777).await.expect("send");
    let before = height_of(&spec, 0).await;
    network.stop().await;

    // Same home: no new genesis, the chain goes on from where it stopped.
    assert!(!loopin_localnet::init(&spec).await.unwrap());
    let network = Network::start(spec.clone())
        .await
        .expect("network restarts");
    assert!(height_of(&spec, 0).await > before);
    let querier = ChainQuerier::connect(spec.chain_config(0, PREFIX))
        .await
        .unwrap();
    assert_eq!(querier.balance(&to, "uloop").await.unwrap(), 777);
    network.stop().await;
    let _ = std::fs::remove_dir_all(&spec.home);
}

#[tokio::test]
async fn a_bad_spec_is_refused_before_anything_is_written() {
    let mut bad = spec("bad", 0, 28800);
    let err = loopin_localnet::init(&bad).await.unwrap_err();
    assert!(
        matches!(err, NetError::Spec(ref m) if m.contains("1..=32")),
        "{err}"
    );
    bad.validators = 1;
    bad.wasmd = "/nonexistent/wasmd".into();
    let err = loopin_localnet::init(&bad).await.unwrap_err();
    assert!(matches!(err, NetError::NoWasmd(_)), "{err}");
    bad.wasmd = loopin_localnet::wasmd_path();
    bad.base_port = 65_530;
    let err = loopin_localnet::init(&bad).await.unwrap_err();
    assert!(
        matches!(err, NetError::Spec(ref m) if m.contains("no room")),
        "{err}"
    );
    assert!(!bad.home.exists());

    // A directory that holds something else is never deleted.
    let other = spec("not-ours", 1, 28900);
    std::fs::create_dir_all(&other.home).unwrap();
    std::fs::write(other.home.join("precious.txt"), b"keep me").unwrap();
    let err = loopin_localnet::init(&other).await.unwrap_err();
    assert!(
        matches!(err, NetError::Spec(ref m) if m.contains("not empty")),
        "{err}"
    );
    assert!(other.home.join("precious.txt").exists());
    let _ = std::fs::remove_dir_all(&other.home);
}
