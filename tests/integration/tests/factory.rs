//! The pool factory: governance parameters, permissionless pools, the only minter of LOOP.

use cosmwasm_std::{
    Addr, Binary, Decimal, Deps, DepsMut, Empty, Env, MessageInfo, Response, StdResult, Uint128,
    coins, to_json_vec,
};
use cw_multi_test::{App, AppBuilder, Contract, ContractWrapper, Executor};
use cw_ownable::{Action, Ownership};
use loopin::factory::{
    ConfigResponse, EmissionConfig, EmissionError, EmissionResponse, ExecuteMsg, GovernanceAction,
    InstantiateMsg, PoolResponse, PoolsResponse, QueryMsg, TMinResponse, TokenInit,
};
use loopin::pool::{PairInstantiateMsg, ParamsError, PoolParams};
use loopin::stake_cert::{self, IssuersResponse};
use loopin::token::{self, MinterResponse};
use loopin_factory::ContractError;
use loopin_integration_tests::protocol::factory_contract;
use loopin_integration_tests::{contract_error, stake_cert_contract, token_contract};
use loopin_pool_math::MathError;
use loopin_pool_math::economics::Economics;

const EMISSION_EPOCH: u64 = 3_600;
const CAP: u128 = 1_000_000;
/// The timelock's delay in these tests.
const DELAY: u64 = 600;

/// A stand-in pair that records the message it was instantiated with.
fn recording_pair() -> Box<dyn Contract<Empty>> {
    Box::new(ContractWrapper::new(
        |_: DepsMut, _: Env, _: MessageInfo, _: Empty| -> StdResult<Response> {
            Ok(Response::new())
        },
        |deps: DepsMut, _: Env, _: MessageInfo, msg: PairInstantiateMsg| -> StdResult<Response> {
            deps.storage.set(b"instantiate", &to_json_vec(&msg)?);
            Ok(Response::new())
        },
        |deps: Deps, _: Env, _: Empty| -> StdResult<Binary> {
            Ok(Binary::from(
                deps.storage.get(b"instantiate").unwrap_or_default(),
            ))
        },
    ))
}

fn params() -> PoolParams {
    PoolParams {
        economics: Economics {
            alpha: Decimal::from_ratio(10u128, 1u128),
            beta: Decimal::permille(100),
            gamma: Decimal::permille(500),
        },
        exchange_fee: Decimal::permille(3),
        epoch_seconds: 3_600,
        min_epochs: 25,
        max_epochs: 1_000,
        seller_deposit: Uint128::new(1_000_000),
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

struct Setup {
    app: App,
    factory: Addr,
    owner: Addr,
    /// The wasm admin of what the factory creates: not the owner, not the deployer.
    admin: Addr,
    stranger: Addr,
    config: ConfigResponse,
}

fn setup() -> Setup {
    setup_with_emission_epoch(EMISSION_EPOCH).unwrap()
}

/// The factory instantiated with emission epochs of `epoch_seconds`.
fn setup_with_emission_epoch(epoch_seconds: u64) -> anyhow::Result<Setup> {
    let mut app = AppBuilder::default().build(|_, _, _| {});
    let owner = app.api().addr_make("governance");
    let stranger = app.api().addr_make("stranger");
    let holder = app.api().addr_make("holder");
    let admin = app.api().addr_make("admin");
    let token_code = app.store_code(token_contract());
    let cert_code = app.store_code(stake_cert_contract());
    let pair_code = app.store_code(recording_pair());
    let factory_code = app.store_code(factory_contract());
    let msg = InstantiateMsg {
        owner: owner.to_string(),
        token_code_id: token_code,
        token: TokenInit {
            name: "LooPIN".into(),
            symbol: "LOOP".into(),
            decimals: 6,
            initial_balances: vec![cw20::Cw20Coin {
                address: holder.to_string(),
                amount: Uint128::new(5_000),
            }],
            cap: None,
            marketing: None,
        },
        stake_cert_code_id: cert_code,
        pair_code_id: pair_code,
        emission: EmissionConfig {
            cap_per_epoch: Uint128::new(CAP),
            epoch_seconds,
        },
        admin: Some(admin.to_string()),
        min_delay: Some(DELAY),
    };
    let factory = app.instantiate_contract(
        factory_code,
        owner.clone(),
        &msg,
        &[],
        "factory",
        Some(admin.to_string()),
    )?;
    let config: ConfigResponse = app
        .wrap()
        .query_wasm_smart(&factory, &QueryMsg::Config {})
        .unwrap();
    Ok(Setup {
        app,
        factory,
        owner,
        admin,
        stranger,
        config,
    })
}

impl Setup {
    fn exec(
        &mut self,
        sender: &Addr,
        msg: &ExecuteMsg,
    ) -> anyhow::Result<cw_multi_test::AppResponse> {
        self.app
            .execute_contract(sender.clone(), self.factory.clone(), msg, &[])
    }

    fn set_params(
        &mut self,
        class: &str,
        params: PoolParams,
    ) -> anyhow::Result<cw_multi_test::AppResponse> {
        let owner = self.owner.clone();
        self.exec(
            &owner,
            &ExecuteMsg::SetClassParams {
                class: class.into(),
                params: Box::new(params),
            },
        )
    }

    fn create(&mut self, class: &str) -> anyhow::Result<cw_multi_test::AppResponse> {
        let stranger = self.stranger.clone();
        self.exec(
            &stranger,
            &ExecuteMsg::CreatePool {
                class: class.into(),
            },
        )
    }

    fn pool(&self, class: &str) -> Addr {
        let pool: PoolResponse = self
            .app
            .wrap()
            .query_wasm_smart(
                &self.factory,
                &QueryMsg::Pool {
                    class: class.into(),
                },
            )
            .unwrap();
        pool.pair
    }

    fn balance(&self, address: &Addr) -> u128 {
        let balance: cw20::BalanceResponse = self
            .app
            .wrap()
            .query_wasm_smart(
                &self.config.token,
                &token::QueryMsg::Balance {
                    address: address.to_string(),
                },
            )
            .unwrap();
        balance.balance.u128()
    }
}

#[test]
fn a_zero_second_emission_epoch_is_refused_at_instantiation() {
    let err = setup_with_emission_epoch(0).err().expect("refused");
    assert_eq!(
        err.downcast::<ContractError>().unwrap(),
        ContractError::Emission(EmissionError::ZeroEpoch {})
    );
    assert!(setup_with_emission_epoch(1).is_ok());
}

#[test]
fn factory_creates_and_solely_mints_the_token_and_the_certificates() {
    let s = setup();
    let minter: Option<MinterResponse> = s
        .app
        .wrap()
        .query_wasm_smart(&s.config.token, &token::QueryMsg::Minter {})
        .unwrap();
    assert_eq!(minter.unwrap().minter, s.factory.to_string());
    let cert_minter: Ownership<Addr> = s
        .app
        .wrap()
        .query_wasm_smart(
            &s.config.stake_cert,
            &stake_cert::QueryMsg::GetMinterOwnership {},
        )
        .unwrap();
    assert_eq!(cert_minter.owner, Some(s.factory.clone()));
    // The configured wasm admin, not governance (or whoever instantiated the factory), may
    // migrate what the factory created.
    for contract in [&s.config.token, &s.config.stake_cert] {
        let info = s.app.wrap().query_wasm_contract_info(contract).unwrap();
        assert_eq!(info.admin, Some(s.admin.clone()));
    }
}

#[test]
fn governance_sets_validated_parameters_per_class() {
    let mut s = setup();
    let stranger = s.stranger.clone();
    let err: ContractError = contract_error(s.exec(
        &stranger,
        &ExecuteMsg::SetClassParams {
            class: "h100".into(),
            params: Box::new(params()),
        },
    ));
    assert!(matches!(err, ContractError::Ownership(_)));

    let mut equal = params();
    equal.economics.beta = equal.economics.gamma;
    let err: ContractError = contract_error(s.set_params("h100", equal));
    assert_eq!(
        err,
        ContractError::Params(ParamsError::Math(MathError::BetaNotBelowGamma))
    );

    let mut short = params();
    short.min_epochs = 24;
    let err: ContractError = contract_error(s.set_params("h100", short));
    assert_eq!(
        err,
        ContractError::Params(ParamsError::BelowTMin {
            min_epochs: 24,
            t_min_epochs: 25
        })
    );

    let err: ContractError = contract_error(s.set_params("H100!", params()));
    assert_eq!(err, ContractError::InvalidClass {});

    s.set_params("h100", params()).unwrap();
    let t_min: TMinResponse = s
        .app
        .wrap()
        .query_wasm_smart(
            &s.factory,
            &QueryMsg::TMin {
                class: "h100".into(),
            },
        )
        .unwrap();
    assert_eq!(t_min.epochs, 25);
    assert_eq!(
        t_min.hours,
        cosmwasm_std::Decimal256::from_ratio(25u128, 1u128)
    );
}

#[test]
fn anyone_creates_a_pool_with_governance_parameters_only() {
    let mut s = setup();
    let err: ContractError = contract_error(s.create("h100"));
    assert_eq!(
        err,
        ContractError::UnknownClass {
            class: "h100".into()
        }
    );

    s.set_params("h100", params()).unwrap();
    s.set_params("rtx4090", params()).unwrap();
    // A creator cannot bring its own parameters: CreatePool carries only the class, and a
    // smuggled field is ignored (CosmWasm's JSON ignores unknown fields in enum variants).
    let stranger = s.stranger.clone();
    let factory = s.factory.clone();
    s.app
        .execute(
            stranger,
            cosmwasm_std::WasmMsg::Execute {
                contract_addr: factory.to_string(),
                msg: Binary::from(
                    br#"{"create_pool":{"class":"h100","params":{"economics":{"gamma":"1000"}}}}"#,
                ),
                funds: vec![],
            }
            .into(),
        )
        .unwrap();
    s.create("rtx4090").unwrap();
    let err: ContractError = contract_error(s.create("h100"));
    assert_eq!(
        err,
        ContractError::PoolExists {
            class: "h100".into()
        }
    );

    let pair = s.pool("h100");
    let info = s.app.wrap().query_wasm_contract_info(&pair).unwrap();
    assert_eq!(info.admin, Some(s.admin.clone()));
    let recorded: PairInstantiateMsg = s.app.wrap().query_wasm_smart(&pair, &Empty {}).unwrap();
    assert_eq!(
        recorded,
        PairInstantiateMsg {
            class: "h100".into(),
            factory: s.factory.to_string(),
            token: s.config.token.to_string(),
            stake_cert: s.config.stake_cert.to_string(),
            params: params(),
        }
    );
    let issuers: IssuersResponse = s
        .app
        .wrap()
        .query_wasm_smart(
            &s.config.stake_cert,
            &stake_cert::QueryMsg::Issuers {
                start_after: None,
                limit: None,
            },
        )
        .unwrap();
    assert_eq!(issuers.issuers.len(), 2);
    assert!(issuers.issuers.contains(&pair));

    let page: PoolsResponse = s
        .app
        .wrap()
        .query_wasm_smart(
            &s.factory,
            &QueryMsg::Pools {
                start_after: None,
                limit: Some(1),
            },
        )
        .unwrap();
    assert_eq!(page.pools.len(), 1);
    assert_eq!(page.pools[0].class, "h100");
    let page: PoolsResponse = s
        .app
        .wrap()
        .query_wasm_smart(
            &s.factory,
            &QueryMsg::Pools {
                start_after: Some("h100".into()),
                limit: None,
            },
        )
        .unwrap();
    assert_eq!(
        page.pools
            .iter()
            .map(|p| p.class.as_str())
            .collect::<Vec<_>>(),
        ["rtx4090"]
    );
}

#[test]
fn rewards_are_minted_for_pools_and_registry_within_the_epoch_cap() {
    let mut s = setup();
    s.set_params("h100", params()).unwrap();
    s.create("h100").unwrap();
    let pair = s.pool("h100");
    let (stranger, owner) = (s.stranger.clone(), s.owner.clone());
    let miner = s.app.api().addr_make("miner");
    let mint = |amount: u128| ExecuteMsg::MintRewards {
        recipient: miner.to_string(),
        amount: Uint128::new(amount),
    };

    let err: ContractError = contract_error(s.exec(&stranger, &mint(1)));
    assert_eq!(err, ContractError::NotRewarder {});
    let err: ContractError = contract_error(s.exec(&pair, &mint(0)));
    assert_eq!(err, ContractError::ZeroAmount {});

    s.exec(&pair, &mint(CAP - 100)).unwrap();
    assert_eq!(s.balance(&miner), CAP - 100);
    let err: ContractError = contract_error(s.exec(&pair, &mint(101)));
    assert_eq!(
        err,
        ContractError::EmissionCapExceeded {
            requested: Uint128::new(101),
            remaining: Uint128::new(100)
        }
    );

    let registry = s.app.api().addr_make("registry");
    let err: ContractError = contract_error(s.exec(&registry, &mint(100)));
    assert_eq!(err, ContractError::NotRewarder {});
    // A pool exists: the registry changes only through the timelock.
    let action = GovernanceAction::SetRegistry {
        registry: registry.to_string(),
    };
    s.exec(&owner, &ExecuteMsg::Propose { action }).unwrap();
    s.app
        .update_block(|block| block.time = block.time.plus_seconds(DELAY));
    s.exec(&stranger, &ExecuteMsg::Execute { id: 1 }).unwrap();
    s.exec(&registry, &mint(100)).unwrap();
    assert_eq!(s.balance(&miner), CAP);

    // The next emission epoch has a fresh allowance.
    s.app
        .update_block(|block| block.time = block.time.plus_seconds(EMISSION_EPOCH));
    let emission: EmissionResponse = s
        .app
        .wrap()
        .query_wasm_smart(&s.factory, &QueryMsg::Emission {})
        .unwrap();
    assert_eq!(emission.remaining_this_epoch, Uint128::new(CAP));
    assert_eq!(emission.total_minted, Uint128::new(CAP));
    s.exec(&pair, &mint(CAP)).unwrap();
    let audit: token::SupplyAuditResponse = s
        .app
        .wrap()
        .query_wasm_smart(&s.config.token, &token::QueryMsg::SupplyAudit {})
        .unwrap();
    assert_eq!(audit.minted, Uint128::new(2 * CAP));
    assert_eq!(audit.total_supply, Uint128::new(2 * CAP + 5_000));
}

#[test]
fn ownership_moves_in_two_steps_and_funds_are_refused() {
    let mut s = setup();
    let (owner, stranger) = (s.owner.clone(), s.stranger.clone());
    let heir = s.app.api().addr_make("heir");
    s.exec(
        &owner,
        &ExecuteMsg::UpdateOwnership(Action::TransferOwnership {
            new_owner: heir.to_string(),
            expiry: None,
        }),
    )
    .unwrap();
    // Until the heir accepts, the owner still governs and the heir does not.
    s.set_params("h100", params()).unwrap();
    let err: ContractError = contract_error(s.exec(
        &heir,
        &ExecuteMsg::SetRegistry {
            registry: heir.to_string(),
        },
    ));
    assert!(matches!(err, ContractError::Ownership(_)));
    let err: ContractError = contract_error(s.exec(
        &stranger,
        &ExecuteMsg::UpdateOwnership(Action::AcceptOwnership),
    ));
    assert!(matches!(err, ContractError::Ownership(_)));
    s.exec(&heir, &ExecuteMsg::UpdateOwnership(Action::AcceptOwnership))
        .unwrap();
    let err: ContractError = contract_error(s.set_params("h100", params()));
    assert!(matches!(err, ContractError::Ownership(_)));

    s.app.init_modules(|router, _, storage| {
        router
            .bank
            .init_balance(storage, &heir, coins(10, "ustake"))
            .unwrap()
    });
    let funded = s.app.execute_contract(
        heir.clone(),
        s.factory.clone(),
        &ExecuteMsg::CreatePool {
            class: "h100".into(),
        },
        &coins(10, "ustake"),
    );
    let err: ContractError = contract_error(funded);
    assert!(matches!(err, ContractError::Payment(_)));
}
