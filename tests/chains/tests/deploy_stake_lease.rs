//! End to end on the real compiled contracts, on the devnet and on a real wasmd node:
//! `loopin-deploy`, then a miner stakes and registers its device, a client leases through the
//! chain client with signed transactions, an epoch passes and is advanced; the chain restarts
//! from its store (the devnet without its compiled-module cache) and serves the same state.

use std::path::PathBuf;

use cosmwasm_std::{Decimal, HexBinary, Uint128, to_json_binary};
use loopin::factory::{EmissionConfig, TokenInit};
use loopin::pair::{self, LeaseResponse, PoolResponse, ReceiveMsg};
use loopin::pool::PoolParams;
use loopin::stake_cert::StakeMode;
use loopin::token;
use loopin_chain_client::{ChainClient, ChainConfig};
use loopin_deploy::{ClassConfig, DeployConfig, Deployer, Deployment};
use loopin_pool_math::HOUR;
use loopin_pool_math::amm::Swap;
use loopin_pool_math::economics::Economics;

use loopin_chain_tests::*;

const LOOP: u128 = 1_000_000;
const RICH: u128 = 1_000_000 * LOOP;

/// The pools' epoch: an hour on the devnet (its clock is fast-forwarded), 20 s of real time on
/// wasmd.
fn epoch(kind: Kind) -> u64 {
    match kind {
        Kind::Devnet => 3_600,
        Kind::Wasmd { .. } => 20,
    }
}

/// `artifacts/` (or `$LOOPIN_ARTIFACTS`), built with scripts/build-contracts.sh if missing.
fn artifacts() -> PathBuf {
    let dir = std::env::var_os("LOOPIN_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../artifacts"));
    let missing = loopin_deploy::CONTRACTS
        .iter()
        .any(|name| !dir.join(format!("{name}.wasm")).exists());
    if missing {
        let script =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/build-contracts.sh");
        let status = std::process::Command::new(script)
            .status()
            .expect("running scripts/build-contracts.sh");
        assert!(status.success(), "scripts/build-contracts.sh failed");
    }
    dir
}

fn deploy_config(chain: &ChainConfig, epoch: u64, deployer: u8, funded: &[String]) -> DeployConfig {
    DeployConfig {
        chain: chain.clone(),
        deployer: Deployer {
            mnemonic: Some(loopin_chain_client::Key::mnemonic_from_entropy(
                [deployer; 32],
            )),
            key_file: None,
            hd_path: None,
        },
        artifacts: artifacts(),
        owner: None,
        admin: None,
        min_delay: Some(0),
        token: TokenInit {
            name: "LooPIN".into(),
            symbol: "LOOP".into(),
            decimals: 6,
            initial_balances: funded
                .iter()
                .map(|a| cw20::Cw20Coin {
                    address: a.clone(),
                    amount: Uint128::new(RICH),
                })
                .collect(),
            cap: None,
            marketing: None,
        },
        emission: EmissionConfig {
            cap_per_epoch: Uint128::new(1_000 * LOOP),
            epoch_seconds: epoch,
        },
        // The devnet's registry: only a device it registered supplies hours.
        registry: DeployConfig::devnet(chain, deployer, &[])
            .expect("devnet.toml")
            .registry,
        classes: vec![ClassConfig {
            name: "h100".into(),
            params: PoolParams {
                economics: Economics {
                    // Per hour of rate: scaled to the epoch so that T_min is the same
                    // number of epochs (3) on both chains.
                    alpha: Decimal::from_ratio(LOOP * u128::from(epoch), 3_600u128),
                    beta: Decimal::from_ratio(LOOP / 10, 1u128),
                    gamma: Decimal::from_ratio(LOOP / 2, 1u128),
                },
                exchange_fee: Decimal::permille(3),
                epoch_seconds: epoch,
                min_epochs: 3,
                max_epochs: 200,
                seller_deposit: Uint128::new(LOOP),
                dispute_epochs: 0,
                // A quarter of an epoch's hours at most (20 s epochs supply 5,555 µh).
                min_lease_hours: Uint128::new(
                    loopin::pool::DEFAULT_MIN_LEASE_HOURS.min(HOUR * u128::from(epoch) / 3_600 / 4),
                ),
                min_rate: loopin::pool::DEFAULT_MIN_RATE,
                max_rate: loopin::pool::DEFAULT_MAX_RATE,
                min_proof_bytes: loopin::pool::DEFAULT_MIN_PROOF_BYTES,
                min_proof_rounds: loopin::pool::DEFAULT_MIN_PROOF_ROUNDS,
                min_passes_per_epoch: loopin::pool::DEFAULT_MIN_PASSES_PER_EPOCH,
                pass_grace_seconds: 0,
                lateness_quorum: 0,
                gemm: None,
            },
            create_pool: true,
        }],
        output: None,
        chain_json: None,
        assetlist: None,
        chain_registry: None,
    }
}

async fn loop_balance(client: &ChainClient, token: &str, who: &str) -> u128 {
    let answer: cw20::BalanceResponse = client
        .query_smart(
            token,
            &token::QueryMsg::Balance {
                address: who.to_string(),
            },
        )
        .await
        .expect("balance query");
    answer.balance.u128()
}

async fn send_hook(client: &ChainClient, d: &Deployment, amount: u128, msg: &ReceiveMsg) {
    let send = token::ExecuteMsg::Send {
        contract: d.pools["h100"].clone(),
        amount: Uint128::new(amount),
        msg: to_json_binary(msg).expect("hook json"),
    };
    client
        .execute(&d.token, &send, &[])
        .await
        .expect("send with hook");
}

/// The test device's key (compressed) and its registration for `staker` in `pair`.
fn device_registration(pair: &str, staker: &str) -> loopin::device::Registration {
    let key = k256::ecdsa::SigningKey::from_slice(&[0x42; 32]).expect("a valid key");
    let pubkey = key.verifying_key().to_encoded_point(true);
    loopin::device::Registration::encode(
        pubkey.as_bytes(),
        staker,
        pair,
        b"randomness",
        loopin_pocps::encode::Params::TEST,
    )
}

/// A Stake hook of one test device (rate 1), named by its key's id and signed by that key over
/// the stake's claim, as the pair requires (`loopin::device`).
fn device_stake(
    chain_id: &str,
    pair: &str,
    staker: &str,
    mode: StakeMode,
    epochs: u64,
) -> ReceiveMsg {
    use k256::ecdsa::{Signature, SigningKey, signature::hazmat::PrehashSigner};
    let key = SigningKey::from_slice(&[0x42; 32]).expect("a valid key");
    let pubkey = key
        .verifying_key()
        .to_encoded_point(true)
        .as_bytes()
        .to_vec();
    let device_id = loopin::device::device_id(&pubkey);
    let commitment = device_registration(pair, staker).digest();
    let claim = loopin::device::StakeClaim {
        chain_id,
        pair,
        device_id: &device_id,
        staker,
        commitment: &commitment,
        mode,
        rate: Decimal::one(),
        epochs,
    };
    let signature: Signature = key.sign_prehash(&claim.message()).expect("a 32-byte hash");
    ReceiveMsg::Stake {
        device_id,
        mode,
        rate: Decimal::one(),
        epochs,
        commitment,
        max_liquidity: None,
        device_key: HexBinary::from(pubkey),
        device_signature: HexBinary::from(signature.to_bytes().to_vec()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploy_stake_lease_restart_on_the_devnet() {
    deploy_stake_lease_restart(Kind::Devnet).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploy_stake_lease_restart_on_wasmd() {
    deploy_stake_lease_restart(Kind::Wasmd { base_port: 29700 }).await;
}

async fn deploy_stake_lease_restart(kind: Kind) {
    let mut chain = Chain::start(kind, "e2e", &[1, 2, 3]).await;
    let epoch = epoch(kind);
    let (deployer, miner, client) = (
        chain.client(1).await,
        chain.client(2).await,
        chain.client(3).await,
    );
    let miner_addr = miner.address().to_string();
    let client_addr = client.address().to_string();

    let d = loopin_deploy::deploy(
        &deploy_config(
            &chain.chain_config(),
            epoch,
            1,
            &[miner_addr.clone(), client_addr.clone()],
        ),
        &deployer,
    )
    .await
    .expect("deploy");
    eprintln!("deployment: {d:#?}");
    assert_eq!(d.code_ids.len(), loopin_deploy::CONTRACTS.len());
    // Uploaded gzipped; the chain inflated them and reports each artifact's own checksum.
    let listed = std::fs::read_to_string(artifacts().join("checksums.txt")).unwrap();
    for (name, checksum) in &d.checksums {
        assert!(
            listed.contains(&format!("{checksum}  ./{name}.wasm")),
            "{name}: {checksum} not in artifacts/checksums.txt"
        );
    }
    assert_eq!(d.checksums.len(), loopin_deploy::CONTRACTS.len());
    let pair_addr = d.pools["h100"].clone();
    let info = deployer.contract_info(&pair_addr).await.expect("pair info");
    assert_eq!(info.code_id, d.code_ids["loopin_pair"]);
    assert_eq!(info.creator, d.factory, "the factory instantiated the pair");

    // A liquidity-provider miner stakes 10 epochs with the fee (alpha for rate 1) + 10 LOOP of
    // liquidity.
    let fee = (LOOP * u128::from(epoch)).div_ceil(3_600);
    send_hook(
        &miner,
        &d,
        fee + 10 * LOOP,
        &device_stake(
            CHAIN_ID,
            &pair_addr,
            &miner_addr,
            StakeMode::LiquidityProvider,
            10,
        ),
    )
    .await;
    assert_eq!(
        loop_balance(&miner, &d.token, &miner_addr).await,
        RICH - fee - 10 * LOOP
    );
    // The miner registers the device with the registry, which tells the pair: its hours may be
    // leased from now on.
    let registry = d.registry.clone().expect("a registry");
    miner
        .execute(
            &registry,
            &device_registration(&pair_addr, &miner_addr)
                .message("h100-1", "http://127.0.0.1:7470"),
            &[],
        )
        .await
        .expect("device registration");
    let pool: PoolResponse = miner
        .query_smart(&pair_addr, &pair::QueryMsg::Pool {})
        .await
        .unwrap();
    // One epoch of a rate-1 device: an hour on the devnet, 20 s on wasmd.
    let supplied = HOUR * u128::from(epoch) / 3_600;
    assert_eq!(pool.reserves.hours.u128(), supplied);
    assert_eq!(pool.reserves.tokens.u128(), 10 * LOOP);

    // A client leases half of it and pays exactly the quote.
    let quote: Swap = client
        .query_smart(
            &pair_addr,
            &pair::QueryMsg::SimulateLease {
                hours: Uint128::new(supplied / 2),
            },
        )
        .await
        .unwrap();
    send_hook(
        &client,
        &d,
        100 * LOOP,
        &ReceiveMsg::Lease {
            stake_id: 1,
            hours: Uint128::new(supplied / 2),
            client_key: HexBinary::from([1u8; 32]),
            ssh_key:
                "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA/sviTJfQXJKl0MknakEdkHhZdlVSTJbzhi3Oejh+S5"
                    .into(),
            deadline: None,
            renewals: None,
            max_renewal_price: None,
            renewer: None,
        },
    )
    .await;
    let paid = RICH - loop_balance(&client, &d.token, &client_addr).await;
    assert_eq!(paid, quote.offer.u128(), "pays exactly the quote");
    let lease: LeaseResponse = client
        .query_smart(&pair_addr, &pair::QueryMsg::Lease { lease_id: 1 })
        .await
        .unwrap();
    assert_eq!(lease.hours, quote.receive);
    assert_eq!(lease.client.as_str(), client_addr);

    // An epoch passes, and the keeper's AdvanceEpoch processes the boundary.
    let before = miner.latest_block().await.unwrap();
    chain.advance(epoch).await;
    let after = miner.latest_block().await.unwrap();
    assert!(after.1 >= before.1 + epoch as i64);
    deployer
        .execute(
            &pair_addr,
            &pair::ExecuteMsg::AdvanceEpoch { max_epochs: None },
            &[],
        )
        .await
        .expect("advance epoch");
    let pool: PoolResponse = miner
        .query_smart(&pair_addr, &pair::QueryMsg::Pool {})
        .await
        .unwrap();
    assert_eq!(pool.epoch, 1);

    // Fees were paid in the native denom.
    let native = deployer.balance(&miner_addr, DENOM).await.unwrap();
    assert!(native < FUNDS as u128 && native > 0);

    // Restart from the store: same state, same sequences, and it goes on.
    let snapshot = (
        loop_balance(&miner, &d.token, &miner_addr).await,
        loop_balance(&client, &d.token, &client_addr).await,
        serde_json::to_string(&pool).unwrap(),
        deployer.account_of(&miner_addr).await.unwrap(),
        native,
    );
    let height = miner.latest_block().await.unwrap().0;
    drop((deployer, miner, client));
    chain.restart().await;
    let (miner, client) = (chain.client(2).await, chain.client(3).await);
    assert!(miner.latest_block().await.unwrap().0 >= height);
    let pool: PoolResponse = miner
        .query_smart(&pair_addr, &pair::QueryMsg::Pool {})
        .await
        .unwrap();
    let again = (
        loop_balance(&miner, &d.token, &miner_addr).await,
        loop_balance(&client, &d.token, &client_addr).await,
        serde_json::to_string(&pool).unwrap(),
        miner.account_of(&miner_addr).await.unwrap(),
        miner.balance(&miner_addr, DENOM).await.unwrap(),
    );
    assert_eq!(snapshot, again, "the restarted chain serves the same state");
    // A signed transaction after the restart: the sequence continues.
    let transfer = token::ExecuteMsg::Transfer {
        recipient: client_addr.clone(),
        amount: Uint128::new(LOOP),
    };
    miner
        .execute(&d.token, &transfer, &[])
        .await
        .expect("transfer after restart");
    assert_eq!(
        loop_balance(&client, &d.token, &client_addr).await,
        again.1 + LOOP
    );
    chain.stop().await;
}
