//! What can go wrong setting up or running a network.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// What can go wrong setting up or running a network.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error(
        "no wasmd binary at {0} (scripts/tools.sh's ensure_wasmd builds it; LOOPIN_WASMD names another)"
    )]
    NoWasmd(PathBuf),
    #[error("{path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("`wasmd {args}` failed ({status}): {stderr}")]
    Command {
        args: String,
        status: String,
        stderr: String,
    },
    #[error("{path}: {message}")]
    Format { path: PathBuf, message: String },
    #[error("validator {node} exited ({status}); its log ends: {log}")]
    Exited {
        node: usize,
        status: String,
        log: String,
    },
    #[error("no block {height} within {waited:?} (last seen {seen})")]
    NoBlocks {
        height: i64,
        seen: i64,
        waited: Duration,
    },
    #[error("{0}")]
    Spec(String),
}

pub type Result<T, E = NetError> = std::result::Result<T, E>;

pub(crate) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> NetError + '_ {
    move |error| NetError::Io {
        path: path.to_path_buf(),
        error,
    }
}
