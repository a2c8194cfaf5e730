//! What an audit did to a pass the pool counted (`ExecuteMsg::DeviceProofAudit`'s `event`).

use cosmwasm_schema::schemars::JsonSchema;
use cosmwasm_schema::serde::de::{self, Deserializer, Visitor};
use cosmwasm_schema::serde::{Deserialize, Serialize};

/// What an audit did to a counted pass. In JSON its name in snake case: `"opened"`,
/// `"cleared"`, `"voided"`.
#[derive(Serialize, JsonSchema, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(crate = "cosmwasm_schema::serde", rename_all = "snake_case")]
#[schemars(crate = "cosmwasm_schema::schemars")]
pub enum AuditEvent {
    /// The pass's first audit opened: its epoch's pay is held.
    Opened,
    /// The pass's last open audit closed with the pass standing: the hold is released.
    Cleared,
    /// The pass was voided.
    #[default]
    Voided,
}

const NAMES: &[&str] = &["opened", "cleared", "voided"];

/// Read from its name alone. Written by hand: serde's derived reader of an enum costs the pair,
/// which sits within a few KiB of wasmd's upload limit, about 2 KB of wasm; this one reads the
/// same JSON and refuses anything else with serde's own `unknown_variant` error.
impl<'de> Deserialize<'de> for AuditEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Name;
        impl Visitor<'_> for Name {
            type Value = AuditEvent;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("one of opened, cleared, voided")
            }

            fn visit_str<E: de::Error>(self, name: &str) -> Result<AuditEvent, E> {
                match name {
                    "opened" => Ok(AuditEvent::Opened),
                    "cleared" => Ok(AuditEvent::Cleared),
                    "voided" => Ok(AuditEvent::Voided),
                    _ => Err(E::unknown_variant(name, NAMES)),
                }
            }
        }
        deserializer.deserialize_str(Name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::{from_json, to_json_string};

    #[test]
    fn each_event_reads_back_what_it_writes_and_nothing_else_is_read() {
        for event in [AuditEvent::Opened, AuditEvent::Cleared, AuditEvent::Voided] {
            let json = to_json_string(&event).unwrap();
            assert_eq!(from_json::<AuditEvent>(&json).unwrap(), event);
        }
        assert_eq!(to_json_string(&AuditEvent::Opened).unwrap(), r#""opened""#);
        for bad in [r#""Opened""#, r#""void""#, "1", r#"{"opened":{}}"#, "null"] {
            assert!(from_json::<AuditEvent>(bad).is_err(), "{bad}");
        }
    }
}
