//! The relayer's metrics: their names, kinds and descriptions.

use loopin_telemetry::metrics::Metrics;

pub(super) fn describe(metrics: &Metrics) {
    for (name, kind, help) in [
        (
            "loopin_relayer_receive_packets_confirmed",
            "counter",
            "MsgRecvPacket confirmed, per destination chain",
        ),
        (
            "loopin_relayer_acknowledgment_packets_confirmed",
            "counter",
            "MsgAcknowledgement confirmed, per source chain",
        ),
        (
            "loopin_relayer_timeout_packets_confirmed",
            "counter",
            "MsgTimeout confirmed, per source chain",
        ),
        (
            "loopin_relayer_tx_latency_confirmed_seconds",
            "histogram",
            "Seconds from submission to confirmation",
        ),
        (
            "loopin_relayer_routes_dropped",
            "counter",
            "Served channels dropped because an end is no longer OPEN, per chain",
        ),
        (
            "loopin_relayer_packets_stranded",
            "counter",
            "Packets and acknowledgements of CLOSED channels passed by, per chain",
        ),
        (
            "loopin_relayer_cursor_height",
            "gauge",
            "Every block up to this height is handled",
        ),
        (
            "loopin_relayer_dead_letters",
            "counter",
            "Messages a chain refused on their own, set aside (the state file lists them)",
        ),
        (
            "loopin_relayer_pass_errors",
            "counter",
            "Passes over a chain that failed and will be retried",
        ),
    ] {
        metrics.describe(name, kind, help);
    }
}
