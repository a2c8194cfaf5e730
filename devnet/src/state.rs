//! The chain's key-value state: the committed map, the block's pending writes, and a stack of
//! cache layers so a transaction, a message or a submessage can be rolled back on its own.

use std::collections::BTreeMap;
use std::ops::Bound;

/// A pending write: `Some(value)` sets, `None` deletes.
pub type Write = Option<Vec<u8>>;

/// Committed state plus a stack of uncommitted layers. Reads see the top layer first.
#[derive(Default)]
pub struct State {
    committed: BTreeMap<Vec<u8>, Vec<u8>>,
    /// Writes committed to memory since the last block was persisted.
    dirty: BTreeMap<Vec<u8>, Write>,
    layers: Vec<BTreeMap<Vec<u8>, Write>>,
}

impl State {
    pub fn from_committed(committed: BTreeMap<Vec<u8>, Vec<u8>>) -> Self {
        Self {
            committed,
            dirty: BTreeMap::new(),
            layers: Vec::new(),
        }
    }

    pub fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        for layer in self.layers.iter().rev() {
            if let Some(write) = layer.get(key) {
                return write.clone();
            }
        }
        self.committed.get(key).cloned()
    }

    pub fn set(&mut self, key: &[u8], value: Vec<u8>) {
        self.write(key.to_vec(), Some(value));
    }

    pub fn remove(&mut self, key: &[u8]) {
        self.write(key.to_vec(), None);
    }

    fn write(&mut self, key: Vec<u8>, value: Write) {
        match self.layers.last_mut() {
            Some(layer) => {
                layer.insert(key, value);
            }
            None => self.apply(key, value),
        }
    }

    fn apply(&mut self, key: Vec<u8>, value: Write) {
        match &value {
            Some(v) => {
                self.committed.insert(key.clone(), v.clone());
            }
            None => {
                self.committed.remove(&key);
            }
        }
        self.dirty.insert(key, value);
    }

    /// Opens a layer: later writes can be dropped with [`State::discard`].
    pub fn push(&mut self) {
        self.layers.push(BTreeMap::new());
    }

    /// Folds the top layer into the one below (or into the committed state).
    pub fn merge(&mut self) {
        if let Some(top) = self.layers.pop() {
            for (key, value) in top {
                self.write(key, value);
            }
        }
    }

    /// Drops the top layer's writes.
    pub fn discard(&mut self) {
        self.layers.pop();
    }

    /// Number of open layers.
    pub fn depth(&self) -> usize {
        self.layers.len()
    }

    /// Every live record with `start <= key < end` (either bound open), merged across the layers,
    /// in ascending key order.
    pub fn range(&self, start: Option<&[u8]>, end: Option<&[u8]>) -> Vec<(Vec<u8>, Vec<u8>)> {
        let bounds = |start: Option<&[u8]>, end: Option<&[u8]>| {
            (
                start.map_or(Bound::Unbounded, |s| Bound::Included(s.to_vec())),
                end.map_or(Bound::Unbounded, |e| Bound::Excluded(e.to_vec())),
            )
        };
        if let (Some(s), Some(e)) = (start, end)
            && s >= e
        {
            return Vec::new();
        }
        let mut merged: BTreeMap<Vec<u8>, Write> = self
            .committed
            .range::<Vec<u8>, _>(bounds(start, end))
            .map(|(k, v)| (k.clone(), Some(v.clone())))
            .collect();
        for layer in &self.layers {
            for (k, v) in layer.range::<Vec<u8>, _>(bounds(start, end)) {
                merged.insert(k.clone(), v.clone());
            }
        }
        merged
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect()
    }

    /// Takes the writes made since the last call (what the next block persists).
    pub fn take_dirty(&mut self) -> BTreeMap<Vec<u8>, Write> {
        std::mem::take(&mut self.dirty)
    }
}

/// The end of a prefix range: the smallest key greater than every key starting with `prefix`.
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_roll_back_and_merge() {
        let mut s = State::default();
        s.set(b"a", b"1".to_vec());
        s.push();
        s.set(b"b", b"2".to_vec());
        s.remove(b"a");
        assert_eq!(s.get(b"a"), None);
        assert_eq!(s.range(None, None).len(), 1);
        s.discard();
        assert_eq!(s.get(b"a"), Some(b"1".to_vec()));
        s.push();
        s.push();
        s.set(b"c", b"3".to_vec());
        s.merge();
        s.merge();
        assert_eq!(
            s.range(Some(b"b"), None),
            vec![(b"c".to_vec(), b"3".to_vec())]
        );
        assert_eq!(s.take_dirty().len(), 2);
    }

    #[test]
    fn prefix_end_carries() {
        assert_eq!(prefix_end(b"a\xff"), Some(b"b".to_vec()));
        assert_eq!(prefix_end(b"\xff"), None);
    }
}
