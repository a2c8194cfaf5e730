//! The main job's flow as separate processes talking over gRPC: `loopin-devnet`, `loopin-deploy`,
//! `loopin-network market` (which itself starts `loopin-network keeper`, five `loopin-prover serve`
//! or `loopin-network cheat-prover` processes, two more halfway), with nothing in process. The
//! report it writes must show the market working, both cheaters invalidated by the registry, and
//! a balanced LOOP supply; then the devnet restarts on its state and the scenario runs again.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The paths of `bins`, beside this test's own. `scripts/test.sh` has built them with the rest
/// of the workspace (`build_workspace` in `scripts/tools.sh`) and says so in
/// `LOOPIN_WORKSPACE_BUILT`; run alone, the test builds them the same way (the features of the
/// whole test build: `cargo build -p` would compile tonic and the chain clients again).
fn binaries<const N: usize>(bins: [&str; N]) -> [PathBuf; N] {
    if std::env::var_os("LOOPIN_WORKSPACE_BUILT").is_none() {
        let status = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "--workspace", "--bins", "--tests"])
            .status()
            .expect("cargo build");
        assert!(status.success(), "building the workspace's binaries");
    }
    let network = PathBuf::from(env!("CARGO_BIN_EXE_loopin-network"));
    bins.map(|bin| {
        let path = network.with_file_name(bin);
        assert!(path.is_file(), "{} is not built", path.display());
        path
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The first of `n` consecutive free ports below Linux's ephemeral range (32768-60999). The
/// provers bind `first-port + i`, some of them minutes after the start: a block inside the
/// ephemeral range can meanwhile be taken as the source port of an outgoing connection.
fn free_port_block(n: u16) -> u16 {
    let start = 20_000 + (std::process::id() % 1_000) as u16 * 10;
    (start..32_000)
        .step_by(usize::from(n))
        .find(|base| (*base..base + n).all(|port| TcpListener::bind(("127.0.0.1", port)).is_ok()))
        .expect("a block of free ports below 32000")
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_port(port: u16, child: &mut Child) {
    for _ in 0..600 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        assert!(child.try_wait().unwrap().is_none(), "process exited");
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("nothing listening on {port}");
}

fn output(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn artifacts() -> PathBuf {
    loopin_deploy::repository_artifacts().expect("contract artifacts")
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

#[test]
fn the_scripted_market_runs_as_separate_processes_and_again_on_its_own_state() {
    // loopin-prover is started by `loopin-network market`, from beside itself.
    let [devnet, deploy] = binaries(["loopin-devnet", "loopin-deploy"]);
    let network = PathBuf::from(env!("CARGO_BIN_EXE_loopin-network"));
    let home = tempfile::tempdir().unwrap();
    let port = free_port();
    let grpc = format!("http://127.0.0.1:{port}");

    let key_file = home.path().join("deployer.key");
    std::fs::write(
        &key_file,
        output(Command::new(&deploy).args(["dev-key", "1"])),
    )
    .unwrap();
    let deployer = output(Command::new(&deploy).args(["dev-key", "1", "--address"]));
    let bank = output(Command::new(&deploy).args(["dev-key", "2", "--address"]));
    let start_chain = || {
        let mut chain = Command::new(&devnet)
            .arg("--home")
            .arg(home.path().join("chain"))
            .args(["--grpc", &format!("127.0.0.1:{port}")])
            .args(["--fund", &format!("{}=1000000000000", deployer.trim())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("loopin-devnet");
        wait_port(port, &mut chain);
        Killed(chain)
    };
    let chain = start_chain();

    // The shipped devnet config, with this test's key file and artifacts.
    let config = std::fs::read_to_string(repo("deploy/devnet.toml"))
        .unwrap()
        .replace(".devnet/deployer.key", key_file.to_str().unwrap())
        .replace(
            "artifacts = \"artifacts\"",
            &format!("artifacts = {:?}", artifacts()),
        );
    let config_path = home.path().join("deploy.toml");
    std::fs::write(&config_path, config).unwrap();
    let deployment = home.path().join("deployment.json");
    output(
        Command::new(&deploy)
            .arg("--config")
            .arg(&config_path)
            .args(["--grpc", &grpc])
            .arg("--output")
            .arg(&deployment)
            .arg("--chain-json")
            .arg(home.path().join("chain.json"))
            .args(["--fund-loop", &format!("{}=100000000000", bank.trim())]),
    );

    let chart = home.path().join("report.png");
    let market = |epochs: &str, report: &Path| {
        output(
            Command::new(&network)
                .args(["market", "--grpc", &grpc, "--epochs", epochs])
                .args(["--max-epochs", "16"])
                .arg("--deployment")
                .arg(&deployment)
                .arg("--work-dir")
                .arg(home.path().join("network"))
                .args(["--first-port", &free_port_block(8).to_string()])
                .arg("--report")
                .arg(report)
                .arg("--chart")
                .arg(&chart),
        )
    };
    let report = home.path().join("report.json");
    let table = market("6", &report);
    println!("{table}");
    drop(chain);

    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert!(
        std::fs::metadata(&chart).unwrap().len() > 1_000,
        "a PNG chart"
    );
    assert!(r["epochs"].as_array().unwrap().len() >= 6);
    assert_eq!(r["price_rose_as_capacity_dissipated"], true, "{table}");
    assert_eq!(r["price_fell_after_new_stakes"], true, "{table}");
    assert_eq!(r["supply"]["balanced"], true, "{}", r["supply"]);
    for cheater in r["cheaters"].as_array().unwrap() {
        assert!(
            cheater["invalidated_at_epoch"].is_u64(),
            "cheater not caught: {cheater}"
        );
    }
    // Fail closed on a real chain: the cheaters' devices proved no epoch (so earned nothing),
    // the honest ones proved theirs.
    for proof in r["proofs"].as_array().unwrap() {
        let (ended, proven) = (
            proof["ended_epochs"].as_u64().unwrap(),
            proof["proven_epochs"].as_u64().unwrap(),
        );
        if proof["cheat"].is_null() {
            assert!(
                proven > 0 || ended == 0,
                "an honest device proved nothing: {proof}"
            );
            assert!(
                proven * 4 >= ended * 3,
                "an honest device's epochs unproven: {proof}"
            );
        } else {
            assert_eq!(proven, 0, "a cheater proved an epoch: {proof}");
        }
    }
    let checks = r["checks"].as_array().unwrap();
    let passes = checks.iter().filter(|c| c["outcome"] == "pass").count();
    assert!(passes > 0, "honest devices pass");
    // The class sweeps: every device asked its GEMM at each window's start by the verifier the
    // beacon drew for it. Every sweep's Pass carried the GEMM, passed; the challenges verifiers
    // opened themselves carried none.
    let sweeps = checks.iter().filter(|c| c["sweep"].is_u64()).count();
    assert!(sweeps > 0, "no sweep ran");
    for c in checks.iter().filter(|c| c["outcome"] == "pass") {
        if c["sweep"].is_u64() {
            assert_eq!(c["throughput"], "pass", "{c}");
        } else if c["appeal"] == false {
            assert!(c["throughput"].is_null(), "{c}");
        }
    }
    // Passes are audited on chain, steps of their timed chains and rows of their GEMMs, and
    // every audit of an honest pass is answered right (a GEMM row by the device's prover, which
    // computes C again): none is voided.
    let audits = &r["audits"];
    for key in ["opened", "shown", "gemm_opened", "gemm_shown"] {
        assert!(audits[key].as_u64().unwrap() > 0, "{key}: {audits}");
    }
    assert_eq!(audits["voided"].as_u64(), Some(0), "{audits}");
    // The late cheater is accused, appeals, and loses to the verifiers the beacon drew; no
    // honest device is ever accused, so no appeal is upheld.
    let appeals = &r["appeals"];
    for key in ["accused", "appealed", "drawn", "lost"] {
        assert!(appeals[key].as_u64().unwrap() > 0, "{key}: {appeals}");
    }
    assert_eq!(appeals["upheld"].as_u64(), Some(0), "{appeals}");
    // No honest device was ever invalidated.
    for row in r["epochs"].as_array().unwrap() {
        for name in row["invalidated"].as_array().unwrap() {
            assert!(name.as_str().unwrap().starts_with("cheat-"), "{row}");
        }
    }
    // The main job runs again on its own state, as after a Ctrl-C of scripts/run.sh: the devnet
    // resumes its chain from its home, and a second scenario runs beside the first one's stakes.
    // Its miners are new devices (the run's tag is in their fingerprints), so each prover builds
    // P afresh in its old data dir instead of refusing the one made for another identity; the
    // verifiers bond again; the new cheaters are caught the same way.
    let chain = start_chain();
    let again = home.path().join("report-again.json");
    let table = market("2", &again);
    println!("{table}");
    drop(chain);
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&again).unwrap()).unwrap();
    assert!(r["epochs"].as_array().unwrap().len() >= 2, "{table}");
    assert_eq!(r["supply"]["balanced"], true, "{}", r["supply"]);
    for cheater in r["cheaters"].as_array().unwrap() {
        assert!(
            cheater["invalidated_at_epoch"].is_u64(),
            "cheater of the second run not caught: {cheater}"
        );
    }
    for row in r["epochs"].as_array().unwrap() {
        for name in row["invalidated"].as_array().unwrap() {
            assert!(name.as_str().unwrap().starts_with("cheat-"), "{row}");
        }
    }
    let passes = (r["checks"].as_array().unwrap().iter())
        .filter(|c| c["outcome"] == "pass")
        .count();
    assert!(passes > 0, "the second run's honest devices pass");
}
