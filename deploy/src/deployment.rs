//! What a deployment leaves: code ids, checksums and contract addresses (`deployment.json`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What was deployed.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Deployment {
    pub chain_id: String,
    pub code_ids: BTreeMap<String, u64>,
    /// SHA-256 of each stored wasm (hex), as the chain reported it and as `artifacts/` has it.
    #[serde(default)]
    pub checksums: BTreeMap<String, String>,
    pub factory: String,
    pub token: String,
    pub stake_cert: String,
    /// The PoCPS registry wired into the factory.
    pub registry: Option<String>,
    /// Pair address by class.
    pub pools: BTreeMap<String, String>,
    /// Gas used by each step, for the record.
    pub gas_used: BTreeMap<String, i64>,
}
