//! Contract state in a compact binary encoding.
//!
//! cw-storage-plus stores every value as JSON, and a contract decodes that JSON in its own wasm
//! on every load and encodes it on every save. Measured on the compiled pair
//! (bench/gas.md, "Where the gas goes"): decoding its 648-byte `Config` cost 20.9M VM gas, a
//! Lease 145M in all, almost all of it JSON; scanning the same bytes without building anything
//! cost 11.7M. [`PackedItem`] and [`PackedMap`] keep cw-storage-plus's keys and store the value
//! as a version byte and its postcard encoding (fields in declaration order, integers as
//! varints; cosmwasm-std's numbers and addresses are strings in any serde format).
//!
//! Values written as JSON by earlier versions still load: a stored value that starts with the
//! version byte is binary, anything else is read as the JSON cw-storage-plus wrote, with the
//! type's serde defaults and aliases. The next save writes it packed; no migration rewrites
//! state.
//!
//! A packed type must serialize every field it deserializes: postcard is not self-describing,
//! so `skip_serializing` and `flatten` break it, and a `skip_serializing_if` must hold only
//! outside packing ([`is_none_outside_packed`]: a message type that leaves a `None` out of its
//! JSON for older readers, and is also stored). `default` and `alias` matter for old JSON only.

use std::cell::Cell;
use std::marker::PhantomData;

use cosmwasm_std::Order;
use cosmwasm_std::{Addr, QuerierWrapper, StdError, StdResult, Storage, from_json};
use cw_storage_plus::{Bound, KeyDeserialize, Map, PrimaryKey};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// First byte of a packed value: format version 0. A JSON value never starts with it.
const PACKED_V0: u8 = 0;

std::thread_local! {
    /// Whether this thread is encoding a packed value (see [`is_none_outside_packed`]).
    static PACKING: Cell<bool> = const { Cell::new(false) };
}

/// For `#[serde(skip_serializing_if = "loopin_packed::is_none_outside_packed")]`: leaves a
/// `None` out of JSON, as `Option::is_none` does, and keeps it in a packed value, whose
/// positional encoding needs every field.
pub fn is_none_outside_packed<T>(value: &Option<T>) -> bool {
    value.is_none() && !PACKING.with(Cell::get)
}

/// For `skip_serializing_if`: a value at its default is left out of JSON and kept in a packed
/// value.
pub fn is_default_outside_packed<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default() && !PACKING.with(Cell::get)
}

/// For `#[serde(default, serialize_with = "loopin_packed::write_none")]` on a field that
/// state written by an earlier version holds and nothing reads any more: it loads, and every
/// save drops it (a packed value still needs the field's place).
pub fn write_none<T, S: serde::Serializer>(
    _: &Option<T>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_none()
}

/// Sets the packing flag for its lifetime and restores it after, even on an early return.
struct Packing(bool);

impl Packing {
    fn start() -> Self {
        Self(PACKING.with(|flag| flag.replace(true)))
    }
}

impl Drop for Packing {
    fn drop(&mut self) {
        PACKING.with(|flag| flag.set(self.0));
    }
}

/// The bytes stored for `value`.
pub fn encode<T: Serialize>(value: &T) -> StdResult<Vec<u8>> {
    let _packing = Packing::start();
    // Encoded after the version byte, in one buffer.
    postcard::to_extend(value, vec![PACKED_V0])
        .map_err(|err| StdError::serialize_err(std::any::type_name::<T>(), err))
}

/// A stored value: packed, or the JSON an earlier version wrote.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> StdResult<T> {
    match bytes.split_first() {
        Some((&PACKED_V0, body)) => postcard::from_bytes(body)
            .map_err(|err| StdError::parse_err(std::any::type_name::<T>(), err)),
        _ => from_json(bytes),
    }
}

/// [`decode`], refusing a packed value with bytes left over: a value packed in an earlier
/// layout can decode without error as a later one (postcard ignores what follows), wrongly.
/// What a migration tells layouts apart with.
pub fn decode_exact<T: DeserializeOwned>(bytes: &[u8]) -> StdResult<T> {
    match bytes.split_first() {
        Some((&PACKED_V0, body)) => match postcard::take_from_bytes(body) {
            Ok((value, [])) => Ok(value),
            Ok((_, rest)) => Err(StdError::parse_err(
                std::any::type_name::<T>(),
                format!("{} bytes left over", rest.len()),
            )),
            Err(err) => Err(StdError::parse_err(std::any::type_name::<T>(), err)),
        },
        _ => from_json(bytes),
    }
}

/// A single value under `key`, as cw-storage-plus's `Item` keys it.
pub struct PackedItem<T> {
    key: &'static [u8],
    value: PhantomData<T>,
}

impl<T: Serialize + DeserializeOwned> PackedItem<T> {
    pub const fn new(key: &'static str) -> Self {
        Self {
            key: key.as_bytes(),
            value: PhantomData,
        }
    }

    pub fn save(&self, storage: &mut dyn Storage, value: &T) -> StdResult<()> {
        storage.set(self.key, &encode(value)?);
        Ok(())
    }

    pub fn may_load(&self, storage: &dyn Storage) -> StdResult<Option<T>> {
        storage
            .get(self.key)
            .map(|bytes| decode(&bytes))
            .transpose()
    }

    pub fn load(&self, storage: &dyn Storage) -> StdResult<T> {
        self.may_load(storage)?
            .ok_or_else(|| StdError::not_found(std::any::type_name::<T>()))
    }

    /// Reads the value from another contract's storage (raw query).
    pub fn query(&self, querier: &QuerierWrapper, contract: Addr) -> StdResult<T> {
        let bytes = querier
            .query_wasm_raw(contract, self.key)?
            .ok_or_else(|| StdError::not_found(std::any::type_name::<T>()))?;
        decode(&bytes)
    }
}

/// Values keyed as cw-storage-plus's `Map` with the same namespace keys them (the same keys, so
/// its key helpers and raw readers of the keys still apply).
pub struct PackedMap<K, T> {
    keys: Map<K, T>,
}

impl<'a, K: PrimaryKey<'a>, T: Serialize + DeserializeOwned> PackedMap<K, T> {
    pub const fn new(namespace: &'static str) -> Self {
        Self {
            keys: Map::new(namespace),
        }
    }

    pub fn save(&self, storage: &mut dyn Storage, k: K, value: &T) -> StdResult<()> {
        storage.set(&self.keys.key(k), &encode(value)?);
        Ok(())
    }

    pub fn may_load(&self, storage: &dyn Storage, k: K) -> StdResult<Option<T>> {
        storage
            .get(&self.keys.key(k))
            .map(|bytes| decode(&bytes))
            .transpose()
    }

    pub fn load(&self, storage: &dyn Storage, k: K) -> StdResult<T> {
        self.may_load(storage, k)?
            .ok_or_else(|| StdError::not_found(std::any::type_name::<T>()))
    }

    /// The storage key of entry `k` (cw-storage-plus's, for raw access in tests and tools).
    pub fn key(&self, k: K) -> Vec<u8> {
        self.keys.key(k).to_vec()
    }

    pub fn has(&self, storage: &dyn Storage, k: K) -> bool {
        storage.get(&self.keys.key(k)).is_some()
    }

    pub fn remove(&self, storage: &mut dyn Storage, k: K) {
        storage.remove(&self.keys.key(k));
    }

    /// Entries in key order between the bounds, as `Map::range` gives them. Walks the keys with
    /// cw-storage-plus and reads each value (a read per entry besides the step).
    pub fn range<'c>(
        &self,
        storage: &'c dyn Storage,
        min: Option<Bound<'a, K>>,
        max: Option<Bound<'a, K>>,
        order: Order,
    ) -> impl Iterator<Item = StdResult<(K::Output, T)>> + 'c
    where
        K: KeyDeserialize,
        T: 'c,
    {
        let namespace = self.keys.namespace_bytes();
        let mut prefix = (namespace.len() as u16).to_be_bytes().to_vec();
        prefix.extend_from_slice(namespace);
        self.keys
            .keys_raw(storage, min, max, order)
            .map(move |key| {
                let bytes = storage
                    .get(&[prefix.as_slice(), &key].concat())
                    .ok_or_else(|| StdError::not_found(std::any::type_name::<T>()))?;
                Ok((K::from_vec(key)?, decode(&bytes)?))
            })
    }

    /// Reads entry `k` from another contract's storage (raw query); `None` if absent.
    pub fn query(&self, querier: &QuerierWrapper, contract: Addr, k: K) -> StdResult<Option<T>> {
        querier
            .query_wasm_raw(contract, self.keys.key(k).to_vec())?
            .map(|bytes| decode(&bytes))
            .transpose()
    }
}

/// Reads a `T` packed by an earlier version that had only its first `FIELDS` fields: the
/// fields added since must come last and carry `#[serde(default)]`, and read their defaults.
/// Packed values are positional, so a type that gained a field cannot read what was packed
/// before; a migration decodes the old value through a copy of the outer type whose field of
/// type `T` is a `Prefix<T, N>` (for a field added to `T` itself, the outer type needs no
/// change but this one field).
pub struct Prefix<T, const FIELDS: usize>(pub T);

impl<'de, T: serde::Deserialize<'de>, const FIELDS: usize> serde::Deserialize<'de>
    for Prefix<T, FIELDS>
{
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Fields<T>(PhantomData<T>);

        impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for Fields<T> {
            type Value = T;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("the leading fields of a packed struct")
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<T, A::Error> {
                // The struct's own visitor reads the fields in order; past the `FIELDS` the
                // sequence holds, it takes their defaults.
                T::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))
            }
        }

        deserializer
            .deserialize_tuple(FIELDS, Fields(PhantomData))
            .map(Prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_schema::cw_serde;
    use cosmwasm_std::testing::MockStorage;
    use cosmwasm_std::{Decimal, Uint128, to_json_vec};

    #[cw_serde]
    struct Record {
        owner: Addr,
        amount: Uint128,
        rate: Decimal,
        flag: bool,
        #[serde(default)]
        added_later: Option<u64>,
    }

    fn record() -> Record {
        Record {
            owner: Addr::unchecked("cosmwasm1owner"),
            amount: Uint128::new(1_000_000),
            rate: Decimal::permille(3),
            flag: true,
            added_later: Some(7),
        }
    }

    #[test]
    fn a_value_is_saved_packed_and_loads_the_same() {
        let mut storage = MockStorage::new();
        let item = PackedItem::<Record>::new("record");
        item.save(&mut storage, &record()).unwrap();
        let stored = storage.get(b"record").unwrap();
        assert_eq!(stored[0], PACKED_V0);
        assert!(stored.len() < to_json_vec(&record()).unwrap().len() / 2);
        assert_eq!(item.load(&storage).unwrap(), record());
    }

    #[test]
    fn json_written_by_an_earlier_version_loads_and_is_rewritten_packed() {
        let mut storage = MockStorage::new();
        let map = PackedMap::<u64, Record>::new("records");
        let legacy = Map::<u64, Record>::new("records");
        let mut old = record();
        old.added_later = None;
        let json = br#"{"owner":"cosmwasm1owner","amount":"1000000","rate":"0.003","flag":true}"#;
        storage.set(&legacy.key(4), json);
        assert_eq!(map.load(&storage, 4).unwrap(), old);
        map.save(&mut storage, 4, &old).unwrap();
        assert_eq!(storage.get(&legacy.key(4)).unwrap()[0], PACKED_V0);
        assert_eq!(map.load(&storage, 4).unwrap(), old);
    }

    #[cw_serde]
    struct Before {
        owner: Addr,
        amount: Uint128,
        rate: Decimal,
        flag: bool,
    }

    /// An outer record, packed with the inner one before it gained `added_later`, then read
    /// through `Prefix`: the fields after the inner record still line up.
    #[test]
    fn a_value_packed_before_its_type_gained_a_field_reads_through_prefix() {
        #[derive(serde::Serialize)]
        struct OldOuter {
            inner: Before,
            after: u64,
        }
        #[derive(serde::Deserialize)]
        struct Outer {
            inner: Prefix<Record, 4>,
            after: u64,
        }
        let old = OldOuter {
            inner: Before {
                owner: Addr::unchecked("cosmwasm1owner"),
                amount: Uint128::new(5),
                rate: Decimal::permille(3),
                flag: true,
            },
            after: 300,
        };
        let packed = encode(&old).unwrap();
        let read: Outer = decode(&packed).unwrap();
        assert_eq!(read.after, 300);
        assert_eq!(
            read.inner.0,
            Record {
                amount: Uint128::new(5),
                added_later: None,
                ..record()
            }
        );
        // Read as the current type, the same bytes do not line up.
        assert!(
            decode::<(Record, u64)>(&packed).is_err()
                || decode::<(Record, u64)>(&packed).unwrap().1 != 300
        );
    }

    #[cw_serde]
    struct Message {
        amount: Uint128,
        #[serde(default, skip_serializing_if = "is_none_outside_packed")]
        extra: Option<u64>,
    }

    #[test]
    fn a_none_left_out_of_json_is_kept_when_packed() {
        let message = Message {
            amount: Uint128::one(),
            extra: None,
        };
        assert_eq!(to_json_vec(&message).unwrap(), br#"{"amount":"1"}"#);
        let packed = encode(&message).unwrap();
        assert_eq!(decode::<Message>(&packed).unwrap(), message);
        // The flag is off again after packing.
        assert_eq!(to_json_vec(&message).unwrap(), br#"{"amount":"1"}"#);
        assert_eq!(decode::<Message>(br#"{"amount":"1"}"#).unwrap(), message);
    }

    #[test]
    fn a_range_gives_packed_and_json_entries_in_key_order_within_its_bounds() {
        let mut storage = MockStorage::new();
        let map = PackedMap::<&str, Record>::new("records");
        let legacy = Map::<&str, Record>::new("records");
        let mut b = record();
        b.amount = Uint128::new(2);
        map.save(&mut storage, "c", &record()).unwrap();
        legacy.save(&mut storage, "b", &b).unwrap();
        map.save(&mut storage, "a", &record()).unwrap();
        // Another map's entries are not in the range.
        PackedMap::<&str, Record>::new("recordz")
            .save(&mut storage, "b", &record())
            .unwrap();
        let all: Vec<_> = map
            .range(&storage, None, None, Order::Ascending)
            .collect::<StdResult<_>>()
            .unwrap();
        assert_eq!(
            all,
            vec![
                ("a".to_string(), record()),
                ("b".to_string(), b.clone()),
                ("c".to_string(), record()),
            ]
        );
        let after_a: Vec<_> = map
            .range(
                &storage,
                Some(Bound::exclusive("a")),
                None,
                Order::Descending,
            )
            .map(|entry| entry.map(|(key, _)| key))
            .collect::<StdResult<_>>()
            .unwrap();
        assert_eq!(after_a, ["c", "b"]);
    }

    #[test]
    fn absent_and_corrupt_values_are_typed_errors() {
        let mut storage = MockStorage::new();
        let map = PackedMap::<u64, Record>::new("records");
        assert_eq!(map.may_load(&storage, 1).unwrap(), None);
        assert!(!map.has(&storage, 1));
        assert!(matches!(
            map.load(&storage, 1),
            Err(StdError::NotFound { .. })
        ));
        storage.set(&map.keys.key(1), &[PACKED_V0, 0xff]);
        assert!(matches!(
            map.load(&storage, 1),
            Err(StdError::ParseErr { .. })
        ));
        storage.set(&map.keys.key(2), b"not json");
        assert!(map.load(&storage, 2).is_err());
        map.remove(&mut storage, 1);
        assert!(!map.has(&storage, 1));
    }
}
