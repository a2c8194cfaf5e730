//! The load's cast on one devnet: the deployment of `deploy/devnet.toml`, `n` miners with a
//! device each (staked with the device's signed hook, registered with its honest commitment
//! at the test parameters), clients, bonded verifiers with challenge keys, and the keeper.

use std::future::Future;

use cosmwasm_std::{Decimal, HexBinary, Uint128, to_json_binary};
use futures::StreamExt;
use k256::ecdsa::SigningKey;
use loopin::device::Registration;
use loopin::registry::{ExecuteMsg as RegistryMsg, ReceiveMsg as RegistryHook};
use loopin::stake_cert::StakeMode;
use loopin::token;
use loopin_chain_client::{ChainClient, ChainConfig, ChainQuerier, Key, TxResult};
use loopin_chain_tests::{Chain, DevnetIdentity, PREFIX};
use loopin_deploy::{DeployConfig, Deployment};
use loopin_pocps::sig::{challenge_key_message, k256_sign};
use loopin_prover::auth::pubkey_bytes;
use loopin_prover::stake::{StakeOffer, signed_stake};

/// One LOOP in its smallest unit.
pub const LOOP: u128 = 1_000_000;
/// The ek randomness every device was encoded with.
const EK_RANDOMNESS: &[u8] = b"load";

/// How many of each role a scale has.
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    pub stakes: usize,
    pub clients: usize,
    pub verifiers: usize,
    /// Epochs each stake runs for (the run's epochs and some).
    pub stake_epochs: u64,
}

/// Roles, so that every account's key is distinct.
#[derive(Clone, Copy)]
enum Role {
    Deployer = 1,
    Miner = 2,
    Client = 3,
    Verifier = 4,
    Keeper = 5,
}

fn secret(role: Role, i: usize, salt: u8) -> [u8; 32] {
    let mut bytes = [0x11u8; 32];
    bytes[0] = role as u8;
    bytes[1] = salt;
    bytes[2..10].copy_from_slice(&(i as u64).to_be_bytes());
    bytes
}

fn key(role: Role, i: usize) -> anyhow::Result<Key> {
    Ok(Key::from_bytes(&secret(role, i, 0), PREFIX)?)
}

/// The deployed protocol and its participants.
pub struct Cast {
    pub chain: Chain,
    pub querier: ChainQuerier,
    pub deployment: Deployment,
    pub pool: String,
    pub registry: String,
    pub miners: Vec<ChainClient>,
    pub clients: Vec<ChainClient>,
    pub verifiers: Vec<ChainClient>,
    /// The keeper's account, until the keeper takes it.
    pub keeper: Option<ChainClient>,
    /// The miners' stake ids, in miner order.
    pub stake_ids: Vec<u64>,
    pub concurrency: usize,
}

/// Runs `f` on every item, `concurrency` at a time; the first error fails the lot.
pub async fn each<T, F, Fut, R>(items: Vec<T>, concurrency: usize, f: F) -> anyhow::Result<Vec<R>>
where
    F: Fn(T) -> Fut,
    Fut: Future<Output = anyhow::Result<R>>,
{
    let results: Vec<anyhow::Result<R>> = futures::stream::iter(items.into_iter().map(f))
        .buffered(concurrency.max(1))
        .collect()
        .await;
    results.into_iter().collect()
}

impl Cast {
    /// Starts the devnet (every account funded with gas at genesis) and deploys LooPIN with
    /// `deploy/devnet.toml`, LOOP given to every miner, client and verifier.
    pub async fn start(scale: Scale, concurrency: usize) -> anyhow::Result<Cast> {
        let roles = [
            (Role::Miner, scale.stakes),
            (Role::Client, scale.clients),
            (Role::Verifier, scale.verifiers),
            (Role::Keeper, 1),
        ];
        // `DeployConfig::devnet` signs with development key 1.
        let mut keys: Vec<(u8, Key)> = vec![(Role::Deployer as u8, Key::development(1, PREFIX)?)];
        for (role, n) in roles {
            for i in 0..n {
                keys.push((role as u8, key(role, i)?));
            }
        }
        let addresses: Vec<String> = keys.iter().map(|(_, k)| k.address.to_string()).collect();
        let chain = Chain::start_devnet("load", DevnetIdentity::default(), &addresses).await;
        // Concurrent transactions change the state between a simulation and delivery (a stake's
        // match of the price, a lease's swap): a wider margin than the default 1.3 (gas used is
        // what is measured, not the limit).
        let chain_config = ChainConfig {
            gas_adjustment: 2.0,
            ..chain.chain_config()
        };
        let querier = ChainQuerier::connect(chain_config).await?;
        let holders: Vec<(String, u128)> = keys
            .iter()
            .filter(|(role, _)| *role != Role::Deployer as u8 && *role != Role::Keeper as u8)
            .map(|(_, k)| (k.address.to_string(), 100_000 * LOOP))
            .collect();
        let config = DeployConfig::devnet(&chain.chain_config(), 1, &holders)?;
        let mut clients: Vec<(u8, ChainClient)> = keys
            .into_iter()
            .map(|(role, k)| (role, ChainClient::with_querier(querier.clone(), k)))
            .collect();
        let by_role = |clients: &mut Vec<(u8, ChainClient)>, role: Role| -> Vec<ChainClient> {
            let (mine, rest): (Vec<_>, Vec<_>) =
                clients.drain(..).partition(|(r, _)| *r == role as u8);
            *clients = rest;
            mine.into_iter().map(|(_, c)| c).collect()
        };
        let deployer = by_role(&mut clients, Role::Deployer).remove(0);
        let deployment = loopin_deploy::deploy(&config, &deployer).await?;
        let pool = deployment.pools["h100"].clone();
        let registry = deployment
            .registry
            .clone()
            .ok_or_else(|| anyhow::anyhow!("no registry"))?;
        Ok(Cast {
            miners: by_role(&mut clients, Role::Miner),
            clients: by_role(&mut clients, Role::Client),
            verifiers: by_role(&mut clients, Role::Verifier),
            keeper: by_role(&mut clients, Role::Keeper).pop(),
            chain,
            querier,
            deployment,
            pool,
            registry,
            stake_ids: vec![],
            concurrency,
        })
    }
}

/// What a tx's event attribute holds, or an error naming it.
pub fn attr(tx: &TxResult, key: &str) -> anyhow::Result<String> {
    tx.event_attr("wasm", key)
        .map(str::to_string)
        .ok_or_else(|| anyhow::anyhow!("tx {} has no wasm.{key}", tx.txhash))
}

/// cw20 `Send` of `amount` LOOP to `contract` with `hook`.
pub async fn send_loop<M: serde::Serialize>(
    client: &ChainClient,
    token: &str,
    contract: &str,
    amount: u128,
    hook: &M,
) -> anyhow::Result<TxResult> {
    let send = token::ExecuteMsg::Send {
        contract: contract.to_string(),
        amount: Uint128::new(amount),
        msg: to_json_binary(hook)?,
    };
    Ok(client.execute(token, &send, &[]).await?)
}

impl Cast {
    /// Every miner stakes its device (the first one sets the price, 10 LOOP per device-hour as
    /// the main job's first provider does; the rest match it) and registers it with the
    /// registry: two transactions each, the miners concurrently. Returns the stake ids.
    pub async fn stake_all(&mut self, scale: Scale) -> anyhow::Result<()> {
        let first = self.stake_one(0, scale, Some(10 * LOOP)).await?;
        let rest: Vec<usize> = (1..self.miners.len()).collect();
        let this = &*self;
        let mut ids = each(rest, self.concurrency, |i| this.stake_one(i, scale, None)).await?;
        ids.insert(0, first);
        self.stake_ids = ids;
        Ok(())
    }

    async fn stake_one(
        &self,
        i: usize,
        scale: Scale,
        max_liquidity: Option<u128>,
    ) -> anyhow::Result<u64> {
        let miner = &self.miners[i];
        let staker = miner.address().to_string();
        let device = SigningKey::from_slice(&secret(Role::Miner, i, 1))?;
        // The honest commitment of P at the test parameters (16 KiB): what a prover builds.
        let registration = Registration::encode(
            &pubkey_bytes(&device),
            &staker,
            &self.pool,
            EK_RANDOMNESS,
            loopin_pocps::encode::Params::TEST,
        );
        let offer = StakeOffer {
            chain_id: self.chain.chain_config().chain_id,
            pair: self.pool.clone(),
            staker,
            commitment: registration.digest(),
            mode: StakeMode::LiquidityProvider,
            rate: Decimal::one(),
            epochs: scale.stake_epochs,
            max_liquidity: max_liquidity.map(Uint128::new),
            min_shares: None,
            max_price: None,
            deadline: None,
        };
        let token = &self.deployment.token;
        let tx = send_loop(
            miner,
            token,
            &self.pool,
            50 * LOOP,
            &signed_stake(&device, &offer),
        )
        .await?;
        let token_id = attr(&tx, "token_id")?;
        let stake_id = attr(&tx, "stake_id")?.parse()?;
        let endpoint = format!("http://127.0.0.1:{}", 20_000 + i);
        let register = registration.message(&token_id, &endpoint);
        miner.execute(&self.registry, &register, &[]).await?;
        Ok(stake_id)
    }

    /// Every verifier bonds the registry's minimum and registers its challenge key.
    pub async fn bond_all(&self, min_bond: Uint128) -> anyhow::Result<()> {
        let all: Vec<usize> = (0..self.verifiers.len()).collect();
        each(all, self.concurrency, |i| async move {
            let v = &self.verifiers[i];
            send_loop(
                v,
                &self.deployment.token,
                &self.registry,
                min_bond.u128(),
                &RegistryHook::Bond {},
            )
            .await?;
            let challenge_key = SigningKey::from_slice(&secret(Role::Verifier, i, 2))?;
            let pubkey = pubkey_bytes(&challenge_key);
            let message = challenge_key_message(&self.registry, v.address().as_ref(), &pubkey);
            let msg = RegistryMsg::SetChallengeKey {
                pubkey: HexBinary::from(pubkey),
                signature: HexBinary::from(k256_sign(&challenge_key, &message)),
            };
            v.execute(&self.registry, &msg, &[]).await?;
            Ok(())
        })
        .await?;
        Ok(())
    }
}
