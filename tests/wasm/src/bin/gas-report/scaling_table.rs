//! The scaling tables' shared part: sizes, the table of one contract's calls against the size of
//! its state, and which calls grow (`scaling.rs` for the pair, `scaling_stake_cert.rs`).

use std::fmt::Write as _;
use std::time::Instant;

use loopin_wasm_tests::{Gas, HarnessError, Outcome};

/// The command that writes `bench/scaling.md`.
pub const COMMAND: &str =
    "LOOPIN_GAS_ONLY=scaling cargo run --profile service -p loopin-wasm-tests --bin gas-report";
/// The page the paged queries ask for.
pub const PAGE: u32 = 10;
/// Above this ratio of the largest n's gas to the smallest's a call is not flat.
pub const FLAT: f64 = 1.1;

/// One call measured at one n.
pub struct Measured {
    pub call: &'static str,
    pub gas: Gas,
}

/// The calls measured on one contract at one size, each of which must succeed.
pub struct Recorder {
    /// The contract and the size, for a failure's message.
    pub name: &'static str,
    pub n: u64,
    pub rows: Vec<Measured>,
}

impl Recorder {
    pub fn new(name: &'static str, n: u64) -> Self {
        Self {
            name,
            n,
            rows: vec![],
        }
    }

    /// Keeps the call's gas and returns its result; panics with the contract's error if it
    /// failed (every call of a scaling probe is one that succeeds).
    pub fn record<T>(&mut self, call: &'static str, outcome: Outcome<T>) -> T {
        let value = outcome
            .result
            .unwrap_or_else(|err| panic!("{}, n = {}: {call} failed: {err}", self.name, self.n));
        self.rows.push(Measured {
            call,
            gas: outcome.gas,
        });
        value
    }
}

/// (n, seconds building the state, seconds measuring on it).
pub type Timing = (u64, f64, f64);

/// One column of calls per size, and the time each took.
pub struct Measurements {
    pub columns: Vec<Vec<Measured>>,
    pub timings: Vec<Timing>,
}

impl Measurements {
    /// For each size: the state made by `generate`, then the calls `probe` makes on it.
    pub fn run<B>(
        name: &str,
        sizes: &[u64],
        generate: impl Fn(u64) -> Result<B, HarnessError>,
        probe: impl Fn(B) -> Result<Vec<Measured>, HarnessError>,
    ) -> Result<Self, HarnessError> {
        let mut columns = vec![];
        let mut timings = vec![];
        for &n in sizes {
            let t = Instant::now();
            let bench = generate(n)?;
            let built = t.elapsed().as_secs_f64();
            columns.push(probe(bench)?);
            timings.push((n, built, t.elapsed().as_secs_f64() - built));
            eprintln!("{name}, n = {n}: state built in {built:.0} s");
        }
        Ok(Self { columns, timings })
    }
}

/// One contract's calls at every size, and how to read them.
pub struct Table<'a> {
    pub title: &'a str,
    /// What the generated state is and what is measured on it.
    pub description: String,
    pub sizes: &'a [u64],
    /// One column per size, the same calls in the same order.
    pub columns: &'a [Vec<Measured>],
    /// Why a call's gas may grow with n (a page, a bound in the code), if it may.
    pub reason: fn(&str) -> Option<&'static str>,
    /// The time each size took.
    pub timings: &'a [Timing],
}

/// The sizes measured: `LOOPIN_SCALING_N` (comma-separated) or 10, 1,000 and 100,000.
pub fn sizes() -> Vec<u64> {
    std::env::var("LOOPIN_SCALING_N")
        .ok()
        .map(|list| {
            list.split(',')
                .map(|n| n.trim().parse().expect("LOOPIN_SCALING_N: numbers"))
                .collect()
        })
        .unwrap_or_else(|| vec![10, 1_000, 100_000])
}

/// `n` with thousands separators.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Table<'_> {
    /// The table, the calls that grow by more than 2 % with the reason or a finding, and the
    /// time it took, as a markdown section.
    pub fn render(&self) -> String {
        let mut md = String::new();
        let _ = writeln!(md, "## {}\n\n{}\n", self.title, self.description);
        let mut header = "| call |".to_string();
        let mut rule = "|---|".to_string();
        for n in self.sizes {
            let _ = write!(header, " n = {} |", thousands(*n));
            rule += "---:|";
        }
        header += " largest / smallest |";
        rule += "---:|";
        let _ = writeln!(md, "{header}\n{rule}");
        let mut growing = vec![];
        let mut steepest = ("", 0.0);
        for (row, first) in self.columns[0].iter().enumerate() {
            let gas: Vec<Gas> = self.columns.iter().map(|column| column[row].gas).collect();
            assert!(
                self.columns
                    .iter()
                    .all(|column| column[row].call == first.call)
            );
            let totals: Vec<u64> = gas.iter().map(|g| g.total()).collect();
            let (min, max) = (
                *totals.iter().min().expect("a size"),
                *totals.iter().max().expect("a size"),
            );
            let ratio = max as f64 / min as f64;
            let mut line = format!("| {} |", first.call);
            for total in &totals {
                let _ = write!(line, " {total} |");
            }
            let _ = writeln!(md, "{line} {ratio:.3} |");
            if ratio > steepest.1 {
                steepest = (first.call, ratio);
            }
            if ratio > 1.02 {
                growing.push((first.call, ratio, gas));
            }
        }
        let findings = growing
            .iter()
            .filter(|(call, ratio, _)| *ratio > FLAT && (self.reason)(call).is_none())
            .count();
        let _ = writeln!(
            md,
            "\n{} calls measured; the steepest is {} at {:.3}x; {findings} grow past {FLAT} \
             without a page size to explain it.\n",
            self.columns[0].len(),
            steepest.0,
            steepest.1,
        );
        let _ = writeln!(
            md,
            "### Calls whose gas differs by more than 2 % between sizes\n\nFlat means a ratio of \
             at most {FLAT}; host calls are those of the smallest and the largest n.\n"
        );
        if growing.is_empty() {
            let _ = writeln!(md, "None.");
        }
        for (call, ratio, gas) in growing {
            self.growth(&mut md, call, ratio, &gas);
        }
        let _ = writeln!(md);
        let mut line = "Time on this machine (2 shared cores): ".to_string();
        let mut total = 0.0;
        for (n, built, probed) in self.timings {
            total += built + probed;
            let _ = write!(
                line,
                "n = {}: state {built:.0} s, calls {probed:.1} s; ",
                thousands(*n)
            );
        }
        let _ = writeln!(md, "{line}{total:.0} s in all.");
        md
    }

    fn growth(&self, md: &mut String, call: &str, ratio: f64, gas: &[Gas]) {
        let (small, large) = (gas[0].calls, gas[gas.len() - 1].calls);
        let reason = (self.reason)(call);
        let verdict = match (ratio > FLAT, reason) {
            (true, None) => "**finding: grows with no page size to explain it**",
            (true, Some(_)) => "grows, for the reason given",
            (false, _) => "within the bound",
        };
        let _ = writeln!(
            md,
            "- {call}: {ratio:.3}x, {verdict}. Storage reads {} -> {} ({} -> {} bytes), writes \
             {} -> {} ({} -> {} bytes), iteration steps {} -> {}.{}",
            small.reads,
            large.reads,
            small.read_bytes,
            large.read_bytes,
            small.writes,
            large.writes,
            small.write_bytes,
            large.write_bytes,
            small.steps,
            large.steps,
            reason.map(|r| format!(" {r}")).unwrap_or_default(),
        );
        if (small.reads, small.writes, small.removes, small.steps)
            == (large.reads, large.writes, large.removes, large.steps)
        {
            let _ = writeln!(
                md,
                "  Same storage calls at every n: the difference is the bytes they move and the \
                 wasm work on them (longer ids, keys and amounts as the state grows)."
            );
        }
    }
}
