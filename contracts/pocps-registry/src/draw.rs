//! Drawing verifiers from the bonded set by the beacon, weighted by bond: who decides an
//! appeal ([`crate::appeal`]) and who sweeps a device ([`crate::sweep`]).

use cosmwasm_std::{Addr, Empty, Order, Storage, Timestamp, Uint128};
use loopin::registry::ChallengeStatus;
use sha2::{Digest, Sha256};

use crate::error::ContractError;
use crate::judge;
use crate::state::{CHALLENGES, Challenge, Config, NEXT_CHALLENGE, OPEN_ASSIGNMENTS, VERIFIERS};

/// What a drawn verifier's challenge is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Drawn {
    Appeal,
    /// The device's sweep in `window`, drawn on chain at `at`.
    Sweep {
        window: u64,
        at: Timestamp,
    },
}

/// Assigns `verifier` a challenge on `token_id` it was drawn for by the beacon value of
/// `round`, counted as asked at `assigned_at`: no committed secret (its verifier picks one
/// when it submits), one more open challenge for the verifier. Returns its id.
pub(crate) fn assign(
    storage: &mut dyn Storage,
    verifier: &Addr,
    token_id: &str,
    (round, beacon): (u64, &[u8; 32]),
    assigned_at: Timestamp,
    drawn: Drawn,
) -> Result<u64, ContractError> {
    let id = NEXT_CHALLENGE.load(storage)?;
    NEXT_CHALLENGE.save(storage, &(id + 1))?;
    let challenge = Challenge {
        verifier: verifier.clone(),
        secret_hash: [0; 32],
        committed_round: round,
        randomness_round: Some(round),
        randomness: Some(judge::challenge_randomness(beacon, id)),
        target: Some(token_id.to_string()),
        assigned_at: Some(assigned_at),
        status: ChallengeStatus::Assigned,
        disputed: None,
        prev_assigned: None,
        pass: None,
        audits: 0,
        open_audits: 0,
        appeal: drawn == Drawn::Appeal,
        sweep: match drawn {
            Drawn::Sweep { window, .. } => Some(window),
            Drawn::Appeal => None,
        },
        drawn_at: match drawn {
            Drawn::Sweep { at, .. } => Some(at),
            Drawn::Appeal => None,
        },
    };
    CHALLENGES.save(storage, id, &challenge)?;
    OPEN_ASSIGNMENTS.save(storage, (token_id, id), &Empty {})?;
    let mut v = VERIFIERS.may_load(storage, verifier)?.unwrap_or_default();
    v.open_challenges += 1;
    VERIFIERS.save(storage, verifier, &v)?;
    Ok(id)
}

/// Randomness of a draw: the beacon value bound to its `domain`, the device and `nth` (the
/// appeal's number, the sweep's window, big-endian).
pub(crate) fn randomness(domain: &[u8], beacon: &[u8; 32], token_id: &str, nth: &[u8]) -> [u8; 32] {
    Sha256::new()
        .chain_update(domain)
        .chain_update(beacon)
        .chain_update((token_id.len() as u64).to_be_bytes())
        .chain_update(token_id)
        .chain_update(nth)
        .finalize()
        .into()
}

/// A verifier a draw may pick: its address, bond, and when its chance last rose.
pub(crate) struct Candidate {
    pub address: Addr,
    pub bonded: Uint128,
    pub raised_at: Option<Timestamp>,
}

/// Every verifier a draw may ever pick: not slashed, at least the minimum bond, and a
/// challenge key to sign its requests with. Loaded once per draw (or page of draws).
pub(crate) fn candidates(
    storage: &dyn Storage,
    config: &Config,
) -> Result<Vec<Candidate>, ContractError> {
    let mut out = vec![];
    for item in VERIFIERS.range(storage, None, None, Order::Ascending) {
        let (address, v) = item?;
        if v.slashed || v.bonded < config.settings.min_bond || v.challenge_key.is_none() {
            continue;
        }
        out.push(Candidate {
            address,
            bonded: v.bonded,
            raised_at: v.raised_at,
        });
    }
    Ok(out)
}

/// The candidates a draw whose beacon was unknown before `fixed_before` may pick, with their
/// bonds: none whose bond was added or key set since (whoever has seen the beacon cannot buy
/// or key its way in), and none `excluded` says no to.
pub(crate) fn pool<'a>(
    candidates: &'a [Candidate],
    fixed_before: Timestamp,
    excluded: impl Fn(&Addr) -> bool + 'a,
) -> impl Iterator<Item = (Addr, Uint128)> + 'a {
    candidates
        .iter()
        .filter(move |c| c.raised_at.is_none_or(|t| t < fixed_before) && !excluded(&c.address))
        .map(|c| (c.address.clone(), c.bonded))
}

/// -log2(x / 2^64) in units of 2^-32, for x in 1..2^64 (0 reads as 1): the integer logarithm
/// and 32 fraction bits by repeated squaring of the mantissa.
fn neg_log2(x: u64) -> u128 {
    let x = x.max(1);
    let whole = 63 - u128::from(x.leading_zeros());
    // The mantissa in [2^63, 2^64): 1.f in units of 2^-63.
    let mut m = u128::from(x) << (63 - whole);
    let mut frac = 0u128;
    for _ in 0..32 {
        m = (m * m) >> 63;
        frac <<= 1;
        if m >= 1 << 64 {
            frac |= 1;
            m >>= 1;
        }
    }
    (64u128 << 32) - ((whole << 32) | frac)
}

/// Draws up to `n` of `pool`, each with a chance proportional to its bond, by weighted
/// sortition: each verifier's clock is -log2(u) / bond for its own uniform u = H(randomness,
/// address), and the `n` earliest are drawn (sampling in proportion to bond, without
/// replacement). A clock depends on nothing but its own verifier, so one that leaves the pool
/// or lowers its bond after seeing the beacon moves no other's.
pub(crate) fn sortition(pool: Vec<(Addr, Uint128)>, randomness: &[u8; 32], n: usize) -> Vec<Addr> {
    let mut clocks: Vec<(u128, Addr)> = pool
        .into_iter()
        .filter(|(_, bond)| !bond.is_zero())
        .map(|(address, bond)| {
            let h: [u8; 32] = Sha256::new()
                .chain_update(randomness)
                .chain_update(address.as_bytes())
                .finalize()
                .into();
            let mut x = [0u8; 8];
            x.copy_from_slice(&h[..8]);
            let clock = (neg_log2(u64::from_be_bytes(x)) << 64) / bond.u128();
            (clock, address)
        })
        .collect();
    clocks.sort();
    clocks.into_iter().take(n).map(|(_, a)| a).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neg_log2_is_the_logarithm_to_32_fraction_bits() {
        let unit = (1u128 << 32) as f64;
        for x in [1u64, 2, 3, 1000, 1 << 40, u64::MAX / 3, u64::MAX - 1] {
            let want = -((x as f64) / 2f64.powi(64)).log2();
            let got = neg_log2(x) as f64 / unit;
            assert!((got - want).abs() < 1e-8, "{x}: {got} vs {want}");
        }
        assert_eq!(neg_log2(0), neg_log2(1));
    }

    #[test]
    fn sortition_draws_in_proportion_to_bond() {
        // Bonds 1, 2 and 7: over many beacons each is drawn first about that often.
        let pool: Vec<(Addr, Uint128)> = [1u128, 2, 7]
            .iter()
            .enumerate()
            .map(|(i, b)| {
                (
                    Addr::unchecked(format!("v{i}")),
                    Uint128::new(b * 1_000_000),
                )
            })
            .collect();
        let mut first = [0u32; 3];
        let tries = 20_000;
        for t in 0..tries {
            let r: [u8; 32] = Sha256::digest((t as u32).to_be_bytes()).into();
            let drawn = sortition(pool.clone(), &r, 1);
            let i = pool.iter().position(|(a, _)| *a == drawn[0]).unwrap();
            first[i] += 1;
        }
        for (i, share) in [0.1, 0.2, 0.7].iter().enumerate() {
            let got = f64::from(first[i]) / f64::from(tries);
            assert!(
                (got - share).abs() < 0.015,
                "verifier {i}: {got} vs {share}"
            );
        }
    }
}
