//! The network's genesis, written the way wasmd's own local scripts write it: `init` per node,
//! a test-keyring validator key per node, the funded accounts, one `gentx` per validator and
//! `collect-gentxs`, then the same genesis copied to every node.

use serde_json::{Value, json};

use crate::error::{NetError, Result, io_err};
use crate::spec::Spec;
use crate::tools::wasmd;

/// Each validator's own balance at genesis and its self-delegation (equal voting power).
const VALIDATOR_FUNDS: u128 = 1_000_000_000_000;
const VALIDATOR_STAKE: u128 = 100_000_000_000;

/// Governance fast enough for a local network (a proposal passes in under a minute).
const VOTING_PERIOD: &str = "30s";
const EXPEDITED_VOTING_PERIOD: &str = "15s";

/// Writes every node's genesis: their validator keys, the funded accounts, the validators'
/// gentxs collected into the first node's genesis, which every node gets.
pub(crate) async fn write(spec: &Spec) -> Result<()> {
    let validators = validator_keys(spec).await?;
    let first = funded_genesis(spec, &validators)?;
    gentxs(spec, &first).await
}

/// `init` and a test-keyring validator key per node: the validators' addresses.
async fn validator_keys(spec: &Spec) -> Result<Vec<String>> {
    let mut validators = Vec::new();
    for node in 0..spec.validators {
        let home = spec.node_home(node);
        let home = home.to_string_lossy();
        wasmd(
            spec,
            &[
                "init",
                &format!("node{node}"),
                "--chain-id",
                &spec.chain_id,
                "--default-denom",
                &spec.denom,
                "--home",
                &home,
            ],
        )
        .await?;
        wasmd(
            spec,
            &[
                "keys",
                "add",
                "validator",
                "--keyring-backend",
                "test",
                "--home",
                &home,
            ],
        )
        .await?;
        let address = wasmd(
            spec,
            &[
                "keys",
                "show",
                "validator",
                "-a",
                "--keyring-backend",
                "test",
                "--home",
                &home,
            ],
        )
        .await?;
        validators.push(address.trim().to_string());
    }
    Ok(validators)
}

/// The first node's genesis with the accounts and validators funded and fast governance: its
/// path.
fn funded_genesis(spec: &Spec, validators: &[String]) -> Result<std::path::PathBuf> {
    let first = spec.node_home(0).join("config/genesis.json");
    let mut genesis: Value = read_json(&first)?;
    let mut funded: Vec<(String, u128)> = spec
        .accounts
        .iter()
        .map(|a| (a.address.clone(), a.amount))
        .collect();
    funded.extend(validators.iter().map(|v| (v.clone(), VALIDATOR_FUNDS)));
    fund(&mut genesis, &spec.denom, &funded, &first)?;
    fast_governance(&mut genesis);
    write_json(&first, &genesis)?;
    Ok(first)
}

/// One gentx per validator, collected into `first` (validated), which every node then gets.
async fn gentxs(spec: &Spec, first: &std::path::Path) -> Result<()> {
    let gentx_dir = spec.node_home(0).join("config/gentx");
    std::fs::create_dir_all(&gentx_dir).map_err(io_err(&gentx_dir))?;
    for node in 0..spec.validators {
        let home = spec.node_home(node);
        if node > 0 {
            let to = home.join("config/genesis.json");
            std::fs::copy(first, &to).map_err(io_err(&to))?;
        }
        let document = gentx_dir.join(format!("gentx-{node}.json"));
        wasmd(
            spec,
            &[
                "genesis",
                "gentx",
                "validator",
                &format!("{VALIDATOR_STAKE}{}", spec.denom),
                "--chain-id",
                &spec.chain_id,
                "--keyring-backend",
                "test",
                "--home",
                &home.to_string_lossy(),
                "--output-document",
                &document.to_string_lossy(),
            ],
        )
        .await?;
    }
    let home0 = spec.node_home(0);
    let home0 = home0.to_string_lossy();
    wasmd(
        spec,
        &[
            "genesis",
            "collect-gentxs",
            "--home",
            &home0,
            "--gentx-dir",
            &gentx_dir.to_string_lossy(),
        ],
    )
    .await?;
    wasmd(spec, &["genesis", "validate", "--home", &home0]).await?;
    for node in 1..spec.validators {
        let to = spec.node_home(node).join("config/genesis.json");
        std::fs::copy(first, &to).map_err(io_err(&to))?;
    }
    Ok(())
}

/// Adds base accounts and their balances; the bank's total supply is left for the chain to sum.
/// Fails naming the genesis at `path` when it lacks a section.
fn fund(
    genesis: &mut Value,
    denom: &str,
    accounts: &[(String, u128)],
    path: &std::path::Path,
) -> Result<()> {
    let missing = |message: &str| NetError::Format {
        path: path.to_path_buf(),
        message: message.to_string(),
    };
    let app = genesis
        .get_mut("app_state")
        .ok_or_else(|| missing("no app_state in genesis"))?;
    let auth = app["auth"]["accounts"]
        .as_array_mut()
        .ok_or_else(|| missing("no auth.accounts in genesis"))?;
    for (address, _) in accounts {
        auth.push(json!({
            "@type": "/cosmos.auth.v1beta1.BaseAccount",
            "address": address,
            "pub_key": null,
            "account_number": "0",
            "sequence": "0",
        }));
    }
    let balances = app["bank"]["balances"]
        .as_array_mut()
        .ok_or_else(|| missing("no bank.balances in genesis"))?;
    for (address, amount) in accounts {
        balances.push(json!({
            "address": address,
            "coins": [{"denom": denom, "amount": amount.to_string()}],
        }));
    }
    app["bank"]["supply"] = json!([]);
    Ok(())
}

fn fast_governance(genesis: &mut Value) {
    let params = &mut genesis["app_state"]["gov"]["params"];
    if params.is_object() {
        params["voting_period"] = json!(VOTING_PERIOD);
        params["expedited_voting_period"] = json!(EXPEDITED_VOTING_PERIOD);
        params["max_deposit_period"] = json!(VOTING_PERIOD);
    }
}

pub(crate) fn read_json(path: &std::path::Path) -> Result<Value> {
    let text = std::fs::read_to_string(path).map_err(io_err(path))?;
    serde_json::from_str(&text).map_err(|e| NetError::Format {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

fn write_json(path: &std::path::Path, value: &Value) -> Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(|e| NetError::Format {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    std::fs::write(path, text).map_err(io_err(path))
}
