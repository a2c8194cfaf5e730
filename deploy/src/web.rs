//! The web app's configuration (`loopin.json`, served next to the app): the chain as Keplr's
//! `experimentalSuggestChain` takes it, LOOP as `suggestToken` names it, and the deployment's
//! contract addresses. Written by `loopin-deploy web-config` from the deploy config's `[chain]`
//! and `[chain_registry]` (whose `rpc` and `rest` endpoints the browser talks to) and the
//! deployment JSON, so the app never hard-codes a chain.

use crate::Deployment;
use crate::chain_registry::ChainRegistryInfo;
use loopin::factory::TokenInit;
use loopin_chain_client::ChainConfig;
use serde_json::{Value, json};

/// Keplr's coin type for Cosmos SDK chains (BIP-44 / SLIP-44 118).
pub const COIN_TYPE: u32 = 118;

/// Why no web config could be written.
#[derive(thiserror::Error, Debug, PartialEq, Eq)]
pub enum WebConfigError {
    /// A wallet signs and broadcasts through CometBFT RPC and reads accounts over REST; the
    /// deploy config's `[chain_registry]` names neither.
    #[error("the web app needs {0} endpoint: set [chain_registry] {1} in the deploy config")]
    MissingEndpoint(&'static str, &'static str),
}

/// Keplr's `ChainInfo` for `chain`, with the fee token as the fee and stake currency and LOOP
/// (the cw20 at `deployment.token`) among the currencies. Gas price steps are the registry's:
/// the chain's minimum, 1.5x and 2x.
pub fn keplr_chain_info(
    info: &ChainRegistryInfo,
    chain: &ChainConfig,
    token: &TokenInit,
    deployment: &Deployment,
) -> Result<Value, WebConfigError> {
    let rpc = (info.rpc.first()).ok_or(WebConfigError::MissingEndpoint("an RPC", "rpc"))?;
    let rest = (info.rest.first()).ok_or(WebConfigError::MissingEndpoint("a REST", "rest"))?;
    let prefix = &chain.prefix;
    let fee_symbol = (info.fee_symbol.clone()).unwrap_or_else(|| chain.denom.to_uppercase());
    let fee_currency = json!({
        "coinDenom": fee_symbol,
        "coinMinimalDenom": chain.denom,
        "coinDecimals": 0,
    });
    let mut fee = fee_currency.clone();
    fee["gasPriceStep"] = json!({
        "low": chain.gas_price,
        "average": chain.gas_price * 1.5,
        "high": chain.gas_price * 2.0,
    });
    Ok(json!({
        "chainId": chain.chain_id,
        "chainName": info.pretty_name.clone()
            .unwrap_or_else(|| format!("LooPIN ({})", chain.chain_id)),
        "rpc": rpc,
        "rest": rest,
        "bip44": { "coinType": COIN_TYPE },
        "bech32Config": {
            "bech32PrefixAccAddr": prefix,
            "bech32PrefixAccPub": format!("{prefix}pub"),
            "bech32PrefixValAddr": format!("{prefix}valoper"),
            "bech32PrefixValPub": format!("{prefix}valoperpub"),
            "bech32PrefixConsAddr": format!("{prefix}valcons"),
            "bech32PrefixConsPub": format!("{prefix}valconspub"),
        },
        "currencies": [fee_currency.clone(), loop_currency(token, deployment)],
        "feeCurrencies": [fee],
        "stakeCurrency": fee_currency,
        "features": ["cosmwasm"],
    }))
}

/// LOOP as Keplr lists a cw20: `cw20:<address>:<symbol>` is its minimal denom.
fn loop_currency(token: &TokenInit, deployment: &Deployment) -> Value {
    json!({
        "type": "cw20",
        "contractAddress": deployment.token,
        "coinDenom": token.symbol,
        "coinMinimalDenom": format!("cw20:{}:{}", deployment.token, token.symbol),
        "coinDecimals": token.decimals,
    })
}

/// The whole `loopin.json`: `chain` (Keplr's chain info), `token` (LOOP's address, symbol and
/// decimals), `contracts` (factory, stake certificates, registry, pools by class) and the gas
/// price services use.
pub fn web_config(
    info: &ChainRegistryInfo,
    chain: &ChainConfig,
    token: &TokenInit,
    deployment: &Deployment,
) -> Result<Value, WebConfigError> {
    Ok(json!({
        "chain": keplr_chain_info(info, chain, token, deployment)?,
        "gasPrice": format!("{}{}", chain.gas_price, chain.denom),
        "gasAdjustment": chain.gas_adjustment,
        "token": {
            "address": deployment.token,
            "symbol": token.symbol,
            "decimals": token.decimals,
        },
        "contracts": {
            "factory": deployment.factory,
            "stakeCert": deployment.stake_cert,
            "registry": deployment.registry,
            "pools": deployment.pools,
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DeployConfig;

    fn deployment() -> Deployment {
        Deployment {
            registry: Some("loopin1registry".into()),
            pools: [("h100".to_string(), "loopin1pair".to_string())].into(),
            ..crate::chain_registry::tests::deployment()
        }
    }

    #[test]
    fn keplr_gets_coin_type_118_the_prefixes_the_fee_steps_and_cosmwasm() {
        let config = DeployConfig::from_toml(include_str!("../wasmd.toml")).unwrap();
        let info = config.chain_registry.clone().unwrap_or_default();
        let chain = keplr_chain_info(&info, &config.chain, &config.token, &deployment()).unwrap();
        assert_eq!(chain["chainId"], "loopin-local-1");
        assert_eq!(chain["bip44"]["coinType"], 118);
        assert_eq!(chain["bech32Config"]["bech32PrefixAccAddr"], "loopin");
        assert_eq!(
            chain["bech32Config"]["bech32PrefixValAddr"],
            "loopinvaloper"
        );
        assert_eq!(
            chain["bech32Config"]["bech32PrefixConsPub"],
            "loopinvalconspub"
        );
        assert_eq!(chain["rpc"], "http://127.0.0.1:26900");
        assert_eq!(chain["features"], json!(["cosmwasm"]));
        let fee = &chain["feeCurrencies"][0];
        assert_eq!(fee["coinMinimalDenom"], "uloop");
        let steps = &fee["gasPriceStep"];
        let (low, average, high) = (
            steps["low"].as_f64().unwrap(),
            steps["average"].as_f64().unwrap(),
            steps["high"].as_f64().unwrap(),
        );
        assert_eq!(low, config.chain.gas_price);
        assert!(low < average && average < high);
        let loop_currency = &chain["currencies"][1];
        assert_eq!(loop_currency["type"], "cw20");
        assert_eq!(loop_currency["contractAddress"], "loopin1token");
        assert_eq!(loop_currency["coinMinimalDenom"], "cw20:loopin1token:LOOP");
        assert_eq!(loop_currency["coinDecimals"], 6);
    }

    #[test]
    fn a_chain_without_rpc_or_rest_endpoints_gets_no_web_config() {
        let config = DeployConfig::from_toml(include_str!("../devnet.toml")).unwrap();
        let mut info = ChainRegistryInfo::default();
        let refused = web_config(&info, &config.chain, &config.token, &deployment());
        assert_eq!(
            refused,
            Err(WebConfigError::MissingEndpoint("an RPC", "rpc"))
        );
        info.rpc = vec!["http://127.0.0.1:26657".into()];
        let refused = web_config(&info, &config.chain, &config.token, &deployment());
        assert_eq!(
            refused,
            Err(WebConfigError::MissingEndpoint("a REST", "rest"))
        );
    }

    #[test]
    fn the_web_config_names_every_contract_the_app_calls() {
        let config = DeployConfig::from_toml(include_str!("../wasmd.toml")).unwrap();
        let info = config.chain_registry.clone().unwrap_or_default();
        let web = web_config(&info, &config.chain, &config.token, &deployment()).unwrap();
        assert_eq!(web["contracts"]["pools"]["h100"], "loopin1pair");
        assert_eq!(web["contracts"]["registry"], "loopin1registry");
        assert_eq!(web["contracts"]["stakeCert"], "loopin1cert");
        assert_eq!(web["token"]["address"], "loopin1token");
        assert_eq!(web["gasPrice"], format!("{}uloop", config.chain.gas_price));
    }
}
