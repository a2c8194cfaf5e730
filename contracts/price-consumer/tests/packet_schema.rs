//! The standalone schemas of the price protocol (`schema/loopin-price-feed/ibc/`, written by
//! `cargo run -p loopin --bin schema`): they parse, they are the ones the code makes, and the
//! packet's allows the fields a later feed may add, as the decoder does.

mod common;

use std::collections::BTreeMap;

use common::{POOL, price_packet};
use cosmwasm_schema::schemars::_serde_json as serde_json;
use cosmwasm_schema::schemars::schema::{RootSchema, Schema, SchemaObject};
use cosmwasm_schema::serde::de::IgnoredAny;
use cosmwasm_std::{Timestamp, from_json, to_json_binary};
use loopin::price_feed::{
    Ack, PricePacket, Receipt, acknowledgement_schema, packet_schema, receipt_schema,
};

/// A committed schema file parsed by serde_json (schemars' own, re-exported: no dependency of
/// this crate's; serde-json-wasm, the contracts' JSON, has no floats, and schemas have some).
fn parsed(file: &str) -> RootSchema {
    serde_json::from_str(&committed(file))
        .unwrap_or_else(|err| panic!("{file} is not JSON of a schema: {err}"))
}

/// A committed schema file, as text.
fn committed(file: &str) -> String {
    let path = format!(
        "{}/../../schema/loopin-price-feed/ibc/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"))
}

fn packet() -> PricePacket {
    PricePacket {
        twap: None,
        ..price_packet(POOL, 7, 120, Timestamp::from_seconds(1_000))
    }
}

/// Whether an object schema allows properties it does not name.
fn allows_more(schema: &SchemaObject) -> bool {
    let object = schema.object.as_ref().expect("an object schema");
    object.additional_properties.as_deref() == Some(&Schema::Bool(true))
}

#[test]
fn the_decoder_takes_a_packet_with_fields_added_later() {
    let json = String::from_utf8(to_json_binary(&packet()).unwrap().to_vec()).unwrap();
    // A field at the top and one inside the reserves, of any JSON type.
    let later = json
        .replacen('{', r#"{"volume":{"hours":"42","note":[1,null]},"#, 1)
        .replace(
            r#""tokens":"50000000""#,
            r#""tokens":"50000000","locked":"7""#,
        );
    assert_ne!(later, json);
    assert_eq!(PricePacket::decode(later.as_bytes()), Ok(packet()));
}

#[test]
fn the_packet_schema_parses_names_every_field_and_allows_more() {
    let parsed = parsed("price_packet.json");
    assert_eq!(
        parsed,
        packet_schema(),
        "run `cargo run -p loopin --bin schema`"
    );
    assert!(!committed("price_packet.json").contains(r#""additionalProperties": false"#));

    // Every field a packet has is described; those that are never null are required.
    let fields: BTreeMap<String, IgnoredAny> =
        from_json(to_json_binary(&packet()).unwrap()).unwrap();
    let object = parsed.schema.object.as_ref().unwrap();
    assert_eq!(
        object.properties.keys().collect::<Vec<_>>(),
        fields.keys().collect::<Vec<_>>()
    );
    let optional = ["spot_price", "twap"];
    assert_eq!(
        object.required.iter().collect::<Vec<_>>(),
        fields
            .keys()
            .filter(|field| !optional.contains(&field.as_str()))
            .collect::<Vec<_>>()
    );
    assert!(allows_more(&parsed.schema));
    let Schema::Object(reserves) = &parsed.definitions["Reserves"] else {
        panic!("Reserves is an object schema");
    };
    assert!(allows_more(reserves));
}

#[test]
fn the_acknowledgement_schema_parses_and_is_closed_as_the_feeds_parser_is() {
    let ack = parsed("acknowledgement.json");
    assert_eq!(ack, acknowledgement_schema());
    assert_eq!(parsed("receipt.json"), receipt_schema());
    // The envelope is closed, as the feed's parser is: another field and the acknowledgement
    // does not parse (the feed counts it as failed).
    let variants = ack
        .schema
        .subschemas
        .as_ref()
        .unwrap()
        .one_of
        .as_ref()
        .unwrap();
    for variant in variants {
        let Schema::Object(variant) = variant else {
            panic!("object variants");
        };
        assert_eq!(
            variant
                .object
                .as_ref()
                .unwrap()
                .additional_properties
                .as_deref(),
            Some(&Schema::Bool(false))
        );
    }
    assert!(from_json::<Ack>(br#"{"result":"InN0b3JlZCI=","extra":1}"#).is_err());
    assert_eq!(
        from_json::<Ack>(br#"{"result":"InN0b3JlZCI="}"#).unwrap(),
        Receipt::Stored.ack()
    );
}
