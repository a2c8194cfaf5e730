//! Attacks on the pair's fairness (issue 16): each test runs the attack and the same history
//! without the attacker, and asserts that the victim loses nothing and the attacker gains nothing
//! beyond rounding. Each was written first and failed on the code before its fix. Where the fix
//! is a bound the victim signs (a stake's `max_price`, `min_shares`), the test also runs the
//! attack without the bound, as an older client's message, and pins what moved.

use cosmwasm_std::{Decimal, Decimal256, HexBinary, Timestamp, Uint128};
use cw_multi_test::AppResponse;
use loopin::pair::{ExecuteMsg, QueryMsg, ReceiveMsg};
use loopin::stake_cert::StakeMode;
use loopin_integration_tests::contract_error;
use loopin_integration_tests::protocol::{EPOCH, LOOP, Protocol, RICH, SSH_KEY, market, protocol};
use loopin_integration_tests::views::lease_id;
use loopin_pair::ContractError;
use loopin_pool_math::HOUR;

/// LOOP lost to rounding in one settlement or one round trip, at most.
const ROUNDING: u128 = 10;

// The attacks, by topic; each file holds its attacks and the scenarios they run.
mod dust;
mod liquidity;
mod renewals;
mod sellers;
mod stake_price;
