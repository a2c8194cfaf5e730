//! The agent's loop: read the chain, read the system, plan, act; metrics for each step.

use crate::accounts::{AccountError, Accounts, LinuxAccounts};
use crate::config::{ConfigError, Settings};
use crate::confine::{ConfineError, Confinement};
use crate::follow::snapshot;
use crate::plan::{Action, plan};
use crate::username::UsernameError;
use loopin::access::{SshKeyError, SshPublicKey};
use loopin::pair::ExecuteMsg;
use loopin_access::{AccessDetails, AccessError};
use loopin_chain_client::{ChainClient, ClientError, Key};
use loopin_telemetry::metrics::Metrics;
use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Why the agent could not start, or a pass could not run (a failed step of a pass is reported
/// in its [`PassReport`] instead).
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Chain(#[from] ClientError),
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error(transparent)]
    Username(#[from] UsernameError),
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error(transparent)]
    Blocking(#[from] tokio::task::JoinError),
    #[error("{}: {error}", path.display())]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{}: {error}", path.display())]
    HostKey { path: PathBuf, error: SshKeyError },
    #[error("{} is readable by others (mode {mode:o}): chmod 600 it", path.display())]
    KeyReadable { path: PathBuf, mode: u32 },
}

/// What one pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PassReport {
    pub epoch: u64,
    pub provisioned: Vec<String>,
    pub removed: Vec<String>,
    pub posted: Vec<u64>,
    pub completed: Vec<u64>,
    pub refused: Vec<u64>,
    pub errors: Vec<String>,
}

/// The miner agent.
pub struct Agent {
    settings: Settings,
    client: ChainClient,
    accounts: Arc<dyn Accounts>,
    host_key: SshPublicKey,
    metrics: Arc<Metrics>,
}

fn describe(metrics: &Metrics) {
    for (name, kind, help) in [
        (
            "loopin_agent_passes_total",
            "counter",
            "Reconciliation passes",
        ),
        (
            "loopin_agent_accounts_provisioned_total",
            "counter",
            "Accounts provisioned",
        ),
        (
            "loopin_agent_accounts_removed_total",
            "counter",
            "Accounts removed",
        ),
        (
            "loopin_agent_access_posted_total",
            "counter",
            "Access records posted",
        ),
        (
            "loopin_agent_leases_completed_total",
            "counter",
            "Leases recorded complete",
        ),
        (
            "loopin_agent_leases_refused_total",
            "counter",
            "Active leases refused (hostile key)",
        ),
        (
            "loopin_agent_errors_total",
            "counter",
            "Failed steps, by step",
        ),
        ("loopin_agent_accounts", "gauge", "Managed accounts present"),
        ("loopin_agent_epoch", "gauge", "Epoch being delivered"),
    ] {
        metrics.describe(name, kind, help);
    }
}

impl Agent {
    /// Connects to the chain with the miner's key; the system's accounts through `accounts`.
    pub async fn connect(
        settings: Settings,
        accounts: Arc<dyn Accounts>,
        metrics: Arc<Metrics>,
    ) -> Result<Agent, ServiceError> {
        settings.validate()?;
        // The miner's key signs for its stakes: readable by root alone, as ssh wants of a private
        // key (a tenant sees /etc and /opt; a 0644 key there would be its).
        let key_file = &settings.agent.key_file;
        let mode = std::fs::metadata(key_file)
            .map_err(|error| ServiceError::Read {
                path: key_file.clone(),
                error,
            })?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(ServiceError::KeyReadable {
                path: key_file.clone(),
                mode: mode & 0o777,
            });
        }
        let key = Key::from_file(&settings.agent.key_file, &settings.chain.prefix)?;
        let client = ChainClient::connect(settings.chain.clone(), key).await?;
        let host_key_file = &settings.agent.host_key_file;
        let line = std::fs::read_to_string(host_key_file).map_err(|error| ServiceError::Read {
            path: host_key_file.clone(),
            error,
        })?;
        let host_key = SshPublicKey::parse(line.trim()).map_err(|error| ServiceError::HostKey {
            path: host_key_file.clone(),
            error,
        })?;
        describe(&metrics);
        Ok(Agent {
            settings,
            client,
            accounts,
            host_key,
            metrics,
        })
    }

    /// Linux accounts as configured, their sessions confined unless `[agent.confine] enabled`
    /// is false. Refused where the host cannot confine (no bwrap, no cgroup v2, a controller
    /// missing): the agent fails closed rather than serve leases unconfined.
    pub fn linux_accounts(settings: &Settings) -> Result<Arc<dyn Accounts>, ConfineError> {
        let agent = &settings.agent;
        let confinement = if agent.confine.enabled {
            Some(Confinement::new(
                agent.confine.clone(),
                &agent.user_prefix,
                &agent.state_dir,
            )?)
        } else {
            tracing::warn!(
                "[agent.confine] enabled = false: tenants' sessions run unconfined on this host"
            );
            None
        };
        Ok(Arc::new(LinuxAccounts {
            prefix: agent.user_prefix.clone(),
            home_root: agent.home_root.clone(),
            state_dir: agent.state_dir.clone(),
            keys_dir: agent.confine.keys_dir.clone(),
            gpu_groups: agent.gpu_groups.clone(),
            passwd: "/etc/passwd".into(),
            confinement,
        }))
    }

    pub fn address(&self) -> String {
        self.client.address().to_string()
    }

    fn error(&self, report: &mut PassReport, step: &str, error: impl std::fmt::Display) {
        tracing::warn!(step, %error, "step failed");
        self.metrics
            .inc("loopin_agent_errors_total", &[("step", step)], 1.0);
        report.errors.push(format!("{step}: {error}"));
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&dyn Accounts) -> T + Send + 'static,
    ) -> Result<T, ServiceError> {
        let accounts = self.accounts.clone();
        Ok(tokio::task::spawn_blocking(move || work(accounts.as_ref())).await?)
    }

    /// One pass: compare the chain with the system and act. A failed step is reported and
    /// retried on the next pass; the others go on.
    pub async fn reconcile(&self) -> Result<PassReport, ServiceError> {
        let agent = &self.settings.agent;
        let chain = snapshot(
            &self.client,
            &agent.pair,
            &self.address(),
            &self.settings.token_id,
            agent.lookback_epochs,
        )
        .await?;
        let mut report = PassReport {
            epoch: chain.epoch,
            ..PassReport::default()
        };
        if let Err(error) = self.blocking(|accounts| accounts.maintain()).await? {
            self.error(&mut report, "maintain", error);
        }
        let accounts = self.blocking(|accounts| accounts.list()).await??;
        let plan = plan(&agent.user_prefix, chain.epoch, &chain.leases, &accounts)?;
        for (lease_id, reason) in &plan.refused {
            tracing::warn!(lease_id, reason, "lease refused");
            self.metrics
                .inc("loopin_agent_leases_refused_total", &[], 1.0);
            report.refused.push(*lease_id);
        }
        // Orders whose account could not be removed: their leases are not complete yet.
        let mut still_present = BTreeSet::new();
        for action in plan.actions {
            self.act(action, &mut report, &mut still_present).await?;
        }
        let present = self.blocking(|accounts| accounts.list()).await??.len();
        self.metrics
            .gauge_set("loopin_agent_accounts", &[], present as f64);
        self.metrics
            .gauge_set("loopin_agent_epoch", &[], chain.epoch as f64);
        self.metrics.inc("loopin_agent_passes_total", &[], 1.0);
        Ok(report)
    }

    /// Takes one action of the plan; a failed step is reported in `report`. An order whose
    /// account could not be removed goes into `still_present`, and its leases are not completed.
    async fn act(
        &self,
        action: Action,
        report: &mut PassReport,
        still_present: &mut BTreeSet<u64>,
    ) -> Result<(), ServiceError> {
        match action {
            Action::Remove(user) => {
                let name = user.to_string();
                let order = user.order();
                match self
                    .blocking(move |accounts| accounts.remove(&user))
                    .await?
                {
                    Ok(()) => {
                        tracing::info!(user = name, "account removed");
                        self.metrics
                            .inc("loopin_agent_accounts_removed_total", &[], 1.0);
                        report.removed.push(name);
                    }
                    Err(error) => {
                        still_present.insert(order);
                        self.error(report, "remove", error);
                    }
                }
            }
            Action::Provision { user, key, share } => {
                let name = user.to_string();
                match self
                    .blocking(move |accounts| accounts.provision(&user, &key, share))
                    .await?
                {
                    Ok(()) => {
                        tracing::info!(user = name, "account provisioned");
                        self.metrics
                            .inc("loopin_agent_accounts_provisioned_total", &[], 1.0);
                        report.provisioned.push(name);
                    }
                    Err(error) => self.error(report, "provision", error),
                }
            }
            Action::PostAccess {
                lease_id,
                user,
                client_key,
            } => match self.post_access(lease_id, &user, &client_key).await {
                Ok(()) => {
                    tracing::info!(lease_id, user = %user, "access posted");
                    self.metrics
                        .inc("loopin_agent_access_posted_total", &[], 1.0);
                    report.posted.push(lease_id);
                }
                Err(error) => self.error(report, "post_access", error),
            },
            Action::Complete { lease_id, order } => {
                if !still_present.contains(&order) {
                    self.complete(lease_id, report).await;
                }
            }
        }
        Ok(())
    }

    /// Records lease `lease_id` complete on chain.
    async fn complete(&self, lease_id: u64, report: &mut PassReport) {
        let msg = ExecuteMsg::CompleteLease { lease_id };
        match self
            .client
            .execute(&self.settings.agent.pair, &msg, &[])
            .await
        {
            Ok(_) => {
                tracing::info!(lease_id, "lease completed");
                self.metrics
                    .inc("loopin_agent_leases_completed_total", &[], 1.0);
                report.completed.push(lease_id);
            }
            Err(error) => self.error(report, "complete", error),
        }
    }

    async fn post_access(
        &self,
        lease_id: u64,
        user: &crate::username::Username,
        client_key: &[u8],
    ) -> Result<(), ServiceError> {
        let agent = &self.settings.agent;
        let details = AccessDetails::new(
            lease_id,
            user.order(),
            &agent.ssh_host,
            agent.ssh_port,
            user.as_str(),
            &self.host_key.to_openssh(),
        )?;
        let msg = ExecuteMsg::PostAccess {
            lease_id,
            ciphertext: details.seal(client_key)?.into(),
        };
        self.client.execute(&agent.pair, &msg, &[]).await?;
        Ok(())
    }

    /// Reconciles every `poll_ms` until `shutdown` resolves.
    pub async fn run(&self, shutdown: impl std::future::Future<Output = ()>) {
        let mut shutdown = std::pin::pin!(shutdown);
        let mut ticker = tokio::time::interval(Duration::from_millis(self.settings.agent.poll_ms));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = &mut shutdown => return,
                _ = ticker.tick() => {
                    if let Err(error) = self.reconcile().await {
                        tracing::warn!(%error, "reconciliation pass failed");
                        self.metrics.inc("loopin_agent_errors_total", &[("step", "pass")], 1.0);
                    }
                }
            }
        }
    }
}
