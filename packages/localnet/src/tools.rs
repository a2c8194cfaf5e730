//! The binaries the scripts build (wasmd per prefix, Hermes) and running wasmd's CLI.

use std::path::PathBuf;
use std::process::Stdio;

use tokio::process::Command;

use crate::error::{NetError, Result, io_err};
use crate::spec::Spec;

/// The wasmd binary the scripts built (bech32 prefix `loopin`): `$LOOPIN_WASMD`, else the tool
/// cache's default path.
pub fn wasmd_path() -> PathBuf {
    wasmd_path_for("loopin")
}

/// The wasmd binary built with bech32 prefix `prefix` (`ensure_wasmd <prefix>`):
/// `$LOOPIN_WASMD` for `loopin`, `$LOOPIN_WASMD_<PREFIX>` for another, else the tool cache's.
pub fn wasmd_path_for(prefix: &str) -> PathBuf {
    let variable = if prefix == "loopin" {
        "LOOPIN_WASMD".to_string()
    } else {
        format!("LOOPIN_WASMD_{}", prefix.to_uppercase())
    };
    if let Some(path) = std::env::var_os(variable) {
        return path.into();
    }
    tools_cache().join(format!("wasmd-{WASMD_VERSION}-{prefix}/bin/wasmd"))
}

/// Hermes as `ensure_hermes` built it: `$LOOPIN_HERMES`, else the tool cache's.
pub fn hermes_path() -> PathBuf {
    if let Some(path) = std::env::var_os("LOOPIN_HERMES") {
        return path.into();
    }
    tools_cache().join(format!("hermes-{HERMES_VERSION}-debug/bin/hermes"))
}

/// The Hermes release the scripts install (scripts/tools.sh).
pub const HERMES_VERSION: &str = "1.10.5";

/// `$LOOPIN_TOOLS_CACHE`, else `$XDG_CACHE_HOME/loopin-tools`, else `~/.cache/loopin-tools`.
fn tools_cache() -> PathBuf {
    std::env::var_os("LOOPIN_TOOLS_CACHE")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("XDG_CACHE_HOME").map(|c| PathBuf::from(c).join("loopin-tools"))
        })
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/loopin-tools")
        })
}

/// The wasmd release the scripts build (scripts/tools.sh).
pub const WASMD_VERSION: &str = "v0.61.14";

/// Runs `wasmd args...` to completion and returns its stdout.
pub(crate) async fn wasmd(spec: &Spec, args: &[&str]) -> Result<String> {
    let output = Command::new(&spec.wasmd)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(io_err(&spec.wasmd))?;
    if !output.status.success() {
        return Err(NetError::Command {
            args: args.join(" "),
            status: output.status.to_string(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}
