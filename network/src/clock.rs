//! The scenario's time and fee tokens, which differ between the devnet and every other chain.
//!
//! On `loopin-devnet` the scenario moves the chain's clock itself (its admin service's
//! `AdvanceTime`: an hour-long epoch in seconds of real time) and mints fee tokens from its
//! faucet. A real chain (wasmd and its kin) has neither: its clock is its validators' block
//! time, so the scenario waits for each beacon round to begin, and fee tokens come from the
//! bank account by `MsgSend`. [`Clock::detect`] tells them apart by asking for the admin
//! service, which only the devnet serves.

use crate::actors::Actor;
use crate::error::{NetworkError, Result};
use loopin_chain_client::{ChainClient, ClientError, devnet};
use std::time::Duration;

/// Whose clock the scenario runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
pub enum Clock {
    /// `loopin-devnet`: the scenario fast-forwards its clock one beacon round at a time and
    /// funds accounts from its faucet.
    Devnet,
    /// Any other chain: real block time, fee tokens sent by the bank account.
    Real,
}

/// How often the chain's latest block is read while waiting for a round to begin.
const POLL: Duration = Duration::from_millis(250);

impl Clock {
    /// The devnet when its admin service answers (a faucet grant of nothing to `probe`), a real
    /// chain when the node says it has no such service; any other failure is an error.
    pub async fn detect(probe: &Actor) -> Result<Clock> {
        match devnet::fund(probe.client.channel(), &probe.address(), 0).await {
            Ok(()) => Ok(Clock::Devnet),
            Err(ClientError::Status(s)) if s.code() == tonic::Code::Unimplemented => {
                Ok(Clock::Real)
            }
            Err(e) => Err(NetworkError::DevnetProbe(Box::new(e))),
        }
    }

    /// Gives `to` `amount` of the fee denom: minted by the devnet's faucet, or sent by `bank`
    /// (which must hold it: on a real chain, funded at genesis or by its operator).
    pub async fn fund(&self, bank: &Actor, to: &Actor, amount: u128) -> Result<()> {
        match self {
            Clock::Devnet => devnet::fund(to.client.channel(), &to.address(), amount)
                .await
                .map_err(|source| NetworkError::Faucet {
                    to: to.name.clone(),
                    source: Box::new(source),
                }),
            Clock::Real => {
                if bank.address() == to.address() {
                    return Ok(());
                }
                bank.client
                    .bank_send(&to.address(), amount)
                    .await
                    .map_err(|source| NetworkError::FeeTokens {
                        to: to.name.clone(),
                        from: bank.name.clone(),
                        source: Box::new(source),
                    })?;
                Ok(())
            }
        }
    }

    /// Ends the beacon round whose work began at block time `started` (rounds of `round`
    /// seconds from the registry's `genesis`, unix seconds): the devnet's clock moves one round
    /// on; on a real chain this waits until a block one second into the next round is sealed,
    /// so that the next round's transactions cannot straddle a boundary. Returns the rounds a
    /// real chain's clock passed while the work ran over (0 when it fitted in its round).
    pub async fn next_round(
        &self,
        client: &ChainClient,
        genesis: u64,
        round: u64,
        started: i64,
    ) -> Result<u64> {
        match self {
            Clock::Devnet => {
                devnet::advance_time(client.channel(), round).await?;
                Ok(0)
            }
            Clock::Real => {
                let (_, now) = client.latest_block().await?;
                let index = round_index(now, genesis, round);
                let target = genesis + (index + 1) * round + 1;
                wait_for_time(client, target).await?;
                Ok(index - round_index(started, genesis, round).min(index))
            }
        }
    }

    /// Waits, on a real chain, for the first block one second into a beacon round (before the
    /// scenario's first round); nothing to wait for on the devnet.
    pub async fn align(&self, client: &ChainClient, genesis: u64, round: u64) -> Result<()> {
        match self {
            Clock::Devnet => Ok(()),
            Clock::Real => {
                let (_, now) = client.latest_block().await?;
                let index = round_index(now, genesis, round);
                wait_for_time(client, genesis + (index + 1) * round + 1).await
            }
        }
    }

    /// Whether the epoch whose rounds began with the pool's `clock_epoch` at `start` is over
    /// after `rounds` rounds, the pool's clock now reading `now`: on the devnet, when its
    /// `per_epoch` rounds were run (the scenario moves the clock); on a real chain, when block
    /// time entered the next epoch (or two rounds past `per_epoch`, should the pool's clock
    /// not move).
    pub fn epoch_over(&self, rounds: u64, per_epoch: u64, start: u64, now: u64) -> bool {
        match self {
            Clock::Devnet => rounds >= per_epoch,
            Clock::Real => (rounds > 0 && now > start) || rounds >= per_epoch + 2,
        }
    }
}

/// Index of the beacon round containing unix second `now`.
fn round_index(now: i64, genesis: u64, round: u64) -> u64 {
    (now.max(0) as u64).saturating_sub(genesis) / round.max(1)
}

/// Waits until the chain's latest block time is at least `target` (unix seconds).
async fn wait_for_time(client: &ChainClient, target: u64) -> Result<()> {
    loop {
        let (_, time) = client.latest_block().await?;
        if time >= 0 && time as u64 >= target {
            return Ok(());
        }
        tokio::time::sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_devnet_epoch_is_its_fixed_number_of_rounds() {
        assert!(!Clock::Devnet.epoch_over(5, 6, 3, 4));
        assert!(Clock::Devnet.epoch_over(6, 6, 3, 3));
    }

    #[test]
    fn a_real_epoch_ends_when_block_time_enters_the_next_one() {
        assert!(!Clock::Real.epoch_over(0, 6, 3, 4), "at least one round");
        assert!(
            !Clock::Real.epoch_over(6, 6, 3, 3),
            "the pool's clock has not moved"
        );
        assert!(Clock::Real.epoch_over(4, 6, 3, 4));
        assert!(
            Clock::Real.epoch_over(8, 6, 3, 3),
            "bounded when the clock stalls"
        );
    }

    #[test]
    fn rounds_are_counted_from_the_registry_genesis() {
        assert_eq!(round_index(1_000, 1_000, 20), 0);
        assert_eq!(round_index(1_019, 1_000, 20), 0);
        assert_eq!(round_index(1_020, 1_000, 20), 1);
        assert_eq!(round_index(900, 1_000, 20), 0, "before genesis");
    }
}
