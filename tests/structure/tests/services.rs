//! The service rule on a small `cargo metadata` output (fixtures/metadata.json): a service's
//! normal dependencies among the workspace's crates are packages only.

use loopin_structure::metadata::Metadata;
use loopin_structure::services::{ServiceDep, service_dependencies};

fn fixture() -> Metadata {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/metadata.json");
    Metadata::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn dep(from: &str, to: &str, what: &'static str) -> ServiceDep {
    ServiceDep {
        from: from.into(),
        to: to.into(),
        what,
    }
}

/// In the fixture: the agent depends on the prover (a service), the deployer on the rewards
/// bridge (a contract crate), the relayer on the devnet as a dev and a normal dependency at once.
/// Not counted: the main job's services, a test crate's, dev-only and build-only dependencies,
/// packages, crates from the registry.
#[test]
fn a_service_may_depend_on_packages_only() {
    assert_eq!(
        service_dependencies(&fixture()),
        vec![
            dep("loopin-agent", "loopin-prover", "a service"),
            dep("loopin-deploy", "loopin-rewards-bridge", "a contract crate"),
            dep("loopin-relayer", "loopin-devnet", "a service"),
        ]
    );
}

#[test]
fn findings_are_listed_as_from_arrow_to() {
    let keys: Vec<String> = service_dependencies(&fixture())
        .iter()
        .map(ServiceDep::key)
        .collect();
    assert_eq!(
        keys,
        vec![
            "loopin-agent -> loopin-prover",
            "loopin-deploy -> loopin-rewards-bridge",
            "loopin-relayer -> loopin-devnet",
        ]
    );
}
