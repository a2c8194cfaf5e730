//! Reading a channel end: the stored end, its state and its one connection hop. The handshake
//! (`channel.rs`) and packets (`send.rs`, `packet.rs`) share these; none calls an application.

use ibc_proto::ibc::core::channel::v1::{Channel, State};

use super::error::IbcError;
use super::store::{self, Metered};

pub fn state_name(state: i32) -> String {
    State::try_from(state)
        .map(|s| s.as_str_name().to_string())
        .unwrap_or_else(|_| format!("state {state}"))
}

/// The channel end, which must exist.
pub fn get(m: &Metered, port: &str, channel: &str) -> Result<Channel, IbcError> {
    store::channel(m, port, channel).ok_or_else(|| IbcError::ChannelNotFound {
        port: port.into(),
        channel: channel.into(),
    })
}

pub fn expect_state(
    port: &str,
    channel: &str,
    end: &Channel,
    expected: State,
) -> Result<(), IbcError> {
    if end.state != expected as i32 {
        return Err(IbcError::ChannelState {
            port: port.into(),
            channel: channel.into(),
            state: state_name(end.state),
            expected: expected.as_str_name(),
        });
    }
    Ok(())
}

/// The channel's one connection hop.
pub fn connection_id(end: &Channel) -> Result<&str, IbcError> {
    match end.connection_hops.as_slice() {
        [hop] => Ok(hop),
        hops => Err(IbcError::Invalid(format!(
            "a channel has exactly one connection hop, not {}",
            hops.len()
        ))),
    }
}
