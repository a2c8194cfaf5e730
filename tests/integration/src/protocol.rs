//! The whole protocol on cw-multi-test — factory, LOOP, stake certificates and one pair — with
//! the invariants every test checks after every call.

use cosmwasm_std::{Addr, Decimal, Empty, HexBinary, Uint128, to_json_binary};
use cw_multi_test::{App, AppResponse, Contract, ContractWrapper, Executor};
use k256::ecdsa::SigningKey;
use loopin::device::{StakeClaim, device_id};
use loopin::factory::{self, EmissionConfig, TokenInit};
use loopin::pair::{ExecuteMsg, PoolResponse, QueryMsg, ReceiveMsg, StakeResponse};
use loopin::pool::PoolParams;
use loopin::stake_cert::StakeMode;
use loopin::token;
use loopin_pool_math::economics::Economics;

use crate::{stake_cert_contract, token_contract};

pub const EPOCH: u64 = 3_600;
pub const LOOP: u128 = 1_000_000;
pub const RICH: u128 = 1_000_000 * LOOP;

pub fn factory_contract() -> Box<dyn Contract<Empty>> {
    Box::new(
        ContractWrapper::new(
            loopin_factory::contract::execute,
            loopin_factory::contract::instantiate,
            loopin_factory::contract::query,
        )
        .with_reply(loopin_factory::contract::reply)
        .with_migrate(loopin_factory::contract::migrate),
    )
}

pub fn pair_contract() -> Box<dyn Contract<Empty>> {
    Box::new(
        ContractWrapper::new(
            loopin_pair::contract::execute,
            loopin_pair::contract::instantiate,
            loopin_pair::contract::query,
        )
        .with_migrate(loopin_pair::contract::migrate),
    )
}

/// alpha 1 LOOP, beta 0.1 LOOP/h, gamma 0.5 LOOP/h: T_min = 2.5 h, so 3 one-hour epochs.
pub fn params() -> PoolParams {
    PoolParams {
        economics: Economics {
            alpha: Decimal::from_ratio(LOOP, 1u128),
            beta: Decimal::from_ratio(LOOP / 10, 1u128),
            gamma: Decimal::from_ratio(LOOP / 2, 1u128),
        },
        exchange_fee: Decimal::permille(3),
        epoch_seconds: EPOCH,
        min_epochs: 3,
        max_epochs: 200,
        seller_deposit: Uint128::new(LOOP),
        dispute_epochs: 0,
        min_lease_hours: loopin::pool::DEFAULT_MIN_LEASE_HOURS.into(),
        min_rate: loopin::pool::DEFAULT_MIN_RATE,
        max_rate: loopin::pool::DEFAULT_MAX_RATE,
        min_proof_bytes: loopin::pool::DEFAULT_MIN_PROOF_BYTES,
        min_proof_rounds: loopin::pool::DEFAULT_MIN_PROOF_ROUNDS,
        min_passes_per_epoch: loopin::pool::DEFAULT_MIN_PASSES_PER_EPOCH,
        pass_grace_seconds: 0,
        lateness_quorum: 0,
        gemm: None,
        incentives: None,
    }
}

/// The signing key of the test device `name` (derived from the name).
pub fn device_key(name: &str) -> SigningKey {
    let mut seed = [7u8; 32];
    for (i, b) in name.bytes().enumerate() {
        seed[i % 32] ^= b;
    }
    SigningKey::from_slice(&seed).expect("a valid secp256k1 key")
}

/// The compressed public key of the test device `name`.
pub fn device_pubkey(name: &str) -> Vec<u8> {
    device_key(name)
        .verifying_key()
        .to_encoded_point(true)
        .as_bytes()
        .to_vec()
}

/// The device id of the test device `name`: the fingerprint of its key.
pub fn test_device_id(name: &str) -> String {
    device_id(&device_pubkey(name))
}

/// A client's OpenSSH key (`ssh-keygen -t ed25519`, public half, no comment).
pub const SSH_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA/sviTJfQXJKl0MknakEdkHhZdlVSTJbzhi3Oejh+S5";

pub struct Protocol {
    pub app: App,
    pub token: Addr,
    pub stake_cert: Addr,
    pub pair: Addr,
    pub registry: Addr,
    /// LOOP transferred to the pair outside its messages: it never enters the books.
    pub donated: u128,
    /// Whether the registry (here an account standing for it) reports each device registered
    /// right after its stake, as an honest miner's device is (stake, then `RegisterDevice`).
    /// Tests of unregistered devices turn it off.
    pub auto_register: bool,
    /// Whether the registry (the same account) reports a pass of every registered device in
    /// each epoch `next_epoch` leaves, as verifiers challenging honest devices do: their epochs
    /// are proven and pay. Tests of unproven epochs turn it off.
    pub auto_prove: bool,
    /// Certificates of the devices reported registered, in order.
    pub registered: Vec<String>,
}

/// The value of the first attribute `key` among the response's events.
pub fn attr(response: &AppResponse, key: &str) -> Option<String> {
    response
        .events
        .iter()
        .flat_map(|event| &event.attributes)
        .find(|a| a.key == key)
        .map(|a| a.value.clone())
}

pub fn actor(app: &App, name: &str) -> Addr {
    app.api().addr_make(name)
}

pub const ACTORS: [&str; 6] = ["alice", "bob", "carol", "seller", "client", "dave"];

/// The protocol with a factory minting at most 1,000 LOOP per epoch.
pub fn protocol() -> Protocol {
    protocol_with_emission_cap(1_000 * LOOP)
}

/// A pool with a price: Alice provides on her device for 100 epochs (1 LOOP of fee, 10 LOOP
/// for her hour).
pub fn market() -> Protocol {
    market_on(protocol())
}

/// `p` with Alice's price-setting stake of [`market`].
/// [`market`] on a class with `params` (the default emission cap).
pub fn market_with(params: PoolParams) -> Protocol {
    market_on(protocol_with(params, 1_000 * LOOP))
}

pub fn market_on(mut p: Protocol) -> Protocol {
    p.stake(
        "alice",
        "gpu-a",
        StakeMode::LiquidityProvider,
        100,
        11 * LOOP,
    )
    .unwrap();
    p
}

/// The protocol with the factory's per-epoch emission cap set to `cap` micro-LOOP.
pub fn protocol_with_emission_cap(cap: u128) -> Protocol {
    protocol_with(params(), cap)
}

/// The protocol with the test parameters but a dispute window of `dispute_epochs` epochs.
pub fn protocol_with_dispute_window(dispute_epochs: u64) -> Protocol {
    protocol_with(
        PoolParams {
            dispute_epochs,
            ..params()
        },
        1_000 * LOOP,
    )
}

/// The protocol with the pool's class parameters `params` and an emission cap of `cap`.
pub fn protocol_with(params: PoolParams, cap: u128) -> Protocol {
    let mut app = App::default();
    let owner = actor(&app, "governance");
    let registry = actor(&app, "registry");
    let token_code = app.store_code(token_contract());
    let cert_code = app.store_code(stake_cert_contract());
    let pair_code = app.store_code(pair_contract());
    let factory_code = app.store_code(factory_contract());
    let initial_balances = ACTORS
        .iter()
        .map(|name| cw20::Cw20Coin {
            address: actor(&app, name).to_string(),
            amount: Uint128::new(RICH),
        })
        .collect();
    let msg = factory::InstantiateMsg {
        owner: owner.to_string(),
        token_code_id: token_code,
        token: TokenInit {
            name: "LooPIN".into(),
            symbol: "LOOP".into(),
            decimals: 6,
            initial_balances,
            cap: None,
            marketing: None,
        },
        stake_cert_code_id: cert_code,
        pair_code_id: pair_code,
        emission: EmissionConfig {
            cap_per_epoch: Uint128::new(cap),
            epoch_seconds: EPOCH,
        },
        admin: Some(owner.to_string()),
        // No notice: tests re-point the registry at once (factory_governance.rs sets a delay).
        min_delay: Some(0),
    };
    let factory = app
        .instantiate_contract(factory_code, owner.clone(), &msg, &[], "factory", None)
        .unwrap();
    app.execute_contract(
        owner.clone(),
        factory.clone(),
        &factory::ExecuteMsg::SetClassParams {
            class: "h100".into(),
            params: Box::new(params),
        },
        &[],
    )
    .unwrap();
    app.execute_contract(
        owner.clone(),
        factory.clone(),
        &factory::ExecuteMsg::SetRegistry {
            registry: registry.to_string(),
        },
        &[],
    )
    .unwrap();
    app.execute_contract(
        owner,
        factory.clone(),
        &factory::ExecuteMsg::CreatePool {
            class: "h100".into(),
        },
        &[],
    )
    .unwrap();
    let config: factory::ConfigResponse = app
        .wrap()
        .query_wasm_smart(&factory, &factory::QueryMsg::Config {})
        .unwrap();
    let pool: factory::PoolResponse = app
        .wrap()
        .query_wasm_smart(
            &factory,
            &factory::QueryMsg::Pool {
                class: "h100".into(),
            },
        )
        .unwrap();
    Protocol {
        app,
        token: config.token,
        stake_cert: config.stake_cert,
        pair: pool.pair,
        registry,
        donated: 0,
        auto_register: true,
        auto_prove: true,
        registered: vec![],
    }
}

impl Protocol {
    pub fn addr(&self, name: &str) -> Addr {
        actor(&self.app, name)
    }

    pub fn send(
        &mut self,
        from: &str,
        amount: u128,
        msg: &ReceiveMsg,
    ) -> anyhow::Result<AppResponse> {
        let sender = self.addr(from);
        let send = token::ExecuteMsg::Send {
            contract: self.pair.to_string(),
            amount: Uint128::new(amount),
            msg: to_json_binary(msg).unwrap(),
        };
        let result = self
            .app
            .execute_contract(sender, self.token.clone(), &send, &[]);
        self.check_invariants();
        match result {
            Ok(response) if self.auto_register && matches!(msg, ReceiveMsg::Stake { .. }) => {
                let token_id = attr(&response, "token_id").expect("a stake's token id");
                self.register_device(&token_id)?;
                Ok(response)
            }
            other => other,
        }
    }

    /// A second pool (class "a100", the test parameters) that governance creates; its pair.
    pub fn second_pool(&mut self) -> Addr {
        let config: loopin::pair::ConfigResponse = self
            .app
            .wrap()
            .query_wasm_smart(&self.pair, &loopin::pair::QueryMsg::Config {})
            .unwrap();
        let governance = self.addr("governance");
        for msg in [
            loopin::factory::ExecuteMsg::SetClassParams {
                class: "a100".into(),
                params: Box::new(params()),
            },
            loopin::factory::ExecuteMsg::CreatePool {
                class: "a100".into(),
            },
        ] {
            self.app
                .execute_contract(governance.clone(), config.factory.clone(), &msg, &[])
                .unwrap();
        }
        let pool: loopin::factory::PoolResponse = self
            .app
            .wrap()
            .query_wasm_smart(
                &config.factory,
                &loopin::factory::QueryMsg::Pool {
                    class: "a100".into(),
                },
            )
            .unwrap();
        pool.pair
    }

    /// The registry reports the device of certificate `token_id` registered.
    pub fn register_device(&mut self, token_id: &str) -> anyhow::Result<AppResponse> {
        let registry = self.registry.clone();
        let response = self.exec(
            &registry,
            &ExecuteMsg::DeviceRegistered {
                token_id: token_id.into(),
            },
        )?;
        if !self.registered.iter().any(|t| t == token_id) {
            self.registered.push(token_id.into());
        }
        Ok(response)
    }

    /// The registry reports a pass of a challenge to the device of `token_id` assigned now,
    /// checked by a verifier (Carol).
    pub fn prove(&mut self, token_id: &str) -> anyhow::Result<AppResponse> {
        self.prove_by(token_id, "carol")
    }

    /// The registry reports a pass of a challenge to the device of `token_id` assigned now,
    /// checked by `verifier`.
    pub fn prove_by(&mut self, token_id: &str, verifier: &str) -> anyhow::Result<AppResponse> {
        let registry = self.registry.clone();
        let challenged_at = self.app.block_info().time;
        let verifier = Some(self.addr(verifier).to_string());
        self.exec(
            &registry,
            &ExecuteMsg::DeviceProven {
                token_id: token_id.into(),
                challenged_at,
                verifier,
                audit_until: None,
            },
        )
    }

    pub fn stake(
        &mut self,
        miner: &str,
        device: &str,
        mode: StakeMode,
        epochs: u64,
        amount: u128,
    ) -> anyhow::Result<AppResponse> {
        let msg = self.stake_msg(miner, device, mode, Decimal::one(), epochs);
        self.send(miner, amount, &msg)
    }

    /// A Stake hook for the test device `device`, signed by its key for `staker` on this pair.
    pub fn stake_msg(
        &self,
        staker: &str,
        device: &str,
        mode: StakeMode,
        rate: Decimal,
        epochs: u64,
    ) -> ReceiveMsg {
        let commitment = HexBinary::from([9u8; 32]);
        self.signed_stake(staker, &device_key(device), mode, rate, epochs, commitment)
    }

    /// A Stake hook for the device whose key is `key`, signed by it for `staker` on this pair.
    pub fn signed_stake(
        &self,
        staker: &str,
        key: &SigningKey,
        mode: StakeMode,
        rate: Decimal,
        epochs: u64,
        commitment: HexBinary,
    ) -> ReceiveMsg {
        let pubkey = key.verifying_key().to_encoded_point(true);
        let device_id = device_id(pubkey.as_bytes());
        let (chain_id, staker) = (self.app.block_info().chain_id, self.addr(staker));
        let claim = StakeClaim {
            chain_id: &chain_id,
            pair: self.pair.as_str(),
            device_id: &device_id,
            staker: staker.as_str(),
            commitment: &commitment,
            mode,
            rate,
            epochs,
        };
        let signature = loopin_pocps::sig::k256_sign(key, &claim.message());
        ReceiveMsg::Stake {
            device_id,
            mode,
            rate,
            epochs,
            commitment,
            max_liquidity: None,
            device_key: HexBinary::from(pubkey.as_bytes()),
            device_signature: HexBinary::from(signature),
            min_shares: None,
            max_price: None,
            deadline: None,
        }
    }

    pub fn lease(
        &mut self,
        client: &str,
        stake_id: u64,
        hours: u128,
        max: u128,
    ) -> anyhow::Result<AppResponse> {
        let msg = ReceiveMsg::Lease {
            stake_id,
            hours: Uint128::new(hours),
            client_key: HexBinary::from([1u8; 32]),
            ssh_key: SSH_KEY.into(),
            deadline: None,
            renewals: None,
            max_renewal_price: None,
            renewer: None,
        };
        self.send(client, max, &msg)
    }

    pub fn exec(&mut self, sender: &Addr, msg: &ExecuteMsg) -> anyhow::Result<AppResponse> {
        let result = self
            .app
            .execute_contract(sender.clone(), self.pair.clone(), msg, &[]);
        self.check_invariants();
        result
    }

    /// `who`'s passive liquidity: its shares and what a withdrawal would be paid now.
    pub fn liquidity(&self, who: &str) -> loopin::pair::LiquidityResponse {
        self.app
            .wrap()
            .query_wasm_smart(
                &self.pair,
                &QueryMsg::Liquidity {
                    owner: self.addr(who).to_string(),
                },
            )
            .unwrap()
    }

    /// Moves to the next epoch boundary and processes it.
    pub fn next_epoch(&mut self) {
        if self.auto_prove {
            for token_id in self.registered.clone() {
                self.prove(&token_id).unwrap();
            }
        }
        self.app.update_block(|block| {
            block.time = block.time.plus_seconds(EPOCH);
            block.height += 1;
        });
        let keeper = self.addr("dave");
        self.exec(&keeper, &ExecuteMsg::AdvanceEpoch { max_epochs: None })
            .unwrap();
    }

    /// Demand for sellers' hours: `client` leases `hours` of stake `stake_id` (a provider's) and
    /// the pool passes a boundary, after which the seller budget holds what it paid (sellers'
    /// sales spend only what clients paid the pool). Returns the budget.
    pub fn fund_sellers(&mut self, client: &str, stake_id: u64, hours: u128) -> u128 {
        let max = self.balance_of(client);
        self.lease(client, stake_id, hours, max).unwrap();
        self.next_epoch();
        self.pool().seller_budget.u128()
    }

    pub fn pool(&self) -> PoolResponse {
        self.app
            .wrap()
            .query_wasm_smart(&self.pair, &QueryMsg::Pool {})
            .unwrap()
    }

    /// The expiry (seconds) of stake `id`'s certificate.
    pub fn certificate_expiry(&self, id: u64) -> u64 {
        let token_id = self.stake_info(id).token_id;
        let info: cw721::msg::NftInfoResponse<loopin::stake_cert::StakeCertificate> = self
            .app
            .wrap()
            .query_wasm_smart(
                &self.stake_cert,
                &loopin::stake_cert::QueryMsg::NftInfo { token_id },
            )
            .unwrap();
        info.extension.expiry.seconds()
    }

    pub fn stake_info(&self, id: u64) -> StakeResponse {
        self.app
            .wrap()
            .query_wasm_smart(&self.pair, &QueryMsg::Stake { stake_id: id })
            .unwrap()
    }

    pub fn balance(&self, who: &Addr) -> u128 {
        let answer: cw20::BalanceResponse = self
            .app
            .wrap()
            .query_wasm_smart(
                &self.token,
                &token::QueryMsg::Balance {
                    address: who.to_string(),
                },
            )
            .unwrap();
        answer.balance.u128()
    }

    pub fn balance_of(&self, name: &str) -> u128 {
        self.balance(&self.addr(name))
    }

    /// Checked after every call, whatever its outcome:
    /// - the pair holds exactly its reserves plus what it owes (escrow, open disputes' bonds);
    /// - the unleased hours of the trading epoch are what supplying stakes have free, so no
    ///   epoch is ever oversold;
    /// - LOOP supply balances: every balance sums to the total supply, which is genesis plus
    ///   minted minus burned.
    pub fn check_invariants(&self) {
        let pool = self.pool();
        assert_eq!(
            self.balance(&self.pair),
            (pool.reserves.tokens + pool.escrow + pool.dispute_bonds).u128() + self.donated,
            "pair balance is reserves + escrow + dispute bonds (+ donations, outside the books)"
        );
        let trading = pool.trading_epoch;
        let mut free = 0u128;
        let mut id = 1;
        while let Ok(stake) = self
            .app
            .wrap()
            .query_wasm_smart::<StakeResponse>(&self.pair, &QueryMsg::Stake { stake_id: id })
        {
            // A seller's hours are listed once sold: from its device's registration on, by
            // each boundary's sale, which needs a price (the seller budget only sets what they
            // are paid).
            let listed = stake.mode == loopin::stake_cert::StakeMode::LiquidityProvider
                || (stake.verified_from.is_some_and(|from| from <= trading)
                    && loopin_pair::state::SELLER_PRICE
                        .query(&self.app.wrap(), self.pair.clone(), trading)
                        .unwrap()
                        .is_some());
            let supplying = listed
                && !stake.invalidated
                && stake.start_epoch <= trading
                && trading < stake.end_epoch;
            if supplying && pool.clock_epoch == pool.epoch {
                let leased = loopin_pair::state::LEASED
                    .query(&self.app.wrap(), self.pair.clone(), (id, trading))
                    .unwrap()
                    .unwrap_or_default();
                assert!(leased <= stake.hours_per_epoch, "stake {id} oversold");
                free += (stake.hours_per_epoch - leased).u128();
            }
            id += 1;
        }
        if pool.clock_epoch == pool.epoch {
            assert_eq!(
                pool.reserves.hours.u128(),
                free,
                "x is the free hours of the trading epoch"
            );
        }
        let audit: token::SupplyAuditResponse = self
            .app
            .wrap()
            .query_wasm_smart(&self.token, &token::QueryMsg::SupplyAudit {})
            .unwrap();
        let accounts: cw20::AllAccountsResponse = self
            .app
            .wrap()
            .query_wasm_smart(
                &self.token,
                &token::QueryMsg::AllAccounts {
                    start_after: None,
                    limit: Some(100),
                },
            )
            .unwrap();
        let held: u128 = accounts
            .accounts
            .iter()
            .map(|a| self.balance(&Addr::unchecked(a)))
            .sum();
        assert_eq!(held, audit.total_supply.u128());
        assert_eq!(
            audit.total_supply,
            audit.initial_supply + audit.minted - audit.burned
        );
    }
}
