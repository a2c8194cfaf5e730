//! The PoCPS registry on the whole protocol ([`Protocol`]): the registry contract, the test
//! settings, staked devices with real PoCPS encodings (`Params::TEST`, k256 device keys) and a
//! [`Net`] that drives verifier bonds, the entropy beacon, challenges and verdicts. Shared by the
//! `registry_*.rs` tests.

pub mod appeals;
mod challenge;
mod device;
mod device_setup;
mod params;

pub use challenge::bad_proof;
pub use device::Device;
pub use params::{BOND, CHAIN, EK_RANDOMNESS, K, REWARD, ROUND};

use cosmwasm_std::{Addr, Empty, Uint128};
use cw_multi_test::{AppResponse, Contract, ContractWrapper, Executor};
use k256::ecdsa::SigningKey;
use loopin::pair;
use loopin::registry::{
    AssignmentInfo, AssignmentsResponse, ChallengeResponse, DeviceResponse, DevicesResponse,
    ExecuteMsg, InstantiateMsg, QueryMsg, RegistrySettings, VerifierResponse,
};
use loopin::stake_cert::{self, CertificateResponse, CertificateStatus};
use loopin::{factory, token};
use loopin_pocps_registry::ContractError;

use crate::contract_error;
use crate::protocol::{LOOP, Protocol, protocol};

pub fn registry_contract() -> Box<dyn Contract<Empty>> {
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

pub fn settings() -> RegistrySettings {
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
        skip_penalty_bps: 100,
        assign_choices: 8,
        audit_seconds: 86_400,
        audit_fee_bps: 100,
        min_chain_rounds: CHAIN,
        rtt_factor: 0,
        max_deadline_ms: 0,
        // No appeals unless a test sets them: a lateness quorum invalidates at once.
        appeal_seconds: 0,
        appeal_draw: 3,
        appeal_passes: 2,
        overturned_late_bps: 0,
    }
}

pub struct Net {
    pub p: Protocol,
    pub factory: Addr,
    pub reg: Addr,
    pub devices: Vec<Device>,
    /// Secrets of open challenges, by id.
    secrets: Vec<(u64, [u8; 32])>,
    nonce: u8,
}

pub fn net_with(settings: RegistrySettings) -> Net {
    net_on(protocol(), settings)
}

/// The registry on protocol `p` (a factory with its own emission cap, for example).
pub fn net_on(mut p: Protocol, settings: RegistrySettings) -> Net {
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
    // Passes come from real challenges.
    p.auto_prove = false;
    Net {
        p,
        factory: config.factory,
        reg,
        devices: vec![],
        secrets: vec![],
        nonce: 0,
    }
}

pub fn net() -> Net {
    net_with(settings())
}

pub const VERIFIERS: [&str; 3] = ["bob", "carol", "dave"];

pub fn bonded_net() -> Net {
    bonded_net_with(settings())
}

/// A verifier's challenge key, fixed per name (and generation, for rotations).
pub fn challenge_key(who: &str, generation: u8) -> SigningKey {
    let mut bytes = [generation.wrapping_add(1); 32];
    bytes[1..1 + who.len()].copy_from_slice(who.as_bytes());
    SigningKey::from_slice(&bytes).unwrap()
}

pub fn bonded_net_with(settings: RegistrySettings) -> Net {
    bonded_net_on(protocol(), settings)
}

pub fn bonded_net_on(p: Protocol, settings: RegistrySettings) -> Net {
    let mut n = net_on(p, settings);
    for v in VERIFIERS {
        n.bond(v, BOND).unwrap();
        n.set_key(v, &challenge_key(v, 0)).unwrap();
    }
    n
}

impl Net {
    pub fn addr(&self, name: &str) -> Addr {
        self.p.addr(name)
    }

    pub fn exec(&mut self, who: &str, msg: &ExecuteMsg) -> anyhow::Result<AppResponse> {
        let sender = self.addr(who);
        let res = self
            .p
            .app
            .execute_contract(sender, self.reg.clone(), msg, &[]);
        self.p.check_invariants();
        res
    }

    /// Runs a call that must fail and checks it left the registry's storage untouched.
    pub fn refused(&mut self, who: &str, msg: &ExecuteMsg) -> ContractError {
        let before = self.p.app.dump_wasm_raw(&self.reg);
        let err = contract_error(self.exec(who, msg));
        assert_eq!(self.p.app.dump_wasm_raw(&self.reg), before, "{err:?}");
        err
    }

    /// The pool's record of stake `stake_id`'s proof of `epoch`.
    pub fn epoch_proof(&self, stake_id: u64, epoch: u64) -> pair::EpochProofResponse {
        self.p
            .app
            .wrap()
            .query_wasm_smart(
                &self.p.pair,
                &pair::QueryMsg::EpochProof { stake_id, epoch },
            )
            .unwrap()
    }

    /// `seconds` later, with the pool's due epoch boundaries processed (as the keeper does).
    pub fn later(&mut self, seconds: u64) {
        self.p
            .app
            .update_block(|b| b.time = b.time.plus_seconds(seconds));
        let keeper = self.addr("dave");
        while self.p.pool().epoch < self.p.pool().clock_epoch {
            self.p
                .exec(
                    &keeper,
                    &pair::ExecuteMsg::AdvanceEpoch { max_epochs: None },
                )
                .unwrap();
        }
    }

    pub fn wait(&mut self, seconds: u64) {
        self.p.app.update_block(|b| {
            b.time = b.time.plus_seconds(seconds);
            b.height += 1;
        });
    }

    pub fn q<T: serde::de::DeserializeOwned>(&self, msg: &QueryMsg) -> T {
        self.p.app.wrap().query_wasm_smart(&self.reg, msg).unwrap()
    }

    pub fn challenge(&self, id: u64) -> ChallengeResponse {
        self.q(&QueryMsg::Challenge { challenge_id: id })
    }

    pub fn verifier(&self, who: &str) -> VerifierResponse {
        self.q(&QueryMsg::Verifier {
            address: self.addr(who).to_string(),
        })
    }

    pub fn device(&self, token_id: &str) -> DeviceResponse {
        self.q(&QueryMsg::Device {
            token_id: token_id.into(),
        })
    }

    fn certificate_response(&self, token_id: &str) -> CertificateResponse {
        self.p
            .app
            .wrap()
            .query_wasm_smart(
                &self.p.stake_cert,
                &stake_cert::QueryMsg::Certificate {
                    token_id: token_id.into(),
                },
            )
            .unwrap()
    }

    pub fn certificate(&self, token_id: &str) -> CertificateStatus {
        self.certificate_response(token_id).certificate.status
    }

    pub fn supply(&self) -> token::SupplyAuditResponse {
        self.p
            .app
            .wrap()
            .query_wasm_smart(&self.p.token, &token::QueryMsg::SupplyAudit {})
            .unwrap()
    }

    pub fn expiry(&self, token_id: &str) -> u64 {
        self.certificate_response(token_id)
            .certificate
            .expiry
            .seconds()
    }

    /// Token ids the `Devices` query lists (the registry's active devices), ascending.
    pub fn listed(&self) -> Vec<String> {
        let res: DevicesResponse = self.q(&QueryMsg::Devices {
            start_after: None,
            limit: Some(100),
        });
        res.devices.into_iter().map(|d| d.token_id).collect()
    }

    /// Token ids of devices `ds`, ascending (as [`Self::listed`] orders them).
    pub fn tokens(&self, ds: &[usize]) -> Vec<String> {
        let mut tokens: Vec<String> = ds
            .iter()
            .map(|&d| self.devices[d].token_id.clone())
            .collect();
        tokens.sort();
        tokens
    }

    pub fn assignments(&self, token_id: &str) -> Vec<AssignmentInfo> {
        let res: AssignmentsResponse = self.q(&QueryMsg::Assignments {
            token_id: token_id.to_string(),
            start_after: None,
            limit: None,
        });
        res.assignments
    }
}
