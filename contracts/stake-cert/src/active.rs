//! `ActiveAt`: the certificates that back capacity at a time, by expiry, without decoding them.
//!
//! Every certificate recorded `Active` stands in the expiry indexes under (expiry, token id)
//! with its start as the value, so a walk from `time` on knows, without loading anything, which
//! have started and not expired. What such a certificate reads at `time` is what cw721 stored:
//! its status is still `Active` there. The response is therefore written from the stored bytes
//! of each certificate ([`extension`]), not decoded and encoded again: that round trip was half
//! of the query's VM gas (bench/gas.md). A stored value not in the expected shape is decoded
//! and checked as before, so the answer never depends on the shortcut.

use cosmwasm_std::{Addr, Binary, Deps, Order, StdResult, Storage, Timestamp, to_json_vec};
use cw_storage_plus::Bound;
use loopin::page_limit;
use loopin::stake_cert::ACTIVE_AT_SCAN_LIMIT;

use crate::state::{ACTIVE_BY_EXPIRY, POOL_ACTIVE_BY_EXPIRY, certificates, load};

/// An expiry index entry: (expiry ns, token id) -> start ns.
type IndexEntry = ((u64, String), u64);

/// How a stored certificate recorded `Active` ends: its status member, written last.
const ACTIVE_TAIL: &[u8] = br#","status":"active"}"#;

/// Walks the expiry index from `time` on, returning certificates that have started by `time` and
/// walking over (without loading) those that have not, at most [`ACTIVE_AT_SCAN_LIMIT`] entries.
/// The answer is `ActiveCertificatesResponse`'s JSON, byte for byte what encoding it would give.
pub(crate) fn query_active_at(
    deps: Deps,
    time: Timestamp,
    pool: Option<String>,
    start_after: Option<String>,
    limit: Option<u32>,
) -> StdResult<Binary> {
    let pool: Option<Addr> = pool.map(|p| deps.api.addr_validate(&p)).transpose()?;
    let cursor = match &start_after {
        Some(token_id) => Some((
            load(deps.storage, token_id)?.expiry.nanos(),
            token_id.as_str(),
        )),
        None => None,
    };
    // Certificates expiring at `time` or earlier are not active at `time`.
    let start = match cursor {
        Some(key) => Bound::exclusive(key),
        None => Bound::inclusive((time.nanos().saturating_add(1), "")),
    };
    let entries: Box<dyn Iterator<Item = StdResult<IndexEntry>>> = match &pool {
        Some(pool) => POOL_ACTIVE_BY_EXPIRY.sub_prefix(pool).range(
            deps.storage,
            Some(start),
            None,
            Order::Ascending,
        ),
        None => ACTIVE_BY_EXPIRY.range(deps.storage, Some(start), None, Order::Ascending),
    };
    let limit = page_limit(limit);
    let mut page = Page::with_room_for(limit);
    for (walked, entry) in entries.enumerate() {
        if page.returned == limit || walked == ACTIVE_AT_SCAN_LIMIT {
            // Stopped with entries left: the next call continues after the last one walked.
            return page.finish(true);
        }
        let ((expiry, token_id), started) = entry?;
        // A cursor from a call at another time may start the walk below `time`.
        if started <= time.nanos() && expiry > time.nanos() {
            page.push_if_active(deps.storage, &token_id, time)?;
        }
        page.last = Some(token_id);
    }
    page.finish(false)
}

/// The response being written: `{"certificates":[...` so far.
struct Page {
    json: Vec<u8>,
    returned: usize,
    last: Option<String>,
}

impl Page {
    /// Room for `limit` certificates of about 512 bytes, so the buffer is not copied as it grows.
    fn with_room_for(limit: usize) -> Self {
        let mut json = Vec::with_capacity(64 + limit * 512);
        json.extend_from_slice(br#"{"certificates":["#);
        Self {
            json,
            returned: 0,
            last: None,
        }
    }

    /// Adds `{"token_id":...,"certificate":...}` if the certificate is active at `time`: as
    /// stored when it is recorded `Active` (the index holds no other), otherwise decoded and
    /// checked.
    fn push_if_active(
        &mut self,
        storage: &dyn Storage,
        token_id: &str,
        time: Timestamp,
    ) -> StdResult<()> {
        let key = certificates().nft_info.key(token_id);
        let stored = storage.get(&key);
        if let Some(active) = stored.as_deref().and_then(extension) {
            return self.push(token_id, active);
        }
        // Not in the expected shape, or missing (`load` reports it as not found).
        let cert = load(storage, token_id)?;
        if cert.is_active_at(time) {
            self.push(token_id, &to_json_vec(&cert.at(time))?)?;
        }
        Ok(())
    }

    /// Adds `{"token_id":...,"certificate":<certificate>}`.
    fn push(&mut self, token_id: &str, certificate: &[u8]) -> StdResult<()> {
        if self.returned > 0 {
            self.json.push(b',');
        }
        self.json.extend_from_slice(br#"{"token_id":"#);
        self.json.extend_from_slice(&to_json_vec(token_id)?);
        self.json.extend_from_slice(br#","certificate":"#);
        self.json.extend_from_slice(certificate);
        self.json.push(b'}');
        self.returned += 1;
        Ok(())
    }

    /// Closes the list and adds `next`: the last entry walked when entries are left, else null.
    fn finish(mut self, more: bool) -> StdResult<Binary> {
        self.json.extend_from_slice(br#"],"next":"#);
        match self.last.filter(|_| more) {
            Some(last) => self.json.extend_from_slice(&to_json_vec(&last)?),
            None => self.json.extend_from_slice(b"null"),
        }
        self.json.push(b'}');
        Ok(Binary::new(self.json))
    }
}

/// The certificate inside cw721's stored `NftInfo` JSON, when it is recorded `Active`: the value
/// of `extension`, the struct's last member, up to the object's closing brace. A quote inside a
/// JSON string is always escaped, so `"extension":` found outside one is the key (no other
/// member of `NftInfo`, nested ones included, has that name). `None` for anything else: a
/// different layout, or a status other than `Active`.
fn extension(stored: &[u8]) -> Option<&[u8]> {
    const KEY: &[u8] = br#""extension":"#;
    let start = (0..=stored.len().checked_sub(KEY.len())?)
        .find(|&i| stored[i] == b'"' && stored[i..].starts_with(KEY))?
        + KEY.len();
    if stored.last() != Some(&b'}') {
        return None;
    }
    let value = stored.get(start..stored.len() - 1)?;
    (value.first() == Some(&b'{') && value.ends_with(ACTIVE_TAIL)).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::extension;

    #[test]
    fn the_extension_of_an_active_certificate_is_found_and_nothing_else() {
        let active = br#"{"owner":"o","approvals":[],"token_uri":null,"extension":{"pool":"p","status":"active"}}"#;
        assert_eq!(
            extension(active),
            Some(&br#"{"pool":"p","status":"active"}"#[..])
        );
        // A token URI that spells the key is escaped, so it is not taken for it.
        let uri = br#"{"owner":"o","approvals":[],"token_uri":"a\"extension\":{\"x\":1,\"status\":\"active\"}","extension":{"x":2,"status":"active"}}"#;
        assert_eq!(extension(uri), Some(&br#"{"x":2,"status":"active"}"#[..]));
        for other in [
            &br#"{"extension":{"x":1,"status":"invalidated"}}"#[..],
            br#"{"extension":{"x":1,"status":"active"},"later":1}"#,
            br#"{"extension":"x","status":"active"}"#,
            br#"{"owner":"o"}"#,
            br#"{"extension":{"x":1,"status":"active"}"#,
            b"",
        ] {
            assert_eq!(extension(other), None, "{}", String::from_utf8_lossy(other));
        }
    }
}
