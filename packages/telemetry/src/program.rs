//! The one way a LooPIN binary runs its `main`: a tokio runtime (for async bodies), logging to
//! stderr, and exit codes every binary shares.
//!
//! ```no_run
//! use std::process::ExitCode;
//!
//! async fn run() -> Result<(), std::io::Error> {
//!     Ok(())
//! }
//!
//! fn main() -> ExitCode {
//!     loopin_telemetry::program::run("loopin-example", Some("info"), run())
//! }
//! ```
//!
//! Exit codes: 0 when the body succeeds (or whatever [`ExitCode`] the body itself returns, for
//! binaries whose answer is a code, such as a verifier's verdict), [`FAILURE`] when the body
//! fails or the runtime cannot start, [`USAGE`] for a command line or configuration the binary
//! refuses before doing anything (clap exits with 2 for its own usage errors too). Errors are
//! printed once, to stderr, as `<program>: error: <error>`, with the whole chain of causes when
//! the error carries one (`{:#}`, as anyhow formats it).

use std::fmt::Display;
use std::future::Future;
use std::process::{ExitCode, Termination};

/// The exit code of a body that failed, or of a runtime that could not start.
pub const FAILURE: u8 = 1;
/// The exit code of a command line or configuration refused before anything ran.
pub const USAGE: u8 = 2;

/// Starts logging under `log` (an env-filter directive; `None` leaves logging to the body, for
/// binaries that read their filter from a config file), runs `body` on a multi-thread tokio
/// runtime and turns its outcome into the process's exit code.
pub fn run<F, T, E>(program: &str, log: Option<&str>, body: F) -> ExitCode
where
    F: Future<Output = Result<T, E>>,
    T: Termination,
    E: Display,
{
    if let Some(filter) = log {
        crate::init_tracing(filter);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return fail(program, &format!("tokio runtime: {error}")),
    };
    finish(program, runtime.block_on(body))
}

/// As [`run`], for a body that needs no runtime.
pub fn run_sync<T, E>(
    program: &str,
    log: Option<&str>,
    body: impl FnOnce() -> Result<T, E>,
) -> ExitCode
where
    T: Termination,
    E: Display,
{
    if let Some(filter) = log {
        crate::init_tracing(filter);
    }
    finish(program, body())
}

/// Prints a refusal of the command line or configuration and returns [`USAGE`].
pub fn usage(program: &str, error: impl Display) -> ExitCode {
    eprintln!("{program}: error: {error:#}");
    ExitCode::from(USAGE)
}

/// The exit code of a body's outcome, printing its error.
pub fn finish<T: Termination, E: Display>(program: &str, outcome: Result<T, E>) -> ExitCode {
    match outcome {
        Ok(answer) => answer.report(),
        Err(error) => fail(program, &format!("{error:#}")),
    }
}

fn fail(program: &str, error: &str) -> ExitCode {
    eprintln!("{program}: error: {error}");
    ExitCode::from(FAILURE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Refused;

    impl Display for Refused {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("refused")
        }
    }

    #[test]
    fn a_body_that_succeeds_exits_zero() {
        let code = run_sync("t", None, || Ok::<(), Refused>(()));
        assert_eq!(code, ExitCode::SUCCESS);
    }

    #[test]
    fn a_body_that_fails_exits_with_failure() {
        let code = run_sync("t", None, || Err::<(), _>(Refused));
        assert_eq!(code, ExitCode::from(FAILURE));
    }

    #[test]
    fn a_body_that_answers_with_a_code_exits_with_that_code() {
        let code = run_sync("t", None, || Ok::<_, Refused>(ExitCode::from(3)));
        assert_eq!(code, ExitCode::from(3));
    }

    #[test]
    fn an_async_body_runs_on_the_runtime_and_its_failure_is_failure() {
        let ok = run("t", None, async {
            tokio::task::spawn(async {}).await.map_err(|_| Refused)?;
            Ok::<(), Refused>(())
        });
        assert_eq!(ok, ExitCode::SUCCESS);
        let failed = run("t", None, async { Err::<(), _>(Refused) });
        assert_eq!(failed, ExitCode::from(FAILURE));
    }

    #[test]
    fn a_refused_command_line_exits_with_usage() {
        assert_eq!(usage("t", "no such flag"), ExitCode::from(USAGE));
    }
}
