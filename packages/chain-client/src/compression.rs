//! Gzip of wasm uploads: [`gzip`] as wasmd expects them, and the inflation that checks them.

use crate::{ClientError, Result};

/// `bytes` gzipped at the best level, unless they already are (gzip's magic number).
pub fn gzip(bytes: Vec<u8>) -> Result<Vec<u8>> {
    use std::io::Write;
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(bytes);
    }
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder
        .write_all(&bytes)
        .and_then(|_| encoder.finish())
        .map_err(|e| ClientError::Tx(format!("gzip: {e}")))
}

/// `bytes` inflated if they are gzipped (at most wasmd's 800 KiB upload limit), `None` if not.
pub(crate) fn gunzip(bytes: &[u8]) -> Result<Option<Vec<u8>>> {
    use std::io::Read;
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(None);
    }
    const LIMIT: u64 = 800 * 1024;
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .take(LIMIT + 1)
        .read_to_end(&mut out)
        .map_err(|e| ClientError::Tx(format!("gunzip: {e}")))?;
    if out.len() as u64 > LIMIT {
        return Err(ClientError::Tx(format!(
            "the inflated wasm is over {LIMIT} bytes"
        )));
    }
    Ok(Some(out))
}
