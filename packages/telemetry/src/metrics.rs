//! A small Prometheus registry (counters, gauges, histograms with labels) and a `/metrics` HTTP
//! endpoint (text exposition format 0.0.4).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const BUCKETS: [f64; 15] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

#[derive(Default, Clone)]
struct Hist {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

#[derive(Default)]
struct Inner {
    help: BTreeMap<String, (&'static str, String)>,
    counters: BTreeMap<(String, String), f64>,
    gauges: BTreeMap<(String, String), f64>,
    hists: BTreeMap<(String, String), Hist>,
}

/// Metrics registry.
#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

fn labels(l: &[(&str, &str)]) -> String {
    if l.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = l
        .iter()
        .map(|(k, v)| {
            let v = v
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n");
            format!("{k}=\"{v}\"")
        })
        .collect();
    format!("{{{}}}", parts.join(","))
}

impl Metrics {
    /// New registry.
    pub fn new() -> Arc<Metrics> {
        Arc::new(Metrics::default())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Describe a metric (shown as # HELP / # TYPE).
    pub fn describe(&self, name: &str, kind: &'static str, help: &str) {
        self.lock()
            .help
            .insert(name.to_string(), (kind, help.to_string()));
    }

    /// Add to a counter.
    pub fn inc(&self, name: &str, l: &[(&str, &str)], by: f64) {
        *self
            .lock()
            .counters
            .entry((name.to_string(), labels(l)))
            .or_default() += by;
    }

    /// Add to a gauge (negative to decrease).
    pub fn gauge_add(&self, name: &str, l: &[(&str, &str)], by: f64) {
        *self
            .lock()
            .gauges
            .entry((name.to_string(), labels(l)))
            .or_default() += by;
    }

    /// Set a gauge.
    pub fn gauge_set(&self, name: &str, l: &[(&str, &str)], v: f64) {
        self.lock().gauges.insert((name.to_string(), labels(l)), v);
    }

    /// Observe a value (seconds) in a histogram.
    pub fn observe(&self, name: &str, l: &[(&str, &str)], v: f64) {
        let mut g = self.lock();
        let h = g.hists.entry((name.to_string(), labels(l))).or_default();
        for (i, b) in BUCKETS.iter().enumerate() {
            if v <= *b {
                h.counts[i] += 1;
            }
        }
        h.sum += v;
        h.count += 1;
    }

    /// Value of a counter (tests).
    pub fn counter(&self, name: &str, l: &[(&str, &str)]) -> f64 {
        self.lock()
            .counters
            .get(&(name.to_string(), labels(l)))
            .copied()
            .unwrap_or(0.0)
    }

    /// Value of a gauge (tests).
    pub fn gauge(&self, name: &str, l: &[(&str, &str)]) -> f64 {
        self.lock()
            .gauges
            .get(&(name.to_string(), labels(l)))
            .copied()
            .unwrap_or(0.0)
    }

    /// Text exposition.
    pub fn render(&self) -> String {
        let g = self.lock();
        let mut out = String::new();
        let mut typed = std::collections::BTreeSet::new();
        let mut head = |out: &mut String, name: &str, default_kind: &str| {
            if typed.insert(name.to_string()) {
                let (kind, help) = g
                    .help
                    .get(name)
                    .map(|(k, h)| (*k, h.as_str()))
                    .unwrap_or((default_kind, ""));
                if !help.is_empty() {
                    let _ = writeln!(out, "# HELP {name} {help}");
                }
                let _ = writeln!(out, "# TYPE {name} {kind}");
            }
        };
        for ((n, l), v) in &g.counters {
            head(&mut out, n, "counter");
            let _ = writeln!(out, "{n}{l} {v}");
        }
        for ((n, l), v) in &g.gauges {
            head(&mut out, n, "gauge");
            let _ = writeln!(out, "{n}{l} {v}");
        }
        for ((n, l), h) in &g.hists {
            head(&mut out, n, "histogram");
            let inner = l.trim_start_matches('{').trim_end_matches('}');
            let sep = if inner.is_empty() { "" } else { "," };
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ = writeln!(out, "{n}_bucket{{{inner}{sep}le=\"{b}\"}} {}", h.counts[i]);
            }
            let _ = writeln!(out, "{n}_bucket{{{inner}{sep}le=\"+Inf\"}} {}", h.count);
            let _ = writeln!(out, "{n}_sum{l} {}", h.sum);
            let _ = writeln!(out, "{n}_count{l} {}", h.count);
        }
        out
    }

    /// Serve `GET /metrics` (anything else: 404) until the task is dropped.
    pub async fn serve(self: Arc<Self>, listener: TcpListener) {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                continue;
            };
            let me = self.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let mut n = 0;
                // Read the request head (bounded, with a timeout).
                let read = tokio::time::timeout(std::time::Duration::from_secs(5), async {
                    while n < buf.len() {
                        match sock.read(&mut buf[n..]).await {
                            Ok(0) | Err(_) => break,
                            Ok(k) => {
                                n += k;
                                if buf[..n].windows(4).any(|w| w == b"\r\n\r\n") {
                                    break;
                                }
                            }
                        }
                    }
                })
                .await;
                if read.is_err() {
                    return;
                }
                let head = String::from_utf8_lossy(&buf[..n]);
                let path = head.split_whitespace().nth(1).unwrap_or("");
                let (status, body) = if head.starts_with("GET ") && path.starts_with("/metrics") {
                    ("200 OK", me.render())
                } else {
                    ("404 Not Found", "not found\n".to_string())
                };
                let resp = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(resp.as_bytes()).await;
                let _ = sock.shutdown().await;
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_gauges_and_histograms_in_the_text_format_with_escaped_labels() {
        let m = Metrics::new();
        m.describe("jobs_total", "counter", "Jobs done.");
        m.inc("jobs_total", &[("kind", "a\"b\\c\nd")], 2.0);
        m.inc("jobs_total", &[("kind", "a\"b\\c\nd")], 1.0);
        m.gauge_set("queue", &[], 4.0);
        m.gauge_add("queue", &[], -1.5);
        m.observe("latency_seconds", &[("op", "x")], 0.003);
        m.observe("latency_seconds", &[("op", "x")], 40.0);
        assert_eq!(m.counter("jobs_total", &[("kind", "a\"b\\c\nd")]), 3.0);
        assert_eq!(m.gauge("queue", &[]), 2.5);
        let text = m.render();
        for line in [
            "# HELP jobs_total Jobs done.",
            "# TYPE jobs_total counter",
            "jobs_total{kind=\"a\\\"b\\\\c\\nd\"} 3",
            "# TYPE queue gauge",
            "queue 2.5",
            "# TYPE latency_seconds histogram",
            "latency_seconds_bucket{op=\"x\",le=\"0.0025\"} 0",
            "latency_seconds_bucket{op=\"x\",le=\"0.005\"} 1",
            "latency_seconds_bucket{op=\"x\",le=\"30\"} 1",
            "latency_seconds_bucket{op=\"x\",le=\"+Inf\"} 2",
            "latency_seconds_sum{op=\"x\"} 40.003",
            "latency_seconds_count{op=\"x\"} 2",
        ] {
            assert!(text.lines().any(|l| l == line), "{line:?} not in\n{text}");
        }
    }

    /// Sends `request` and reads until the server closes. The server may close (or reset)
    /// before reading all of a long request: what arrived until then is the answer.
    async fn ask(addr: std::net::SocketAddr, request: &[u8]) -> String {
        let mut sock = tokio::net::TcpStream::connect(addr).await.unwrap();
        let _ = sock.write_all(request).await;
        let mut answer = Vec::new();
        let _ = sock.read_to_end(&mut answer).await;
        String::from_utf8_lossy(&answer).into_owned()
    }

    #[tokio::test]
    async fn serves_metrics_and_answers_anything_else_with_404_or_nothing() {
        let m = Metrics::new();
        m.inc("up_total", &[], 1.0);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(m.clone().serve(listener));

        let ok = ask(addr, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").await;
        assert!(ok.starts_with("HTTP/1.1 200 OK\r\n"), "{ok}");
        assert!(ok.contains("text/plain; version=0.0.4"));
        assert!(ok.ends_with("up_total 1\n"), "{ok}");
        let other = ask(addr, b"GET /secrets HTTP/1.1\r\n\r\n").await;
        assert!(other.starts_with("HTTP/1.1 404 Not Found\r\n"), "{other}");
        let post = ask(addr, b"POST /metrics HTTP/1.1\r\n\r\n").await;
        assert!(post.starts_with("HTTP/1.1 404 Not Found\r\n"), "{post}");
        // Garbage, and a head longer than the buffer: answered with 404, the server lives on.
        let garbage = ask(addr, &[0xff; 64]).await;
        assert!(
            garbage.is_empty() || garbage.starts_with("HTTP/1.1 404"),
            "{garbage}"
        );
        let long = ask(addr, &vec![b'a'; 10_000]).await;
        assert!(
            long.is_empty() || long.starts_with("HTTP/1.1 404"),
            "{long}"
        );
        let again = ask(addr, b"GET /metrics HTTP/1.1\r\n\r\n").await;
        assert!(again.starts_with("HTTP/1.1 200 OK\r\n"), "{again}");
    }
}
