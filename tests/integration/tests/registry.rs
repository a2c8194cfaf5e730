//! The PoCPS registry with the real factory, pair, LOOP token and stake certificates: devices,
//! verifier bonds, the entropy beacon, random assignment and verdicts, with real PoCPS proofs
//! (`Params::TEST`, k256 device keys).

use cosmwasm_std::{Addr, Decimal, Empty, HexBinary, Uint128, to_json_binary};
use cw_multi_test::{AppResponse, Contract, ContractWrapper, Executor};
use k256::ecdsa::SigningKey;
use loopin::pair;
use loopin::registry::{
    AssignmentInfo, AssignmentsResponse, ChallengeResponse, ChallengeStatus, CommitmentMsg,
    DeviceResponse, DeviceStatus, DevicesResponse, ExecuteMsg, InstantiateMsg, MigrateMsg,
    OpeningMsg, QueryMsg, ReceiveMsg, RegistrySettings, SignedAnswer, Verdict, VerifierResponse,
};
use loopin::stake_cert::{self, CertificateResponse, CertificateStatus, StakeMode};
use loopin::{factory, token};
use loopin_integration_tests::contract_error;
use loopin_integration_tests::protocol::{
    EPOCH, LOOP, Protocol, RICH, attr, protocol, protocol_with_emission_cap,
};
use loopin_pocps::challenge::{commit_secret, round_seed};
use loopin_pocps::encode::{CpuEncoder, Encoder, Params, derive_ek};
use loopin_pocps::merkle::Hash;
use loopin_pocps::proof::{Commitment, Opening, Prover, round_message};
use loopin_pocps::sig::{challenge_key_message, device_fingerprint, k256_sign};
use loopin_pocps_registry::ContractError;
use loopin_pool_math::HOUR;
use loopin_pool_math::amm::Swap;

const K: u32 = 8;
const ROUND: u64 = 60;
const BOND: u128 = 100 * LOOP;
const REWARD: u128 = LOOP;
const EK_RANDOMNESS: &[u8] = b"beacon-value-at-setup";

fn registry_contract() -> Box<dyn Contract<Empty>> {
    Box::new(
        ContractWrapper::new(
            loopin_pocps_registry::contract::execute,
            loopin_pocps_registry::contract::instantiate,
            loopin_pocps_registry::contract::query,
        )
        .with_reply(loopin_pocps_registry::contract::reply)
        .with_migrate(loopin_pocps_registry::contract::migrate),
    )
}

fn settings() -> RegistrySettings {
    RegistrySettings {
        min_bond: Uint128::new(BOND),
        unbonding_seconds: 7 * 86_400,
        round_seconds: ROUND,
        entropy_quorum: 2,
        assign_window_rounds: 5,
        response_seconds: 600,
        deadline_ms: 100,
        openings_per_round: K,
        max_recheck_steps: 4_096,
        dispute_seconds: 3_600,
        lateness_quorum: 3,
        lateness_window_seconds: 86_400,
        reward_per_check: Uint128::new(REWARD),
        max_rewarded_checks: 3,
        max_rewards_per_epoch: Uint128::new(100 * LOOP),
        reward_epoch_seconds: 3_600,
        max_open_challenges: 4,
        min_rounds: 4,
    }
}

/// A staked GPU: its encoding, key and commitment.
struct Device {
    miner: &'static str,
    token_id: String,
    fingerprint: [u8; 32],
    prover: Prover,
    key: SigningKey,
    commitment: Commitment,
}

impl Device {
    fn commitment_msg(&self) -> CommitmentMsg {
        CommitmentMsg::from(&self.commitment)
    }

    fn register_msg(&self) -> ExecuteMsg {
        self.register_msg_bounded(None)
    }

    /// The registration with the seller's bound `min` on its first sale.
    fn register_msg_bounded(&self, min: Option<u128>) -> ExecuteMsg {
        ExecuteMsg::RegisterDevice {
            token_id: self.token_id.clone(),
            fingerprint: HexBinary::from(self.fingerprint),
            commitment: self.commitment_msg(),
            endpoint: format!("https://{}.example:7443", self.miner),
            ek_randomness: HexBinary::from(EK_RANDOMNESS),
            min_first_proceeds: min.map(Uint128::new),
        }
    }

    /// The device's signed answer to a seed and its openings, with `tamper` applied to the
    /// openings before signing.
    fn answer_with(
        &self,
        seed: &Hash,
        tamper: impl FnOnce(&mut Vec<Opening>),
    ) -> (SignedAnswer, Vec<Opening>) {
        let mut openings = self.prover.open(seed, K);
        tamper(&mut openings);
        let signature = k256_sign(&self.key, &round_message(&self.commitment, seed, &openings));
        let answer = SignedAnswer::from_openings(&openings, &signature);
        (answer, openings)
    }

    fn answer(&self, seed: &Hash) -> SignedAnswer {
        self.answer_with(seed, |_| {}).0
    }
}

/// An opening in full, as a bad-proof claim carries it.
/// A bad-proof verdict on opening `j` of `openings`, naming `block`.
fn bad_proof(answer: SignedAnswer, openings: &[Opening], j: usize, block: Option<u32>) -> Verdict {
    Verdict::BadProof {
        answer,
        opening: j as u32,
        leaf: OpeningMsg::from(&openings[j]),
        block,
    }
}

struct Net {
    p: Protocol,
    factory: Addr,
    reg: Addr,
    devices: Vec<Device>,
    /// Secrets of open challenges, by id.
    secrets: Vec<(u64, [u8; 32])>,
    nonce: u8,
}

fn net_with(settings: RegistrySettings) -> Net {
    net_on(protocol(), settings)
}

/// The registry on protocol `p` (a factory with its own emission cap, for example).
fn net_on(mut p: Protocol, settings: RegistrySettings) -> Net {
    let config: pair::ConfigResponse = p
        .app
        .wrap()
        .query_wasm_smart(&p.pair, &pair::QueryMsg::Config {})
        .unwrap();
    let governance = p.addr("governance");
    let code = p.app.store_code(registry_contract());
    let reg = p
        .app
        .instantiate_contract(
            code,
            governance.clone(),
            &InstantiateMsg {
                factory: config.factory.to_string(),
                settings,
            },
            &[],
            "pocps registry",
            Some(governance.to_string()),
        )
        .unwrap();
    // The pool exists, so re-pointing the registry is a proposal (the fixture's delay is zero).
    let repoint = factory::GovernanceAction::SetRegistry {
        registry: reg.to_string(),
    };
    for msg in [
        factory::ExecuteMsg::Propose { action: repoint },
        factory::ExecuteMsg::Execute { id: 1 },
    ] {
        p.app
            .execute_contract(governance.clone(), config.factory.clone(), &msg, &[])
            .unwrap();
    }
    // The registry contract reports registrations to the pair itself (RegisterDevice).
    p.registry = reg.clone();
    p.auto_register = false;
    Net {
        p,
        factory: config.factory,
        reg,
        devices: vec![],
        secrets: vec![],
        nonce: 0,
    }
}

fn net() -> Net {
    net_with(settings())
}

impl Net {
    fn addr(&self, name: &str) -> Addr {
        self.p.addr(name)
    }

    fn exec(&mut self, who: &str, msg: &ExecuteMsg) -> anyhow::Result<AppResponse> {
        let sender = self.addr(who);
        let res = self
            .p
            .app
            .execute_contract(sender, self.reg.clone(), msg, &[]);
        self.p.check_invariants();
        res
    }

    /// Runs a call that must fail and checks it left the registry's storage untouched.
    fn refused(&mut self, who: &str, msg: &ExecuteMsg) -> ContractError {
        let before = self.p.app.dump_wasm_raw(&self.reg);
        let err = contract_error(self.exec(who, msg));
        assert_eq!(self.p.app.dump_wasm_raw(&self.reg), before, "{err:?}");
        err
    }

    fn wait(&mut self, seconds: u64) {
        self.p.app.update_block(|b| {
            b.time = b.time.plus_seconds(seconds);
            b.height += 1;
        });
    }

    fn q<T: serde::de::DeserializeOwned>(&self, msg: &QueryMsg) -> T {
        self.p.app.wrap().query_wasm_smart(&self.reg, msg).unwrap()
    }

    fn challenge(&self, id: u64) -> ChallengeResponse {
        self.q(&QueryMsg::Challenge { challenge_id: id })
    }

    fn verifier(&self, who: &str) -> VerifierResponse {
        self.q(&QueryMsg::Verifier {
            address: self.addr(who).to_string(),
        })
    }

    fn device(&self, token_id: &str) -> DeviceResponse {
        self.q(&QueryMsg::Device {
            token_id: token_id.into(),
        })
    }

    fn certificate(&self, token_id: &str) -> CertificateStatus {
        let cert: CertificateResponse = self
            .p
            .app
            .wrap()
            .query_wasm_smart(
                &self.p.stake_cert,
                &stake_cert::QueryMsg::Certificate {
                    token_id: token_id.into(),
                },
            )
            .unwrap();
        cert.certificate.status
    }

    fn supply(&self) -> token::SupplyAuditResponse {
        self.p
            .app
            .wrap()
            .query_wasm_smart(&self.p.token, &token::QueryMsg::SupplyAudit {})
            .unwrap()
    }

    fn bond(&mut self, who: &str, amount: u128) -> anyhow::Result<AppResponse> {
        let sender = self.addr(who);
        let send = token::ExecuteMsg::Send {
            contract: self.reg.to_string(),
            amount: Uint128::new(amount),
            msg: to_json_binary(&ReceiveMsg::Bond {}).unwrap(),
        };
        let token = self.p.token.clone();
        self.p.app.execute_contract(sender, token, &send, &[])
    }

    /// Builds a device's encoding (P, root, key) and stakes it with its commitment's digest.
    fn encode_and_stake(
        &mut self,
        miner: &'static str,
        n: u8,
        mode: StakeMode,
        amount: u128,
    ) -> usize {
        self.encode_and_stake_for(miner, n, mode, amount, 10)
    }

    /// [`Self::encode_and_stake`] for a stake of `epochs` epochs.
    fn encode_and_stake_for(
        &mut self,
        miner: &'static str,
        n: u8,
        mode: StakeMode,
        amount: u128,
        epochs: u64,
    ) -> usize {
        // The device is its key: its fingerprint (the certificate's device id) is the key's.
        let key = SigningKey::from_slice(&[n.wrapping_add(100); 32]).unwrap();
        let pubkey = key
            .verifying_key()
            .to_encoded_point(true)
            .as_bytes()
            .to_vec();
        let fingerprint = device_fingerprint(&pubkey);
        let params = Params::TEST;
        let ek = derive_ek(
            &fingerprint,
            self.addr(miner).as_str(),
            self.p.pair.as_str(),
            EK_RANDOMNESS,
        );
        let prover = Prover::new(CpuEncoder.encode(ek, &params), params);
        let commitment = Commitment {
            params,
            root: prover.tree.root(),
            ek,
            pubkey,
        };
        let stake = self.p.signed_stake(
            miner,
            &key,
            mode,
            Decimal::one(),
            epochs,
            HexBinary::from(commitment.digest()),
        );
        let res = self.p.send(miner, amount, &stake).unwrap();
        let token_id = attr(&res, "token_id").unwrap();
        self.devices.push(Device {
            miner,
            token_id,
            fingerprint,
            prover,
            key,
            commitment,
        });
        self.devices.len() - 1
    }

    fn stake_device(&mut self, miner: &'static str, n: u8, mode: StakeMode, amount: u128) -> usize {
        self.stake_device_for(miner, n, mode, amount, 10)
    }

    /// Stakes and registers a device for `epochs` epochs.
    fn stake_device_for(
        &mut self,
        miner: &'static str,
        n: u8,
        mode: StakeMode,
        amount: u128,
        epochs: u64,
    ) -> usize {
        let d = self.encode_and_stake_for(miner, n, mode, amount, epochs);
        let msg = self.devices[d].register_msg();
        self.exec(miner, &msg).unwrap();
        d
    }

    /// Device `d`'s miner registers it with the seller's bound `min` on its first sale.
    fn register_bounded(&mut self, d: usize, min: Option<u128>) -> anyhow::Result<AppResponse> {
        let msg = self.devices[d].register_msg_bounded(min);
        self.exec(self.devices[d].miner, &msg)
    }

    /// `Assign` by a stranger: the target drawn and the ended devices pruned on the way, or
    /// the registry's refusal.
    fn try_assign(&mut self, id: u64) -> Result<(String, Vec<String>), ContractError> {
        match self.exec("client", &ExecuteMsg::Assign { challenge_id: id }) {
            Ok(res) => Ok((
                attr(&res, "target").unwrap(),
                attr(&res, "pruned")
                    .map(|p| p.split(',').map(String::from).collect())
                    .unwrap_or_default(),
            )),
            Err(err) => Err(err.downcast().unwrap()),
        }
    }

    fn expiry(&self, token_id: &str) -> u64 {
        let cert: CertificateResponse = self
            .p
            .app
            .wrap()
            .query_wasm_smart(
                &self.p.stake_cert,
                &stake_cert::QueryMsg::Certificate {
                    token_id: token_id.into(),
                },
            )
            .unwrap();
        cert.certificate.expiry.seconds()
    }

    /// Processes the pool's epochs, then waits, until `seconds` before `time`.
    fn until_before(&mut self, time: u64, seconds: u64) {
        while self.p.app.block_info().time.seconds() + EPOCH + seconds < time {
            self.p.next_epoch();
        }
        let now = self.p.app.block_info().time.seconds();
        self.wait(time - seconds - now);
    }

    /// Token ids the `Devices` query lists (the registry's active devices), ascending.
    fn listed(&self) -> Vec<String> {
        let res: DevicesResponse = self.q(&QueryMsg::Devices {
            start_after: None,
            limit: Some(100),
        });
        res.devices.into_iter().map(|d| d.token_id).collect()
    }

    /// Processes the pool's epochs until device `d`'s certificate has expired.
    fn until_expired(&mut self, d: usize) {
        let token_id = self.devices[d].token_id.clone();
        for _ in 0..32 {
            if self.certificate(&token_id) == CertificateStatus::Expired {
                return;
            }
            self.p.next_epoch();
        }
        panic!("certificate {token_id} never expired");
    }

    /// Token ids of devices `ds`, ascending (as [`Self::listed`] orders them).
    fn tokens(&self, ds: &[usize]) -> Vec<String> {
        let mut tokens: Vec<String> = ds
            .iter()
            .map(|&d| self.devices[d].token_id.clone())
            .collect();
        tokens.sort();
        tokens
    }

    /// One beacon round with contributions from `who`, then waits until it is final.
    fn beacon(&mut self, who: &[&str]) {
        self.nonce += 1;
        let secrets: Vec<[u8; 32]> = who
            .iter()
            .enumerate()
            .map(|(i, _)| [self.nonce.wrapping_mul(7).wrapping_add(i as u8); 32])
            .collect();
        for (name, secret) in who.iter().zip(&secrets) {
            let hash = HexBinary::from(commit_secret(secret));
            self.exec(name, &ExecuteMsg::CommitEntropy { hash })
                .unwrap();
        }
        self.wait(ROUND);
        for (name, secret) in who.iter().zip(&secrets) {
            let secret = HexBinary::from(secret.to_vec());
            self.exec(name, &ExecuteMsg::RevealEntropy { secret })
                .unwrap();
        }
        self.wait(ROUND);
    }

    /// `SetChallengeKey` for `who` with `key`, its possession proven by `signer`.
    fn set_key_msg(&self, who: &str, key: &SigningKey, signer: &SigningKey) -> ExecuteMsg {
        let pubkey = key
            .verifying_key()
            .to_encoded_point(true)
            .as_bytes()
            .to_vec();
        let message = challenge_key_message(self.reg.as_str(), self.addr(who).as_str(), &pubkey);
        ExecuteMsg::SetChallengeKey {
            pubkey: HexBinary::from(pubkey),
            signature: HexBinary::from(k256_sign(signer, &message)),
        }
    }

    fn set_key(&mut self, who: &str, key: &SigningKey) -> anyhow::Result<AppResponse> {
        let msg = self.set_key_msg(who, key, key);
        self.exec(who, &msg)
    }

    fn assignments(&self, token_id: &str) -> Vec<AssignmentInfo> {
        let res: AssignmentsResponse = self.q(&QueryMsg::Assignments {
            token_id: token_id.to_string(),
            start_after: None,
            limit: None,
        });
        res.assignments
    }

    /// Commits a fresh secret for `verifier`; returns the challenge id.
    fn commit(&mut self, verifier: &str) -> u64 {
        self.nonce += 1;
        let secret = [self.nonce ^ 0xA5; 32];
        let res = self
            .exec(
                verifier,
                &ExecuteMsg::Commit {
                    secret_hash: HexBinary::from(commit_secret(&secret)),
                },
            )
            .unwrap();
        let id: u64 = attr(&res, "challenge_id").unwrap().parse().unwrap();
        self.secrets.push((id, secret));
        id
    }

    fn secret(&self, id: u64) -> [u8; 32] {
        self.secrets.iter().find(|(i, _)| *i == id).unwrap().1
    }

    /// Commit, a beacon round by the `entropy` verifiers, Assign: (id, target device index).
    fn assigned(&mut self, verifier: &str, entropy: &[&str]) -> (u64, usize) {
        let id = self.commit(verifier);
        self.beacon(entropy);
        self.exec("client", &ExecuteMsg::Assign { challenge_id: id })
            .unwrap();
        let target = self.challenge(id).target.unwrap();
        let d = self
            .devices
            .iter()
            .position(|d| d.token_id == target)
            .unwrap();
        (id, d)
    }

    /// The seed the verifier of challenge `id` sends to the prover.
    fn seed(&self, id: u64) -> Hash {
        let randomness = self.challenge(id).randomness.unwrap();
        round_seed(&self.secret(id), randomness.as_slice(), 0, &[0u8; 32])
    }

    fn submit(&mut self, verifier: &str, id: u64, verdict: Verdict) -> anyhow::Result<AppResponse> {
        let secret = HexBinary::from(self.secret(id).to_vec());
        self.exec(
            verifier,
            &ExecuteMsg::Submit {
                challenge_id: id,
                secret,
                verdict,
            },
        )
    }

    fn pass(&mut self, verifier: &str, id: u64, d: usize) -> anyhow::Result<AppResponse> {
        let answer = self.devices[d].answer(&self.seed(id));
        self.submit(
            verifier,
            id,
            Verdict::Pass {
                answer,
                latency_ms: 20,
            },
        )
    }

    /// Challenges by `verifier` until one lands on device `want`; others pass honestly.
    fn assigned_to(&mut self, verifier: &str, entropy: &[&str], want: usize) -> u64 {
        for _ in 0..32 {
            let (id, d) = self.assigned(verifier, entropy);
            if d == want {
                return id;
            }
            self.pass(verifier, id, d).unwrap();
        }
        panic!("device {want} never drawn");
    }
}

const VERIFIERS: [&str; 3] = ["bob", "carol", "dave"];

fn bonded_net() -> Net {
    bonded_net_with(settings())
}

/// A verifier's challenge key, fixed per name (and generation, for rotations).
fn challenge_key(who: &str, generation: u8) -> SigningKey {
    let mut bytes = [generation.wrapping_add(1); 32];
    bytes[1..1 + who.len()].copy_from_slice(who.as_bytes());
    SigningKey::from_slice(&bytes).unwrap()
}

fn bonded_net_with(settings: RegistrySettings) -> Net {
    bonded_net_on(protocol(), settings)
}

fn bonded_net_on(p: Protocol, settings: RegistrySettings) -> Net {
    let mut n = net_on(p, settings);
    for v in VERIFIERS {
        n.bond(v, BOND).unwrap();
        n.set_key(v, &challenge_key(v, 0)).unwrap();
    }
    n
}

#[test]
fn an_honest_device_passes_and_its_verifier_is_rewarded_within_the_cap() {
    let mut n = bonded_net();
    let alice = n.stake_device("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    let token_id = n.devices[alice].token_id.clone();
    assert_eq!(n.device(&token_id).status, DeviceStatus::Active);
    let before = n.p.balance_of("bob");
    let minted = n.supply().minted;

    for check in 1..=4u128 {
        let (id, d) = n.assigned("bob", &VERIFIERS);
        assert_eq!(d, alice, "the only device is drawn");
        n.pass("bob", id, d).unwrap();
        assert_eq!(n.challenge(id).status, ChallengeStatus::Passed);
        // Three checks per reward epoch are paid; the fourth is counted but not paid.
        let paid = check.min(3);
        assert_eq!(n.p.balance_of("bob"), before + paid * REWARD);
        assert_eq!(n.supply().minted, minted + Uint128::new(paid * REWARD));
    }
    assert_eq!(n.verifier("bob").valid_checks, 4);
    assert_eq!(n.device(&token_id).passes, 4);
    assert_eq!(n.certificate(&token_id), CertificateStatus::Active);
    let emission: factory::EmissionResponse =
        n.p.app
            .wrap()
            .query_wasm_smart(&n.factory, &factory::QueryMsg::Emission {})
            .unwrap();
    assert_eq!(emission.total_minted.u128(), 3 * REWARD);
    assert!(!n.p.stake_info(1).invalidated);
}

#[test]
fn a_bad_proof_invalidates_the_certificate_and_the_pair_settles_the_miner() {
    let mut n = bonded_net_with(RegistrySettings {
        max_rewarded_checks: 100,
        ..settings()
    });
    let alice = n.stake_device("alice", 1, StakeMode::LiquidityProvider, 101 * LOOP);
    // Demand for sellers' hours: a client leases most of Alice's hour and the pool passes a
    // boundary, so the seller budget pays the seller's first sale in full, at the curve's price.
    let budget = n.p.fund_sellers("client", 1, 3 * HOUR / 4);
    let curve: Swap =
        n.p.app
            .wrap()
            .query_wasm_smart(
                &n.p.pair,
                &pair::QueryMsg::SimulateSell { hours: HOUR.into() },
            )
            .unwrap();
    assert!(curve.receive + curve.fee <= Uint128::new(budget));
    assert_eq!(sellers_sale(&n, HOUR), Some(curve));
    // The seller pays the 1 LOOP fee and leaves a 1 LOOP deposit; it sells its hour at once.
    let seller = n.stake_device("seller", 2, StakeMode::Seller, 10 * LOOP);
    assert_eq!(n.p.balance_of("seller"), RICH - 2 * LOOP);
    let seller_stake = n.p.stake_info(2);
    assert_eq!(seller_stake.deposit.u128(), LOOP);

    // A bad block in the seller's signed answer: proven on chain at once.
    let id = n.assigned_to("bob", &VERIFIERS, seller);
    let seed = n.seed(id);
    let (answer, openings) = n.devices[seller].answer_with(&seed, |o| o[1].blocks[7] ^= 1 << 9);
    let pool = n.p.pool();
    let burned = n.supply().burned;
    let bob = n.p.balance_of("bob");
    let res = n
        .submit("bob", id, bad_proof(answer, &openings, 1, Some(7)))
        .unwrap();
    assert_eq!(attr(&res, "outcome").unwrap(), "proven");
    let token_id = n.devices[seller].token_id.clone();
    assert_eq!(n.certificate(&token_id), CertificateStatus::Invalidated);
    assert_eq!(n.device(&token_id).status, DeviceStatus::Invalidated);
    assert!(n.p.stake_info(2).invalidated);
    assert_eq!(n.challenge(id).status, ChallengeStatus::Proven);
    // The seller gets nothing back: what the pool paid for its hour of the trading epoch, which
    // nobody leased, goes back to the pool's LOOP (fee included), and the rest of its deposit
    // and escrow is burned.
    assert_eq!(n.p.balance_of("seller"), RICH - 2 * LOOP);
    let after = n.p.pool();
    let returned: u128 = attr(&res, "returned_to_pool").unwrap().parse().unwrap();
    assert!(returned > 0);
    assert_eq!(
        after.reserves.tokens.u128(),
        pool.reserves.tokens.u128() + returned
    );
    assert_eq!(
        (pool.escrow - after.escrow).u128(),
        (n.supply().burned - burned).u128() + returned
    );
    // The exchange fee the pool paid on that hour came out of the deposit; the rest is burned.
    assert!(n.supply().burned > burned);
    assert_eq!(
        n.p.balance_of("bob"),
        bob + REWARD,
        "a valid check is rewarded"
    );
    // The device leaves the draw: every later challenge lands on Alice's device.
    let (id2, d2) = n.assigned("carol", &VERIFIERS);
    assert_eq!(d2, alice);
    n.pass("carol", id2, d2).unwrap();

    // Alice, a liquidity provider with a client's lease on her device, proves bad too: the
    // client is refunded in full out of her locked position and the rest is burned. (The epoch
    // the client's first lease bought is over first, so only this lease is refunded.)
    n.p.next_epoch();
    let client = n.p.balance_of("client");
    n.p.lease("client", 1, HOUR / 2, 1_000 * LOOP).unwrap();
    let client_paid = client - n.p.balance_of("client");
    assert!(client_paid > 0);
    let id = n.commit("dave");
    n.beacon(&VERIFIERS);
    n.exec("client", &ExecuteMsg::Assign { challenge_id: id })
        .unwrap();
    let seed = n.seed(id);
    let (answer, openings) = n.devices[alice].answer_with(&seed, |o| o[0].blocks[3] ^= 1);
    let pool = n.p.pool();
    let alice_stake = n.p.stake_info(1);
    let position = pool
        .reserves
        .tokens
        .multiply_ratio(alice_stake.shares, pool.total_shares);
    let burned = n.supply().burned;
    let alice_balance = n.p.balance_of("alice");
    n.submit(
        "dave",
        id,
        // The whole leaf re-checked (64 blocks x 4 rounds is within max_recheck_steps).
        bad_proof(answer, &openings, 0, None),
    )
    .unwrap();
    let alice_token = n.devices[alice].token_id.clone();
    assert_eq!(n.certificate(&alice_token), CertificateStatus::Invalidated);
    assert_eq!(n.p.balance_of("client"), client, "the client is made whole");
    assert_eq!(
        n.p.balance_of("alice"),
        alice_balance,
        "nothing returns to Alice"
    );
    assert_eq!(
        (n.supply().burned - burned).u128(),
        position.u128() - client_paid,
        "her position pays the refund, the rest is burned"
    );
    let after = n.p.pool();
    assert_eq!(
        (pool.reserves.tokens - after.reserves.tokens).u128(),
        position.u128()
    );
    assert_eq!(after.reserves.hours.u128(), 0, "no hours of failed devices");
}

#[test]
fn lateness_needs_a_quorum_of_independently_assigned_verifiers() {
    let mut n = bonded_net();
    let alice = n.stake_device("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    let token_id = n.devices[alice].token_id.clone();

    // Within the deadline is not late.
    let (id, _) = n.assigned("bob", &VERIFIERS);
    let err = n.refused(
        "bob",
        &ExecuteMsg::Submit {
            challenge_id: id,
            secret: HexBinary::from(n.secret(id).to_vec()),
            verdict: Verdict::Late {
                latency_ms: Some(100),
            },
        },
    );
    assert_eq!(err, ContractError::NotLate { latency_ms: 100 });
    let res = n
        .submit(
            "bob",
            id,
            Verdict::Late {
                latency_ms: Some(250),
            },
        )
        .unwrap();
    assert_eq!(attr(&res, "late_votes").unwrap(), "1");
    // The same verifier again counts once: one verifier never slashes.
    let (id, _) = n.assigned("bob", &VERIFIERS);
    let res = n
        .submit("bob", id, Verdict::Late { latency_ms: None })
        .unwrap();
    assert_eq!(attr(&res, "late_votes").unwrap(), "1");
    assert_eq!(n.certificate(&token_id), CertificateStatus::Active);
    assert_eq!(n.device(&token_id).status, DeviceStatus::Active);

    let (id, _) = n.assigned("carol", &VERIFIERS);
    n.submit("carol", id, Verdict::Late { latency_ms: None })
        .unwrap();
    assert_eq!(n.certificate(&token_id), CertificateStatus::Active);
    // The third distinct verifier makes the quorum: the certificate is invalidated.
    let (id, _) = n.assigned("dave", &VERIFIERS);
    let res = n
        .submit(
            "dave",
            id,
            Verdict::Late {
                latency_ms: Some(5_000),
            },
        )
        .unwrap();
    assert_eq!(attr(&res, "late_votes").unwrap(), "3");
    assert_eq!(n.certificate(&token_id), CertificateStatus::Invalidated);
    assert_eq!(n.device(&token_id).status, DeviceStatus::Invalidated);
    assert!(n.p.stake_info(1).invalidated);
    // Lateness attestations earn nothing; no verifier was slashed.
    for v in VERIFIERS {
        let info = n.verifier(v);
        assert_eq!(info.bonded.u128(), BOND);
        assert!(!info.slashed);
        assert_eq!(info.valid_checks, 0);
    }
}

#[test]
fn a_verifier_claiming_bad_openings_on_a_valid_proof_loses_its_bond() {
    let mut n = bonded_net();
    let alice = n.stake_device("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    let token_id = n.devices[alice].token_id.clone();
    let (id, d) = n.assigned("bob", &VERIFIERS);
    let (answer, openings) = n.devices[d].answer_with(&n.seed(id), |_| {});
    let burned = n.supply().burned;
    let res = n
        .submit("bob", id, bad_proof(answer, &openings, 2, Some(6)))
        .unwrap();
    assert_eq!(attr(&res, "outcome").unwrap(), "refuted");
    assert_eq!(n.challenge(id).status, ChallengeStatus::Refuted);
    let bob = n.verifier("bob");
    assert!(bob.slashed);
    assert_eq!(bob.bonded.u128() + bob.unbonding.u128(), 0);
    assert_eq!(
        (n.supply().burned - burned).u128(),
        BOND,
        "the bond is burned"
    );
    assert_eq!(n.certificate(&token_id), CertificateStatus::Active);
    assert_eq!(n.device(&token_id).status, DeviceStatus::Active);
    // A slashed verifier can do nothing more, and cannot bond again.
    let err = n.refused(
        "bob",
        &ExecuteMsg::Commit {
            secret_hash: HexBinary::from([3u8; 32]),
        },
    );
    assert_eq!(err, ContractError::VerifierSlashed {});
    let err: ContractError = contract_error(n.bond("bob", BOND));
    assert_eq!(err, ContractError::VerifierSlashed {});

    // A forged block (not signed by the device) proves nothing and changes nothing.
    n.bond("client", BOND).unwrap();
    let (id, _) = n.assigned("carol", &["carol", "dave", "client"]);
    let seed = n.seed(id);
    let (answer, mut openings) = n.devices[alice].answer_with(&seed, |_| {});
    openings[0].blocks[1] ^= 1;
    let err = n.refused(
        "carol",
        &ExecuteMsg::Submit {
            challenge_id: id,
            secret: HexBinary::from(n.secret(id).to_vec()),
            verdict: bad_proof(answer.clone(), &openings, 0, Some(1)),
        },
    );
    assert_eq!(err, ContractError::LeafNotSigned {});
    // Neither is a signature made by anyone but the device.
    let mut forged = answer;
    forged.signature = HexBinary::from(k256_sign(
        &SigningKey::from_slice(&[1u8; 32]).unwrap(),
        &[0u8; 32],
    ));
    let (_, honest_openings) = n.devices[alice].answer_with(&seed, |_| {});
    let err = n.refused(
        "carol",
        &ExecuteMsg::Submit {
            challenge_id: id,
            secret: HexBinary::from(n.secret(id).to_vec()),
            verdict: bad_proof(forged, &honest_openings, 0, Some(1)),
        },
    );
    assert_eq!(err, ContractError::NotSignedForChallenge {});

    // A tampered (unsigned) Merkle path is disputed; the device answers with its path and the
    // verifier is slashed.
    let (answer, mut openings) = n.devices[alice].answer_with(&seed, |_| {});
    openings[4].path[2] = [0u8; 32];
    let res = n
        .submit("carol", id, bad_proof(answer, &openings, 4, Some(0)))
        .unwrap();
    assert_eq!(attr(&res, "outcome").unwrap(), "disputed");
    assert_eq!(n.challenge(id).status, ChallengeStatus::Disputed);
    let opening = n.devices[alice].prover.open(&seed, K).swap_remove(4);
    let path: Vec<HexBinary> = opening.path.into_iter().map(HexBinary::from).collect();
    let err = n.refused(
        "bob",
        &ExecuteMsg::Defend {
            challenge_id: id,
            path: path.clone(),
        },
    );
    assert_eq!(err, ContractError::NotDeviceOwner {});
    let mut wrong = path.clone();
    wrong[0] = HexBinary::from([1u8; 32]);
    let err = n.refused(
        "alice",
        &ExecuteMsg::Defend {
            challenge_id: id,
            path: wrong,
        },
    );
    assert_eq!(err, ContractError::InvalidPath {});
    n.exec(
        "alice",
        &ExecuteMsg::Defend {
            challenge_id: id,
            path,
        },
    )
    .unwrap();
    assert_eq!(n.challenge(id).status, ChallengeStatus::Refuted);
    assert!(n.verifier("carol").slashed);
    assert_eq!(n.certificate(&token_id), CertificateStatus::Active);
}

#[test]
fn an_unanswered_bad_path_claim_invalidates_after_the_dispute_window() {
    let mut n = bonded_net();
    let alice = n.stake_device("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    let token_id = n.devices[alice].token_id.clone();
    let (id, _) = n.assigned("bob", &VERIFIERS);
    // The device serves a leaf that is not under its committed root (it lost that data): the
    // blocks chain correctly (regenerated) but no path leads to the root.
    let seed = n.seed(id);
    let (answer, openings) = n.devices[alice].answer_with(&seed, |o| {
        o[3].path[0] = [7u8; 32];
    });
    let res = n
        .submit("bob", id, bad_proof(answer, &openings, 3, None))
        .unwrap();
    assert_eq!(attr(&res, "outcome").unwrap(), "disputed");
    let err = n.refused("dave", &ExecuteMsg::Finalize { challenge_id: id });
    assert_eq!(err, ContractError::NotLapsed {});
    n.wait(3_601);
    let err = n.refused(
        "alice",
        &ExecuteMsg::Defend {
            challenge_id: id,
            path: vec![],
        },
    );
    assert_eq!(err, ContractError::ChallengeLapsed {});
    n.exec("dave", &ExecuteMsg::Finalize { challenge_id: id })
        .unwrap();
    assert_eq!(n.challenge(id).status, ChallengeStatus::Proven);
    assert_eq!(n.certificate(&token_id), CertificateStatus::Invalidated);
    assert!(!n.verifier("bob").slashed);
}

#[test]
fn verifiers_cannot_pick_targets_or_check_their_own_owners_devices() {
    let mut n = bonded_net();
    let alice = n.stake_device("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    n.bond("alice", BOND).unwrap();
    n.set_key("alice", &challenge_key("alice", 0)).unwrap();
    // Alice's only device is her own: nothing to draw for her.
    let id = n.commit("alice");
    let err = n.refused("client", &ExecuteMsg::Assign { challenge_id: id });
    assert_eq!(err, ContractError::RandomnessPending { round: 0 });
    n.beacon(&VERIFIERS);
    let err = n.refused("client", &ExecuteMsg::Assign { challenge_id: id });
    assert_eq!(err, ContractError::NoEligibleTarget {});

    let carol = n.stake_device("carol", 2, StakeMode::LiquidityProvider, 11 * LOOP);
    let mut draws = [0u32; 2];
    for _ in 0..6 {
        let (id, d) = n.assigned("alice", &VERIFIERS);
        assert_eq!(d, carol, "never her own device");
        n.pass("alice", id, d).unwrap();
        let (id, d) = n.assigned("bob", &VERIFIERS);
        draws[usize::from(d == carol)] += 1;
        n.pass("bob", id, d).unwrap();
    }
    assert!(
        draws[0] > 0 && draws[1] > 0,
        "both devices drawn for bob: {draws:?}"
    );

    // The target is the registry's: an answer from the device she would rather check is
    // refused, so is one for another challenge.
    let (id, d) = n.assigned("alice", &VERIFIERS);
    assert_eq!(d, carol);
    let seed = n.seed(id);
    let own = n.devices[alice].answer(&seed);
    let err = n.refused(
        "alice",
        &ExecuteMsg::Submit {
            challenge_id: id,
            secret: HexBinary::from(n.secret(id).to_vec()),
            verdict: Verdict::Pass {
                answer: own,
                latency_ms: 10,
            },
        },
    );
    assert_eq!(err, ContractError::NotSignedForChallenge {});
    // Only the challenge's verifier submits, with its own secret.
    let answer = n.devices[carol].answer(&seed);
    let err = n.refused(
        "bob",
        &ExecuteMsg::Submit {
            challenge_id: id,
            secret: HexBinary::from(n.secret(id).to_vec()),
            verdict: Verdict::Pass {
                answer: answer.clone(),
                latency_ms: 10,
            },
        },
    );
    assert_eq!(err, ContractError::NotChallenger {});
    let err = n.refused(
        "alice",
        &ExecuteMsg::Submit {
            challenge_id: id,
            secret: HexBinary::from([0u8; 32]),
            verdict: Verdict::Pass {
                answer: answer.clone(),
                latency_ms: 10,
            },
        },
    );
    assert_eq!(err, ContractError::WrongSecret {});
    // A challenge only takes randomness from a round its verifier did not make alone.
    let id = n.commit("bob");
    n.beacon(&["bob", "carol"]);
    let err = n.refused("client", &ExecuteMsg::Assign { challenge_id: id });
    assert_eq!(
        err,
        ContractError::RandomnessPending {
            round: n.challenge(id).committed_round
        }
    );
}

#[test]
fn replayed_responses_are_refused() {
    let mut n = bonded_net();
    let alice = n.stake_device("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    let (first, d) = n.assigned("bob", &VERIFIERS);
    assert_eq!(d, alice);
    let answer = n.devices[alice].answer(&n.seed(first));
    n.submit(
        "bob",
        first,
        Verdict::Pass {
            answer: answer.clone(),
            latency_ms: 30,
        },
    )
    .unwrap();
    // The same answer again, to the same challenge...
    let err = n.refused(
        "bob",
        &ExecuteMsg::Submit {
            challenge_id: first,
            secret: HexBinary::from(n.secret(first).to_vec()),
            verdict: Verdict::Pass {
                answer: answer.clone(),
                latency_ms: 30,
            },
        },
    );
    assert!(matches!(err, ContractError::WrongStatus { .. }), "{err:?}");
    // ...or to a later challenge on the same device: it was signed for another seed.
    let (second, _) = n.assigned("bob", &VERIFIERS);
    let err = n.refused(
        "bob",
        &ExecuteMsg::Submit {
            challenge_id: second,
            secret: HexBinary::from(n.secret(second).to_vec()),
            verdict: Verdict::Pass {
                answer,
                latency_ms: 30,
            },
        },
    );
    assert_eq!(err, ContractError::NotSignedForChallenge {});
    // A reused secret commitment is refused too (its seeds would repeat).
    let hash = HexBinary::from(commit_secret(&n.secret(first)));
    let err = n.refused("bob", &ExecuteMsg::Commit { secret_hash: hash });
    assert_eq!(err, ContractError::SecretReused {});
    n.pass("bob", second, alice).unwrap();
    assert_eq!(n.verifier("bob").valid_checks, 2);
}

#[test]
fn unregistered_and_unbonded_callers_are_refused() {
    let mut n = net();
    let d = n.encode_and_stake("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    let good = n.devices[d].register_msg();
    let ExecuteMsg::RegisterDevice {
        token_id,
        fingerprint,
        commitment,
        endpoint,
        ek_randomness,
        ..
    } = good.clone()
    else {
        unreachable!()
    };
    let register = |fingerprint: HexBinary, commitment: CommitmentMsg, randomness: &[u8]| {
        ExecuteMsg::RegisterDevice {
            token_id: token_id.clone(),
            fingerprint,
            commitment,
            endpoint: endpoint.clone(),
            ek_randomness: HexBinary::from(randomness),
            min_first_proceeds: None,
        }
    };
    // Only the certificate's owner registers, with the certificate's own commitment.
    assert_eq!(
        n.refused("bob", &good),
        ContractError::NotCertificateOwner {}
    );
    let mut other = commitment.clone();
    other.root = HexBinary::from([0u8; 32]);
    assert_eq!(
        n.refused(
            "alice",
            &register(fingerprint.clone(), other, &ek_randomness)
        ),
        ContractError::CommitmentMismatch {}
    );
    assert_eq!(
        n.refused(
            "alice",
            &register(
                HexBinary::from([2u8; 32]),
                commitment.clone(),
                &ek_randomness
            )
        ),
        ContractError::FingerprintMismatch {}
    );
    // A commitment naming another device key than the one whose fingerprint is the device.
    let mut other_key = commitment.clone();
    other_key.pubkey = HexBinary::from(
        SigningKey::from_slice(&[0x55; 32])
            .unwrap()
            .verifying_key()
            .to_encoded_point(true)
            .as_bytes(),
    );
    assert_eq!(
        n.refused(
            "alice",
            &register(fingerprint.clone(), other_key, &ek_randomness)
        ),
        ContractError::FingerprintNotOfDeviceKey {}
    );
    assert_eq!(
        n.refused(
            "alice",
            &register(fingerprint.clone(), commitment.clone(), b"other")
        ),
        ContractError::EkMismatch {}
    );
    let mut absurd = commitment.clone();
    absurd.params.rounds = u32::MAX;
    assert_eq!(
        n.refused(
            "alice",
            &register(fingerprint.clone(), absurd, &ek_randomness)
        ),
        ContractError::InvalidParams {}
    );
    let unknown = ExecuteMsg::RegisterDevice {
        token_id: "h100-99".into(),
        fingerprint: fingerprint.clone(),
        commitment: commitment.clone(),
        endpoint: endpoint.clone(),
        ek_randomness: ek_randomness.clone(),
        min_first_proceeds: None,
    };
    assert_eq!(
        n.refused("alice", &unknown),
        ContractError::UnknownCertificate {
            token_id: "h100-99".into()
        }
    );
    n.exec("alice", &good).unwrap();
    assert_eq!(
        n.refused("alice", &good),
        ContractError::AlreadyRegistered {
            token_id: token_id.clone()
        }
    );

    // Not a verifier: no entropy, no challenge.
    let hash = HexBinary::from([1u8; 32]);
    let not_verifier = ContractError::NotVerifier {
        address: n.addr("bob").to_string(),
    };
    assert_eq!(
        n.refused(
            "bob",
            &ExecuteMsg::Commit {
                secret_hash: hash.clone()
            }
        ),
        not_verifier
    );
    assert_eq!(
        n.refused("bob", &ExecuteMsg::CommitEntropy { hash: hash.clone() }),
        not_verifier
    );
    assert_eq!(
        n.refused(
            "bob",
            &ExecuteMsg::Unbond {
                amount: Uint128::new(1)
            }
        ),
        not_verifier
    );
    // Bonded below the minimum.
    n.bond("bob", BOND - 1).unwrap();
    assert_eq!(
        n.refused(
            "bob",
            &ExecuteMsg::Commit {
                secret_hash: hash.clone()
            }
        ),
        ContractError::InsufficientBond {
            bonded: Uint128::new(BOND - 1),
            min: Uint128::new(BOND)
        }
    );
    n.bond("bob", 1).unwrap();
    // Bonded, but provers would not know its requests: no key, no challenge.
    assert_eq!(
        n.refused(
            "bob",
            &ExecuteMsg::Commit {
                secret_hash: hash.clone()
            }
        ),
        ContractError::NoChallengeKey {}
    );
    n.set_key("bob", &challenge_key("bob", 0)).unwrap();
    n.exec(
        "bob",
        &ExecuteMsg::Commit {
            secret_hash: hash.clone(),
        },
    )
    .unwrap();
    // LOOP sent by hand is no bond; a hook from anything but the token is refused.
    let fake = ExecuteMsg::Receive(cw20::Cw20ReceiveMsg {
        sender: n.addr("bob").to_string(),
        amount: Uint128::new(BOND),
        msg: to_json_binary(&ReceiveMsg::Bond {}).unwrap(),
    });
    assert_eq!(n.refused("bob", &fake), ContractError::NotToken {});

    // Unbonding: no longer bonded for new challenges, withdrawable after the period only and
    // with no challenge open.
    let before = n.p.balance_of("bob");
    n.exec(
        "bob",
        &ExecuteMsg::Unbond {
            amount: Uint128::new(BOND),
        },
    )
    .unwrap();
    assert!(matches!(
        n.refused(
            "bob",
            &ExecuteMsg::Commit {
                secret_hash: HexBinary::from([9u8; 32])
            }
        ),
        ContractError::InsufficientBond { .. }
    ));
    assert!(matches!(
        n.refused("bob", &ExecuteMsg::WithdrawUnbonded {}),
        ContractError::ChallengesOpen { open: 1 }
    ));
    // The open challenge never finds a qualifying round: it lapses.
    n.wait(70 * ROUND);
    n.exec("client", &ExecuteMsg::Expire { challenge_id: 1 })
        .unwrap();
    assert_eq!(n.challenge(1).status, ChallengeStatus::Expired);
    assert!(matches!(
        n.refused("bob", &ExecuteMsg::WithdrawUnbonded {}),
        ContractError::NothingToWithdraw { .. }
    ));
    n.wait(7 * 86_400);
    n.exec("bob", &ExecuteMsg::WithdrawUnbonded {}).unwrap();
    assert_eq!(n.p.balance_of("bob"), before + BOND);
    assert_eq!(n.verifier("bob").unbonding.u128(), 0);
}

#[test]
fn migrate_is_guarded_by_cw2() {
    let mut n = net();
    let code = n.p.app.store_code(registry_contract());
    let governance = n.addr("governance");
    let reg = n.reg.clone();
    n.p.app
        .migrate_contract(governance, reg, &MigrateMsg {}, code)
        .unwrap();
    // Another contract's code refuses to take the registry's state.
    let cert_code =
        n.p.app
            .store_code(loopin_integration_tests::stake_cert_contract());
    let governance = n.addr("governance");
    let reg = n.reg.clone();
    assert!(
        n.p.app
            .migrate_contract(governance, reg, &stake_cert::MigrateMsg {}, cert_code)
            .is_err()
    );
}

#[test]
fn a_claim_is_re_checked_within_the_step_budget() {
    let mut n = bonded_net_with(RegistrySettings {
        max_recheck_steps: 100,
        ..settings()
    });
    let alice = n.stake_device("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    let (id, _) = n.assigned("bob", &VERIFIERS);
    let seed = n.seed(id);
    let (answer, openings) = n.devices[alice].answer_with(&seed, |o| o[5].blocks[40] ^= 1);
    let secret = HexBinary::from(n.secret(id).to_vec());
    let submit = |verdict: Verdict| ExecuteMsg::Submit {
        challenge_id: id,
        secret: secret.clone(),
        verdict,
    };
    // A whole leaf is 64 blocks x 4 rounds = 256 steps, over the budget of 100.
    let whole = submit(bad_proof(answer.clone(), &openings, 5, None));
    assert_eq!(
        n.refused("bob", &whole),
        ContractError::RecheckTooCostly {
            steps: 256,
            max: 100
        }
    );
    for (j, block) in [(5, 64), (8, 0)] {
        let mut verdict = bad_proof(answer.clone(), &openings, 5, Some(block));
        if let Verdict::BadProof { opening, .. } = &mut verdict {
            *opening = j;
        }
        assert_eq!(
            n.refused("bob", &submit(verdict)),
            ContractError::InvalidClaim { k: K }
        );
    }
    // The bad block itself (4 steps) proves it.
    let res = n
        .submit("bob", id, bad_proof(answer, &openings, 5, Some(40)))
        .unwrap();
    assert_eq!(attr(&res, "outcome").unwrap(), "proven");
    let token_id = n.devices[alice].token_id.clone();
    assert_eq!(n.certificate(&token_id), CertificateStatus::Invalidated);
}

#[test]
fn settings_are_validated_at_instantiation() {
    let mut n = net();
    let code = n.p.app.store_code(registry_contract());
    let governance = n.addr("governance");
    let bad = [
        RegistrySettings {
            round_seconds: 0,
            ..settings()
        },
        RegistrySettings {
            unbonding_seconds: 600,
            ..settings()
        },
        RegistrySettings {
            dispute_seconds: u64::MAX,
            ..settings()
        },
        RegistrySettings {
            assign_window_rounds: u64::MAX,
            ..settings()
        },
        RegistrySettings {
            openings_per_round: 33,
            ..settings()
        },
        RegistrySettings {
            max_recheck_steps: 0,
            ..settings()
        },
        RegistrySettings {
            entropy_quorum: 0,
            ..settings()
        },
        RegistrySettings {
            min_bond: Uint128::zero(),
            ..settings()
        },
    ];
    for settings in bad {
        let result = n.p.app.instantiate_contract(
            code,
            governance.clone(),
            &InstantiateMsg {
                factory: n.factory.to_string(),
                settings: settings.clone(),
            },
            &[],
            "bad registry",
            None,
        );
        let err = result
            .expect_err("refused")
            .downcast::<ContractError>()
            .unwrap();
        assert!(
            matches!(err, ContractError::InvalidSettings { .. }),
            "{settings:?}: {err:?}"
        );
    }
}

#[test]
fn provers_learn_their_open_assignments_and_the_verifiers_keys_from_the_chain() {
    let mut n = net();
    n.bond("bob", BOND).unwrap();
    n.bond("carol", BOND).unwrap();
    n.bond("dave", BOND).unwrap();
    let (bob_key, carol_key) = (challenge_key("bob", 0), challenge_key("carol", 0));

    // Keys are checked before they are stored: shape, proof of possession, one owner.
    let mut short = n.set_key_msg("bob", &bob_key, &bob_key);
    if let ExecuteMsg::SetChallengeKey { pubkey, .. } = &mut short {
        *pubkey = HexBinary::from(&pubkey.as_slice()[..32]);
    }
    assert_eq!(
        n.refused("bob", &short),
        ContractError::InvalidChallengeKey {}
    );
    let uncompressed = bob_key.verifying_key().to_encoded_point(false);
    let long = ExecuteMsg::SetChallengeKey {
        pubkey: HexBinary::from(uncompressed.as_bytes()),
        signature: HexBinary::from([0u8; 64]),
    };
    assert_eq!(
        n.refused("bob", &long),
        ContractError::InvalidChallengeKey {}
    );
    let unproven = n.set_key_msg("bob", &bob_key, &carol_key);
    assert_eq!(
        n.refused("bob", &unproven),
        ContractError::ChallengeKeyNotProven {}
    );
    // Carol's proof names carol: bob cannot replay it to claim her key.
    let carols = n.set_key_msg("carol", &carol_key, &carol_key);
    assert_eq!(
        n.refused("bob", &carols),
        ContractError::ChallengeKeyNotProven {}
    );
    assert_eq!(
        n.refused("erin", &n.set_key_msg("erin", &bob_key, &bob_key)),
        ContractError::NotVerifier {
            address: n.addr("erin").to_string()
        }
    );
    n.exec("carol", &carols).unwrap();
    // A key someone else holds is theirs even with a valid proof.
    let taken = n.set_key_msg("bob", &carol_key, &carol_key);
    assert_eq!(
        n.refused("bob", &taken),
        ContractError::ChallengeKeyTaken {}
    );
    n.set_key("bob", &bob_key).unwrap();
    n.set_key("dave", &challenge_key("dave", 0)).unwrap();
    assert_eq!(
        n.verifier("bob").challenge_key.unwrap().as_slice(),
        bob_key.verifying_key().to_encoded_point(true).as_bytes()
    );

    let alice = n.stake_device("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    let token_id = n.devices[alice].token_id.clone();
    assert!(n.assignments(&token_id).is_empty());

    // Assigned: the device's prover sees the challenge and the key to expect.
    let (first, _) = n.assigned("bob", &VERIFIERS);
    let assigned_at = n.challenge(first).assigned_at.unwrap();
    let open = n.assignments(&token_id);
    assert_eq!(
        open,
        vec![AssignmentInfo {
            challenge_id: first,
            verifier: n.addr("bob"),
            challenge_key: n.verifier("bob").challenge_key.unwrap(),
            assigned_at,
            answer_by: assigned_at.plus_seconds(settings().response_seconds),
        }]
    );
    assert!(n.assignments("h100-99").is_empty());

    // A rotated key is what the prover is told to expect; the old one is free again.
    let rotated = challenge_key("bob", 1);
    n.set_key("bob", &rotated).unwrap();
    assert_eq!(
        n.assignments(&token_id)[0].challenge_key.as_slice(),
        rotated.verifying_key().to_encoded_point(true).as_bytes()
    );
    n.set_key("dave", &bob_key).unwrap();

    // A second verifier's challenge on the same device; pages by challenge id.
    let (second, _) = n.assigned("carol", &VERIFIERS);
    let ids = |a: Vec<AssignmentInfo>| a.into_iter().map(|a| a.challenge_id).collect::<Vec<_>>();
    assert_eq!(ids(n.assignments(&token_id)), vec![first, second]);
    let page: AssignmentsResponse = n.q(&QueryMsg::Assignments {
        token_id: token_id.clone(),
        start_after: Some(first),
        limit: Some(1),
    });
    assert_eq!(ids(page.assignments), vec![second]);

    // Answered: no longer served.
    n.pass("bob", first, alice).unwrap();
    assert_eq!(ids(n.assignments(&token_id)), vec![second]);
    // Past its answer time it is no longer served, even before anyone expires it.
    n.wait(settings().response_seconds + 1);
    assert!(n.assignments(&token_id).is_empty());
    n.exec(
        "client",
        &ExecuteMsg::Expire {
            challenge_id: second,
        },
    )
    .unwrap();
    assert!(n.assignments(&token_id).is_empty());
}

// ---------------------------------------------------------------------------------------------
// Expiry: a certificate that ends frees its device's fingerprint and takes it out of the draw.

fn prune(token_id: &str) -> ExecuteMsg {
    ExecuteMsg::Prune {
        token_id: token_id.into(),
    }
}

#[test]
fn an_expired_device_registers_again_and_leaves_the_draw() {
    let mut n = bonded_net();
    let old = n.stake_device_for("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP, 3);
    let other = n.stake_device("seller", 2, StakeMode::LiquidityProvider, 11 * LOOP);
    let old_token = n.devices[old].token_id.clone();
    n.until_expired(old);
    assert_eq!(
        n.certificate(&n.devices[other].token_id),
        CertificateStatus::Active
    );

    // The same GPU (same fingerprint) staked again under a new certificate registers.
    let new = n.encode_and_stake_for("alice", 1, StakeMode::LiquidityProvider, 12 * LOOP, 3);
    let new_token = n.devices[new].token_id.clone();
    assert_ne!(new_token, old_token);
    let msg = n.devices[new].register_msg();
    let res = n.exec("alice", &msg).unwrap();
    assert_eq!(attr(&res, "released"), Some(old_token.clone()));
    assert_eq!(n.device(&new_token).status, DeviceStatus::Active);
    assert_eq!(n.device(&old_token).status, DeviceStatus::Expired);
    assert_eq!(
        n.listed(),
        n.tokens(&[other, new]),
        "the old entry left the draw"
    );

    // Pruning is refused, changing nothing, for a device already out, one whose certificate
    // runs, and one never registered.
    let msg = prune(&old_token);
    let err = n.refused("client", &msg);
    assert_eq!(
        err,
        ContractError::DeviceNotActive {
            token_id: old_token.clone()
        }
    );
    let msg = prune(&new_token);
    let err = n.refused("client", &msg);
    assert_eq!(
        err,
        ContractError::CertificateStillActive {
            token_id: new_token.clone(),
            expiry: n.expiry(&new_token),
        }
    );
    let msg = prune("h100-99");
    let err = n.refused("client", &msg);
    assert_eq!(
        err,
        ContractError::UnknownDevice {
            token_id: "h100-99".into()
        }
    );

    // Every draw lands on a live device.
    for v in VERIFIERS {
        let (id, d) = n.assigned(v, &VERIFIERS);
        assert!(d == new || d == other, "drew device {d}");
        n.pass(v, id, d).unwrap();
    }
}

#[test]
fn expired_devices_do_not_clog_assignment() {
    let mut n = bonded_net();
    let expired: Vec<usize> = (10..25u8)
        .map(|f| n.stake_device_for("alice", f, StakeMode::LiquidityProvider, 11 * LOOP, 3))
        .collect();
    let live = n.stake_device_for("seller", 2, StakeMode::LiquidityProvider, 11 * LOOP, 20);
    n.until_expired(expired[0]);
    for &d in &expired {
        assert_eq!(
            n.certificate(&n.devices[d].token_id),
            CertificateStatus::Expired
        );
    }

    // Fifteen expired entries and one live device: every verifier's challenge is assigned, at
    // the first Assign, to the live device; the expired ones it draws on the way leave the draw.
    let live_token = n.devices[live].token_id.clone();
    let mut listed = n.listed();
    assert_eq!(listed.len(), 16);
    for _ in 0..2 {
        for v in VERIFIERS {
            let id = n.commit(v);
            n.beacon(&VERIFIERS);
            let (target, pruned) = n.try_assign(id).unwrap_or_else(|e| panic!("{v}: {e:?}"));
            assert_eq!(target, live_token, "{v}'s challenge {id}");
            for token_id in &pruned {
                assert_eq!(n.device(token_id).status, DeviceStatus::Expired);
            }
            listed.retain(|t| !pruned.contains(t));
            assert_eq!(n.listed(), listed);
            n.pass(v, id, live).unwrap();
        }
    }
    assert!(listed.len() < 16, "Assign pruned some");

    // Anyone prunes the rest: only the live device is left in the draw.
    for token_id in n.listed() {
        if token_id != live_token {
            let res = n.exec("client", &prune(&token_id)).unwrap();
            assert_eq!(attr(&res, "status").as_deref(), Some("Expired"));
        }
    }
    assert_eq!(n.listed(), vec![live_token]);
    for &d in &expired {
        assert_eq!(
            n.device(&n.devices[d].token_id).status,
            DeviceStatus::Expired
        );
    }
}

#[test]
fn an_open_challenge_keeps_an_expired_device_until_it_closes() {
    let mut n = bonded_net_with(RegistrySettings {
        max_rewarded_checks: 100,
        ..settings()
    });
    let alice = n.stake_device_for("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP, 3);
    let alice_token = n.devices[alice].token_id.clone();

    // Alice's device, the only one, is drawn just before its certificate expires.
    let expiry = n.expiry(&alice_token);
    n.until_before(expiry, 3 * ROUND);
    let (id, d) = n.assigned("bob", &VERIFIERS);
    assert_eq!(d, alice);
    let seller = n.stake_device_for("seller", 2, StakeMode::LiquidityProvider, 11 * LOOP, 3);
    let seller_token = n.devices[seller].token_id.clone();
    assert!(n.expiry(&seller_token) > expiry + EPOCH);
    n.wait(2 * ROUND);
    assert_eq!(n.certificate(&alice_token), CertificateStatus::Expired);

    // Expired, but Bob's check is still open: pruning is refused and the verdict still lands.
    let msg = prune(&alice_token);
    let err = n.refused("client", &msg);
    assert_eq!(
        err,
        ContractError::DeviceChallenged {
            token_id: alice_token.clone(),
            challenge_id: id,
        }
    );
    let bob = n.p.balance_of("bob");
    n.pass("bob", id, alice).unwrap();
    assert_eq!(n.p.balance_of("bob"), bob + REWARD);
    let res = n.exec("client", &prune(&alice_token)).unwrap();
    assert_eq!(attr(&res, "status").as_deref(), Some("Expired"));
    assert_eq!(n.listed(), vec![seller_token.clone()]);

    // The seller's device, the only one left, is claimed against just before its expiry with a
    // path that does not reach its root: a dispute keeps it until the dispute is settled.
    let expiry = n.expiry(&seller_token);
    n.until_before(expiry, 3 * ROUND);
    let (id, d) = n.assigned("carol", &VERIFIERS);
    assert_eq!(d, seller);
    let seed = n.seed(id);
    let (answer, openings) = n.devices[seller].answer_with(&seed, |o| o[3].path[0] = [7u8; 32]);
    let res = n
        .submit("carol", id, bad_proof(answer, &openings, 3, None))
        .unwrap();
    assert_eq!(attr(&res, "outcome").as_deref(), Some("disputed"));
    n.wait(2 * ROUND);
    assert_eq!(n.certificate(&seller_token), CertificateStatus::Expired);
    let msg = prune(&seller_token);
    let err = n.refused("client", &msg);
    assert_eq!(
        err,
        ContractError::DeviceChallenged {
            token_id: seller_token.clone(),
            challenge_id: id,
        }
    );
    // Unanswered: the claim is finalized and the device invalidated, not merely expired.
    n.wait(3_601);
    n.exec("dave", &ExecuteMsg::Finalize { challenge_id: id })
        .unwrap();
    assert_eq!(n.challenge(id).status, ChallengeStatus::Proven);
    assert_eq!(n.device(&seller_token).status, DeviceStatus::Invalidated);
    assert!(n.listed().is_empty());
    let msg = prune(&seller_token);
    let err = n.refused("client", &msg);
    assert_eq!(
        err,
        ContractError::DeviceNotActive {
            token_id: seller_token
        }
    );
}

// ---------------------------------------------------------------------------------------------
// Rewards: only what the factory minted counts against the registry's caps.

fn emission(n: &Net) -> factory::EmissionResponse {
    n.p.app
        .wrap()
        .query_wasm_smart(&n.factory, &factory::QueryMsg::Emission {})
        .unwrap()
}

#[test]
fn a_reward_the_factory_refused_does_not_use_up_the_verifiers_cap() {
    // The factory mints one reward per (one-hour) emission epoch; the registry pays a verifier
    // two checks per ten-hour reward epoch.
    let mut n = bonded_net_on(
        protocol_with_emission_cap(REWARD),
        RegistrySettings {
            max_rewarded_checks: 2,
            reward_epoch_seconds: 10 * EPOCH,
            ..settings()
        },
    );
    let alice = n.stake_device("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    let before = n.p.balance_of("bob");

    // First check: minted.
    let (id, d) = n.assigned("bob", &VERIFIERS);
    assert_eq!(d, alice);
    let res = n.pass("bob", id, d).unwrap();
    assert_eq!(attr(&res, "reward_unpaid"), None);
    assert_eq!(n.p.balance_of("bob"), before + REWARD);
    let first = emission(&n);
    assert_eq!(first.remaining_this_epoch, Uint128::zero());

    // Second check, same emission epoch: the factory refuses; the verdict stands, unpaid.
    let (id, d) = n.assigned("bob", &VERIFIERS);
    let res = n.pass("bob", id, d).unwrap();
    assert_eq!(n.challenge(id).status, ChallengeStatus::Passed);
    assert_eq!(attr(&res, "action").as_deref(), Some("submit"));
    assert!(
        attr(&res, "error").is_some_and(|e| e.contains("emission cap reached")),
        "{res:?}"
    );
    assert_eq!(n.p.balance_of("bob"), before + REWARD);
    assert_eq!(n.verifier("bob").valid_checks, 2);

    // The next emission epoch, the same reward epoch: the refused mint did not use up Bob's
    // two paid checks, so this one is paid.
    n.wait(EPOCH);
    let (id, d) = n.assigned("bob", &VERIFIERS);
    n.pass("bob", id, d).unwrap();
    assert!(emission(&n).epoch > first.epoch);
    assert_eq!(n.p.balance_of("bob"), before + 2 * REWARD);

    // A third paid check in the reward epoch is over the registry's cap: not even asked for.
    n.wait(EPOCH);
    let (id, d) = n.assigned("bob", &VERIFIERS);
    let res = n.pass("bob", id, d).unwrap();
    assert_eq!(attr(&res, "error"), None);
    assert_eq!(n.p.balance_of("bob"), before + 2 * REWARD);
    assert_eq!(emission(&n).total_minted.u128(), 2 * REWARD);
    assert_eq!(n.verifier("bob").valid_checks, 4);
}

/// What the pool's sale of `hours` of a seller's would pay now (`SimulateSellersSale`): the
/// quote a seller bounds its registration with; `None` when it would pay nothing.
fn sellers_sale(n: &Net, hours: u128) -> Option<Swap> {
    n.p.app
        .wrap()
        .query_wasm_smart(
            &n.p.pair,
            &pair::QueryMsg::SimulateSellersSale {
                hours: Uint128::new(hours),
            },
        )
        .unwrap()
}

/// A seller's bound on its first sale travels with its registration: the registry passes
/// `min_first_proceeds` to the pool, and a sale below it reverts the whole registration (the
/// registry's storage, the device and the stake unchanged), so the seller can try again later.
#[test]
fn a_registration_below_the_sellers_bound_registers_nothing() {
    let mut n = net();
    n.stake_device("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    // A client's lease of Alice's hours, then a boundary: the seller budget pays the first sale.
    n.p.fund_sellers("client", 1, 3 * HOUR / 4);
    let d = n.encode_and_stake("seller", 2, StakeMode::Seller, 10 * LOOP);
    let hours = n.p.stake_info(2).hours_per_epoch.u128();
    let quote = sellers_sale(&n, hours).expect("a funded sale pays").receive;
    let (registry, pool) = (n.p.app.dump_wasm_raw(&n.reg), n.p.pool());
    // One micro-LOOP above what the sale pays: refused.
    let err: loopin_pair::ContractError =
        contract_error(n.register_bounded(d, Some(quote.u128() + 1)));
    assert_eq!(
        err,
        loopin_pair::ContractError::FirstSaleBelowMinimum {
            proceeds: quote,
            min: quote + Uint128::one(),
        }
    );
    assert_eq!(n.p.app.dump_wasm_raw(&n.reg), registry);
    assert_eq!(n.p.pool(), pool);
    assert_eq!(n.p.stake_info(2).verified_from, None);
    // Bound at the quote, it registers and sells for just that.
    n.register_bounded(d, Some(quote.u128())).unwrap();
    assert!(n.p.stake_info(2).verified_from.is_some());
    assert_eq!(n.p.pool().escrow, pool.escrow + quote);
}

/// In a pool clients have paid nothing to yet, a seller's registration still succeeds and its
/// hours of that epoch are listed, but the pool pays nothing for them (it buys sellers' hours
/// only with what clients paid it): nothing leaves the reserve, and a seller that bound the sale
/// above nothing registers nothing.
#[test]
fn a_registration_in_an_unfunded_pool_lists_its_first_epoch_for_nothing() {
    let mut n = net();
    n.stake_device("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    let d = n.encode_and_stake("seller", 2, StakeMode::Seller, 10 * LOOP);
    assert_eq!(n.p.pool().seller_budget, Uint128::zero());
    let hours = n.p.stake_info(2).hours_per_epoch.u128();
    let quote = sellers_sale(&n, hours).expect("the pool has a price");
    assert_eq!(
        (quote.receive, quote.fee),
        (Uint128::zero(), Uint128::zero())
    );

    let (registry, pool) = (n.p.app.dump_wasm_raw(&n.reg), n.p.pool());
    let err: loopin_pair::ContractError = contract_error(n.register_bounded(d, Some(1)));
    assert_eq!(
        err,
        loopin_pair::ContractError::FirstSaleBelowMinimum {
            proceeds: Uint128::zero(),
            min: Uint128::one(),
        }
    );
    assert_eq!(n.p.app.dump_wasm_raw(&n.reg), registry);
    assert_eq!(n.p.pool(), pool);
    assert_eq!(n.p.stake_info(2).verified_from, None);

    // Unbounded, it registers: its hour joins `x`, and nothing leaves the LOOP reserve.
    n.register_bounded(d, None).unwrap();
    let token_id = n.devices[d].token_id.clone();
    assert_eq!(n.device(&token_id).status, DeviceStatus::Active);
    let first = n.p.stake_info(2).verified_from.expect("registered");
    let after = n.p.pool();
    assert_eq!(after.reserves.tokens, pool.reserves.tokens);
    assert_eq!(
        after.reserves.hours,
        pool.reserves.hours + Uint128::new(hours)
    );
    assert_eq!(after.escrow, pool.escrow);
    assert_eq!(after.trading_epoch, first);
    // A client can lease it; what the client pays stays with the providers.
    n.p.lease("client", 2, HOUR / 2, 1_000 * LOOP).unwrap();
    assert!(n.p.pool().reserves.tokens > pool.reserves.tokens);
}
