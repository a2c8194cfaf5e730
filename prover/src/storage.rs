//! P on disk: `p.bin` (blocks, 16 bytes little-endian each, lane-major) and `p.meta.json`
//! (parameters, ek, one SHA-256 per chunk of lanes, and the Merkle root once complete).
//!
//! `init` encodes chunk by chunk, appending and syncing each chunk before recording its checksum,
//! so an interrupted init resumes after the last recorded chunk. `load` checks every chunk
//! checksum and the Merkle root before P is served; it never encodes.

use crate::backend::Backend;
use loopin_pocps::encode::Params;
use loopin_pocps::merkle::Hash;
use loopin_pocps::proof::Prover;
use sha2::{Digest, Sha256};
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Storage errors.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// File system error.
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
    /// Metadata unreadable.
    #[error("metadata {0}: {1}")]
    Meta(PathBuf, String),
    /// Stored P belongs to other parameters or another ek.
    #[error(
        "stored P was made for other parameters or another ek (remove {0} or use another data dir)"
    )]
    Mismatch(PathBuf),
    /// A checksum does not match.
    #[error("checksum mismatch in chunk {0}: P on disk is corrupt")]
    Checksum(usize),
    /// The Merkle root does not match.
    #[error("Merkle root mismatch: P on disk is corrupt")]
    Root,
    /// init has not finished.
    #[error("P is incomplete ({done} of {total} lanes): run `loopin-prover init` to resume")]
    Incomplete {
        /// Lanes written.
        done: u64,
        /// Lanes needed.
        total: u64,
    },
    /// Invalid parameters.
    #[error("invalid parameters")]
    Params,
    /// Backend failure.
    #[error("backend: {0}")]
    Backend(String),
    /// Stopped by the progress callback.
    #[error("interrupted")]
    Interrupted,
}

/// On-disk metadata.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Meta {
    /// Format version (1).
    pub format: u32,
    /// Encoding parameters.
    pub params: Params,
    /// ek, hex (16 bytes little-endian).
    pub ek: String,
    /// Lanes per chunk.
    pub chunk_lanes: u32,
    /// SHA-256 of each completed chunk, hex.
    pub chunks: Vec<String>,
    /// Merkle root (hex) once complete.
    pub root: Option<String>,
}

/// What `init` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InitReport {
    /// Lanes encoded by this call.
    pub encoded_lanes: u64,
    /// Lanes found on disk and reused.
    pub reused_lanes: u64,
    /// Merkle root.
    pub root: Hash,
}

/// Paths inside a data directory.
pub fn blocks_path(dir: &Path) -> PathBuf {
    dir.join("p.bin")
}
/// Path of the metadata file.
pub fn meta_path(dir: &Path) -> PathBuf {
    dir.join("p.meta.json")
}

fn io<T>(p: &Path, r: std::io::Result<T>) -> Result<T, StorageError> {
    r.map_err(|e| StorageError::Io(p.to_path_buf(), e))
}

/// ek as stored (hex of 16 little-endian bytes).
pub fn ek_hex(ek: u128) -> String {
    hex::encode(ek.to_le_bytes())
}

/// Read the metadata, if any.
pub fn read_meta(dir: &Path) -> Result<Option<Meta>, StorageError> {
    let p = meta_path(dir);
    match fs::read(&p) {
        Ok(b) => serde_json::from_slice(&b)
            .map(Some)
            .map_err(|e| StorageError::Meta(p, e.to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StorageError::Io(p, e)),
    }
}

fn write_meta(dir: &Path, m: &Meta) -> Result<(), StorageError> {
    let p = meta_path(dir);
    let tmp = dir.join("p.meta.json.tmp");
    let body =
        serde_json::to_vec_pretty(m).map_err(|e| StorageError::Meta(p.clone(), e.to_string()))?;
    let mut f = io(&tmp, File::create(&tmp))?;
    io(&tmp, f.write_all(&body))?;
    io(&tmp, f.sync_all())?;
    io(&p, fs::rename(&tmp, &p))
}

fn bytes_of(blocks: &[u128]) -> Vec<u8> {
    blocks.iter().flat_map(|b| b.to_le_bytes()).collect()
}

fn blocks_of(bytes: &[u8]) -> Vec<u128> {
    bytes
        .chunks_exact(16)
        .map(|c| {
            let mut b = [0u8; 16];
            b.copy_from_slice(c);
            u128::from_le_bytes(b)
        })
        .collect()
}

fn chunk_bytes(params: &Params, chunk_lanes: u32, chunk: usize) -> u64 {
    let lane0 = chunk as u64 * chunk_lanes as u64;
    let n = (params.lanes as u64 - lane0).min(chunk_lanes as u64);
    n * params.blocks_per_lane as u64 * 16
}

fn n_chunks(params: &Params, chunk_lanes: u32) -> usize {
    params.lanes.div_ceil(chunk_lanes) as usize
}

/// A sensible chunk size: about 64 MiB, at most 1/64 of the lanes (for progress), at least one lane.
pub fn default_chunk_lanes(params: &Params) -> u32 {
    let lane_bytes = params.blocks_per_lane as u64 * 16;
    let by_size = ((64u64 << 20) / lane_bytes.max(1)).max(1);
    let by_progress = (params.lanes as u64 / 64).max(1);
    by_size.min(by_progress).min(params.lanes as u64) as u32
}

/// Encode P into `dir` (created if needed), resuming a previous interrupted run. `progress` is called
/// with (lanes done, lanes total) after each chunk; returning false stops with [`StorageError::Interrupted`].
pub fn init(
    dir: &Path,
    ek: u128,
    params: &Params,
    backend: &dyn Backend,
    chunk_lanes: u32,
    progress: &mut dyn FnMut(u64, u64) -> bool,
) -> Result<InitReport, StorageError> {
    if !params.is_valid() || chunk_lanes == 0 {
        return Err(StorageError::Params);
    }
    io(dir, fs::create_dir_all(dir))?;
    let bp = blocks_path(dir);
    let mut meta = meta_for(dir, ek, params, chunk_lanes)?;
    let chunk_lanes = meta.chunk_lanes;
    let total = n_chunks(params, chunk_lanes);
    let mut f = io(
        &bp,
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&bp),
    )?;
    keep_recorded(&mut f, &bp, &mut meta)?;
    let reused_chunks = meta.chunks.len();
    let reused_lanes: u64 = (0..reused_chunks)
        .map(|c| lanes_of(params, chunk_lanes, c).1)
        .sum();
    if !progress(reused_lanes, params.lanes as u64) && reused_chunks < total {
        return Err(StorageError::Interrupted);
    }
    io(&bp, f.seek(SeekFrom::End(0)))?;
    let encoded_lanes = encode_chunks(&mut f, dir, &mut meta, ek, backend, reused_lanes, progress)?;
    drop(f);
    let root = final_root(dir, &mut meta, encoded_lanes)?;
    Ok(InitReport {
        encoded_lanes,
        reused_lanes,
        root,
    })
}

/// The metadata of the P in `dir` (it must be for `params` and `ek`), or a new one when none.
fn meta_for(dir: &Path, ek: u128, params: &Params, chunk_lanes: u32) -> Result<Meta, StorageError> {
    match read_meta(dir)? {
        Some(m) => {
            if m.params != *params || m.ek != ek_hex(ek) {
                return Err(StorageError::Mismatch(dir.to_path_buf()));
            }
            Ok(m)
        }
        None => Ok(Meta {
            format: 1,
            params: *params,
            ek: ek_hex(ek),
            chunk_lanes,
            chunks: Vec::new(),
            root: None,
        }),
    }
}

/// The first lane and the number of lanes of chunk `c`.
fn lanes_of(params: &Params, chunk_lanes: u32, c: usize) -> (u64, u64) {
    let lane0 = c as u64 * chunk_lanes as u64;
    (lane0, (params.lanes as u64 - lane0).min(chunk_lanes as u64))
}

/// Keeps only the recorded chunks of `f` (at `bp`), after checking them: a chunk written but
/// not recorded (crash between write and meta) is dropped and encoded again.
fn keep_recorded(f: &mut File, bp: &Path, meta: &mut Meta) -> Result<(), StorageError> {
    let (params, chunk_lanes) = (&meta.params, meta.chunk_lanes);
    let mut recorded: u64 = 0;
    for c in 0..meta.chunks.len() {
        recorded += chunk_bytes(params, chunk_lanes, c);
    }
    let len = io(bp, f.metadata())?.len();
    if len < recorded {
        // Data lost behind our back: restart from the last chunk that is complete and valid.
        meta.chunks.clear();
        meta.root = None;
        recorded = 0;
    }
    io(bp, f.set_len(recorded))?;
    io(bp, f.seek(SeekFrom::Start(0)))?;
    for (c, want) in meta.chunks.iter().enumerate() {
        let mut buf = vec![0u8; chunk_bytes(params, chunk_lanes, c) as usize];
        io(bp, f.read_exact(&mut buf))?;
        if hex::encode(Sha256::digest(&buf)) != *want {
            return Err(StorageError::Checksum(c));
        }
    }
    Ok(())
}

/// Encodes the chunks `meta` has not recorded yet, appending each to `f` and recording its
/// checksum; `done` lanes are already there. Returns the lanes encoded.
fn encode_chunks(
    f: &mut File,
    dir: &Path,
    meta: &mut Meta,
    ek: u128,
    backend: &dyn Backend,
    mut done: u64,
    progress: &mut dyn FnMut(u64, u64) -> bool,
) -> Result<u64, StorageError> {
    let bp = blocks_path(dir);
    let (params, chunk_lanes) = (meta.params, meta.chunk_lanes);
    let total = n_chunks(&params, chunk_lanes);
    let mut encoded_lanes = 0;
    for c in meta.chunks.len()..total {
        let (lane0, n) = lanes_of(&params, chunk_lanes, c);
        let blocks = backend
            .encode_lanes(ek, &params, lane0 as u32, n as u32)
            .map_err(|e| StorageError::Backend(e.to_string()))?;
        if blocks.len() as u64 != n * params.blocks_per_lane as u64 {
            return Err(StorageError::Backend("wrong number of blocks".into()));
        }
        let bytes = bytes_of(&blocks);
        io(&bp, f.write_all(&bytes))?;
        io(&bp, f.sync_data())?;
        meta.chunks.push(hex::encode(Sha256::digest(&bytes)));
        write_meta(dir, meta)?;
        done += n;
        encoded_lanes += n;
        if !progress(done, params.lanes as u64) && c + 1 < total {
            return Err(StorageError::Interrupted);
        }
    }
    Ok(encoded_lanes)
}

/// The Merkle root of P: the recorded one when nothing was encoded, else computed from the
/// blocks on disk and recorded.
fn final_root(dir: &Path, meta: &mut Meta, encoded_lanes: u64) -> Result<Hash, StorageError> {
    match meta.root.as_deref().and_then(parse_hash) {
        Some(r) if encoded_lanes == 0 => Ok(r),
        _ => {
            let prover = load_blocks(dir, meta)?;
            let r = prover.tree.root();
            meta.root = Some(hex::encode(r));
            write_meta(dir, meta)?;
            Ok(r)
        }
    }
}

fn parse_hash(s: &str) -> Option<Hash> {
    hex::decode(s).ok()?.try_into().ok()
}

fn load_blocks(dir: &Path, meta: &Meta) -> Result<Prover, StorageError> {
    let params = meta.params;
    let total = n_chunks(&params, meta.chunk_lanes);
    if meta.chunks.len() < total {
        let done = (meta.chunks.len() as u64 * meta.chunk_lanes as u64).min(params.lanes as u64);
        return Err(StorageError::Incomplete {
            done,
            total: params.lanes as u64,
        });
    }
    let bp = blocks_path(dir);
    let mut f = io(&bp, File::open(&bp))?;
    let n_blocks = params.lanes as usize * params.blocks_per_lane as usize;
    let mut blocks = Vec::with_capacity(n_blocks);
    for (c, want) in meta.chunks.iter().enumerate().take(total) {
        let mut buf = vec![0u8; chunk_bytes(&params, meta.chunk_lanes, c) as usize];
        io(&bp, f.read_exact(&mut buf))?;
        if hex::encode(Sha256::digest(&buf)) != *want {
            return Err(StorageError::Checksum(c));
        }
        blocks.extend(blocks_of(&buf));
    }
    Ok(Prover::new(blocks, params))
}

/// P loaded from disk.
pub struct Loaded {
    /// ek.
    pub ek: u128,
    /// Blocks and Merkle tree.
    pub prover: Prover,
}

/// Load a complete P, checking every chunk checksum and the Merkle root. Never encodes.
pub fn load(dir: &Path) -> Result<Loaded, StorageError> {
    let mp = meta_path(dir);
    let meta = read_meta(dir)?
        .ok_or_else(|| StorageError::Meta(mp.clone(), "missing: run init".into()))?;
    if !meta.params.is_valid() || meta.chunk_lanes == 0 {
        return Err(StorageError::Params);
    }
    let ek = hex::decode(&meta.ek)
        .ok()
        .and_then(|b| <[u8; 16]>::try_from(b).ok())
        .map(u128::from_le_bytes)
        .ok_or_else(|| StorageError::Meta(mp.clone(), "bad ek".into()))?;
    let want_root =
        meta.root
            .as_deref()
            .and_then(parse_hash)
            .ok_or_else(|| StorageError::Incomplete {
                done: (meta.chunks.len() as u64 * meta.chunk_lanes as u64)
                    .min(meta.params.lanes as u64),
                total: meta.params.lanes as u64,
            })?;
    let prover = load_blocks(dir, &meta)?;
    if prover.tree.root() != want_root {
        return Err(StorageError::Root);
    }
    Ok(Loaded { ek, prover })
}

/// The device signing key in `dir/device.key` (hex), created with OS randomness when absent.
/// Its fingerprint is the device's identity (and so its ek and P), for good.
pub fn device_key(dir: &Path) -> Result<k256::ecdsa::SigningKey, StorageError> {
    key_file(dir, "device.key")
}

/// The key the device's answers are signed with: `dir/signing.key` once a key rotation was
/// committed ([`commit_signing_key`]), else the device key.
pub fn signing_key(dir: &Path) -> Result<k256::ecdsa::SigningKey, StorageError> {
    if dir.join(SIGNING_KEY).exists() {
        return key_file(dir, SIGNING_KEY);
    }
    device_key(dir)
}

/// The key a rotation moves to: `dir/signing-next.key`, created when absent.
pub fn next_signing_key(dir: &Path) -> Result<k256::ecdsa::SigningKey, StorageError> {
    key_file(dir, NEXT_SIGNING_KEY)
}

/// Makes the next key the signing key, once the registry has accepted the rotation.
pub fn commit_signing_key(dir: &Path) -> Result<(), StorageError> {
    let next = dir.join(NEXT_SIGNING_KEY);
    if !next.exists() {
        return Err(StorageError::Meta(next, "no key rotation to commit".into()));
    }
    io(&next, fs::rename(&next, dir.join(SIGNING_KEY)))
}

const SIGNING_KEY: &str = "signing.key";
const NEXT_SIGNING_KEY: &str = "signing-next.key";

/// A secp256k1 secret key in `dir/name` (hex), created with OS randomness (mode 0600) when
/// absent.
fn key_file(dir: &Path, name: &str) -> Result<k256::ecdsa::SigningKey, StorageError> {
    let p = dir.join(name);
    match fs::read_to_string(&p) {
        Ok(s) => hex::decode(s.trim())
            .ok()
            .and_then(|b| k256::ecdsa::SigningKey::from_slice(&b).ok())
            .ok_or_else(|| StorageError::Meta(p, "not a secp256k1 secret key (hex)".into())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            io(dir, fs::create_dir_all(dir))?;
            let key = crate::auth::random_key();
            let mut f = io(&p, OpenOptions::new().write(true).create_new(true).open(&p))?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                io(&p, f.set_permissions(fs::Permissions::from_mode(0o600)))?;
            }
            io(&p, f.write_all(hex::encode(key.to_bytes()).as_bytes()))?;
            Ok(key)
        }
        Err(e) => Err(StorageError::Io(p, e)),
    }
}
