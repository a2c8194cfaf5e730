//! The dissipative pair: stake, lease, cancel, renew, liquidity, standing orders, claim,
//! invalidate, and AdvanceEpoch at 10 and at 10,000 stakes, active and all expiring at one
//! boundary. The factory it queries is stood in for.

use cosmwasm_std::{
    Addr, ContractResult, Decimal, HexBinary, QuerierResult, SystemError, SystemResult, Uint128,
    WasmQuery, from_json, to_json_binary,
};
use cw20::Cw20ReceiveMsg;
use loopin::device::{StakeClaim, device_id};
use loopin::factory::{self, EmissionConfig};
use loopin::pair::{ExecuteMsg, QueryMsg, ReceiveMsg};
use loopin::pool::{PairInstantiateMsg, PoolParams};
use loopin::stake_cert::StakeMode;
use loopin_pocps::sig::k256_sign;
use loopin_pool_math::HOUR;
use loopin_pool_math::economics::Economics;
use loopin_wasm_tests::{Gas, HarnessError, WasmContract};

use crate::report::{Report, exec, query};

const NAME: &str = "pair";
pub(crate) const EPOCH: u64 = 3_600;
pub(crate) const LOOP: u128 = 1_000_000;
pub(crate) const SSH_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA/sviTJfQXJKl0MknakEdkHhZdlVSTJbzhi3Oejh+S5";

/// The h100 class the gas report's pair runs (and the registry's pool answers with).
pub(crate) fn params() -> PoolParams {
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
        // Lease and liquidity rewards on (issue 19): the rows of a class that pays them.
        incentives: Some(loopin::pool::Incentives {
            utilisation: Decimal::from_ratio(LOOP / 250, 1u128),
            client: Decimal::from_ratio(LOOP * 3 / 500, 1u128),
            liquidity_per_epoch: Uint128::new(LOOP),
        }),
    }
}

/// LOOP sent to the pair by `from` through the token's Send.
pub(crate) fn hook(from: &str, amount: u128, msg: &ReceiveMsg) -> ExecuteMsg {
    ExecuteMsg::Receive(Cw20ReceiveMsg {
        sender: from.to_string(),
        amount: Uint128::new(amount),
        msg: to_json_binary(msg).expect("hook encodes"),
    })
}

/// Device `id`'s stake by `staker`, signed by the device's key (`loopin::device`).
pub(crate) fn stake_msg(pair: &WasmContract, staker: &str, id: u32) -> ReceiveMsg {
    stake_msg_as(pair, staker, id, StakeMode::LiquidityProvider)
}

/// [`stake_msg`] in `mode`.
pub(crate) fn stake_msg_as(
    pair: &WasmContract,
    staker: &str,
    id: u32,
    mode: StakeMode,
) -> ReceiveMsg {
    let mut seed = [0x11u8; 32];
    seed[..4].copy_from_slice(&id.to_le_bytes());
    let key = k256::ecdsa::SigningKey::from_slice(&seed).expect("a valid secp256k1 key");
    let pubkey = key.verifying_key().to_encoded_point(true);
    let device_id = device_id(pubkey.as_bytes());
    let commitment = HexBinary::from([7u8; 32]);
    let (rate, epochs) = (Decimal::one(), 3);
    let contract = pair.contract_addr();
    let claim = StakeClaim {
        chain_id: &pair.block().chain_id,
        pair: &contract,
        device_id: &device_id,
        staker,
        commitment: &commitment,
        mode,
        rate,
        epochs,
    };
    ReceiveMsg::Stake {
        device_id: device_id.clone(),
        mode,
        rate,
        epochs,
        commitment: commitment.clone(),
        max_liquidity: None,
        device_key: HexBinary::from(pubkey.as_bytes()),
        device_signature: HexBinary::from(k256_sign(&key, &claim.message())),
        min_shares: None,
        max_price: None,
        deadline: None,
    }
}

/// Stands in for the factory, the only contract the pair queries: its registry, its owner
/// (governance), and emission with room left.
/// Answers `pair`'s queries to its factory (`pair.addr("factory")`) with [`factory_stand_in`];
/// returns the registry and the governance it names.
pub(crate) fn stand_in_factory(pair: &mut WasmContract) -> Result<(String, String), HarnessError> {
    let (factory, registry, governance) = (
        pair.addr("factory"),
        pair.addr("registry"),
        pair.addr("governance"),
    );
    let (stand_in_registry, stand_in_governance) = (registry.clone(), governance.clone());
    pair.set_wasm_querier(move |query| {
        factory_stand_in(&factory, &stand_in_registry, &stand_in_governance, query)
    })?;
    Ok((registry, governance))
}

fn factory_stand_in(
    factory: &str,
    registry: &str,
    governance: &str,
    query: &WasmQuery,
) -> QuerierResult {
    let answer = match query {
        WasmQuery::Smart { contract_addr, msg } if contract_addr == factory => {
            match from_json::<factory::QueryMsg>(msg) {
                Ok(factory::QueryMsg::Config {}) => to_json_binary(&factory::ConfigResponse {
                    token: Addr::unchecked("token"),
                    stake_cert: Addr::unchecked("stake-cert"),
                    pair_code_id: 1,
                    registry: Some(Addr::unchecked(registry)),
                    emission: EmissionConfig {
                        cap_per_epoch: Uint128::new(1_000_000 * LOOP),
                        epoch_seconds: EPOCH,
                    },
                }),
                Ok(factory::QueryMsg::Emission {}) => to_json_binary(&factory::EmissionResponse {
                    epoch: 0,
                    minted_this_epoch: Uint128::zero(),
                    remaining_this_epoch: Uint128::new(1_000_000 * LOOP),
                    total_minted: Uint128::zero(),
                }),
                Ok(factory::QueryMsg::Ownership {}) => to_json_binary(&serde_json::json!({
                    "owner": governance,
                    "pending_owner": null,
                    "pending_expiry": null,
                })),
                _ => return unsupported(query),
            }
        }
        _ => return unsupported(query),
    };
    SystemResult::Ok(ContractResult::Ok(answer.expect("stand-in answers encode")))
}

fn unsupported(query: &WasmQuery) -> QuerierResult {
    SystemResult::Err(SystemError::UnsupportedRequest {
        kind: format!("{query:?}"),
    })
}

/// Runs the pool with `stakes` provider stakes; with `detail`, records every entry point.
/// Returns the gas of the boundary with all stakes active and of the one where they all end.
fn run(report: &mut Report, stakes: u32, detail: bool) -> Result<(u64, u64), HarnessError> {
    let mut pair = WasmContract::load("loopin_pair")?;
    let (factory, token, cert) = (
        pair.addr("factory"),
        pair.addr("token"),
        pair.addr("stake-cert"),
    );
    let miner = |pair: &WasmContract, i: u32| pair.addr(&format!("miner-{i}"));
    let (miner_1, miner_2) = (miner(&pair, 1), miner(&pair, 2));
    let instantiate = PairInstantiateMsg {
        class: "h100".into(),
        factory: factory.clone(),
        token: token.clone(),
        stake_cert: cert,
        params: params(),
    };
    let (registry, governance) = stand_in_factory(&mut pair)?;
    let outcome = pair.instantiate(&factory, &instantiate)?;
    if detail {
        report.record(NAME, "instantiate", outcome).unwrap();
    }
    for i in 1..=stakes {
        let staker = miner(&pair, i);
        let msg = hook(&staker, 11 * LOOP, &stake_msg(&pair, &staker, i));
        let label = match i {
            1 => "Stake (provider, sets the price)",
            2 => "Stake (provider, matches the price)",
            _ => "",
        };
        if detail && !label.is_empty() {
            exec(report, &mut pair, NAME, label, &token, &msg, true)?;
        } else {
            pair.execute(&token, &msg)?.unwrap();
        }
        // The registry reports each device registered: only then are its hours leased.
        let registered = ExecuteMsg::DeviceRegistered {
            token_id: format!("h100-{i}"),
        };
        if detail && i == 1 {
            let label = "DeviceRegistered (from the registry)";
            exec(report, &mut pair, NAME, label, &registry, &registered, true)?;
        } else {
            pair.execute(&registry, &registered)?.unwrap();
        }
    }

    let client = pair.addr("client");
    let lease = hook(
        &client,
        100 * LOOP,
        &ReceiveMsg::Lease {
            stake_id: 1,
            hours: Uint128::new(HOUR / 2),
            client_key: HexBinary::from([1u8; 32]),
            ssh_key: SSH_KEY.into(),
            deadline: None,
            renewals: None,
            max_renewal_price: None,
            renewer: None,
        },
    );
    if detail {
        query(
            report,
            &mut pair,
            NAME,
            "query SimulateLease",
            &QueryMsg::SimulateLease {
                hours: Uint128::new(HOUR / 2),
            },
        )?;
        query(
            report,
            &mut pair,
            NAME,
            "query Config",
            &QueryMsg::Config {},
        )?;
        query(report, &mut pair, NAME, "query Pool", &QueryMsg::Pool {})?;
        exec(
            report,
            &mut pair,
            NAME,
            "Lease (LOOP -> hours swap)",
            &token,
            &lease,
            true,
        )?;
        let cancel = ExecuteMsg::CancelLease {
            lease_id: 1,
            min_refund: Uint128::zero(),
            deadline: None,
        };
        exec(
            report,
            &mut pair,
            NAME,
            "CancelLease (hours -> LOOP swap)",
            &client,
            &cancel,
            true,
        )?;
        exec(
            report,
            &mut pair,
            NAME,
            "Renew",
            &miner_2,
            &ExecuteMsg::Renew {
                stake_id: 2,
                epochs: None,
            },
            true,
        )?;
        let lp = pair.addr("liquidity");
        let provide = ReceiveMsg::ProvideLiquidity {
            min_shares: Uint128::zero(),
            deadline: None,
        };
        let provide = hook(&lp, 10 * LOOP, &provide);
        exec(
            report,
            &mut pair,
            NAME,
            "ProvideLiquidity",
            &token,
            &provide,
            true,
        )?;
        let withdraw = ExecuteMsg::WithdrawLiquidity {
            shares: Uint128::new(1_000_000),
            min_out: Uint128::zero(),
            deadline: None,
        };
        exec(
            report,
            &mut pair,
            NAME,
            "WithdrawLiquidity",
            &lp,
            &withdraw,
            true,
        )?;
        // A standing order (lease 2), renewed after the boundary below.
        let order = ReceiveMsg::Lease {
            stake_id: 2,
            hours: Uint128::new(HOUR / 4),
            client_key: HexBinary::from([1u8; 32]),
            ssh_key: SSH_KEY.into(),
            deadline: None,
            renewals: Some(3),
            max_renewal_price: None,
            renewer: Some(pair.addr("keeper")),
        };
        pair.execute(&token, &hook(&client, 100 * LOOP, &order))?
            .unwrap();
        let extend = ReceiveMsg::Extend {
            lease_id: 2,
            renewals: 2,
        };
        exec(
            report,
            &mut pair,
            NAME,
            "Extend (standing order)",
            &token,
            &hook(&client, 10 * LOOP, &extend),
            true,
        )?;
        // Lease 3, delivered in a proven epoch: its rewards are claimed at the end.
        pair.execute(&token, &lease)?.unwrap();
        let more = hook(
            &lp,
            5 * LOOP,
            &ReceiveMsg::ProvideLiquidity {
                min_shares: Uint128::zero(),
                deadline: None,
            },
        );
        exec(
            report,
            &mut pair,
            NAME,
            "ProvideLiquidity (to a waiting position)",
            &token,
            &more,
            true,
        )?;
    }

    let advance = ExecuteMsg::AdvanceEpoch {
        max_epochs: Some(1),
    };
    let keeper = pair.addr("keeper");
    // Verifiers pass every device in every epoch: the registry reports each pass before the
    // epoch ends, so every epoch is proven and pays (the detailed run's claims and refunds
    // depend on it; a boundary's cost does not).
    let proven_stakes = if detail { stakes } else { 0 };
    let boundary = |pair: &mut WasmContract| -> Result<Gas, HarnessError> {
        for i in 1..=proven_stakes {
            let proven = ExecuteMsg::DeviceProven {
                token_id: format!("h100-{i}"),
                challenged_at: pair.block().time,
                verifier: Some(pair.addr("verifier")),
                audit_until: Some(pair.block().time),
            };
            pair.execute(&registry, &proven)?.unwrap();
        }
        pair.advance(EPOCH);
        let outcome = pair.execute(&keeper, &advance)?;
        let gas = outcome.gas;
        outcome.unwrap();
        Ok(gas)
    };
    if detail {
        let proven = ExecuteMsg::DeviceProven {
            token_id: "h100-1".into(),
            challenged_at: pair.block().time,
            verifier: Some(pair.addr("verifier")),
            audit_until: Some(pair.block().time),
        };
        let label = "DeviceProven (from the registry, a pass)";
        exec(report, &mut pair, NAME, label, &registry, &proven, true)?;
    }
    let active = boundary(&mut pair)?;
    if detail {
        let renew = ExecuteMsg::RenewLease { lease_id: 2 };
        exec(
            report,
            &mut pair,
            NAME,
            "RenewLease (standing order)",
            &keeper,
            &renew,
            true,
        )?;
        // Lease 2's epoch is being delivered: its client disputes it, governance refunds part
        // of it out of the (unsettled) provider's shares.
        let dispute = ReceiveMsg::Dispute {
            lease_id: 2,
            reason: "no access".into(),
        };
        exec(
            report,
            &mut pair,
            NAME,
            "Dispute (bonded)",
            &token,
            &hook(&client, 10 * LOOP, &dispute),
            true,
        )?;
        let resolve = ExecuteMsg::ResolveDispute {
            lease_id: 2,
            refund: Uint128::new(LOOP),
        };
        exec(
            report,
            &mut pair,
            NAME,
            "ResolveDispute (refund from provider shares)",
            &governance,
            &resolve,
            true,
        )?;
    }
    boundary(&mut pair)?;
    if detail {
        let complete = ExecuteMsg::CompleteLease { lease_id: 2 };
        exec(
            report,
            &mut pair,
            NAME,
            "CompleteLease",
            &miner_2,
            &complete,
            true,
        )?;
    }
    // Trading epoch 4 is the end of every 3-epoch stake (but the renewed one).
    let expiring = boundary(&mut pair)?;
    let label = |what: &str| format!("AdvanceEpoch ({stakes} stakes, {what})");
    report.record_gas(NAME, &label("all active"), active);
    report.record_gas(
        NAME,
        &label(&format!("{} expiring", stakes - u32::from(detail))),
        expiring,
    );
    if detail {
        boundary(&mut pair)?;
        exec(
            report,
            &mut pair,
            NAME,
            "Claim (settled provider + rewards)",
            &miner_1,
            &ExecuteMsg::Claim { stake_id: 1 },
            true,
        )?;
        incentive_claims(report, &mut pair, &client)?;
        // The renewed stake 2 still supplies hours and carries the standing order.
        let invalidate = ExecuteMsg::Invalidate {
            token_id: "h100-2".into(),
            reason: "bad openings".into(),
        };
        exec(
            report,
            &mut pair,
            NAME,
            "Invalidate (provider, leases refunded)",
            &registry,
            &invalidate,
            true,
        )?;
        lifecycle(report, &mut pair, &token, stakes + 1)?;
    }
    Ok((active.total(), expiring.total()))
}

/// A seller's stake (`id`) topped up, given a standing renewal, renewed by a keeper and by its
/// owner, then ended early; a provider's stake (`id + 1`) ended early.
fn lifecycle(
    report: &mut Report,
    pair: &mut WasmContract,
    token: &str,
    id: u32,
) -> Result<(), HarnessError> {
    let seller = pair.addr("seller");
    let msg = stake_msg_as(pair, &seller, id, StakeMode::Seller);
    pair.execute(token, &hook(&seller, 11 * LOOP, &msg))?
        .unwrap();
    let registered = ExecuteMsg::DeviceRegistered {
        token_id: format!("h100-{id}"),
    };
    let registry = pair.addr("registry");
    pair.execute(&registry, &registered)?.unwrap();
    let stake_id = u64::from(id);
    let top_up = hook(&seller, LOOP, &ReceiveMsg::TopUp { stake_id });
    exec(
        report,
        pair,
        NAME,
        "TopUp (a seller's deposit)",
        token,
        &top_up,
        true,
    )?;
    let standing = ExecuteMsg::SetAutoRenew {
        stake_id,
        until_epoch: Some(20),
    };
    exec(report, pair, NAME, "SetAutoRenew", &seller, &standing, true)?;
    let renewals = QueryMsg::AutoRenewals {
        start_after: None,
        limit: None,
    };
    query(report, pair, NAME, "query AutoRenewals", &renewals)?;
    // Two boundaries later its end is near enough for a keeper (AUTO_RENEW_AHEAD).
    let keeper = pair.addr("keeper");
    let advance = ExecuteMsg::AdvanceEpoch { max_epochs: None };
    for _ in 0..2 {
        pair.advance(EPOCH);
        pair.execute(&keeper, &advance)?.unwrap();
    }
    let renew = |epochs| ExecuteMsg::Renew {
        stake_id,
        epochs: Some(epochs),
    };
    let label = "Renew (a keeper, standing instruction)";
    exec(report, pair, NAME, label, &keeper, &renew(1), true)?;
    let label = "Renew (the owner, 3 epochs at once)";
    exec(report, pair, NAME, label, &seller, &renew(3), true)?;
    let exit = ExecuteMsg::Exit { stake_id };
    let label = "Exit (a seller)";
    exec(report, pair, NAME, label, &seller, &exit, true)?;
    // A provider's exit moves its share settlement too.
    let provider = pair.addr("provider");
    let msg = stake_msg_as(pair, &provider, id + 1, StakeMode::LiquidityProvider);
    pair.execute(token, &hook(&provider, 11 * LOOP, &msg))?
        .unwrap();
    let exit = ExecuteMsg::Exit {
        stake_id: stake_id + 1,
    };
    let label = "Exit (a provider)";
    exec(report, pair, NAME, label, &provider, &exit, true)?;
    Ok(())
}

/// The rewards of lease 3 and of the liquidity provider's position, three epochs after both.
fn incentive_claims(
    report: &mut Report,
    pair: &mut WasmContract,
    client: &str,
) -> Result<(), HarnessError> {
    let lp = pair.addr("liquidity");
    query(
        report,
        pair,
        NAME,
        "query LeaseRewards",
        &QueryMsg::LeaseRewards { lease_id: 3 },
    )?;
    query(
        report,
        pair,
        NAME,
        "query LiquidityRewards",
        &QueryMsg::LiquidityRewards { owner: lp.clone() },
    )?;
    let claim = ExecuteMsg::ClaimLeaseRewards { lease_ids: vec![3] };
    let label = "ClaimLeaseRewards (client, 1 lease)";
    exec(report, pair, NAME, label, client, &claim, true)?;
    let claim = ExecuteMsg::ClaimLiquidityRewards {};
    exec(
        report,
        pair,
        NAME,
        "ClaimLiquidityRewards",
        &lp,
        &claim,
        true,
    )?;
    Ok(())
}

pub fn scenario(report: &mut Report) -> Result<(), HarnessError> {
    let (small_active, small_expiring) = run(report, 10, true)?;
    let (large_active, large_expiring) = run(report, 10_000, false)?;
    report.note(format!(
        "AdvanceEpoch, 10,000 against 10 stakes: {:.3}x with all active, {:.3}x with all expiring \
         at the boundary (target <= 1.1).",
        large_active as f64 / small_active as f64,
        large_expiring as f64 / small_expiring as f64,
    ));
    compare_with_astroport(report);
    Ok(())
}

/// The pair's user actions against Astroport's xyk pair measured in the same run (its cw20
/// pool: a token's Send, as LOOP reaches the pair): a Lease is a swap; a Stake, a Claim and a
/// CancelLease each move liquidity or a position as a ProvideLiquidity does.
fn compare_with_astroport(report: &mut Report) {
    let astroport = crate::astroport::NAME;
    let (Some(swap), Some(provide)) = (
        report.gas(astroport, "Swap, cw20 pool"),
        report.gas(astroport, "ProvideLiquidity, cw20 pool"),
    ) else {
        return;
    };
    let ours = |call: &str| report.gas(NAME, call).unwrap_or(0);
    let lease = ours("Lease (LOOP -> hours swap)");
    let mut line = format!(
        "Against Astroport's xyk pair in this run (cw20 pool): Lease {lease} is {:.2}x its Swap \
         ({swap}; target <= 1.00)",
        lease as f64 / swap as f64
    );
    for call in [
        "Stake (provider, matches the price)",
        "Claim (settled provider + rewards)",
        "CancelLease (hours -> LOOP swap)",
    ] {
        let gas = ours(call);
        line += &format!("; {call} {gas} is {:.2}x", gas as f64 / provide as f64);
    }
    line += &format!(" its ProvideLiquidity ({provide}; target <= 1.20).");
    report.note(line);
}
