//! The binaries: config file + env + flags, init, commitment, serve, verifier keygen/challenge,
//! metrics endpoint.

use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PROVER: &str = env!("CARGO_BIN_EXE_loopin-prover");
const VERIFIER: &str = env!("CARGO_BIN_EXE_loopin-verifier");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Kill(Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn http_get(port: u16, path: &str) -> Option<String> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
        .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

#[test]
fn init_commitment_serve_and_challenge_through_the_binaries() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let vkey = dir.path().join("verifier.key");
    let out = Command::new(VERIFIER)
        .args(["keygen", "--out"])
        .arg(&vkey)
        .output()
        .unwrap();
    assert!(out.status.success());
    let vpub = String::from_utf8(out.stdout).unwrap().trim().to_string();

    let (port, mport) = (free_port(), free_port());
    let cfg = dir.path().join("prover.toml");
    std::fs::write(
        &cfg,
        format!(
            "data_dir = {data:?}\nlisten = \"127.0.0.1:{port}\"\nmetrics_listen = \"127.0.0.1:{mport}\"\nbackend = \"cpu\"\nparams = \"test\"\n\
             [identity]\nfingerprint = \"GPU-test\"\nminer = \"loopin1miner\"\npool = \"pool-a\"\nrandomness = \"00\"\n\
             [verifiers]\nallow = []\nrate_per_s = 5.0\nburst = 5.0\n"
        ),
    )
    .unwrap();
    let prover = |args: &[&str]| {
        let mut c = Command::new(PROVER);
        c.arg("--config")
            .arg(&cfg)
            .args(args)
            .env("LOOPIN_LOG", "warn");
        c
    };
    // The env var overrides the file's (empty) randomness... and a flag overrides the env.
    let st = prover(&["init", "--no-progress"])
        .env("LOOPIN_PROVER_RANDOMNESS", "abcd")
        .status()
        .unwrap();
    assert!(st.success());
    let out = prover(&["commitment"])
        .env("LOOPIN_PROVER_RANDOMNESS", "abcd")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let commitment = dir.path().join("commitment.json");
    std::fs::write(&commitment, &out.stdout).unwrap();
    let cj: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(cj["params"]["lanes"], 4);
    // Another identity (flag) refuses the existing P.
    let st = prover(&["init", "--no-progress", "--randomness", "ffff"])
        .status()
        .unwrap();
    assert!(!st.success());

    let child = prover(&["serve", "--allow", &vpub])
        .env("LOOPIN_PROVER_RANDOMNESS", "abcd")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _guard = Kill(child);
    let t = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "server did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let verdicts = dir.path().join("verdicts.json");
    let out = Command::new(VERIFIER)
        .env("LOOPIN_LOG", "warn")
        .arg("--key")
        .arg(&vkey)
        .args([
            "challenge",
            "--deadline-ms",
            "5000",
            "--gemm-m",
            "128",
            "--target",
        ])
        .arg(format!("http://127.0.0.1:{port}={}", commitment.display()))
        .arg("--out")
        .arg(&verdicts)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&verdicts).unwrap()).unwrap();
    assert_eq!(v[0]["outcome"], "pass", "{v}");
    assert_eq!(v[0]["throughput"]["outcome"], "pass");
    let m = http_get(mport, "/metrics").unwrap();
    assert!(m.starts_with("HTTP/1.1 200"), "{m}");
    assert!(
        m.contains("loopin_prover_requests_total{method=\"Challenge\",code=\"OK\"} 1"),
        "{m}"
    );
    assert!(
        http_get(mport, "/other")
            .unwrap()
            .starts_with("HTTP/1.1 404")
    );
}
