//! The relayer's persisted state: per chain, the height up to which every block has been
//! handled (the cursor), and the account sequence of a transaction that was broadcast but not
//! yet seen in a block.
//!
//! The file is replaced atomically (written beside, synced, renamed, directory synced), so a
//! `kill -9` at any instant leaves either the old or the new state, never a torn one.

use crate::error::StateError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

const FILE: &str = "cursors.json";

/// Dead letters kept, the newest: the whole file is rewritten at every cursor move, so a chain
/// refusing messages for weeks must not grow it without bound. Older ones are counted.
pub const MAX_DEAD_LETTERS: usize = 1_000;

/// What survives a restart.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelayState {
    /// Chain id → height: every packet event at or below it has been handled (delivered,
    /// acknowledged or timed out, or found already done).
    pub cursors: BTreeMap<String, u64>,
    /// Chain id → the relayer account's sequence of a broadcast transaction not yet seen
    /// committed. On start the relayer waits for it to land or expire before it reads which
    /// packets are still unreceived, so a transaction in a mempool at a crash is never sent
    /// twice.
    pub pending: BTreeMap<String, u64>,
    /// Messages a chain refused on their own, set aside with its answer (`dead_letter`).
    #[serde(default)]
    pub dead_letters: Vec<crate::dead_letter::DeadLetter>,
    /// Dead letters dropped, the oldest first, to keep [`MAX_DEAD_LETTERS`] (their chain's
    /// answers were logged when they were set aside).
    #[serde(default)]
    pub dead_letters_dropped: u64,
}

/// The state file of one relayer.
pub struct StateFile {
    path: PathBuf,
    state: RelayState,
}

impl StateFile {
    /// Opens `dir/cursors.json`, creating the directory; a missing file is an empty state, an
    /// unreadable one an error (never silently reset: that would relay from genesis again).
    pub fn open(dir: &Path) -> Result<StateFile, StateError> {
        std::fs::create_dir_all(dir).map_err(|error| StateError::CreateDir {
            dir: dir.to_path_buf(),
            error,
        })?;
        let path = dir.join(FILE);
        let state = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|error| StateError::Corrupt {
                path: path.clone(),
                error,
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => RelayState::default(),
            Err(error) => return Err(StateError::Read { path, error }),
        };
        Ok(StateFile { path, state })
    }

    pub fn state(&self) -> &RelayState {
        &self.state
    }

    pub fn cursor(&self, chain: &str) -> Option<u64> {
        self.state.cursors.get(chain).copied()
    }

    /// Moves a chain's cursor (never backwards) and persists.
    pub fn advance(&mut self, chain: &str, height: u64) -> Result<(), StateError> {
        let cursor = self.state.cursors.entry(chain.to_string()).or_default();
        if height <= *cursor {
            return Ok(());
        }
        *cursor = height;
        self.save()
    }

    /// Sets a chain's cursor if it has none (a new channel: nothing before it to relay).
    pub fn start_at(&mut self, chain: &str, height: u64) -> Result<(), StateError> {
        if self.state.cursors.contains_key(chain) {
            return Ok(());
        }
        self.state.cursors.insert(chain.to_string(), height);
        self.save()
    }

    /// Records a broadcast about to happen with `sequence`, before it happens.
    pub fn set_pending(&mut self, chain: &str, sequence: u64) -> Result<(), StateError> {
        self.state.pending.insert(chain.to_string(), sequence);
        self.save()
    }

    /// Sets a refused message aside, persisted.
    pub fn dead_letter(
        &mut self,
        letter: crate::dead_letter::DeadLetter,
    ) -> Result<(), StateError> {
        self.state.dead_letters.push(letter);
        let over = self
            .state
            .dead_letters
            .len()
            .saturating_sub(MAX_DEAD_LETTERS);
        if over > 0 {
            self.state.dead_letters.drain(..over);
            self.state.dead_letters_dropped += over as u64;
        }
        self.save()
    }

    pub fn clear_pending(&mut self, chain: &str) -> Result<(), StateError> {
        if self.state.pending.remove(chain).is_some() {
            self.save()?;
        }
        Ok(())
    }

    fn save(&self) -> Result<(), StateError> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let tmp = self.path.with_extension("json.tmp");
        let bytes = serde_json::to_vec_pretty(&self.state)?;
        let write = || -> std::io::Result<()> {
            let mut file = std::fs::File::create(&tmp)?;
            file.write_all(&bytes)?;
            file.sync_all()?;
            drop(file);
            std::fs::rename(&tmp, &self.path)?;
            std::fs::File::open(dir)?.sync_all()
        };
        write().map_err(|error| StateError::Save {
            path: self.path.clone(),
            error,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_and_pending_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = StateFile::open(dir.path()).unwrap();
        assert_eq!(file.cursor("a"), None);
        file.start_at("a", 10).unwrap();
        file.start_at("a", 3).unwrap();
        file.advance("a", 12).unwrap();
        file.advance("a", 11).unwrap();
        file.set_pending("b", 7).unwrap();
        let reopened = StateFile::open(dir.path()).unwrap();
        assert_eq!(reopened.cursor("a"), Some(12));
        assert_eq!(reopened.state().pending.get("b"), Some(&7));
        let mut reopened = reopened;
        reopened.clear_pending("b").unwrap();
        assert!(
            StateFile::open(dir.path())
                .unwrap()
                .state()
                .pending
                .is_empty()
        );
    }

    #[test]
    fn the_dead_letter_list_keeps_the_newest_and_counts_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = StateFile::open(dir.path()).unwrap();
        let letter = |sequence: u64| crate::dead_letter::DeadLetter {
            chain: "a".into(),
            type_url: "/ibc.core.channel.v1.MsgAcknowledgement".into(),
            source_port: "wasm.feed".into(),
            source_channel: "channel-0".into(),
            sequence,
            error: "refused".into(),
            message: String::new(),
            at: 0,
        };
        for sequence in 1..=(MAX_DEAD_LETTERS as u64 + 5) {
            file.dead_letter(letter(sequence)).unwrap();
        }
        let reopened = StateFile::open(dir.path()).unwrap();
        let letters = &reopened.state().dead_letters;
        assert_eq!(letters.len(), MAX_DEAD_LETTERS);
        assert_eq!(
            letters.first().unwrap().sequence,
            6,
            "the five oldest dropped"
        );
        assert_eq!(
            letters.last().unwrap().sequence,
            MAX_DEAD_LETTERS as u64 + 5
        );
        assert_eq!(reopened.state().dead_letters_dropped, 5);
    }

    #[test]
    fn a_corrupt_file_is_an_error_not_a_reset() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE), b"{\"cursors\": {\"a\": 1").unwrap();
        let err = StateFile::open(dir.path()).err().unwrap();
        assert!(err.to_string().contains("corrupt"), "{err}");
    }
}
