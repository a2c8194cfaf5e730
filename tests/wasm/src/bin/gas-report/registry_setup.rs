//! What the registry's gas scenarios share: production-80g, the settings, and the querier that
//! stands in for the factory, the pool and the stake certificates.

use std::collections::HashMap;

use cosmwasm_std::{
    Addr, ContractResult, SystemResult, Uint128, WasmQuery, from_json, to_json_binary,
};
use cosmwasm_std::{Decimal, HexBinary, Timestamp};
use k256::ecdsa::SigningKey;
use loopin::pool::{GemmClass, PoolParams};
use loopin::registry::{CommitmentMsg, ExecuteMsg, PocpsParams, RegistrySettings};
use loopin::stake_cert::{
    self, CertificateResponse, CertificateStatus, StakeCertificate, StakeMode,
};
use loopin::{factory, pair};
use loopin_pocps::encode::{Params, derive_ek};
use loopin_pocps::merkle::Hash;
use loopin_pocps::proof::Commitment;
use loopin_pocps::sig::{challenge_key_message, device_fingerprint, k256_sign};
use sha2::{Digest, Sha256};

/// Openings per round k, the beacon round, and the chained reads R of a production timed chain.
pub(crate) const K: u32 = 8;
pub(crate) const ROUND: u64 = 60;
pub(crate) const CHAIN_ROUNDS: u32 = 20_000;

/// production-80g (`loopin_pocps::attack::PRODUCTION_80G`).
pub(crate) const PRODUCTION: Params = Params {
    lanes: 1 << 17,
    blocks_per_lane: 1 << 15,
    rounds: 1000,
    blocks_per_leaf: 64,
};

pub(crate) fn settings() -> RegistrySettings {
    RegistrySettings {
        min_bond: Uint128::new(100_000_000),
        unbonding_seconds: 7 * 86_400,
        round_seconds: ROUND,
        entropy_quorum: 2,
        assign_window_rounds: 5,
        response_seconds: 600,
        deadline_ms: 100,
        openings_per_round: K,
        // A whole leaf here, to measure it; production sets one block's worth (1000).
        max_recheck_steps: 64_000,
        dispute_seconds: 3_600,
        lateness_quorum: 3,
        lateness_window_seconds: 86_400,
        reward_per_check: Uint128::new(1_000_000),
        max_rewarded_checks: 10,
        max_rewards_per_epoch: Uint128::new(100_000_000),
        reward_epoch_seconds: 3_600,
        max_open_challenges: 4,
        min_rounds: 1000,
        skip_penalty_bps: 100,
        assign_choices: 8,
        audit_seconds: 86_400,
        audit_fee_bps: 50,
        min_chain_rounds: CHAIN_ROUNDS,
        rtt_factor: 3,
        max_deadline_ms: 500,
        appeal_seconds: 3_600,
        appeal_draw: 3,
        appeal_passes: 2,
        overturned_late_bps: 100,
    }
}

pub(crate) fn challenge_randomness(beacon: &[u8], id: u64) -> Hash {
    Sha256::new()
        .chain_update(b"loopin-registry/challenge")
        .chain_update(beacon)
        .chain_update(id.to_be_bytes())
        .finalize()
        .into()
}

/// The h100 class's GEMM challenge (`loopin::gpu_classes`), which the scenarios' class asks,
/// with every challenge rather than in sweeps: a sweep's Pass runs the same checks, and the
/// scenarios assign their challenges by `Assign`.
pub(crate) fn h100_gemm() -> GemmClass {
    GemmClass {
        sweep_seconds: 0,
        ..loopin::gpu_classes::class("h100")
            .expect("the h100 class")
            .gemm
    }
}

/// Answers for the factory's config, the pool's class (production-80g: 64 GiB at r = 1000) and
/// the stake certificates known so far.
pub(crate) fn querier(
    factory: String,
    config: factory::ConfigResponse,
    (pool, gemm): (String, GemmClass),
    certs: HashMap<String, CertificateResponse>,
) -> impl Fn(&WasmQuery) -> cosmwasm_std::QuerierResult + 'static {
    let class = pair::ConfigResponse {
        class: "h100".into(),
        factory: Addr::unchecked(&factory),
        token: config.token.clone(),
        stake_cert: config.stake_cert.clone(),
        params: PoolParams {
            min_proof_bytes: 64 << 30,
            min_proof_rounds: PRODUCTION.rounds,
            gemm: Some(gemm),
            ..crate::pair::params()
        },
        genesis: 0,
    };
    move |query| {
        let WasmQuery::Smart { contract_addr, msg } = query else {
            return SystemResult::Ok(ContractResult::Err("unsupported".into()));
        };
        let answer = if *contract_addr == factory {
            to_json_binary(&config)
        } else if *contract_addr == pool {
            to_json_binary(&class)
        } else {
            match from_json::<stake_cert::QueryMsg>(msg) {
                Ok(stake_cert::QueryMsg::Certificate { token_id }) => match certs.get(&token_id) {
                    Some(cert) => to_json_binary(cert),
                    None => return SystemResult::Ok(ContractResult::Err("not found".into())),
                },
                _ => return SystemResult::Ok(ContractResult::Err("unsupported".into())),
            }
        };
        SystemResult::Ok(ContractResult::Ok(answer.expect("encodes")))
    }
}

/// A key's compressed SEC1 point (what the registry takes as a public key).
pub(crate) fn compressed(key: &SigningKey) -> Vec<u8> {
    key.verifying_key()
        .to_encoded_point(true)
        .as_bytes()
        .to_vec()
}

/// Verifier number `i`'s challenge key in the scenarios with many verifiers.
pub(crate) fn verifier_key(i: u64) -> SigningKey {
    let mut bytes = [0x33u8; 32];
    bytes[..8].copy_from_slice(&(i + 1).to_be_bytes());
    SigningKey::from_slice(&bytes).unwrap()
}

/// The device's `RotateDeviceKey` from `from` to `to` (its `rotation`-th), signed by both, on
/// the registry at `registry` of chain `chain_id`.
pub(crate) fn rotate_key_msg(
    chain_id: &str,
    registry: &str,
    token_id: &str,
    from: &SigningKey,
    to: &SigningKey,
    rotation: u32,
) -> ExecuteMsg {
    let new_key = compressed(to);
    let message = loopin::device::KeyRotation {
        chain_id,
        registry,
        token_id,
        new_key: &new_key,
        rotation,
    }
    .message();
    ExecuteMsg::RotateDeviceKey {
        token_id: token_id.to_string(),
        new_key: HexBinary::from(new_key),
        current_key_signature: HexBinary::from(k256_sign(from, &message)),
        new_key_signature: HexBinary::from(k256_sign(to, &message)),
    }
}

/// `who`'s `SetChallengeKey` with `key` on the registry at `registry`: the key and its proof of
/// possession.
pub(crate) fn set_key_msg(registry: &str, who: &str, key: &SigningKey) -> ExecuteMsg {
    let pubkey = compressed(key);
    let message = challenge_key_message(registry, who, &pubkey);
    ExecuteMsg::SetChallengeKey {
        pubkey: HexBinary::from(pubkey),
        signature: HexBinary::from(k256_sign(key, &message)),
    }
}

/// The scenarios' device, of `miner` in `pool` at production-80g: its key, its fingerprint (the
/// key's) and its ek.
pub(crate) struct Device {
    pub key: SigningKey,
    pub pubkey: Vec<u8>,
    pub fingerprint: Hash,
    pub ek: u128,
    /// Its stake certificate's token id.
    pub token_id: String,
    miner: String,
    pool: String,
}

/// The ek randomness the device registers with, and its certificate's token id.
const EK_RANDOMNESS: &[u8] = b"setup-randomness";
pub(crate) const TOKEN_ID: &str = "h100-1";

impl Device {
    pub(crate) fn new(miner: &str, pool: &str) -> Device {
        Device::numbered(miner, pool, 0)
    }

    /// Device number `id` (0 is [`Device::new`]'s, [`TOKEN_ID`]): its own key, and `h100-{id + 1}`
    /// as token id.
    pub(crate) fn numbered(miner: &str, pool: &str, id: u64) -> Device {
        let mut secret = [0x77u8; 32];
        if id > 0 {
            secret[..8].copy_from_slice(&id.to_be_bytes());
        }
        let key = SigningKey::from_slice(&secret).unwrap();
        let pubkey = compressed(&key);
        let fingerprint = device_fingerprint(&pubkey);
        let ek = derive_ek(&fingerprint, miner, pool, EK_RANDOMNESS);
        Device {
            key,
            pubkey,
            fingerprint,
            ek,
            token_id: format!("h100-{}", id + 1),
            miner: miner.to_string(),
            pool: pool.to_string(),
        }
    }

    /// Its commitment to a P whose Merkle root is `root`.
    pub(crate) fn commitment(&self, root: Hash) -> Commitment {
        Commitment {
            params: PRODUCTION,
            root,
            ek: self.ek,
            pubkey: self.pubkey.clone(),
        }
    }

    /// Its stake certificate from `now` for 100 hours, as the stake-certificate contract
    /// answers it.
    pub(crate) fn certificate(&self, root: Hash, now: Timestamp) -> CertificateResponse {
        CertificateResponse {
            token_id: self.token_id.clone(),
            certificate: StakeCertificate {
                pool: Addr::unchecked(&self.pool),
                device_id: HexBinary::from(self.fingerprint).to_hex(),
                miner: Addr::unchecked(&self.miner),
                mode: StakeMode::LiquidityProvider,
                start: now,
                expiry: now.plus_seconds(100 * 3_600),
                rate: Decimal::one(),
                commitment: HexBinary::from(self.commitment(root).digest()),
                status: CertificateStatus::Active,
            },
        }
    }

    /// Its `RegisterDevice`.
    pub(crate) fn register(&self, root: Hash) -> ExecuteMsg {
        ExecuteMsg::RegisterDevice {
            token_id: self.token_id.clone(),
            fingerprint: HexBinary::from(self.fingerprint),
            commitment: CommitmentMsg {
                params: PocpsParams {
                    lanes: PRODUCTION.lanes,
                    blocks_per_lane: PRODUCTION.blocks_per_lane,
                    rounds: PRODUCTION.rounds,
                    blocks_per_leaf: PRODUCTION.blocks_per_leaf,
                },
                root: HexBinary::from(root),
                ek: cosmwasm_std::Uint128::new(self.ek),
                pubkey: HexBinary::from(self.pubkey.clone()),
            },
            endpoint: "https://miner.example:7443".into(),
            ek_randomness: HexBinary::from(EK_RANDOMNESS),
        }
    }
}

/// The registry's neighbours as the querier stands in for them: the factory (with the LOOP
/// token and the stake-certificate contract) and the h100 pool, and the miner.
pub(crate) struct Wiring {
    pub factory: String,
    pub token: String,
    pub pool: String,
    pub miner: String,
    pub config: factory::ConfigResponse,
    /// The pool's class's GEMM challenge.
    pub gemm: GemmClass,
}

impl Wiring {
    /// The addresses in `c`, and the querier answering for them with no certificate yet; the
    /// pool's class asks the h100 class's GEMM with every challenge.
    pub(crate) fn new(
        c: &mut loopin_wasm_tests::WasmContract,
    ) -> Result<Wiring, loopin_wasm_tests::HarnessError> {
        Wiring::with_gemm(c, h100_gemm())
    }

    /// [`Wiring::new`] with the pool's class asking `gemm`.
    pub(crate) fn with_gemm(
        c: &mut loopin_wasm_tests::WasmContract,
        gemm: GemmClass,
    ) -> Result<Wiring, loopin_wasm_tests::HarnessError> {
        let token = c.addr("loop-token");
        let config = factory::ConfigResponse {
            token: Addr::unchecked(&token),
            stake_cert: Addr::unchecked(c.addr("stake-cert")),
            pair_code_id: 3,
            registry: None,
            emission: factory::EmissionConfig {
                cap_per_epoch: Uint128::new(1_000_000_000),
                epoch_seconds: 3_600,
            },
        };
        let w = Wiring {
            factory: c.addr("factory"),
            token,
            pool: c.addr("pool-h100"),
            miner: c.addr("miner"),
            config,
            gemm,
        };
        w.certificates(c, HashMap::new())?;
        Ok(w)
    }

    /// The querier, now also answering for `certs`.
    pub(crate) fn certificates(
        &self,
        c: &mut loopin_wasm_tests::WasmContract,
        certs: HashMap<String, CertificateResponse>,
    ) -> Result<(), loopin_wasm_tests::HarnessError> {
        c.set_wasm_querier(querier(
            self.factory.clone(),
            self.config.clone(),
            (self.pool.clone(), self.gemm),
            certs,
        ))
    }
}

/// The challenge id a `Commit` answered with.
pub(crate) fn challenge_id(res: &cosmwasm_std::Response) -> u64 {
    res.attributes
        .iter()
        .find(|a| a.key == "challenge_id")
        .and_then(|a| a.value.parse().ok())
        .expect("Commit answers with its challenge id")
}
