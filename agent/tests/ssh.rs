//! Leased compute delivered for real: a devnet with the compiled contracts, a staked device, a
//! real OpenSSH server on loopback (Debian's `openssh-server`, installed by `scripts/test.sh`),
//! the miner agent managing real Linux accounts and the client library the CLI runs.
//!
//! Needs root (accounts are created and removed) and `/usr/sbin/sshd`.

use cosmwasm_std::{Decimal, Uint128, to_json_binary};
use loopin::device::Registration;
use loopin::pair::{LeaseResponse, QueryMsg};
use loopin::stake_cert::StakeMode;
use loopin::token;
use loopin_agent::accounts::Accounts;
use loopin_agent::config::{AgentConfig, Settings};
use loopin_agent::service::Agent;
use loopin_agent::test_sshd::{Sshd, test_confinement};
use loopin_chain_client::{ChainClient, Key, devnet};
use loopin_chain_tests::{Chain, Kind, key};
use loopin_client::{LeaseClient, LeaseOrder, pin_and_command};
use loopin_deploy::{DeployConfig, Deployment};
use loopin_prover::stake::{StakeOffer, signed_stake};
use loopin_telemetry::metrics::Metrics;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

const LOOP: u128 = 1_000_000;
const EPOCH_SECONDS: u64 = 3_600;

fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"))
}

fn user_exists(name: &str) -> bool {
    run("getent", &["passwd", name]).status.success()
}

/// Removes accounts a failed earlier run of the same test may have left.
fn clear_accounts(accounts: &dyn Accounts) {
    for account in accounts.list().unwrap_or_default() {
        let _ = accounts.remove(&account.user);
    }
}

/// A child process killed (SIGKILL) when the test ends, passed or not.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A devnet with LooPIN deployed, a device staked as the pool's first liquidity provider, a
/// client account with an SSH key, and the miner's config file for the agent.
struct Harness {
    _devnet: Chain,
    dir: tempfile::TempDir,
    miner: ChainClient,
    pair: String,
    stake_id: u64,
    client: LeaseClient,
    client_key: PathBuf,
    sshd: Sshd,
    config: PathBuf,
    settings: Settings,
}

impl Drop for Harness {
    /// Accounts, their sandboxes, the firewall's table and the test's directories go with it.
    fn drop(&mut self) {
        if let Ok(accounts) = Agent::linux_accounts(&self.settings) {
            clear_accounts(accounts.as_ref());
        }
        let prefix = &self.settings.agent.user_prefix;
        let _ = loopin_agent::confine::firewall::remove(prefix);
        let _ = std::fs::remove_dir_all(format!("/run/loopin-test-{prefix}"));
    }
}

impl Harness {
    async fn start(prefix: &str) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        // Homes live under the temporary directory; sshd (StrictModes) and the accounts must be
        // able to reach them.
        std::fs::set_permissions(
            dir.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
        let devnet = Chain::start(Kind::Devnet, "agent-ssh", &[1, 2, 3]).await;
        let chain = devnet.chain_config();
        let deployer = ChainClient::connect(chain.clone(), key(1)).await.unwrap();
        let miner = ChainClient::connect(chain.clone(), key(2)).await.unwrap();
        let holders: Vec<(String, u128)> = [2u8, 3]
            .iter()
            .map(|n| (key(*n).address.to_string(), 1_000 * LOOP))
            .collect();
        let config = DeployConfig::devnet(&chain, 1, &holders).expect("devnet.toml");
        let deployment: Deployment = loopin_deploy::deploy(&config, &deployer)
            .await
            .expect("deploy");
        let pair = deployment.pools["h100"].clone();

        // The miner's device: 1 h per epoch for 4 epochs, priced at 10 LOOP/h.
        let device_key = loopin_prover::storage::device_key(dir.path()).unwrap();
        // Its PoCPS commitment (test parameters), registered after the stake: only a registered
        // device's hours can be leased.
        let registration = Registration::encode(
            &loopin_prover::auth::pubkey_bytes(&device_key),
            miner.address().as_ref(),
            &pair,
            b"randomness",
            loopin_pocps::encode::Params::TEST,
        );
        let stake = token::ExecuteMsg::Send {
            contract: pair.clone(),
            amount: Uint128::new(11 * LOOP),
            // Signed by the device's key, as the pair requires.
            msg: to_json_binary(&signed_stake(
                &device_key,
                &StakeOffer {
                    chain_id: chain.chain_id.clone(),
                    pair: pair.clone(),
                    staker: miner.address().to_string(),
                    commitment: registration.digest(),
                    mode: StakeMode::LiquidityProvider,
                    rate: Decimal::one(),
                    epochs: 4,
                    max_liquidity: None,
                    min_shares: None,
                    max_price: None,
                    deadline: None,
                },
            ))
            .unwrap(),
        };
        let staked = miner
            .execute(&deployment.token, &stake, &[])
            .await
            .expect("stake");
        let stake_id = staked
            .event_attr("wasm", "stake_id")
            .unwrap()
            .parse()
            .unwrap();
        let token_id = staked.event_attr("wasm", "token_id").unwrap();
        let registry = deployment.registry.clone().expect("a registry");
        miner
            .execute(
                &registry,
                &registration.message(token_id, "http://127.0.0.1:7470"),
                &[],
            )
            .await
            .expect("device registration");

        let client = LeaseClient::connect(chain.clone(), key(3), &pair)
            .await
            .unwrap();
        let client_key = dir.path().join("client_ed25519");
        let out = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", "client@laptop", "-f"])
            .arg(&client_key)
            .output()
            .unwrap();
        assert!(out.status.success(), "ssh-keygen: {out:?}");

        let mut confine = test_confinement(
            prefix,
            std::path::Path::new(env!("CARGO_BIN_EXE_loopin-session")),
        )
        .expect("confinement");
        let sshd = Sshd::start(dir.path(), prefix, &confine).expect("sshd");
        confine.sshd_config = sshd.config.clone();
        let key_file = dir.path().join("miner.key");
        std::fs::write(&key_file, Key::development_mnemonic(2)).unwrap();
        std::fs::set_permissions(
            &key_file,
            std::os::unix::fs::PermissionsExt::from_mode(0o600),
        )
        .unwrap();
        let agent = AgentConfig {
            pair: pair.clone(),
            key_file,
            ssh_host: "127.0.0.1".into(),
            ssh_port: sshd.port,
            host_key_file: sshd.host_key.clone(),
            user_prefix: prefix.into(),
            home_root: dir.path().join("homes"),
            state_dir: dir.path().join("agent-state"),
            poll_ms: 200,
            metrics_listen: String::new(),
            confine,
            ..AgentConfig::default()
        };
        let prover = loopin_miner_config::Config {
            chain: loopin_miner_config::ChainSource {
                node: chain.clone(),
                ..Default::default()
            },
            agent: Some(toml::Table::try_from(&agent).unwrap()),
            ..Default::default()
        };
        let config = dir.path().join("miner.toml");
        std::fs::write(&config, toml::to_string(&prover).unwrap()).unwrap();
        let settings = Settings::from_file(&config).unwrap();
        clear_accounts(Agent::linux_accounts(&settings).unwrap().as_ref());
        Harness {
            _devnet: devnet,
            dir,
            miner,
            pair,
            stake_id,
            client,
            client_key,
            sshd,
            config,
            settings,
        }
    }

    async fn agent(&self) -> Agent {
        Agent::connect(
            self.settings.clone(),
            Agent::linux_accounts(&self.settings).unwrap(),
            Metrics::new(),
        )
        .await
        .expect("agent")
    }

    async fn lease(&self, hours: u128) -> u64 {
        let order = LeaseOrder {
            stake_id: self.stake_id,
            hours,
            ssh_key: std::fs::read_to_string(self.client_key.with_extension("pub")).unwrap(),
            max_slippage_bps: 100,
            deadline_secs: 60,
            renewals: 0,
            budget: 0,
            max_renewal_price: None,
            renewer: None,
        };
        self.client.lease(&order).await.expect("lease").lease_id
    }

    async fn lease_info(&self, lease_id: u64) -> LeaseResponse {
        self.miner
            .query_smart(&self.pair, &QueryMsg::Lease { lease_id })
            .await
            .unwrap()
    }

    /// Waits (up to 30 s) for the agent to bring a lease to `state`.
    async fn until(&self, lease_id: u64, state: impl Fn(&LeaseResponse) -> bool, what: &str) {
        for _ in 0..300 {
            if state(&self.lease_info(lease_id).await) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("lease {lease_id}: not {what}");
    }

    async fn next_epoch(&self) {
        devnet::advance_time(self.miner.channel(), EPOCH_SECONDS)
            .await
            .unwrap();
    }

    /// `ssh` as the client, with the command line `loopin-client` prints.
    fn ssh(&self, command_line: &str, remote: &str) -> Output {
        let mut args: Vec<String> = command_line
            .split(' ')
            .skip(1)
            .map(str::to_string)
            .collect();
        args.splice(
            0..0,
            ["-o", "BatchMode=yes", "-o", "ConnectTimeout=10"].map(String::from),
        );
        args.push(remote.to_string());
        Command::new("ssh")
            .args(&args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    fn login_command(&self, details: &loopin_access::AccessDetails) -> String {
        pin_and_command(
            details,
            &self.dir.path().join("known_hosts"),
            Some(&self.client_key),
        )
        .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_leases_logs_in_with_its_key_and_is_locked_out_when_the_lease_ends() {
    let h = Harness::start("lpnssh").await;
    let agent = h.agent().await;

    // 1. The client leases half an hour of the next epoch.
    let lease_id = h.lease(500_000).await;
    let lease = h.lease_info(lease_id).await;
    let user = format!("lpnssh{}", lease.order);
    let pass = agent.reconcile().await.unwrap();
    assert!(
        pass.provisioned.is_empty() && pass.posted.is_empty(),
        "{pass:?}"
    );
    assert!(!user_exists(&user), "provisioned before the lease's epoch");

    // The epoch starts: the account is created and the access details posted, once.
    h.next_epoch().await;
    let pass = agent.reconcile().await.unwrap();
    assert_eq!(pass.provisioned, vec![user.clone()], "{pass:?}");
    assert_eq!(pass.posted, vec![lease_id]);
    assert!(user_exists(&user));
    let again = agent.reconcile().await.unwrap();
    assert!(
        again.provisioned.is_empty() && again.posted.is_empty() && again.errors.is_empty(),
        "{again:?}"
    );

    // 2. The client opens the details and runs a command over ssh with its own key.
    let details = h
        .client
        .wait_access(lease_id, Duration::from_secs(10))
        .await
        .expect("access details");
    assert_eq!(details.user, user);
    assert_eq!(details.port, h.sshd.port);
    let login = h.login_command(&details);
    let out = h.ssh(
        &login,
        "echo hello from $(whoami); mktemp /tmp/left-by-lease.XXXXXX",
    );
    assert!(out.status.success(), "ssh: {out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut lines = stdout.lines();
    assert_eq!(lines.next(), Some(format!("hello from {user}").as_str()));
    // The session runs in the lease's sandbox: its /tmp is its own, not the host's.
    let left_behind = PathBuf::from(lines.next().expect("mktemp path"));
    assert!(
        !left_behind.exists(),
        "{} written into the host's /tmp",
        left_behind.display()
    );
    let inside = h.ssh(&login, &format!("test -f {}", left_behind.display()));
    assert!(inside.status.success(), "{inside:?}");
    // The key is restricted: no port forwarding to the host's loopback.
    let forward = h.ssh(
        &login.replacen(
            "ssh ",
            "ssh -o ExitOnForwardFailure=yes -L 0:127.0.0.1:22 ",
            1,
        ),
        "true",
    );
    assert!(!forward.status.success(), "forwarding allowed: {forward:?}");
    // A session still open when the lease ends.
    let mut args: Vec<&str> = login.split(' ').skip(1).collect();
    args.extend(["-o", "BatchMode=yes", "sleep 600"]);
    let mut session = Command::new("ssh")
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        session.try_wait().unwrap().is_none(),
        "session did not start"
    );

    // 3. The lease's epoch ends: sessions ended, account and files gone, completion on chain.
    h.next_epoch().await;
    let pass = agent.reconcile().await.unwrap();
    assert_eq!(pass.removed, vec![user.clone()], "{pass:?}");
    assert_eq!(pass.completed, vec![lease_id]);
    assert!(!user_exists(&user));
    assert!(!h.settings.agent.home_root.join(&user).exists());
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Some(status) = session.try_wait().unwrap() {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the open session survived the lease");
    assert!(!ended.success());
    let refused = h.ssh(&login, "true");
    assert_eq!(refused.status.code(), Some(255), "{refused:?}");
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("Permission denied"),
        "{refused:?}"
    );
    assert!(h.lease_info(lease_id).await.completed);
    let idle = agent.reconcile().await.unwrap();
    assert_eq!(
        idle,
        loopin_agent::service::PassReport {
            epoch: idle.epoch,
            ..Default::default()
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_killed_during_a_lease_reconciles_without_leaks_or_duplicates() {
    let h = Harness::start("lpnkill").await;
    let binary = env!("CARGO_BIN_EXE_loopin-agent");
    let spawn = || {
        KillOnDrop(
            Command::new(binary)
                .arg("--config")
                .arg(&h.config)
                .env("RUST_LOG", "warn")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .spawn()
                .expect("loopin-agent"),
        )
    };
    let first = h.lease(400_000).await;
    let first_user = format!("lpnkill{}", h.lease_info(first).await.order);
    h.next_epoch().await;
    let mut agent = spawn();
    h.until(first, |lease| lease.access.is_some(), "access posted")
        .await;
    assert!(user_exists(&first_user));

    // kill -9 during the lease.
    agent.0.kill().unwrap();
    agent.0.wait().unwrap();

    // While it is down: a second lease is booked, the first one ends, the second one starts.
    let second = h.lease(300_000).await;
    let second_user = format!("lpnkill{}", h.lease_info(second).await.order);
    h.next_epoch().await;
    // As if the agent had died between useradd and the key install of the second account.
    let out = run(
        "useradd",
        &[
            "--create-home",
            "--home-dir",
            h.settings
                .agent
                .home_root
                .join(&second_user)
                .to_str()
                .unwrap(),
            "--comment",
            &format!("loopin-agent order {}", h.lease_info(second).await.order),
            "--user-group",
            &second_user,
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let uid_before = run("id", &["-u", &second_user]).stdout;
    assert!(
        user_exists(&first_user),
        "nothing cleans up while the agent is down"
    );

    // Restarted: the ended lease is cleaned up and completed, the started one provisioned.
    let agent = spawn();
    h.until(second, |lease| lease.access.is_some(), "access posted")
        .await;
    h.until(first, |lease| lease.completed, "completed").await;
    assert!(!user_exists(&first_user), "ended lease's account leaked");
    assert!(!h.settings.agent.home_root.join(&first_user).exists());
    // Provisioned once: the half-made account was finished, not recreated.
    assert_eq!(run("id", &["-u", &second_user]).stdout, uid_before);
    let sealed = h.lease_info(second).await.access.unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        h.lease_info(second).await.access.unwrap(),
        sealed,
        "access posted twice"
    );
    let managed = Agent::linux_accounts(&h.settings).unwrap().list().unwrap();
    assert_eq!(managed.len(), 1, "{managed:?}");
    assert_eq!(managed[0].user.as_str(), second_user);
    assert!(managed[0].provisioned);
    // The client gets in with the finished account.
    let details = h
        .client
        .wait_access(second, Duration::from_secs(5))
        .await
        .unwrap();
    let out = h.ssh(&h.login_command(&details), "whoami");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), second_user);

    drop(agent);
    clear_accounts(Agent::linux_accounts(&h.settings).unwrap().as_ref());
}
