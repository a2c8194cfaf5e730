//! Writes the JSON schemas of every contract's messages to `schema/<contract>/`, those of the cw20
//! hook messages (the `msg` of a cw20 `Send` to the pair or the registry) next to them as
//! `schema/<contract>/receive_msg.json`, and those of the price feed's packet, acknowledgement and
//! receipt to `schema/loopin-price-feed/ibc/`, or with `--check` verifies that the committed
//! schemas are up to date (CI fails when they are stale).
//! Contract names after the options (`loopin-price-feed loopin-price-consumer`) limit it to
//! those contracts' directories.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use cosmwasm_schema::schemars::schema::RootSchema;
use cosmwasm_schema::{Api, generate_api, schema_for};
use loopin::price_feed::{self, consumer, feed};
use loopin::{factory, pair, pool, registry, stake_cert, token};

/// Every contract's API, as (directory name, files).
fn apis() -> Vec<(&'static str, Vec<(String, String)>)> {
    contract_apis()
        .into_iter()
        .map(|(name, api, hooks)| (name, files(name, api, hooks)))
        .collect()
}

/// A contract's directory name, its API and its cw20 hook messages' schemas.
type ContractApi = (&'static str, Api, Vec<(&'static str, RootSchema)>);

/// Every contract's API, with its cw20 hook messages' schemas.
fn contract_apis() -> Vec<ContractApi> {
    let token = generate_api! {
        name: "loopin-token",
        instantiate: token::InstantiateMsg,
        execute: token::ExecuteMsg,
        query: token::QueryMsg,
        migrate: token::MigrateMsg,
    };
    let stake_cert = generate_api! {
        name: "loopin-stake-cert",
        instantiate: stake_cert::InstantiateMsg,
        execute: stake_cert::ExecuteMsg,
        query: stake_cert::QueryMsg,
        migrate: stake_cert::MigrateMsg,
    };
    let factory = generate_api! {
        name: "loopin-factory",
        instantiate: factory::InstantiateMsg,
        execute: factory::ExecuteMsg,
        query: factory::QueryMsg,
        migrate: factory::MigrateMsg,
    };
    let pair = generate_api! {
        name: "loopin-pair",
        instantiate: pool::PairInstantiateMsg,
        execute: pair::ExecuteMsg,
        query: pair::QueryMsg,
        migrate: pair::MigrateMsg,
    };
    let registry = generate_api! {
        name: "loopin-pocps-registry",
        instantiate: registry::InstantiateMsg,
        execute: registry::ExecuteMsg,
        query: registry::QueryMsg,
        migrate: registry::MigrateMsg,
    };
    let price_feed = generate_api! {
        name: "loopin-price-feed",
        instantiate: feed::InstantiateMsg,
        execute: feed::ExecuteMsg,
        query: feed::QueryMsg,
        migrate: price_feed::MigrateMsg,
    };
    let price_consumer = generate_api! {
        name: "loopin-price-consumer",
        instantiate: consumer::InstantiateMsg,
        execute: consumer::ExecuteMsg,
        query: consumer::QueryMsg,
        migrate: price_feed::MigrateMsg,
    };
    // The cw20 hook messages: what a cw20 `Send` to the contract carries in its `msg`.
    let pair_receive = vec![("receive_msg", schema_for!(pair::ReceiveMsg))];
    let registry_receive = vec![("receive_msg", schema_for!(registry::ReceiveMsg))];
    [
        ("loopin-token", token, vec![]),
        ("loopin-stake-cert", stake_cert, vec![]),
        ("loopin-factory", factory, vec![]),
        ("loopin-pair", pair, pair_receive),
        ("loopin-pocps-registry", registry, registry_receive),
        ("loopin-price-feed", price_feed, vec![]),
        ("loopin-price-consumer", price_consumer, vec![]),
    ]
    .into()
}

/// The files of one contract: its API, its raw schemas, its hooks' and (for the price feed) its
/// IBC packets'.
fn files(name: &str, api: Api, hooks: Vec<(&str, RootSchema)>) -> Vec<(String, String)> {
    let api = api.render();
    let mut files = vec![(
        format!("{name}.json"),
        api.to_string().expect("schema encodes"),
    )];
    files.extend(
        api.to_schema_files()
            .expect("schema encodes")
            .into_iter()
            .map(|(file, body)| (format!("raw/{file}"), body)),
    );
    files.extend(standalone("", hooks));
    if name == "loopin-price-feed" {
        files.extend(standalone(
            "ibc",
            vec![
                ("price_packet", price_feed::packet_schema()),
                ("acknowledgement", price_feed::acknowledgement_schema()),
                ("receipt", price_feed::receipt_schema()),
            ],
        ));
    }
    files
}

/// Standalone schemas as `<dir>/<name>.json` (`<name>.json` where `dir` is empty), encoded as the
/// contracts' are (cosmwasm-schema writes an API's responses one schema a file,
/// `response_to_<name>.json`).
fn standalone(dir: &str, schemas: Vec<(&str, RootSchema)>) -> Vec<(String, String)> {
    let api = Api {
        contract_name: String::new(),
        contract_version: String::new(),
        instantiate: None,
        execute: None,
        query: None,
        migrate: None,
        sudo: None,
        responses: Some(
            schemas
                .into_iter()
                .map(|(name, schema)| (name.to_string(), schema))
                .collect(),
        ),
    };
    api.render()
        .to_schema_files()
        .expect("schema encodes")
        .into_iter()
        .map(|(file, body)| {
            let file = file.strip_prefix("response_to_").unwrap_or(&file);
            let path = if dir.is_empty() {
                file.to_string()
            } else {
                format!("{dir}/{file}")
            };
            (path, body)
        })
        .collect()
}

fn main() -> ExitCode {
    let check = std::env::args().any(|arg| arg == "--check");
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with("--"))
        .collect();
    let apis = apis();
    if let Some(unknown) = only
        .iter()
        .find(|name| !apis.iter().any(|(contract, _)| contract == name))
    {
        eprintln!("no contract named {unknown}");
        return ExitCode::FAILURE;
    }
    // packages/loopin -> repository root.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(|repo| repo.join("schema"))
        .unwrap_or_else(|| PathBuf::from("schema"));
    let mut stale = Vec::new();
    for (contract, files) in apis {
        if !only.is_empty() && !only.iter().any(|name| name == contract) {
            continue;
        }
        let dir = root.join(contract);
        for (file, body) in files {
            let path = dir.join(&file);
            let body = body + "\n";
            if check {
                if std::fs::read_to_string(&path).ok().as_deref() != Some(body.as_str()) {
                    stale.push(path);
                }
            } else if let Err(err) = write(&path, &body) {
                eprintln!("cannot write {}: {err}", path.display());
                return ExitCode::FAILURE;
            }
        }
    }
    if stale.is_empty() {
        println!(
            "schemas {} in {}",
            if check { "up to date" } else { "written" },
            root.display()
        );
        ExitCode::SUCCESS
    } else {
        for path in stale {
            eprintln!("stale schema: {}", path.display());
        }
        eprintln!("run `cargo run -p loopin --bin schema` and commit schema/");
        ExitCode::FAILURE
    }
}

fn write(path: &Path, body: &str) -> std::io::Result<()> {
    std::fs::create_dir_all(path.parent().expect("schema files live in a directory"))?;
    std::fs::write(path, body)
}
