//! The load generator: many challenges at once from one verifier, summarised.

use crate::verifier::{Outcome, Spec, Target, Verifier};
use std::sync::Arc;
use std::time::Instant;

/// Latency summary of a load run.
#[derive(Clone, Debug, serde::Serialize)]
pub struct LoadReport {
    /// Challenges issued.
    pub challenges: usize,
    /// How many passed.
    pub pass: usize,
    /// Outcomes other than pass, by outcome.
    pub other: std::collections::BTreeMap<String, usize>,
    /// Latency percentiles of answered challenges, ms.
    pub p50_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// Maximum, ms.
    pub max_ms: f64,
    /// Wall time of the run, s.
    pub wall_s: f64,
}

/// Percentile (nearest rank) of sorted values.
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Issue `n` challenges at once to `t` and summarise.
pub async fn load(v: &Arc<Verifier>, t: &Target, spec: &Spec, n: usize) -> LoadReport {
    let _ = t.info().await;
    let start = Instant::now();
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let v = v.clone();
            let t = t.clone();
            let spec = spec.clone();
            tokio::spawn(async move { v.challenge(&t, &spec).await })
        })
        .collect();
    let mut lat = Vec::with_capacity(n);
    let mut pass = 0;
    let mut other = std::collections::BTreeMap::new();
    for task in tasks {
        match task.await {
            Ok(vd) => {
                if let Some(r) = vd.rtt_ms {
                    lat.push(r);
                }
                if vd.outcome == Outcome::Pass {
                    pass += 1;
                } else {
                    let k = format!("{:?}: {}", vd.outcome, vd.reason.unwrap_or_default());
                    let k: String = k.chars().take(80).collect();
                    *other.entry(k).or_insert(0) += 1;
                }
            }
            Err(e) => *other.entry(format!("task: {e}")).or_insert(0) += 1,
        }
    }
    let wall_s = start.elapsed().as_secs_f64();
    lat.sort_by(f64::total_cmp);
    LoadReport {
        challenges: n,
        pass,
        other,
        p50_ms: percentile(&lat, 0.50),
        p99_ms: percentile(&lat, 0.99),
        max_ms: lat.last().copied().unwrap_or(f64::NAN),
        wall_s,
    }
}
