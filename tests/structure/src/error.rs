//! The library's errors: what could not be read, parsed or run.

use std::path::PathBuf;

/// Why the check could not run (a finding is not an error: see `findings`).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("reading {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("writing {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("parsing {path}:{line}: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("running `cargo metadata`: {0}")]
    Cargo(String),
    #[error("reading cargo metadata's output: {0}")]
    Metadata(#[from] serde_json::Error),
    #[error("{path}: {message}")]
    KnownDebt { path: PathBuf, message: String },
}

/// The library's result.
pub type Result<T> = std::result::Result<T, Error>;

/// Reads a source file, naming it in the error.
pub fn read(path: &std::path::Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads and parses a Rust source file, naming the file and line in the error.
pub fn parse_file(path: &std::path::Path) -> Result<(String, syn::File)> {
    let source = read(path)?;
    let file = syn::parse_file(&source).map_err(|e| Error::Parse {
        path: path.to_path_buf(),
        line: e.span().start().line,
        message: e.to_string(),
    })?;
    Ok((source, file))
}
