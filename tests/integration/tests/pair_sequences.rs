//! Random sequences of stake (its device registered at once or later), register, provide,
//! withdraw, lease (single or standing order), renew an order, close it, cancel, renew a stake,
//! advance, invalidate and claim from many accounts. After every operation, whatever its outcome, the protocol's invariants hold (see
//! `Protocol::check_invariants`): nothing oversold, the pair holds its reserves plus what it owes,
//! and LOOP supply balances. Swaps never lower `k`.
//!
//! `LOOPIN_SEQUENCE_OPS` sets the total number of operations (default 100,000, as CI runs);
//! `LOOPIN_SEQUENCE_SEED` replays the seed a run printed.

use cosmwasm_std::{Decimal, HexBinary, Uint128};
use loopin::pair::{ExecuteMsg, ReceiveMsg};
use loopin::stake_cert::StakeMode;
use loopin_integration_tests::protocol::{ACTORS, EPOCH, LOOP, Protocol, SSH_KEY, protocol};
use loopin_integration_tests::seeds;
use loopin_pool_math::HOUR;
use proptest::prelude::*;

const OPS_PER_CASE: usize = 250;

#[derive(Clone, Debug)]
enum Op {
    Stake {
        who: usize,
        seller: bool,
        epochs: u64,
        rate_tenths: u64,
        extra: u128,
        /// The device registers later (`Register`), not at once.
        late: bool,
    },
    /// The registry registers a device staked with `late`, the `n`th still waiting.
    Register {
        n: usize,
    },
    Lease {
        who: usize,
        stake: u64,
        hours_permille: u128,
        max: u128,
    },
    Cancel {
        who: usize,
        lease: u64,
    },
    Provide {
        who: usize,
        amount: u128,
    },
    RenewOrder {
        lease: u64,
    },
    CloseOrder {
        who: usize,
        lease: u64,
    },
    Withdraw {
        who: usize,
        permille: u128,
    },
    Renew {
        who: usize,
        stake: u64,
    },
    Claim {
        who: usize,
        stake: u64,
    },
    Invalidate {
        stake: u64,
    },
    Wait {
        seconds: u64,
        advance: bool,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let who = 0..ACTORS.len();
    prop_oneof![
        3 => (who.clone(), any::<bool>(), 3u64..8, 1u64..=10, 0u128..20, prop::bool::weighted(0.3))
            .prop_map(|(who, seller, epochs, rate_tenths, extra, late)| Op::Stake { who, seller, epochs, rate_tenths, extra, late }),
        1 => (0usize..8).prop_map(|n| Op::Register { n }),
        5 => (who.clone(), 1u64..12, 1u128..1_000, 1u128..200)
            .prop_map(|(who, stake, hours_permille, max)| Op::Lease { who, stake, hours_permille, max }),
        1 => (who.clone(), 1u64..20).prop_map(|(who, lease)| Op::Cancel { who, lease }),
        1 => (who.clone(), 1u128..50).prop_map(|(who, amount)| Op::Provide { who, amount }),
        2 => (1u64..30).prop_map(|lease| Op::RenewOrder { lease }),
        1 => (who.clone(), 1u64..30).prop_map(|(who, lease)| Op::CloseOrder { who, lease }),
        1 => (who.clone(), 1u128..=1_000).prop_map(|(who, permille)| Op::Withdraw { who, permille }),
        1 => (who.clone(), 1u64..12).prop_map(|(who, stake)| Op::Renew { who, stake }),
        2 => (who.clone(), 1u64..12).prop_map(|(who, stake)| Op::Claim { who, stake }),
        1 => (1u64..12).prop_map(|stake| Op::Invalidate { stake }),
        3 => (1u64..2 * EPOCH, prop::bool::weighted(0.8)).prop_map(|(seconds, advance)| Op::Wait { seconds, advance }),
    ]
}

/// Applies `op`; refusals are fine, the invariants are what is checked. `waiting` holds the
/// certificates of devices staked to register later.
fn apply(p: &mut Protocol, waiting: &mut Vec<String>, op: &Op) {
    let name = |who: usize| ACTORS[who];
    let before = p.pool();
    let trade = match op {
        Op::Stake {
            who,
            seller,
            epochs,
            rate_tenths,
            extra,
            late,
        } => {
            let mode = if *seller {
                StakeMode::Seller
            } else {
                StakeMode::LiquidityProvider
            };
            let msg = p.stake_msg(
                name(*who),
                &format!("gpu-{}-{}", name(*who), before.epoch),
                mode,
                Decimal::from_ratio(*rate_tenths, 10u64),
                *epochs,
            );
            p.auto_register = !late;
            let staked = p.send(name(*who), (5 + extra) * LOOP, &msg);
            p.auto_register = true;
            match staked {
                Ok(response) if *late => {
                    waiting.push(
                        loopin_integration_tests::protocol::attr(&response, "token_id").unwrap(),
                    );
                    true
                }
                Ok(_) => true,
                Err(_) => false,
            }
        }
        Op::Register { n } => {
            if !waiting.is_empty() {
                let token_id = waiting.remove(n % waiting.len());
                let _ = p.register_device(&token_id);
            }
            false
        }
        Op::Lease {
            who,
            stake,
            hours_permille,
            max,
        } => {
            let msg = ReceiveMsg::Lease {
                stake_id: *stake,
                hours: Uint128::new(hours_permille * HOUR / 1_000),
                client_key: HexBinary::from([5u8; 32]),
                ssh_key: SSH_KEY.into(),
                deadline: None,
                renewals: Some((*max % 3) as u32),
                max_renewal_price: None,
                renewer: Some(p.addr("dave").to_string()),
            };
            p.send(name(*who), max * LOOP, &msg).is_ok()
        }
        Op::Cancel { who, lease } => {
            let msg = ExecuteMsg::CancelLease {
                lease_id: *lease,
                min_refund: Uint128::zero(),
                deadline: None,
            };
            p.exec(&p.addr(name(*who)), &msg).is_ok()
        }
        Op::RenewOrder { lease } => {
            let keeper = p.addr("dave");
            p.exec(&keeper, &ExecuteMsg::RenewLease { lease_id: *lease })
                .is_ok()
        }
        Op::CloseOrder { who, lease } => {
            let _ = p.exec(
                &p.addr(name(*who)),
                &ExecuteMsg::CloseOrder { lease_id: *lease },
            );
            false
        }
        Op::Provide { who, amount } => {
            let msg = ReceiveMsg::ProvideLiquidity {
                min_shares: Uint128::zero(),
                deadline: None,
            };
            let _ = p.send(name(*who), amount * LOOP, &msg);
            false
        }
        Op::Withdraw { who, permille } => {
            let held: loopin::pair::LiquidityResponse = p
                .app
                .wrap()
                .query_wasm_smart(
                    &p.pair,
                    &loopin::pair::QueryMsg::Liquidity {
                        owner: p.addr(name(*who)).to_string(),
                    },
                )
                .unwrap();
            let msg = ExecuteMsg::WithdrawLiquidity {
                shares: held.shares.multiply_ratio(*permille, 1_000u128),
                min_out: Uint128::zero(),
                deadline: None,
            };
            let _ = p.exec(&p.addr(name(*who)), &msg);
            false
        }
        Op::Renew { who, stake } => {
            let _ = p.exec(
                &p.addr(name(*who)),
                &ExecuteMsg::Renew {
                    stake_id: *stake,
                    epochs: None,
                },
            );
            false
        }
        Op::Claim { who, stake } => {
            let _ = p.exec(&p.addr(name(*who)), &ExecuteMsg::Claim { stake_id: *stake });
            false
        }
        Op::Invalidate { stake } => {
            let registry = p.registry.clone();
            let msg = ExecuteMsg::Invalidate {
                token_id: format!("h100-{stake}"),
                reason: "failed challenge".into(),
            };
            let _ = p.exec(&registry, &msg);
            false
        }
        Op::Wait { seconds, advance } => {
            p.app.update_block(|block| {
                block.time = block.time.plus_seconds(*seconds);
                block.height += 1;
            });
            if *advance {
                let keeper = p.addr("dave");
                let _ = p.exec(&keeper, &ExecuteMsg::AdvanceEpoch { max_epochs: None });
            }
            false
        }
    };
    // Stakes, leases and cancellations never lower k, unless a boundary was processed first.
    let after = p.pool();
    if trade && before.epoch == after.epoch && before.clock_epoch == before.epoch {
        assert!(
            after.reserves.k() >= before.reserves.k(),
            "{op:?} lowered k"
        );
    }
}

#[test]
fn invariants_hold_after_every_operation_of_random_sequences() {
    // A random seed unless `LOOPIN_SEQUENCE_SEED` replays one (printed either way).
    let config = seeds::config("LOOPIN_SEQUENCE_OPS", OPS_PER_CASE);
    seeds::runner(config, "LOOPIN_SEQUENCE_SEED")
        .run(&prop::collection::vec(op(), OPS_PER_CASE), |ops| {
            let mut p = protocol();
            let mut waiting = Vec::new();
            for op in &ops {
                apply(&mut p, &mut waiting, op);
            }
            Ok(())
        })
        .unwrap();
}
