//! The chain's entries for the Cosmos chain registry (github.com/cosmos/chain-registry):
//! `chain.json` (endpoints, prefix, fee token and gas prices, what wallets such as Keplr read)
//! and `assetlist.json` (the fee token and LOOP, a cw20). Written in the layout of the
//! registry's current `chain.schema.json` and `assetlist.schema.json`, which a registry pull
//! request is checked against (`scripts/check-chain-registry.sh` validates them with those
//! schemas, given a checkout of the registry).

use crate::deployment::Deployment;
use loopin::factory::TokenInit;
use loopin_chain_client::ChainConfig;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// How the chain presents itself in the registry (`[chain_registry]` of the deploy config).
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct ChainRegistryInfo {
    /// The registry's name of the chain, lowercase letters and digits; default: the chain id
    /// without its other characters.
    pub chain_name: Option<String>,
    /// Default: "LooPIN (<chain id>)".
    pub pretty_name: Option<String>,
    /// `mainnet`, `testnet` or `devnet` (default).
    pub network_type: Option<String>,
    /// Who runs the endpoints listed; default "loopin".
    pub provider: Option<String>,
    /// CometBFT RPC endpoints (a wallet signs and broadcasts through one).
    #[serde(default)]
    pub rpc: Vec<String>,
    /// REST (LCD) endpoints.
    #[serde(default)]
    pub rest: Vec<String>,
    /// The fee token's display symbol; default: its denom in capitals.
    pub fee_symbol: Option<String>,
}

/// Newest CosmWasm the contracts need (the capability floor, `cosmwasm_2_0`).
const COSMWASM_VERSION: &str = "2.0";

impl ChainRegistryInfo {
    /// The registry's `chain_name`: given, or the chain id's lowercase letters and digits.
    pub fn chain_name(&self, chain: &ChainConfig) -> String {
        self.chain_name.clone().unwrap_or_else(|| {
            (chain.chain_id.chars())
                .filter(|c| c.is_ascii_alphanumeric())
                .map(|c| c.to_ascii_lowercase())
                .collect()
        })
    }

    fn endpoints(&self, addresses: &[String]) -> Vec<Value> {
        let provider = self.provider.as_deref().unwrap_or("loopin");
        (addresses.iter())
            .map(|a| json!({ "address": a, "provider": provider }))
            .collect()
    }

    /// `chain.json` for `chain`.
    pub fn chain_json(&self, chain: &ChainConfig) -> Value {
        let price = chain.gas_price;
        let mut apis = serde_json::Map::new();
        apis.insert(
            "grpc".into(),
            Value::Array(self.endpoints(std::slice::from_ref(&chain.grpc))),
        );
        // The registry refuses empty lists: an endpoint kind nobody serves is left out.
        if !self.rpc.is_empty() {
            apis.insert("rpc".into(), Value::Array(self.endpoints(&self.rpc)));
        }
        if !self.rest.is_empty() {
            apis.insert("rest".into(), Value::Array(self.endpoints(&self.rest)));
        }
        json!({
            "$schema": "../chain.schema.json",
            "chain_name": self.chain_name(chain),
            "chain_type": "cosmos",
            "status": "live",
            "network_type": self.network_type.as_deref().unwrap_or("devnet"),
            "pretty_name": self.pretty_name.clone()
                .unwrap_or_else(|| format!("LooPIN ({})", chain.chain_id)),
            "chain_id": chain.chain_id,
            "bech32_prefix": chain.prefix,
            "key_algos": ["secp256k1"],
            "slip44": 118,
            "fees": {
                "fee_tokens": [{
                    "denom": chain.denom,
                    "fixed_min_gas_price": price,
                    "low_gas_price": price,
                    "average_gas_price": price * 1.5,
                    "high_gas_price": price * 2.0
                }]
            },
            "codebase": {
                "cosmwasm": { "version": COSMWASM_VERSION, "enabled": true }
            },
            "apis": apis,
        })
    }

    /// `assetlist.json`: the chain's fee token and LOOP (the cw20 at `deployment.token`).
    pub fn assetlist_json(
        &self,
        chain: &ChainConfig,
        token: &TokenInit,
        deployment: &Deployment,
    ) -> Value {
        let fee_symbol = (self.fee_symbol.clone()).unwrap_or_else(|| chain.denom.to_uppercase());
        let cw20 = format!("cw20:{}", deployment.token);
        let display = token.symbol.to_lowercase();
        json!({
            "$schema": "../assetlist.schema.json",
            "chain_name": self.chain_name(chain),
            "assets": [
                {
                    "description": "The chain's fee token.",
                    "type_asset": "sdk.coin",
                    "denom_units": [{ "denom": chain.denom, "exponent": 0 }],
                    "base": chain.denom,
                    "name": format!("{} fee token", chain.chain_id),
                    "display": chain.denom,
                    "symbol": fee_symbol,
                },
                {
                    "description": "LooPIN's utility token: stakes, leases of GPU hours, rewards.",
                    "type_asset": "cw20",
                    "address": deployment.token,
                    "denom_units": [
                        { "denom": cw20, "exponent": 0 },
                        { "denom": display, "exponent": token.decimals },
                    ],
                    "base": cw20,
                    "name": token.name,
                    "display": display,
                    "symbol": token.symbol,
                },
            ],
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::DeployConfig;

    /// A deployment with placeholder addresses, for the files written from it.
    pub(crate) fn deployment() -> Deployment {
        Deployment {
            chain_id: "loopin-local-1".into(),
            code_ids: Default::default(),
            checksums: Default::default(),
            factory: "loopin1factory".into(),
            token: "loopin1token".into(),
            stake_cert: "loopin1cert".into(),
            registry: None,
            pools: Default::default(),
            gas_used: Default::default(),
        }
    }

    #[test]
    fn the_chain_json_has_the_registry_s_current_layout() {
        let config = DeployConfig::from_toml(include_str!("../wasmd.toml")).unwrap();
        let info = config.chain_registry.clone().unwrap_or_default();
        let json = info.chain_json(&config.chain);
        // Where the registry keeps it: chain files sit one directory below the schema.
        assert_eq!(json["$schema"], "../chain.schema.json");
        assert_eq!(json["chain_name"], "loopinlocal1");
        for required in ["chain_name", "chain_type", "status"] {
            assert!(json[required].is_string(), "{required}");
        }
        // The cosmwasm fields moved under `codebase.cosmwasm`; the old flat ones are refused.
        let codebase = json["codebase"].as_object().unwrap();
        assert_eq!(codebase.len(), 1);
        assert_eq!(json["codebase"]["cosmwasm"]["enabled"], true);
        assert_eq!(json["codebase"]["cosmwasm"]["version"], "2.0");
        // Every endpoint kind listed has an endpoint; the wasmd config names RPC and REST.
        for kind in ["grpc", "rpc", "rest"] {
            let list = json["apis"][kind].as_array().unwrap();
            assert!(!list.is_empty(), "{kind}");
            assert!(list.iter().all(|e| e["address"].is_string()));
        }
        assert_eq!(json["apis"]["rpc"][0]["address"], "http://127.0.0.1:26900");
        let fee = &json["fees"]["fee_tokens"][0];
        assert_eq!(fee["denom"], "uloop");
        assert!(fee["low_gas_price"].as_f64() <= fee["average_gas_price"].as_f64());
        assert!(fee["average_gas_price"].as_f64() <= fee["high_gas_price"].as_f64());
    }

    #[test]
    fn endpoint_kinds_nobody_serves_are_left_out_not_empty() {
        let config = DeployConfig::from_toml(include_str!("../devnet.toml")).unwrap();
        let json = ChainRegistryInfo::default().chain_json(&config.chain);
        assert!(json["apis"]["grpc"].is_array());
        assert!(json["apis"].get("rpc").is_none());
        assert!(json["apis"].get("rest").is_none());
        assert_eq!(json["chain_name"], "loopindevnet1");
        assert_eq!(json["pretty_name"], "LooPIN (loopin-devnet-1)");
    }

    #[test]
    fn the_assetlist_names_loop_as_a_cw20_with_its_address() {
        let config = DeployConfig::from_toml(include_str!("../wasmd.toml")).unwrap();
        let info = config.chain_registry.clone().unwrap_or_default();
        let list = info.assetlist_json(&config.chain, &config.token, &deployment());
        assert_eq!(list["$schema"], "../assetlist.schema.json");
        assert_eq!(list["chain_name"], "loopinlocal1");
        let loop_asset = &list["assets"][1];
        assert_eq!(loop_asset["type_asset"], "cw20");
        assert_eq!(loop_asset["address"], "loopin1token");
        assert_eq!(loop_asset["base"], "cw20:loopin1token");
        assert_eq!(loop_asset["symbol"], "LOOP");
        assert_eq!(loop_asset["display"], "loop");
        assert_eq!(loop_asset["denom_units"][1]["exponent"], 6);
        // The base and the display are among the asset's units, as the registry requires.
        for asset in list["assets"].as_array().unwrap() {
            let units: Vec<&str> = (asset["denom_units"].as_array().unwrap().iter())
                .map(|u| u["denom"].as_str().unwrap())
                .collect();
            assert!(units.contains(&asset["base"].as_str().unwrap()), "{asset}");
            assert!(
                units.contains(&asset["display"].as_str().unwrap()),
                "{asset}"
            );
        }
        assert_eq!(list["assets"][0]["type_asset"], "sdk.coin");
        assert_eq!(list["assets"][0]["base"], "uloop");
    }
}
