//! `loopin-session`: the login shell of a leased account, and the session supervisor inside
//! the lease's sandbox.
//!
//! * Client mode (`loopin-session` or `loopin-session -c CMD`, as sshd runs a login shell):
//!   connects to `$LOOPIN_SESSION_DIR/<user>.sock` (default `/run/loopin-agent/sessions`; the
//!   user is the account of `getuid()`, never `$USER`), hands over its stdin/stdout/stderr with
//!   `SCM_RIGHTS` plus the command, and exits with the status it gets back.
//! * Supervisor mode (`loopin-session --supervise --home H --user U [--shell S] [--path P]`),
//!   started by the root agent inside the sandbox with the listening socket as fd 3: starts
//!   each requested shell in the sandbox on the received descriptors.
//!
//! The login shell runs outside the sandbox, so it never executes tenant code itself: it only
//! passes descriptors. Everything the tenant runs is a child of the supervisor, confined by the
//! sandbox's namespaces and cgroup.

use std::convert::Infallible;
use std::ffi::OsString;
use std::process::ExitCode;

use loopin_agent::confine::session;
use loopin_telemetry::program;

/// The exit code is the answer (the session's status, 255 where no session could start), so the
/// body never fails.
fn main() -> ExitCode {
    program::run_sync("loopin-session", None, || {
        Ok::<_, Infallible>(ExitCode::from(session() as u8))
    })
}

/// Supervises, or runs the login shell's client: its exit status (`exit(2)` keeps its low
/// byte, as this does).
fn session() -> i32 {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    if args.first().is_some_and(|a| a == "--supervise") {
        session::main_supervise(&args[1..])
    } else {
        match session::current_user_socket() {
            Ok(socket) => session::run_client(&socket, &args),
            Err(e) => {
                eprintln!("loopin-session: {e}");
                255
            }
        }
    }
}
