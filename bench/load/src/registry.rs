//! The registry's assignment cost on a sample: bonded verifiers commit challenge secrets, two
//! of them make a beacon round (entropy committed, revealed, final), and every sampled
//! challenge is assigned (`Assign`, a draw over the registered devices). The challenges are
//! not answered: passing them needs a prover per device (see bench/load.md, what is left).

use cosmwasm_std::HexBinary;
use loopin::registry::{ConfigResponse, ExecuteMsg, QueryMsg};
use loopin_chain_client::ChainClient;
use loopin_pocps::challenge::commit_secret;

use crate::cast::{Cast, attr, each};

/// Moves the chain to one second into the next beacon round, so a round's transactions cannot
/// straddle a boundary.
async fn align_to_round(cast: &Cast, config: &ConfigResponse) -> anyhow::Result<()> {
    let round = config.settings.round_seconds;
    let (_, now) = cast.querier.latest_block().await?;
    let offset = (now as u64 - config.genesis.seconds()) % round;
    cast.chain.advance(round - offset + 1).await;
    Ok(())
}

async fn exec(client: &ChainClient, registry: &str, msg: ExecuteMsg) -> anyhow::Result<()> {
    client.execute(registry, &msg, &[]).await?;
    Ok(())
}

/// Commits, a beacon round and assigns `sample` challenges (one per verifier, at most one per
/// verifier); returns how many were assigned.
pub async fn assign_sample(cast: &Cast, sample: usize) -> anyhow::Result<usize> {
    let registry = cast.registry.as_str();
    let config: ConfigResponse = cast
        .querier
        .query_smart(registry, &QueryMsg::Config {})
        .await?;
    let quorum = config.settings.entropy_quorum as usize;
    let sample = sample.min(cast.verifiers.len());
    // A challenge's own verifier's entropy does not count towards its quorum: one more.
    let contributors = quorum + 1;
    anyhow::ensure!(
        cast.verifiers.len() >= contributors,
        "fewer verifiers than the entropy quorum and one"
    );
    align_to_round(cast, &config).await?;
    let secret = |i: usize| [0x5e ^ (i as u8); 32];
    let ids = each((0..sample).collect(), cast.concurrency, |i| async move {
        let msg = ExecuteMsg::Commit {
            secret_hash: HexBinary::from(commit_secret(&secret(i))),
        };
        let tx = cast.verifiers[i].execute(registry, &msg, &[]).await?;
        Ok(attr(&tx, "challenge_id")?.parse::<u64>()?)
    })
    .await?;
    let entropy = |i: usize| [0xe0 + i as u8; 32];
    let beacon: Vec<usize> = (0..contributors).collect();
    // The beacon round that draws the targets comes after the round the secrets were committed in.
    align_to_round(cast, &config).await?;
    each(beacon.clone(), cast.concurrency, |i| {
        let hash = HexBinary::from(commit_secret(&entropy(i)));
        exec(
            &cast.verifiers[i],
            registry,
            ExecuteMsg::CommitEntropy { hash },
        )
    })
    .await?;
    align_to_round(cast, &config).await?;
    each(beacon, cast.concurrency, |i| {
        let secret = HexBinary::from(entropy(i).to_vec());
        exec(
            &cast.verifiers[i],
            registry,
            ExecuteMsg::RevealEntropy { secret },
        )
    })
    .await?;
    align_to_round(cast, &config).await?;
    let assigned = each(
        ids.into_iter().enumerate().collect(),
        cast.concurrency,
        |(i, challenge_id)| {
            exec(
                &cast.verifiers[i],
                registry,
                ExecuteMsg::Assign { challenge_id },
            )
        },
    )
    .await?;
    Ok(assigned.len())
}
