//! The client side of a lease: quote, lease (swap with slippage and a deadline, redeemed on a
//! device at once), wait for the sealed access details and open them, list, extend, cancel and
//! dispute. `loopin-client` is the command line over [`LeaseClient`].

pub mod amount;
pub mod error;

use cosmwasm_std::{HexBinary, Timestamp, Uint128, to_json_binary};
pub use error::{LeaseError, Result};
use loopin::access::SshPublicKey;
use loopin::pair::{
    ConfigResponse, ExecuteMsg, LeaseResponse, LeasesResponse, PoolResponse, QueryMsg, ReceiveMsg,
};
use loopin::token;
use loopin_access::{ACCESS_KEY_MESSAGE, AccessDetails, ClientSecret};
use loopin_chain_client::{ChainClient, ChainConfig, Key, TxResult};
use loopin_pool_math::amm::Swap;
use std::path::Path;
use std::time::Duration;

/// Purpose string of the legacy (v1) X25519 secret derived from the account's private key: the
/// key leases made before v2 were sealed to.
pub use loopin_access::ACCESS_KEY_V1_PURPOSE as ACCESS_KEY_PURPOSE;

/// An account's X25519 access keys. New leases register v2, derived from the account's ADR-036
/// signature of [`ACCESS_KEY_MESSAGE`] exactly as the web app derives it from Keplr
/// (`loopin_access`); leases registered with the legacy v1 key (from the private key itself)
/// still open.
pub struct AccessKeys {
    v2: ClientSecret,
    v1: ClientSecret,
}

impl AccessKeys {
    pub fn new(key: &Key) -> Self {
        let signature = key.sign_arbitrary(ACCESS_KEY_MESSAGE.as_bytes());
        AccessKeys {
            v2: ClientSecret::from_wallet_signature(&signature)
                .expect("an ADR-036 signature is 64 bytes"),
            v1: ClientSecret::from_bytes(key.derive_secret(ACCESS_KEY_PURPOSE)),
        }
    }

    /// The public key registered on new leases (v2).
    pub fn public_key(&self) -> [u8; 32] {
        self.v2.public_key()
    }

    /// The secret whose public key is the lease's `client_key`: v2, else v1; None if neither.
    pub fn for_lease(&self, client_key: &[u8]) -> Option<&ClientSecret> {
        [&self.v2, &self.v1]
            .into_iter()
            .find(|secret| secret.public_key().as_slice() == client_key)
    }

    /// Opens a lease's sealed access details with the key the lease was registered with.
    pub fn open(&self, client_key: &[u8], sealed: &[u8]) -> Result<AccessDetails> {
        let secret = self
            .for_lease(client_key)
            .ok_or_else(|| LeaseError::ForeignAccessKey {
                lease_key: hex_string(client_key),
                v2: hex_string(&self.v2.public_key()),
                v1: hex_string(&self.v1.public_key()),
            })?;
        Ok(AccessDetails::open(secret, sealed)?)
    }
}

fn hex_string(bytes: &[u8]) -> String {
    HexBinary::from(bytes).to_hex()
}

/// A client account on one pool.
pub struct LeaseClient {
    chain: ChainClient,
    keys: AccessKeys,
    pair: String,
    token: String,
}

/// What `lease` asks for.
#[derive(Clone, Debug)]
pub struct LeaseOrder {
    pub stake_id: u64,
    /// Micro-hours.
    pub hours: u128,
    /// The OpenSSH public key to log in with (one line).
    pub ssh_key: String,
    /// Most the price may move against the quote, in basis points.
    pub max_slippage_bps: u32,
    /// Seconds from now after which the chain refuses the lease.
    pub deadline_secs: u64,
    /// Further epochs of a standing order, and the LOOP kept as its budget.
    pub renewals: u32,
    pub budget: u128,
    /// The most a renewal pays, LOOP (smallest unit) per device-hour; None: the budget split
    /// evenly over the renewals left.
    pub max_renewal_price: Option<u128>,
    /// Who besides this account may renew the order (a keeper); None: this account only.
    pub renewer: Option<String>,
}

/// What a lease cost.
#[derive(Clone, Debug)]
pub struct Leased {
    pub lease_id: u64,
    pub epoch: u64,
    pub paid: u128,
    pub quote: Swap,
}

fn attr(tx: &TxResult, key: &str) -> Result<String> {
    tx.event_attr("wasm", key)
        .map(str::to_string)
        .ok_or_else(|| LeaseError::MissingAttribute {
            txhash: tx.txhash.clone(),
            key: key.to_string(),
        })
}

/// The transaction's `key` attribute, a number.
fn number<T: std::str::FromStr<Err = std::num::ParseIntError>>(
    tx: &TxResult,
    key: &str,
) -> Result<T> {
    let value = attr(tx, key)?;
    value.parse().map_err(|source| LeaseError::BadAttribute {
        txhash: tx.txhash.clone(),
        key: key.to_string(),
        value,
        source,
    })
}

impl LeaseClient {
    /// Connects `key` to the pool `pair`.
    pub async fn connect(chain: ChainConfig, key: Key, pair: &str) -> Result<Self> {
        let keys = AccessKeys::new(&key);
        let chain = ChainClient::connect(chain, key).await?;
        let config: ConfigResponse = chain
            .query_smart(pair, &QueryMsg::Config {})
            .await
            .map_err(|source| LeaseError::NotAPool {
                pair: pair.to_string(),
                source: Box::new(source),
            })?;
        Ok(LeaseClient {
            chain,
            keys,
            pair: pair.to_string(),
            token: config.token.to_string(),
        })
    }

    pub fn address(&self) -> String {
        self.chain.address().to_string()
    }

    /// The X25519 key registered on this client's new leases (v2: the one the web app derives
    /// from the same account).
    pub fn access_key(&self) -> [u8; 32] {
        self.keys.public_key()
    }

    /// What `hours` micro-hours of the trading epoch cost now.
    pub async fn quote(&self, hours: u128) -> Result<Swap> {
        Ok(self
            .chain
            .query_smart(
                &self.pair,
                &QueryMsg::SimulateLease {
                    hours: Uint128::new(hours),
                },
            )
            .await?)
    }

    async fn send(&self, amount: u128, msg: &ReceiveMsg) -> Result<TxResult> {
        let send = token::ExecuteMsg::Send {
            contract: self.pair.clone(),
            amount: Uint128::new(amount),
            msg: to_json_binary(msg)?,
        };
        Ok(self.chain.execute(&self.token, &send, &[]).await?)
    }

    async fn deadline(&self, secs: u64) -> Result<Timestamp> {
        let (_, now) = self.chain.latest_block().await?;
        Ok(Timestamp::from_seconds(now.max(0) as u64 + secs))
    }

    /// Processes the pool's due epoch boundaries (anyone may), so quotes are for the epoch the
    /// lease will buy. Nothing is sent when none is due.
    pub async fn advance_if_due(&self) -> Result<()> {
        let pool: PoolResponse = self
            .chain
            .query_smart(&self.pair, &QueryMsg::Pool {})
            .await?;
        if pool.clock_epoch > pool.epoch {
            let msg = ExecuteMsg::AdvanceEpoch { max_epochs: None };
            self.chain.execute(&self.pair, &msg, &[]).await?;
        }
        Ok(())
    }

    /// Leases hours on a device: processes due boundaries, quotes, sends at most the quote plus
    /// the slippage allowance (and the order's budget), refunded what is not spent.
    pub async fn lease(&self, order: &LeaseOrder) -> Result<Leased> {
        if order.ssh_key.contains("PRIVATE KEY") {
            return Err(LeaseError::PrivateKey);
        }
        let ssh_key = SshPublicKey::parse(order.ssh_key.trim())
            .map_err(LeaseError::SshKey)?
            .to_openssh();
        self.advance_if_due().await?;
        let quote = self.quote(order.hours).await?;
        let offer = quote.offer.u128();
        let max_in = offer
            .checked_mul(10_000 + u128::from(order.max_slippage_bps))
            .map(|scaled| scaled.div_ceil(10_000))
            .ok_or(LeaseError::AmountOverflow {
                offer,
                max_slippage_bps: order.max_slippage_bps,
            })?;
        let msg = ReceiveMsg::Lease {
            stake_id: order.stake_id,
            hours: Uint128::new(order.hours),
            client_key: HexBinary::from(self.access_key()),
            ssh_key,
            deadline: Some(self.deadline(order.deadline_secs).await?),
            renewals: (order.renewals > 0).then_some(order.renewals),
            max_renewal_price: order
                .max_renewal_price
                .map(|price| cosmwasm_std::Decimal::from_ratio(price, 1u128)),
            renewer: order.renewer.clone(),
        };
        let tx = self.send(max_in + order.budget, &msg).await?;
        Ok(Leased {
            lease_id: number(&tx, "lease_id")?,
            epoch: number(&tx, "epoch")?,
            paid: number(&tx, "paid")?,
            quote,
        })
    }

    pub async fn lease_info(&self, lease_id: u64) -> Result<LeaseResponse> {
        Ok(self
            .chain
            .query_smart(&self.pair, &QueryMsg::Lease { lease_id })
            .await?)
    }

    /// Opens a lease's access details, if the miner has posted them, with the key the lease
    /// records (v2, or v1 for leases made before it).
    pub async fn access(&self, lease_id: u64) -> Result<Option<AccessDetails>> {
        let lease = self.lease_info(lease_id).await?;
        if lease.client.as_str() != self.address() {
            return Err(LeaseError::NotOurs { lease_id });
        }
        lease
            .access
            .map(|sealed| self.keys.open(&lease.client_key, &sealed))
            .transpose()
    }

    /// Waits up to `timeout` for the miner to post the access details, and opens them.
    pub async fn wait_access(&self, lease_id: u64, timeout: Duration) -> Result<AccessDetails> {
        let until = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(details) = self.access(lease_id).await? {
                if details.lease_id != lease_id {
                    return Err(LeaseError::WrongLease {
                        lease_id,
                        got: details.lease_id,
                    });
                }
                return Ok(details);
            }
            let lease = self.lease_info(lease_id).await?;
            if lease.cancelled {
                return Err(LeaseError::Cancelled { lease_id });
            }
            if tokio::time::Instant::now() >= until {
                return Err(LeaseError::NoAccessYet {
                    lease_id,
                    waited_secs: timeout.as_secs(),
                    epoch: lease.epoch,
                });
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// This account's leases, every page.
    pub async fn leases(&self) -> Result<Vec<LeaseResponse>> {
        let mut all = Vec::new();
        let mut start_after = None;
        loop {
            let page: LeasesResponse = self
                .chain
                .query_smart(
                    &self.pair,
                    &QueryMsg::LeasesByClient {
                        client: self.address(),
                        start_after,
                        limit: Some(loopin::MAX_PAGE_LIMIT),
                    },
                )
                .await?;
            let Some(last) = page.leases.last() else {
                return Ok(all);
            };
            start_after = Some(last.id);
            all.extend(page.leases);
        }
    }

    /// Adds `renewals` epochs and `budget` LOOP to a standing order.
    /// Renews a standing order for the next epoch (its client, or the renewer it named).
    pub async fn renew(&self, lease_id: u64) -> Result<u64> {
        self.advance_if_due().await?;
        let tx = self
            .chain
            .execute(&self.pair, &ExecuteMsg::RenewLease { lease_id }, &[])
            .await?;
        number(&tx, "lease_id")
    }

    pub async fn extend(&self, lease_id: u64, renewals: u32, budget: u128) -> Result<()> {
        self.send(budget, &ReceiveMsg::Extend { lease_id, renewals })
            .await?;
        Ok(())
    }

    /// Cancels a lease before its epoch (hours sold back, at least `min_refund`, and a standing
    /// order's budget); a standing order already in delivery is closed instead (its budget
    /// refunded). Returns all that came back.
    pub async fn cancel(
        &self,
        lease_id: u64,
        min_refund: u128,
        deadline_secs: u64,
    ) -> Result<u128> {
        let lease = self.lease_info(lease_id).await?;
        let pool: PoolResponse = self
            .chain
            .query_smart(&self.pair, &QueryMsg::Pool {})
            .await?;
        let msg = if lease.epoch > pool.clock_epoch {
            ExecuteMsg::CancelLease {
                lease_id,
                min_refund: Uint128::new(min_refund),
                deadline: Some(self.deadline(deadline_secs).await?),
            }
        } else if lease.renewals_left > 0 || !lease.budget.is_zero() {
            ExecuteMsg::CloseOrder { lease_id }
        } else {
            return Err(LeaseError::NothingToCancel { lease_id });
        };
        let cancels = matches!(msg, ExecuteMsg::CancelLease { .. });
        let tx = self.chain.execute(&self.pair, &msg, &[]).await?;
        let refund: u128 = number(&tx, "refund")?;
        // A cancellation's `refund` is the hours sold back; a standing order's budget comes back
        // with it (only its client can change the budget, so it is the one read above).
        Ok(if cancels {
            refund + lease.budget.u128()
        } else {
            refund
        })
    }

    /// Disputes a lease with its bond, a tenth of what the lease paid (returned if governance
    /// upholds the dispute, burned if it rejects it); what the lease paid is retained from the
    /// miner's pay until governance rules. Returns the bond.
    pub async fn dispute(&self, lease_id: u64, reason: &str) -> Result<u128> {
        let lease = self.lease_info(lease_id).await?;
        let bond = loopin::pair::DISPUTE_BOND_DIVISOR;
        let bond = lease.paid.u128().div_ceil(bond).max(1);
        let msg = ReceiveMsg::Dispute {
            lease_id,
            reason: reason.to_string(),
        };
        self.send(bond, &msg).await?;
        Ok(bond)
    }
}

/// Pins the host key in `known_hosts` (replacing an older line for the same host and port) and
/// returns the ssh command that logs in with it, host key checking strict.
pub fn pin_and_command(
    details: &AccessDetails,
    known_hosts: &Path,
    identity: Option<&Path>,
) -> Result<String> {
    let line = details.known_hosts_line();
    let host_field = line.split(' ').next().unwrap_or_default().to_string();
    let existing = std::fs::read_to_string(known_hosts).unwrap_or_default();
    let mut lines: Vec<&str> = existing
        .lines()
        .filter(|l| l.split(' ').next() != Some(host_field.as_str()))
        .collect();
    lines.push(&line);
    if let Some(dir) = known_hosts.parent() {
        std::fs::create_dir_all(dir).map_err(io_error("creating", dir))?;
    }
    std::fs::write(known_hosts, lines.join("\n") + "\n")
        .map_err(io_error("writing", known_hosts))?;
    let identity = identity
        .map(|path| format!(" -i {}", path.display()))
        .unwrap_or_default();
    Ok(format!(
        "ssh{identity} -o UserKnownHostsFile={} -o StrictHostKeyChecking=yes -p {} {}@{}",
        known_hosts.display(),
        details.port,
        details.user,
        details.host
    ))
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> LeaseError {
    move |source| LeaseError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST_KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA/sviTJfQXJKl0MknakEdkHhZdlVSTJbzhi3Oejh+S5";

    fn details() -> AccessDetails {
        AccessDetails::new(7, 5, "203.0.113.7", 22, "lpn5", HOST_KEY).unwrap()
    }

    fn account() -> Key {
        Key::development(1, "loopin").unwrap()
    }

    #[test]
    fn a_new_lease_registers_the_v2_key_the_web_app_derives() {
        let key = account();
        let keys = AccessKeys::new(&key);
        let signature = key.sign_arbitrary(ACCESS_KEY_MESSAGE.as_bytes());
        let v2 = ClientSecret::from_wallet_signature(&signature).unwrap();
        assert_eq!(keys.public_key(), v2.public_key());
        let legacy = ClientSecret::from_bytes(key.derive_secret(ACCESS_KEY_PURPOSE));
        assert_ne!(keys.public_key(), legacy.public_key());

        // The miner seals to the key the lease records: v2 opens it.
        let client_key = keys.public_key();
        let sealed = details().seal(&client_key).unwrap();
        assert_eq!(keys.open(&client_key, &sealed).unwrap(), details());
    }

    #[test]
    fn a_lease_made_with_the_legacy_v1_key_still_opens() {
        let key = account();
        let keys = AccessKeys::new(&key);
        let legacy_key =
            ClientSecret::from_bytes(key.derive_secret(ACCESS_KEY_PURPOSE)).public_key();
        let sealed = details().seal(&legacy_key).unwrap();
        assert_eq!(keys.open(&legacy_key, &sealed).unwrap(), details());
    }

    #[test]
    fn a_lease_registered_with_another_key_is_refused_by_name() {
        let keys = AccessKeys::new(&account());
        let others = AccessKeys::new(&Key::development(2, "loopin").unwrap());
        let sealed = details().seal(&others.public_key()).unwrap();
        assert!(keys.for_lease(&others.public_key()).is_none());
        let error = keys.open(&others.public_key(), &sealed).unwrap_err();
        assert!(
            error.to_string().contains("is not this account's"),
            "{error}"
        );
    }

    #[test]
    fn the_access_keys_are_the_same_for_every_session_of_an_account() {
        assert_eq!(
            AccessKeys::new(&account()).public_key(),
            AccessKeys::new(&account()).public_key()
        );
    }
}
