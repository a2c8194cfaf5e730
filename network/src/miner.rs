//! A miner: its prover process, its stake and its device registration.
//!
//! A miner builds P with `loopin-prover init` (test parameters, CPU), reads the commitment with
//! `loopin-prover commitment`, stakes the device in a pool with the commitment's digest,
//! registers the device with the registry, then serves: `loopin-prover serve` reading its
//! assignments from the chain, or, for the scenario's cheaters, `loopin-network cheat-prover`.

use crate::actors::{Actor, derived, wasm_attr};
use crate::cheat::Cheat;
use crate::error::{NetworkError, Result};
use cosmwasm_std::HexBinary;
use loopin::pair::ReceiveMsg;
use loopin::registry::{CommitmentMsg, ExecuteMsg as RegistryMsg};
use loopin::stake_cert::StakeMode;
use loopin_chain_client::ChainConfig;
use loopin_pocps::proof::Commitment;
use loopin_prover::config::{ChainSource, Config, Identity};

use loopin_prover::verifier::CommitmentFile;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

/// Where the binaries are and where the miners keep their data.
#[derive(Clone, Debug)]
pub struct Launcher {
    pub prover_bin: PathBuf,
    /// `loopin-network`, for the cheating provers.
    pub network_bin: PathBuf,
    pub work_dir: PathBuf,
    pub chain: ChainConfig,
}

/// The development key a miner's prover answers the audits of its Passes with is the miner's
/// key plus this: its own account, so its answers never race the miner's transactions for a
/// sequence number.
pub const AUDIT_KEY_OFFSET: u8 = 100;

/// What a miner does.
#[derive(Clone, Debug)]
pub struct MinerPlan {
    pub name: String,
    pub key: u8,
    pub mode: StakeMode,
    pub epochs: u64,
    pub cheat: Option<Cheat>,
    /// LOOP sent with the stake (the rest is refunded).
    pub stake_loop: u128,
    /// A provider's cap on the LOOP side (the first provider sets the price with it).
    pub max_liquidity: Option<u128>,
    pub port: u16,
}

/// A staked, registered miner with its serving prover.
pub struct Miner {
    pub plan: MinerPlan,
    pub actor: Actor,
    pub token_id: String,
    pub stake_id: u64,
    pub commitment: Commitment,
    pub endpoint: String,
    child: Child,
}

/// The scenario's encoding: the test set's 16 KiB P with r = 512 Sloth rounds per block, so a
/// prover that regenerates each read (`Cheat::Regenerate`) spends 8192 × 512 slow rounds (≥ 2 s
/// even in release) on a challenge an honest one answers in milliseconds; blocks are
/// independent, so a missing block costs r and no more.
pub const SCENARIO_PARAMS: loopin_pocps::encode::Params = loopin_pocps::encode::Params {
    rounds: 512,
    ..loopin_pocps::encode::Params::TEST
};

fn prover_config(
    dir: &Path,
    listen: &str,
    identity: Identity,
    chain: Option<ChainSource>,
) -> Config {
    Config {
        data_dir: dir.join("p"),
        listen: listen.to_string(),
        metrics_listen: String::new(),
        backend: "cpu".into(),
        params: "test".into(),
        custom_params: Some(SCENARIO_PARAMS),
        identity,
        chain: chain.unwrap_or_default(),
        ..Config::default()
    }
}

fn write_config(path: &Path, c: &Config) -> Result<()> {
    let text = toml::to_string(c).map_err(NetworkError::ProverConfig)?;
    std::fs::write(path, text).map_err(|source| NetworkError::Write {
        path: path.to_path_buf(),
        source,
    })
}

async fn run(cmd: &mut Command, what: &str) -> Result<String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(|source| NetworkError::Spawn {
            what: what.to_string(),
            source,
        })?;
    if !out.status.success() {
        return Err(NetworkError::CommandFailed {
            what: what.to_string(),
            status: out.status,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Waits until `addr` accepts TCP connections; if the prover exits first, fails with the end of
/// its log.
async fn wait_listening(addr: &str, child: &mut Child, name: &str, log: &Path) -> Result<()> {
    for _ in 0..300 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return Ok(());
        }
        if let Some(status) = child.try_wait()? {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            let tail: String = text
                .chars()
                .rev()
                .take(2_000)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            return Err(NetworkError::ProverExited {
                miner: name.to_string(),
                status,
                log: log.to_path_buf(),
                tail,
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(NetworkError::NotListening {
        miner: name.to_string(),
        addr: addr.to_string(),
    })
}

/// `loopin-prover` with a miner's config.
struct Prover<'a> {
    bin: &'a Path,
    config: &'a Path,
}

impl Prover<'_> {
    /// `loopin-prover --config <config> --log warn <args>`.
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(self.bin);
        cmd.arg("--config").arg(self.config).args(["--log", "warn"]);
        cmd.args(args);
        cmd
    }
}

/// What a stake left: the stake certificate's token id and the pool's stake id.
struct Staked {
    token_id: String,
    stake_id: u64,
    fingerprint_hash: HexBinary,
}

impl Miner {
    /// Builds P, stakes in `pool`, registers with `registry` and starts serving. `tag` makes the
    /// device's fingerprint unique per run, so a scenario can run again on the same chain.
    pub async fn start(
        plan: MinerPlan,
        actor: Actor,
        launcher: &Launcher,
        token: &str,
        pool: &str,
        registry: &str,
        tag: &str,
    ) -> Result<Miner> {
        let dir = fresh_dir(launcher, &plan)?;
        let listen = format!("127.0.0.1:{}", plan.port);
        let fingerprint = format!("GPU-{}-{tag}", plan.name);
        let ek_randomness = derived(&fingerprint, 0);
        let identity = Identity {
            fingerprint: fingerprint.clone(),
            miner: actor.address(),
            pool: pool.to_string(),
            randomness: hex::encode(ek_randomness),
        };
        let config_path = dir.join("prover.toml");
        write_config(
            &config_path,
            &prover_config(&dir, &listen, identity.clone(), None),
        )?;
        let prover = Prover {
            bin: &launcher.prover_bin,
            config: &config_path,
        };
        let commitment = build_p(&prover).await?;
        let staked = stake(&prover, launcher, &plan, &actor, token, pool).await?;
        let endpoint = format!("http://{listen}");
        let register = RegistryMsg::RegisterDevice {
            token_id: staked.token_id.clone(),
            fingerprint: staked.fingerprint_hash,
            commitment: CommitmentMsg::from(&commitment),
            endpoint: endpoint.clone(),
            ek_randomness: HexBinary::from(ek_randomness),
        };
        actor
            .client
            .execute(registry, &register, &[])
            .await
            .map_err(|source| NetworkError::DeviceRegistration {
                miner: plan.name.clone(),
                source: Box::new(source),
            })?;
        let chain = audit_source(&dir, launcher, &plan, registry, &staked.token_id)?;
        write_config(
            &config_path,
            &prover_config(&dir, &listen, identity, Some(chain)),
        )?;
        let child = serve(&prover, launcher, &plan, &dir, &listen).await?;
        let Staked {
            token_id, stake_id, ..
        } = staked;
        tracing::info!(miner = %plan.name, %token_id, stake_id, cheat = ?plan.cheat, %endpoint, "miner serving");
        Ok(Miner {
            plan,
            actor,
            token_id,
            stake_id,
            commitment,
            endpoint,
            child,
        })
    }

    /// Stops the prover process.
    pub async fn stop(&mut self) {
        let _ = self.child.kill().await;
    }
}

fn cheat_name(cheat: Cheat) -> &'static str {
    match cheat {
        Cheat::Discard => "discard",
        Cheat::Regenerate => "regenerate",
        Cheat::NoGpu => "no-gpu",
    }
}

/// The miner's directory, without the encoding an earlier run left there.
fn fresh_dir(launcher: &Launcher, plan: &MinerPlan) -> Result<PathBuf> {
    let dir = launcher.work_dir.join(&plan.name);
    // Each run's miners are new devices (their fingerprints carry the run's tag): an
    // encoding an earlier run left here was made for another identity, and the prover
    // rightly refuses to serve it.
    let stale = dir.join("p");
    if stale.exists() {
        std::fs::remove_dir_all(&stale).map_err(|source| NetworkError::Remove {
            path: stale.clone(),
            source,
        })?;
    }
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Builds P (`loopin-prover init`) and reads its commitment (`loopin-prover commitment`).
async fn build_p(prover: &Prover<'_>) -> Result<Commitment> {
    run(
        &mut prover.command(&["init", "--no-progress"]),
        "loopin-prover init",
    )
    .await?;
    let printed = run(
        &mut prover.command(&["commitment"]),
        "loopin-prover commitment",
    )
    .await?;
    serde_json::from_str::<CommitmentFile>(&printed)
        .map_err(NetworkError::CommitmentJson)?
        .to_commitment()
        .map_err(NetworkError::Commitment)
}

/// Stakes the device in `pool` with the stake hook its prover signed (`loopin-prover
/// stake-msg`).
async fn stake(
    prover: &Prover<'_>,
    launcher: &Launcher,
    plan: &MinerPlan,
    actor: &Actor,
    token: &str,
    pool: &str,
) -> Result<Staked> {
    // The device's consent: the prover signs the stake with the device key, whose
    // fingerprint is the device id (and the fingerprint the registry derives ek from).
    let mode = match plan.mode {
        StakeMode::LiquidityProvider => "liquidity-provider",
        StakeMode::Seller => "seller",
    };
    let epochs = plan.epochs.to_string();
    let mut args = vec![
        "--chain-id",
        launcher.chain.chain_id.as_str(),
        "stake-msg",
        "--mode",
        mode,
        "--epochs",
        epochs.as_str(),
    ];
    let max_liquidity = plan.max_liquidity.map(|m| m.to_string());
    if let Some(m) = &max_liquidity {
        args.extend(["--max-liquidity", m.as_str()]);
    }
    let printed = run(&mut prover.command(&args), "loopin-prover stake-msg").await?;
    let stake: ReceiveMsg = serde_json::from_str(&printed).map_err(NetworkError::StakeHookJson)?;
    let ReceiveMsg::Stake { device_id, .. } = &stake else {
        return Err(NetworkError::OtherHook);
    };
    let fingerprint_hash = HexBinary::from_hex(device_id).map_err(NetworkError::DeviceId)?;
    let tx = actor
        .send_loop(token, pool, plan.stake_loop, &stake)
        .await
        .map_err(|source| NetworkError::Stake {
            miner: plan.name.clone(),
            source: Box::new(source),
        })?;
    Ok(Staked {
        token_id: wasm_attr(&tx, "token_id")?,
        stake_id: wasm_attr(&tx, "stake_id")?.parse()?,
        fingerprint_hash,
    })
}

/// The prover's chain source: the device answers the audits of its Passes (a row of its GEMM,
/// which only it can recompute; a step, if the Pass's verifier has not shown it first) with a
/// key of its own, funded by the market.
fn audit_source(
    dir: &Path,
    launcher: &Launcher,
    plan: &MinerPlan,
    registry: &str,
    token_id: &str,
) -> Result<ChainSource> {
    let audit_key = dir.join("audit.key");
    std::fs::write(
        &audit_key,
        loopin_chain_client::Key::development_mnemonic(plan.key + AUDIT_KEY_OFFSET),
    )?;
    Ok(ChainSource {
        node: launcher.chain.clone(),
        registry: registry.to_string(),
        token_id: token_id.to_string(),
        poll_ms: 300,
        audit_key_file: Some(audit_key),
    })
}

/// Starts the serving prover (`loopin-prover serve`, or the plan's cheating prover), logging to
/// `prover.log`, and waits until it listens.
async fn serve(
    prover: &Prover<'_>,
    launcher: &Launcher,
    plan: &MinerPlan,
    dir: &Path,
    listen: &str,
) -> Result<Child> {
    let log_path = dir.join("prover.log");
    let log = std::fs::File::create(&log_path)?;
    let mut cmd = match plan.cheat {
        None => {
            let mut cmd = prover.command(&["serve"]);
            cmd.stdout(Stdio::null());
            cmd
        }
        Some(cheat) => {
            let mut cmd = Command::new(&launcher.network_bin);
            cmd.args(["--log", "warn", "cheat-prover", "--config"])
                .arg(prover.config)
                .args(["--mode", cheat_name(cheat)]);
            cmd
        }
    };
    let mut child = cmd
        .stdin(Stdio::null())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .map_err(|source| NetworkError::Spawn {
            what: format!("the prover of {}", plan.name),
            source,
        })?;
    wait_listening(listen, &mut child, &plan.name, &log_path).await?;
    Ok(child)
}
