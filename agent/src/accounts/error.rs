//! Why an account operation failed.

use std::path::PathBuf;

use crate::confine::ConfineError;
use crate::username::UsernameError;

/// Why an account operation failed.
#[derive(thiserror::Error, Debug)]
pub enum AccountError {
    #[error(transparent)]
    Username(#[from] UsernameError),
    #[error(transparent)]
    Confine(#[from] ConfineError),
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    #[error("{command} failed: {stderr}")]
    Command { command: String, stderr: String },
    #[error("{0} exists but was not created by the agent; refusing to touch it")]
    Foreign(String),
    #[error("unsafe path {0}: a symlink or not a directory")]
    UnsafePath(PathBuf),
    #[error("processes of {0} survive SIGKILL")]
    Unkillable(String),
}
