//! The service rule: a service's normal dependencies among the workspace's crates are packages
//! (under `packages/`) only: not another service, not a contract crate, not the main job.

use std::collections::BTreeMap;

use crate::metadata::{Metadata, Package};

/// The services: the crates that run as their own processes or tools (the prover and verifier,
/// the relayer, the miner's agent, the devnet, the command-line client, the deployer, the
/// economics simulator). Each may depend on the packages under `packages/` only. The main job,
/// `loopin-network` (the composition root that runs the devnet, provers, verifiers and the relayer
/// in one process), is not among them: it may depend on services. Test crates (under `tests/`)
/// are not services either, and dev-dependencies are not counted.
pub const SERVICES: &[&str] = &[
    "loopin-prover",
    "loopin-relayer",
    "loopin-agent",
    "loopin-devnet",
    "loopin-client",
    "loopin-deploy",
    "loopin-simulator",
];

/// A service's normal dependency on a workspace crate that is not a package.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ServiceDep {
    pub from: String,
    pub to: String,
    /// What `to` is: "a service", "a contract crate", "the main job" or "a workspace crate
    /// outside packages/".
    pub what: &'static str,
}

impl ServiceDep {
    /// `from -> to`, as known-debt.toml lists it.
    pub fn key(&self) -> String {
        format!("{} -> {}", self.from, self.to)
    }
}

/// The service dependencies the rule forbids, from the resolved graph, sorted.
pub fn service_dependencies(metadata: &Metadata) -> Vec<ServiceDep> {
    let members: BTreeMap<&str, &Package> = metadata
        .members()
        .map(|package| (package.id.as_str(), package))
        .collect();
    let Some(resolve) = &metadata.resolve else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for node in &resolve.nodes {
        let Some(service) = members.get(node.id.as_str()) else {
            continue;
        };
        if !SERVICES.contains(&service.name.as_str()) {
            continue;
        }
        for dep in &node.deps {
            let normal = dep.dep_kinds.iter().any(|k| k.kind.is_none());
            let Some(target) = members.get(dep.pkg.as_str()) else {
                continue;
            };
            let dir = metadata.relative(target.dir());
            if normal && !dir.starts_with("packages/") {
                found.push(ServiceDep {
                    from: service.name.clone(),
                    to: target.name.clone(),
                    what: what_it_is(&target.name, &dir),
                });
            }
        }
    }
    found.sort();
    found
}

fn what_it_is(name: &str, dir: &str) -> &'static str {
    if SERVICES.contains(&name) {
        "a service"
    } else if dir.starts_with("contracts/") {
        "a contract crate"
    } else if name == "loopin-network" {
        "the main job"
    } else {
        "a workspace crate outside packages/"
    }
}
