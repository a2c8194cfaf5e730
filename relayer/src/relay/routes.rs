//! Routes between served channel ends: each end open on both chains mapped to its counterparty,
//! and the ends found CLOSED, which are never routed again.

use super::{End, Relayer};
use crate::error::RelayError;
use ibc_proto::ibc::core::channel::v1 as chanpb;

impl Relayer {
    /// Drops every route with an end no longer OPEN, then finds the counterparty of every
    /// filtered channel that is open on both ends.
    pub(super) async fn resolve_routes(&mut self) -> Result<(), RelayError> {
        self.drop_closed_routes().await?;
        for (x, chain) in self.chains.iter().enumerate() {
            for (port, channel) in &chain.entry.packet_filter.list {
                let here = End {
                    chain: x,
                    port: port.clone(),
                    channel: channel.clone(),
                };
                if self.routes.contains_key(&here) || self.closed.contains(&here) {
                    continue;
                }
                let Some((end, _)) = chain.channel_end(port, channel).await? else {
                    continue;
                };
                if end.state == chanpb::State::Closed as i32 {
                    tracing::warn!(
                        chain = chain.id(),
                        port,
                        channel,
                        "served channel is CLOSED; its packets are passed by"
                    );
                    self.closed.insert(here);
                    continue;
                }
                let Some(cp) = end
                    .counterparty
                    .filter(|_| end.state == chanpb::State::Open as i32)
                else {
                    continue;
                };
                for (y, other) in self.chains.iter().enumerate() {
                    if !other
                        .entry
                        .packet_filter
                        .allows(&cp.port_id, &cp.channel_id)
                    {
                        continue;
                    }
                    let Some((their, _)) = other.channel_end(&cp.port_id, &cp.channel_id).await?
                    else {
                        continue;
                    };
                    let points_back = their
                        .counterparty
                        .as_ref()
                        .is_some_and(|c| c.port_id == *port && c.channel_id == *channel);
                    if points_back && their.state == chanpb::State::Open as i32 {
                        let there = End {
                            chain: y,
                            port: cp.port_id.clone(),
                            channel: cp.channel_id.clone(),
                        };
                        tracing::info!(
                            from = chain.id(),
                            port,
                            channel,
                            to = other.id(),
                            to_port = there.port,
                            to_channel = there.channel,
                            "relaying channel"
                        );
                        self.routes.insert(there.clone(), here.clone());
                        self.routes.insert(here.clone(), there);
                        break;
                    }
                }
            }
        }
        Ok(())
    }

    /// Removes the routes (both directions) of channels now CLOSED on either end.
    async fn drop_closed_routes(&mut self) -> Result<(), RelayError> {
        let mut newly_closed = Vec::new();
        for (here, there) in &self.routes {
            if here > there || newly_closed.contains(here) {
                continue; // each pair once
            }
            for end in [here, there] {
                let chain = &self.chains[end.chain];
                let state = chain
                    .channel_end(&end.port, &end.channel)
                    .await?
                    .map(|(c, _)| c.state);
                if state != Some(chanpb::State::Open as i32) {
                    newly_closed.push(here.clone());
                    newly_closed.push(there.clone());
                    break;
                }
            }
        }
        for end in newly_closed {
            if self.routes.remove(&end).is_some() {
                let chain = self.chains[end.chain].id();
                tracing::warn!(
                    chain,
                    port = end.port,
                    channel = end.channel,
                    "channel no longer OPEN: route dropped, its packets are passed by"
                );
                self.metrics
                    .inc("loopin_relayer_routes_dropped", &[("chain", chain)], 1.0);
            }
            self.closed.insert(end);
        }
        Ok(())
    }
}
