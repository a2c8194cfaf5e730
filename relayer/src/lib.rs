//! `loopin-relayer`: the epoch keeper, and the packet relayer of LooPIN's IBC channels.
//! See docs/relayer.md.

pub mod keeper;
