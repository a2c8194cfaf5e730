//! End to end on the real compiled contracts, on the devnet and on a real wasmd node:
//! `loopin-deploy`, then a miner stakes and registers its device, a client leases through the
//! chain client with signed transactions, an epoch passes and is advanced; the chain restarts
//! from its store (the devnet without its compiled-module cache) and serves the same state.

use cosmwasm_std::{HexBinary, Uint128, to_json_binary};
use loopin::pair::{self, LeaseResponse, PoolResponse, ReceiveMsg};
use loopin::stake_cert::StakeMode;
use loopin::token;
use loopin_chain_client::ChainClient;
use loopin_deploy::Deployment;
use loopin_pool_math::HOUR;
use loopin_pool_math::amm::Swap;

use loopin_chain_tests::setup::*;
use loopin_chain_tests::*;

/// The pools' epoch: an hour on the devnet (its clock is fast-forwarded), 20 s of real time on
/// wasmd.
fn epoch(kind: Kind) -> u64 {
    match kind {
        Kind::Devnet => 3_600,
        Kind::Wasmd { .. } => 20,
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
