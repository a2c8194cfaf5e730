//! Upgrade checks shared by every contract's `migrate` entry point.

use cosmwasm_std::{StdError, Storage};
use semver::Version;
use thiserror::Error;

/// Why a migration was refused.
#[derive(Error, Debug, PartialEq)]
pub enum MigrateError {
    #[error("{0}")]
    Std(#[from] StdError),

    #[error("cannot migrate contract {found} to {expected}")]
    WrongContract { expected: String, found: String },

    #[error("cannot downgrade from {from} to {to}")]
    Downgrade { from: String, to: String },

    #[error("invalid semantic version {version}")]
    InvalidVersion { version: String },
}

fn parse(version: &str) -> Result<Version, MigrateError> {
    version.parse().map_err(|_| MigrateError::InvalidVersion {
        version: version.to_string(),
    })
}

/// Checks that the stored cw2 record names `contract` at a version not newer than `version`, then
/// records `version`. Returns the version migrated from.
pub fn ensure_upgrade(
    storage: &mut dyn Storage,
    contract: &str,
    version: &str,
) -> Result<Version, MigrateError> {
    let stored = cw2::get_contract_version(storage)?;
    if stored.contract != contract {
        return Err(MigrateError::WrongContract {
            expected: contract.to_string(),
            found: stored.contract,
        });
    }
    let from = parse(&stored.version)?;
    if from > parse(version)? {
        return Err(MigrateError::Downgrade {
            from: stored.version,
            to: version.to_string(),
        });
    }
    cw2::set_contract_version(storage, contract, version)?;
    Ok(from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::MockStorage;

    #[test]
    fn upgrades_and_refuses_downgrade_or_other_contract() {
        let mut storage = MockStorage::new();
        cw2::set_contract_version(&mut storage, "crates.io:a", "1.2.0").unwrap();

        assert_eq!(
            ensure_upgrade(&mut storage, "crates.io:b", "1.3.0"),
            Err(MigrateError::WrongContract {
                expected: "crates.io:b".into(),
                found: "crates.io:a".into()
            })
        );
        assert_eq!(
            ensure_upgrade(&mut storage, "crates.io:a", "1.1.9"),
            Err(MigrateError::Downgrade {
                from: "1.2.0".into(),
                to: "1.1.9".into()
            })
        );
        assert_eq!(
            ensure_upgrade(&mut storage, "crates.io:a", "x"),
            Err(MigrateError::InvalidVersion {
                version: "x".into()
            })
        );
        // Refusals leave the record untouched.
        assert_eq!(
            cw2::get_contract_version(&storage).unwrap().version,
            "1.2.0"
        );

        assert_eq!(
            ensure_upgrade(&mut storage, "crates.io:a", "1.2.0").unwrap(),
            Version::new(1, 2, 0)
        );
        ensure_upgrade(&mut storage, "crates.io:a", "2.0.0").unwrap();
        assert_eq!(
            cw2::get_contract_version(&storage).unwrap().version,
            "2.0.0"
        );
    }
}
