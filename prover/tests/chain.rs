//! Assignments from the chain, end to end, on the devnet and on a real wasmd node: the compiled
//! contracts deployed with `deploy/devnet.toml` (beacon rounds of seconds on wasmd, whose clock
//! is real), a device staked and registered with its real commitment, bonded
//! verifiers with registered challenge keys, the entropy beacon and a drawn assignment. The
//! prover serves exactly the verifier the registry assigned it, until the verdict is on chain,
//! and the verdict record is accepted by the registry as it is.

use cosmwasm_std::{Decimal, HexBinary, Uint128, to_json_binary};
use k256::ecdsa::SigningKey;
use loopin::pool::GemmClass;
use loopin::registry::{
    ChallengeResponse, ChallengeStatus, CommitmentMsg, ConfigResponse, DeviceResponse, ExecuteMsg,
    QueryMsg, ReceiveMsg,
};
use loopin::stake_cert::StakeMode;
use loopin::token;
use loopin_chain_client::{ChainClient, ChainQuerier, Key};
use loopin_chain_tests::{Chain, Kind};
use loopin_deploy::{DeployConfig, Deployment};
use loopin_pocps::challenge::commit_secret;
use loopin_pocps::encode::{Params, derive_ek};
use loopin_pocps::sig::{challenge_key_message, k256_sign};
use loopin_prover::audits::{AuditAnswerer, GemmCard};
use loopin_prover::auth::{Gate, pubkey_bytes};
use loopin_prover::backend::CpuBackend;
use loopin_prover::chain::{ChainAssignments, RegistrySource};
use loopin_prover::metrics::Metrics;
use loopin_prover::onchain::{refused_as_unassigned, registry_verdict};
use loopin_prover::service::{self, Limits, ProverService};
use loopin_prover::stake::{StakeOffer, signed_stake};
use loopin_prover::state::ProverState;
use loopin_prover::storage;
use loopin_prover::verifier::{Outcome, Spec, Target, ThroughputSpec, Verifier};
use std::sync::Arc;
use std::time::Duration;

const LOOP: u128 = 1_000_000;
const EK_RANDOMNESS: &[u8] = b"ek randomness";

fn key(n: u8) -> Key {
    Key::development(n, "loopin").expect("dev key")
}

/// A challenge key per verifier, and its registration with proof of possession.
fn challenge_key(n: u8) -> SigningKey {
    SigningKey::from_slice(&[0x60 + n; 32]).expect("key")
}

fn set_key_msg(registry: &str, verifier: &str, key: &SigningKey) -> ExecuteMsg {
    let pubkey = pubkey_bytes(key);
    let message = challenge_key_message(registry, verifier, &pubkey);
    ExecuteMsg::SetChallengeKey {
        pubkey: HexBinary::from(pubkey),
        signature: HexBinary::from(k256_sign(key, &message)),
    }
}

fn spec(secret: Option<[u8; 32]>, randomness: Vec<u8>) -> Spec {
    Spec {
        // The least chain a Pass may record on the devnet (`min_chain_rounds` in
        // deploy/devnet.toml).
        chain_rounds: 8192,
        spots: 32,
        openings: 8,
        deadline_ms: 2_000,
        rtt_factor: 0,
        max_deadline_ms: 0,
        randomness,
        secret,
        // The class's GEMM challenge (deploy/devnet.toml): a Pass must carry its root.
        throughput: devnet_gemm(),
        attempt: 0,
    }
}

/// The devnet class's GEMM challenge (deploy/devnet.toml), asked with every challenge.
fn devnet_class_gemm() -> Option<GemmClass> {
    let config = DeployConfig::from_toml(include_str!("../../deploy/devnet.toml")).unwrap();
    config.classes[0].params.gemm.map(|g| GemmClass {
        sweep_seconds: 0,
        ..g
    })
}

fn devnet_gemm() -> Option<ThroughputSpec> {
    devnet_class_gemm().as_ref().map(ThroughputSpec::from)
}

/// A beacon round made by `verifiers` (entropy committed, revealed in the next round, and that
/// round final), their secrets from `tag`. Each step waits for the next round to begin, so that
/// on wasmd's real clock no step straddles a boundary.
async fn beacon_round(chain: &Chain, verifiers: &[ChainClient], registry: &str, tag: u8) {
    let entropy: Vec<[u8; 32]> = (0..verifiers.len() as u8).map(|i| [tag + i; 32]).collect();
    for (v, e) in verifiers.iter().zip(&entropy) {
        let msg = ExecuteMsg::CommitEntropy {
            hash: HexBinary::from(commit_secret(e)),
        };
        v.execute(registry, &msg, &[]).await.expect("entropy");
    }
    align_to_round(chain, &verifiers[0], registry).await;
    for (v, e) in verifiers.iter().zip(&entropy) {
        let msg = ExecuteMsg::RevealEntropy {
            secret: HexBinary::from(e.to_vec()),
        };
        v.execute(registry, &msg, &[]).await.expect("reveal");
    }
    align_to_round(chain, &verifiers[0], registry).await;
}

/// Moves the chain to one second into the next beacon round, so a round's transactions
/// cannot straddle a boundary.
async fn align_to_round(chain: &Chain, client: &ChainClient, registry: &str) {
    let config: ConfigResponse = client
        .query_smart(registry, &QueryMsg::Config {})
        .await
        .unwrap();
    let round = config.settings.round_seconds;
    let (_, now) = client.latest_block().await.unwrap();
    let offset = (now as u64 - config.genesis.seconds()) % round;
    chain.advance(round - offset + 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_prover_serves_exactly_the_verifiers_the_registry_assigns_it_and_answers_audits_of_its_passes_on_the_devnet()
 {
    the_prover_serves_exactly_the_verifiers_the_registry_assigns_it_and_answers_audits_of_its_passes(Kind::Devnet).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_prover_serves_exactly_the_verifiers_the_registry_assigns_it_and_answers_audits_of_its_passes_on_wasmd()
 {
    the_prover_serves_exactly_the_verifiers_the_registry_assigns_it_and_answers_audits_of_its_passes(Kind::Wasmd { base_port: 30100 }).await;
}

async fn the_prover_serves_exactly_the_verifiers_the_registry_assigns_it_and_answers_audits_of_its_passes(
    kind: Kind,
) {
    let home = tempfile::tempdir().unwrap();
    // 1 deploys, 2 mines, 3-5 verify.
    let node = Chain::start(kind, "prover-chain", &[1, 2, 3, 4, 5]).await;
    let chain = node.chain_config();
    let mut clients = Vec::new();
    for n in 1..=5 {
        clients.push(ChainClient::connect(chain.clone(), key(n)).await.unwrap());
    }
    let [deployer, miner, verifiers @ ..] = &clients[..] else {
        unreachable!()
    };
    let holders: Vec<(String, u128)> = clients[1..]
        .iter()
        .map(|c| (c.address().to_string(), 1_000 * LOOP))
        .collect();
    let mut config = DeployConfig::devnet(&chain, 1, &holders).expect("devnet.toml");
    if let Kind::Wasmd { .. } = kind {
        // Real time: beacon rounds of 10 s (of 10 min on the fast-forwarded devnet), room for a
        // round's transactions on a loaded machine.
        let registry = config.registry.as_mut().expect("a registry");
        registry
            .settings
            .as_mut()
            .expect("new settings")
            .round_seconds = 10;
    }
    // The class asks its GEMM with every challenge here (no sweeps): this test's challenge is
    // one the verifier opens and `Assign` draws. Sweeps are the main job's and the registry
    // tests' (`registry_sweeps.rs`).
    config.classes[0].params.gemm = devnet_class_gemm();
    let d: Deployment = loopin_deploy::deploy(&config, deployer)
        .await
        .expect("deploy");
    let registry = d
        .registry
        .clone()
        .expect("the devnet config deploys a registry");
    let pool = d.pools["h100"].clone();

    // The device: P at test parameters under the ek the registry will check.
    let miner_addr = miner.address().to_string();
    let device_key = SigningKey::from_slice(&[0x42; 32]).unwrap();
    let fingerprint = loopin_prover::stake::fingerprint(&device_key);
    let ek = derive_ek(&fingerprint, &miner_addr, &pool, EK_RANDOMNESS);
    let data = home.path().join("p");
    storage::init(&data, ek, &Params::TEST, &CpuBackend, 1, &mut |_, _| true).expect("init");
    let state = Arc::new(ProverState::from_loaded(
        storage::load(&data).expect("load"),
        device_key.clone(),
    ));
    let commitment = state.commitment.clone();

    // Staked with the commitment's digest, then registered with the commitment itself.
    let stake = token::ExecuteMsg::Send {
        contract: pool.clone(),
        amount: Uint128::new(11 * LOOP),
        msg: to_json_binary(&signed_stake(
            &device_key,
            &StakeOffer {
                chain_id: chain.chain_id.clone(),
                pair: pool.clone(),
                staker: miner_addr.clone(),
                commitment: HexBinary::from(commitment.digest()),
                mode: StakeMode::LiquidityProvider,
                rate: Decimal::one(),
                epochs: 10,
                max_liquidity: None,
                min_shares: None,
                max_price: None,
                deadline: None,
            },
        ))
        .unwrap(),
    };
    let staked = miner.execute(&d.token, &stake, &[]).await.expect("stake");
    let token_id = staked
        .event_attr("wasm", "token_id")
        .expect("certificate id")
        .to_string();
    let register = ExecuteMsg::RegisterDevice {
        token_id: token_id.clone(),
        fingerprint: HexBinary::from(fingerprint),
        commitment: CommitmentMsg::from(&commitment),
        endpoint: "http://127.0.0.1:7470".into(),
        ek_randomness: HexBinary::from(EK_RANDOMNESS),
    };
    miner
        .execute(&registry, &register, &[])
        .await
        .expect("register");

    // Three bonded verifiers with registered challenge keys.
    let config: ConfigResponse = miner
        .query_smart(&registry, &QueryMsg::Config {})
        .await
        .unwrap();
    for (i, v) in verifiers.iter().enumerate() {
        let bond = token::ExecuteMsg::Send {
            contract: registry.clone(),
            amount: config.settings.min_bond,
            msg: to_json_binary(&ReceiveMsg::Bond {}).unwrap(),
        };
        v.execute(&d.token, &bond, &[]).await.expect("bond");
        let msg = set_key_msg(&registry, v.address().as_ref(), &challenge_key(i as u8));
        v.execute(&registry, &msg, &[]).await.expect("set key");
    }

    // The prover, gated by the chain's assignments.
    let source = RegistrySource::new(
        ChainQuerier::connect(chain.clone()).await.unwrap(),
        registry.clone(),
        token_id.clone(),
    );
    let assignments = ChainAssignments::new(10.0, 10.0);
    let gate = Arc::new(Gate::new(
        Box::new(assignments.clone()),
        Duration::from_secs(30),
    ));
    let svc = ProverService::new(
        state.clone(),
        Arc::new(CpuBackend),
        gate,
        Limits::default(),
        Metrics::new(),
    );
    let server = service::spawn(svc, "127.0.0.1:0").await.expect("serve");
    let target = Target::new(&server.url(), commitment.clone()).unwrap();
    let checker: Vec<Verifier> = (0..3)
        .map(|i| Verifier::new(challenge_key(i), Metrics::new()))
        .collect();

    // Nothing assigned yet: a bonded, registered verifier is refused before any work.
    assert_eq!(assignments.refresh(&source).await.unwrap(), 0);
    let early = checker[0].challenge(&target, &spec(None, vec![1])).await;
    assert!(refused_as_unassigned(&early), "{early:?}");

    // Verifier 0 commits its secret; a beacon round by all three; anyone assigns.
    align_to_round(&node, miner, &registry).await;
    let secret = [0x5e; 32];
    let committed = verifiers[0]
        .execute(
            &registry,
            &ExecuteMsg::Commit {
                secret_hash: HexBinary::from(commit_secret(&secret)),
            },
            &[],
        )
        .await
        .expect("commit");
    let id: u64 = committed
        .event_attr("wasm", "challenge_id")
        .unwrap()
        .parse()
        .unwrap();
    beacon_round(&node, verifiers, &registry, 0xe0).await;
    miner
        .execute(&registry, &ExecuteMsg::Assign { challenge_id: id }, &[])
        .await
        .expect("assign");
    let challenge: ChallengeResponse = miner
        .query_smart(&registry, &QueryMsg::Challenge { challenge_id: id })
        .await
        .unwrap();
    assert_eq!(challenge.target.as_deref(), Some(token_id.as_str()));
    let randomness = challenge.randomness.unwrap().to_vec();

    // The prover reads the assignment: the assigned verifier passes with its committed secret;
    // the other two, bonded and registered, are still refused.
    assert_eq!(assignments.refresh(&source).await.unwrap(), 1);
    let verdict = checker[0]
        .challenge(&target, &spec(Some(secret), randomness.clone()))
        .await;
    assert_eq!(verdict.outcome, Outcome::Pass, "{:?}", verdict.reason);
    for other in &checker[1..] {
        let v = other
            .challenge(&target, &spec(None, randomness.clone()))
            .await;
        assert!(refused_as_unassigned(&v), "{v:?}");
    }

    // The record goes on chain as it is, and the registry accepts the device's signed answer.
    let on_chain = registry_verdict(&verdict, &commitment).expect("submittable");
    verifiers[0]
        .execute(
            &registry,
            &ExecuteMsg::Submit {
                challenge_id: id,
                secret: HexBinary::from(secret.to_vec()),
                verdict: on_chain,
                attempt: 0,
            },
            &[],
        )
        .await
        .expect("submit");
    let challenge: ChallengeResponse = miner
        .query_smart(&registry, &QueryMsg::Challenge { challenge_id: id })
        .await
        .unwrap();
    assert_eq!(challenge.status, ChallengeStatus::Passed);
    // Both verdicts recorded: the transcript of the timed chain and the GEMM root.
    let tp = verdict.throughput.as_ref().expect("the class's GEMM part");
    assert_eq!(tp.outcome, Outcome::Pass, "{:?}", tp.reason);
    let pass = challenge.pass.as_ref().expect("the Pass's record");
    assert_eq!(
        pass.gemm_root.as_ref().map(|r| r.to_hex()),
        tp.row_root.clone()
    );
    let device: DeviceResponse = miner
        .query_smart(
            &registry,
            &QueryMsg::Device {
                token_id: token_id.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!(device.passes, 1);

    // Answered: the next read drops the key, and the verifier is refused again.
    assert_eq!(assignments.refresh(&source).await.unwrap(), 0);
    let after = checker[0]
        .challenge(&target, &spec(Some([0x5f; 32]), randomness))
        .await;
    assert!(refused_as_unassigned(&after), "{after:?}");

    // Another verifier audits a step of the Pass and its verifier stays silent: the device
    // finds the open audit of its own Pass, recomputes the step from the seed over its P, and
    // answers it with the miner's key. The Pass stands, the fee goes to the device's owner.
    let audit = ExecuteMsg::Audit {
        challenge_id: id,
        round: 4_321,
        proof: None,
    };
    verifiers[1]
        .execute(&registry, &audit, &[])
        .await
        .expect("audit");
    let answerer = AuditAnswerer::new(
        ChainClient::connect(chain.clone(), key(2)).await.unwrap(),
        registry.clone(),
        token_id.clone(),
        state.clone(),
    );
    let open = answerer.open().await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!((open[0].challenge_id, open[0].round), (id, 4_321));
    let balance = |who: String| {
        let token = d.token.clone();
        async move {
            let b: cw20::BalanceResponse = miner
                .query_smart(&token, &cw20::Cw20QueryMsg::Balance { address: who })
                .await
                .unwrap();
            b.balance.u128()
        }
    };
    let before = balance(miner_addr.clone()).await;
    assert_eq!(answerer.answer_open().await.unwrap(), 1);
    assert!(answerer.open().await.unwrap().is_empty());
    let fee = config
        .settings
        .min_bond
        .multiply_ratio(u128::from(config.settings.audit_fee_bps), 10_000u128)
        .u128();
    assert_eq!(balance(miner_addr.clone()).await, before + fee);
    let challenge: ChallengeResponse = miner
        .query_smart(&registry, &QueryMsg::Challenge { challenge_id: id })
        .await
        .unwrap();
    assert_eq!(challenge.status, ChallengeStatus::Passed);
    // Nothing left to answer.
    assert_eq!(answerer.answer_open().await.unwrap(), 0);

    // The third verifier audits the Pass's GEMM; the next beacon round (the other two
    // verifiers' entropy) draws the cells. The device computes C again on its card, finds the
    // root it signed, and shows the row; the chain recomputes the drawn entries from the seed
    // and finds them right. The fee again goes to the device's owner.
    let class = devnet_gemm().expect("the devnet class asks a GEMM").shape;
    let audit = ExecuteMsg::AuditGemm {
        challenge_id: id,
        proof: None,
    };
    verifiers[2]
        .execute(&registry, &audit, &[])
        .await
        .expect("GEMM audit");
    let answerer = answerer.with_card(GemmCard {
        backend: Arc::new(CpuBackend),
        permit: Arc::new(tokio::sync::Semaphore::new(1)),
    });
    let open = answerer.open().await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].gemm.as_ref().map(|g| g.cells.clone()), Some(None));
    assert_eq!(answerer.answer_open().await.unwrap(), 0, "not drawn yet");
    // The step audit's fee took the second verifier below the least bond: it bonds again to
    // contribute entropy.
    let top_up = token::ExecuteMsg::Send {
        contract: registry.clone(),
        amount: config.settings.min_bond,
        msg: to_json_binary(&ReceiveMsg::Bond {}).unwrap(),
    };
    verifiers[1]
        .execute(&d.token, &top_up, &[])
        .await
        .expect("bond again");
    beacon_round(&node, &verifiers[..2], &registry, 0xd0).await;
    let open = answerer.open().await.unwrap();
    let asked = open[0].gemm.as_ref().expect("an audit of the GEMM");
    let cells = asked.cells.as_ref().expect("drawn");
    assert!(cells.row < u64::from(class.m) && cells.cols.len() == 4);
    assert_eq!((asked.m, asked.k, asked.n), (class.m, class.k, class.n));
    let before = balance(miner_addr.clone()).await;
    assert_eq!(answerer.answer_open().await.unwrap(), 1);
    assert_eq!(balance(miner_addr.clone()).await, before + fee);
    let challenge: ChallengeResponse = miner
        .query_smart(&registry, &QueryMsg::Challenge { challenge_id: id })
        .await
        .unwrap();
    assert_eq!(challenge.status, ChallengeStatus::Passed);
    node.stop().await;
}
