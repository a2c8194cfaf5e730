//! The LooPIN rewards bridge: LOOP, a cw20 token, to other IBC chains over ICS-20.
//!
//! Every entry point delegates to cw-plus's `cw20-ics20` (2.0.0, pinned exactly), so the ICS-20
//! protocol — the `FungibleTokenPacketData` JSON, the `ics20-1` unordered channels, the
//! per-channel escrow balances, the refund on an error acknowledgement or a timeout, the return
//! of vouchers — is that crate's code, and its state and cw2 record are its own. Its messages
//! and queries have the JSON of `cw20_ics20::msg`; they are declared in `loopin::rewards_bridge`
//! (re-exported in [`msg`]) so services need not depend on this crate. A LOOP holder sends LOOP to the bridge with
//! the token's `Send { contract: <bridge>, amount, msg: TransferMsg }`; the bridge escrows it and
//! sends one packet with the denom `cw20:<token address>`. See `docs/rewards-bridge.md`.
//!
//! Adaptations, each where cw20-ics20 does something LooPIN contracts do not:
//!
//! - **Native coins are refused.** Every message with coins attached is refused (`instantiate`
//!   too; cw20-ics20 would keep them), and so is `ExecuteMsg::Transfer`, cw20-ics20's transfer of
//!   a native coin: the bridge carries cw20 tokens (LOOP); native coins go through the chain's
//!   own transfer module, and a second route for them would mint a second voucher denom on the
//!   other chain. Packets, acknowledgements and timeouts of native coins are still cw20-ics20's
//!   code, so nothing changes for tokens already in flight.
//! - **Channel close.** cw20-ics20 leaves `ibc_channel_close` unimplemented (it panics). The
//!   bridge does what the ICS-20 specification and ibc-go's transfer module do: a close that
//!   this end initiates (`CloseInit`) is refused, because vouchers on the other chain can only
//!   come back through the channel; a close the counterparty already made (`CloseConfirm`) is
//!   accepted only while nothing is escrowed for the channel (`CloseWithEscrow` otherwise, with
//!   the denom and amount): closing this end with LOOP outstanding would leave it with no
//!   channel to come back through. Packets in flight then time out and are refunded by
//!   `ibc_packet_timeout`, after which the close can be confirmed.
//! - **`reply`** is exported: cw20-ics20 sends its refunds and releases as sub-messages and
//!   turns their failure into an error acknowledgement in its `reply`.
//!
//! - **Migration** is cw20-ics20's — it checks that the stored cw2 record is
//!   `crates.io:cw20-ics20` and refuses a downgrade — except that its `default_gas_limit` may
//!   only keep the stored value (`MigrationWidensAllowlist`): setting one would let every cw20
//!   token past the allowlist, which is governance's decision (`Allow`, token by token).

pub mod contract;
pub mod error;
pub mod ibc;
pub mod msg;

pub use crate::error::ContractError;
