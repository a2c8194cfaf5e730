//! State an earlier version packed in a layout the current types no longer read: rewritten by
//! `migrate`, before anything else loads it.

use cosmwasm_std::{Addr, Storage};
use loopin::pool::PoolParams;
use loopin_packed::{Prefix, decode_exact};
use loopin_pool_math::capacity::EpochClock;
use serde::Deserialize;

use crate::error::ContractError;
use crate::state::{CONFIG, Config};

/// Fields of `PoolParams` before `incentives` (issue 19) was added after them.
const PARAMS_BEFORE_INCENTIVES: usize = 16;

/// `Config` as packed before `PoolParams::incentives`.
#[derive(Deserialize)]
struct ConfigBeforeIncentives {
    class: String,
    factory: Addr,
    token: Addr,
    stake_cert: Addr,
    params: Prefix<PoolParams, PARAMS_BEFORE_INCENTIVES>,
    clock: EpochClock,
    proofs_from: Option<u64>,
}

/// Rewrites a config packed before `PoolParams::incentives` (no incentives: the pool keeps
/// the parameters it was created with). Whether it did.
pub fn rewrite_config(storage: &mut dyn Storage) -> Result<bool, ContractError> {
    let bytes = storage
        .get(b"config")
        .ok_or_else(|| cosmwasm_std::StdError::not_found("config"))?;
    // Exactly one layout reads every byte (an earlier one can decode as a later one, wrongly,
    // with bytes left over).
    if decode_exact::<Config>(&bytes).is_ok() {
        return Ok(false);
    }
    let old: ConfigBeforeIncentives = decode_exact(&bytes)?;
    CONFIG.save(
        storage,
        &Config {
            class: old.class,
            factory: old.factory,
            token: old.token,
            stake_cert: old.stake_cert,
            params: old.params.0,
            clock: old.clock,
            proofs_from: old.proofs_from,
        },
    )?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::MockStorage;
    use loopin_packed::encode;

    #[test]
    fn a_config_packed_before_incentives_is_rewritten_with_none() {
        let params: PoolParams = cosmwasm_std::from_json(
            br#"{"economics":{"alpha":"1","beta":"0.1","gamma":"0.5"},
                "exchange_fee":"0.003","epoch_seconds":3600,"min_epochs":3,
                "max_epochs":200,"seller_deposit":"1000000","lateness_quorum":3}"#,
        )
        .unwrap();
        let config = crate::state::config(params, 1_700_000_000, Some(12));
        // The earlier layout: the same bytes less the `None` of `incentives`, which sits
        // right before the clock.
        let packed = encode(&config).unwrap();
        let tail = encode(&(config.clock, config.proofs_from)).unwrap().len() - 1;
        let at = packed.len() - tail - 1;
        assert_eq!(packed[at], 0, "the None of incentives");
        let old = [&packed[..at], &packed[at + 1..]].concat();
        let mut storage = MockStorage::new();
        storage.set(b"config", &old);
        assert!(
            CONFIG.load(&storage).is_err(),
            "the current type cannot read it"
        );
        assert!(rewrite_config(&mut storage).unwrap());
        assert_eq!(CONFIG.load(&storage).unwrap(), config);
        assert!(!rewrite_config(&mut storage).unwrap(), "once only");
    }
}
