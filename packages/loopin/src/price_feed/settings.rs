//! The settings both price contracts keep, checked here so that the feed and the consumer refuse
//! the same things with the same errors: who may open a price channel (the allowed connections
//! and counterparty ports) and the timings (the feed's packet timeout, the consumer's maximum
//! age of a price).

use cosmwasm_std::Response;
use thiserror::Error;

/// A setting refused by its message's checks; nothing is stored.
#[derive(Error, Debug, PartialEq, Eq)]
pub enum SettingsError {
    /// The feed's `packet_timeout_seconds` is zero: every packet would time out at once.
    #[error("packet timeout must be positive")]
    ZeroTimeout {},

    /// The consumer's `max_age_seconds` is zero: every price would be stale.
    #[error("the maximum age of a price must be positive")]
    ZeroMaxAge {},

    /// The consumer was instantiated without a non-empty list of allowed connections
    /// (`missing: "allowed_connections"`), of allowed counterparty ports
    /// (`"allowed_counterparty_ports"`), or of both (`"allowed_connections and
    /// allowed_counterparty_ports"`). Unpinned, it would store the prices of a channel from any
    /// contract over any connection.
    #[error(
        "the consumer must be pinned to its feed: {missing} missing or empty; name the feed's connection (allowed_connections) and its port wasm.<feed address> (allowed_counterparty_ports)"
    )]
    Unpinned { missing: &'static str },

    /// A channel's connection is not in the end's allowed connections ([`ensure_allowed`]).
    #[error("connection {connection_id} is not allowed")]
    ConnectionNotAllowed { connection_id: String },

    /// A channel's other end is not one of the allowed counterparty ports.
    #[error("counterparty port {port_id} is not allowed")]
    CounterpartyPortNotAllowed { port_id: String },
}

/// A packet timeout, refused when zero.
pub fn packet_timeout(seconds: u64) -> Result<u64, SettingsError> {
    if seconds == 0 {
        return Err(SettingsError::ZeroTimeout {});
    }
    Ok(seconds)
}

/// A maximum age of a price, refused when zero.
pub fn max_age(seconds: u64) -> Result<u64, SettingsError> {
    if seconds == 0 {
        return Err(SettingsError::ZeroMaxAge {});
    }
    Ok(seconds)
}

/// A channel may come over `connection_id` from `port_id` when each is in its list; a list of
/// `None` allows any. The connection alone does not pin a peer (anyone with a client of another
/// chain here can make one), nor does the port alone (a chain an attacker controls can name any
/// port), so each end checks both it was given.
pub fn ensure_allowed(
    connections: Option<&[String]>,
    ports: Option<&[String]>,
    connection_id: &str,
    port_id: &str,
) -> Result<(), SettingsError> {
    if let Some(list) = connections
        && !list.iter().any(|allowed| allowed == connection_id)
    {
        return Err(SettingsError::ConnectionNotAllowed {
            connection_id: connection_id.to_string(),
        });
    }
    if let Some(list) = ports
        && !list.iter().any(|allowed| allowed == port_id)
    {
        return Err(SettingsError::CounterpartyPortNotAllowed {
            port_id: port_id.to_string(),
        });
    }
    Ok(())
}

/// One of the two allow lists an owner replaces with a `SetAllowed...` message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllowList {
    /// `SetAllowedConnections`.
    Connections,
    /// `SetAllowedCounterpartyPorts`.
    CounterpartyPorts,
}

impl AllowList {
    /// The attribute that carries the list, in the instantiation's events too.
    pub fn attribute(self) -> &'static str {
        match self {
            Self::Connections => "allowed_connections",
            Self::CounterpartyPorts => "allowed_counterparty_ports",
        }
    }

    /// The response to replacing the list with `values` (`None`: any).
    pub fn replaced(self, values: Option<&[String]>) -> Response {
        let action = match self {
            Self::Connections => "set_allowed_connections",
            Self::CounterpartyPorts => "set_allowed_counterparty_ports",
        };
        Response::new()
            .add_attribute("action", action)
            .add_attribute(self.attribute(), list_attribute(values))
    }
}

/// An allow list as an attribute: its entries joined by commas, or "any" for `None`.
pub fn list_attribute(values: Option<&[String]>) -> String {
    values.map_or_else(|| "any".to_string(), |list| list.join(","))
}

#[cfg(test)]
mod tests {
    use cosmwasm_std::Attribute;

    use super::*;

    fn list(items: &[&str]) -> Vec<String> {
        items.iter().map(|item| item.to_string()).collect()
    }

    #[test]
    fn zero_timings_are_refused_and_positive_ones_kept() {
        assert_eq!(packet_timeout(0), Err(SettingsError::ZeroTimeout {}));
        assert_eq!(packet_timeout(600), Ok(600));
        assert_eq!(max_age(0), Err(SettingsError::ZeroMaxAge {}));
        assert_eq!(max_age(1), Ok(1));
    }

    #[test]
    fn a_channel_needs_its_connection_and_its_port_in_their_lists() {
        let connections = list(&["connection-0"]);
        let ports = list(&["wasm.feed"]);
        let both = (Some(connections.as_slice()), Some(ports.as_slice()));
        assert_eq!(
            ensure_allowed(both.0, both.1, "connection-0", "wasm.feed"),
            Ok(())
        );
        assert_eq!(
            ensure_allowed(both.0, both.1, "connection-1", "wasm.feed"),
            Err(SettingsError::ConnectionNotAllowed {
                connection_id: "connection-1".to_string()
            })
        );
        assert_eq!(
            ensure_allowed(both.0, both.1, "connection-0", "wasm.rogue"),
            Err(SettingsError::CounterpartyPortNotAllowed {
                port_id: "wasm.rogue".to_string()
            })
        );
        // An empty list allows nothing; `None` allows anything.
        assert!(ensure_allowed(Some(&[]), None, "connection-0", "wasm.feed").is_err());
        assert_eq!(
            ensure_allowed(None, None, "connection-9", "any.port"),
            Ok(())
        );
    }

    #[test]
    fn a_replaced_list_is_reported_with_its_action_and_entries() {
        let response = AllowList::CounterpartyPorts.replaced(Some(&list(&["a", "b"])));
        assert_eq!(
            response.attributes,
            [
                Attribute::new("action", "set_allowed_counterparty_ports"),
                Attribute::new("allowed_counterparty_ports", "a,b"),
            ]
        );
        assert_eq!(list_attribute(None), "any");
        assert_eq!(list_attribute(Some(&[])), "");
    }
}
