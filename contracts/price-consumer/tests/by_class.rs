//! Prices by resource class: a contract asks for "h100" on the feed's channel, not for the pair
//! contract's address. The packet carries the pool's class (the feed reads it from the pair), and
//! the consumer keeps each channel's pools under their classes.

mod common;

use common::*;
use cosmwasm_std::{Decimal256, Env, Order, Timestamp, from_json};
use loopin::price_feed::consumer::{
    PriceResponse, PriceWithAgeResponse, PricesWithAgeResponse, QueryMsg,
};
use loopin::price_feed::{MigrateMsg, PricePacket, Receipt};
use loopin_price_consumer::ContractError;
use loopin_price_consumer::contract::{migrate, query};
use loopin_price_consumer::state::CLASSES;

const H100: &str = "loopin1pair-h100";
const A100: &str = "loopin1pair-a100";
/// A second pool of class h100 (a pair of another factory the feed's owner added).
const H100_2: &str = "loopin1pair-h100-2";

/// A consumer at t = 10,000 s with a maximum age of 600 s and channels 0 and 1 connected.
fn consumer() -> (Deps, Env) {
    let (mut deps, env, _) =
        instantiated(env_at(10_000), &[MOCK_CONNECTION], &[MOCK_PORT], Some(600));
    for channel in ["channel-0", "channel-1"] {
        connect_ack(&mut deps, &env, channel);
    }
    (deps, env)
}

/// `pool`'s price of `epoch`, observed now.
fn packet(pool: &str, class: &str, epoch: u64, env: &Env) -> PricePacket {
    let price = Some(Decimal256::percent(1_000 + epoch));
    PricePacket {
        class: class.into(),
        spot_price: price,
        twap: price,
        ..price_packet(pool, epoch, epoch * 10, env.block.time)
    }
}

fn class_price(
    deps: &Deps,
    env: &Env,
    channel: &str,
    class: &str,
) -> Result<PriceResponse, ContractError> {
    let msg = QueryMsg::ClassPrice {
        channel: channel.into(),
        class: class.into(),
    };
    query(deps.as_ref(), env.clone(), msg).map(|data| from_json(data).unwrap())
}

fn class_prices(
    deps: &Deps,
    env: &Env,
    class: &str,
    start_after: Option<&str>,
    limit: Option<u32>,
) -> Vec<PriceWithAgeResponse> {
    let msg = QueryMsg::ClassPrices {
        channel: "channel-0".into(),
        class: class.into(),
        start_after: start_after.map(String::from),
        limit,
    };
    from_json::<PricesWithAgeResponse>(query(deps.as_ref(), env.clone(), msg).unwrap())
        .unwrap()
        .prices
}

#[test]
fn a_price_is_found_by_its_class_as_by_its_pool() {
    let (mut deps, env) = consumer();
    for (pool, class) in [(H100, "h100"), (A100, "a100")] {
        assert_eq!(
            receive(&mut deps, &env, "channel-0", &packet(pool, class, 7, &env)),
            Receipt::Stored.ack()
        );
    }
    assert_eq!(
        class_price(&deps, &env, "channel-0", "h100"),
        Ok(price(&deps, &env, "channel-0", H100).unwrap())
    );
    assert_eq!(
        class_price(&deps, &env, "channel-0", "a100")
            .unwrap()
            .packet,
        packet(A100, "a100", 7, &env)
    );
    // No pool of that class, or none on that channel.
    assert_eq!(
        class_price(&deps, &env, "channel-0", "rtx4090"),
        Err(ContractError::ClassNotFound {
            channel: "channel-0".into(),
            class: "rtx4090".into()
        })
    );
    assert_eq!(
        class_price(&deps, &env, "channel-1", "h100"),
        Err(ContractError::ClassNotFound {
            channel: "channel-1".into(),
            class: "h100".into()
        })
    );
    // A stale packet of the pool (an older epoch) changes nothing; a newer one is what the
    // class serves.
    receive(&mut deps, &env, "channel-0", &packet(H100, "h100", 6, &env));
    assert_eq!(
        class_price(&deps, &env, "channel-0", "h100")
            .unwrap()
            .packet
            .epoch,
        7
    );
    receive(&mut deps, &env, "channel-0", &packet(H100, "h100", 8, &env));
    assert_eq!(
        class_price(&deps, &env, "channel-0", "h100")
            .unwrap()
            .packet
            .epoch,
        8
    );
}

#[test]
fn two_fresh_pools_of_one_class_are_ambiguous_until_one_goes_stale() {
    let (mut deps, mut env) = consumer();
    receive(&mut deps, &env, "channel-0", &packet(H100, "h100", 7, &env));
    receive(
        &mut deps,
        &env,
        "channel-0",
        &packet(H100_2, "h100", 3, &env),
    );
    let ambiguous = class_price(&deps, &env, "channel-0", "h100");
    assert_eq!(
        ambiguous,
        Err(ContractError::AmbiguousClass {
            channel: "channel-0".into(),
            class: "h100".into(),
            pools: vec![H100.into(), H100_2.into()],
        })
    );
    assert_eq!(
        ambiguous.unwrap_err().to_string(),
        "pools loopin1pair-h100, loopin1pair-h100-2 of class h100 all have fresh prices on channel channel-0: ask for one by pool"
    );

    // The first pool stops publishing (its feed's owner removed it); the second goes on.
    env.block.time = Timestamp::from_seconds(10_400);
    let going_on = packet(H100_2, "h100", 4, &env);
    receive(&mut deps, &env, "channel-0", &going_on);
    env.block.time = Timestamp::from_seconds(10_601);
    assert_eq!(
        class_price(&deps, &env, "channel-0", "h100")
            .unwrap()
            .packet,
        going_on
    );
    // Every price of the class, whatever its age, by pool, in pages.
    let all = class_prices(&deps, &env, "h100", None, None);
    assert_eq!(
        all.iter()
            .map(|p| (p.price.packet.pool.as_str(), p.age_seconds, p.stale))
            .collect::<Vec<_>>(),
        vec![(H100, 601, true), (H100_2, 201, false)]
    );
    assert_eq!(class_prices(&deps, &env, "h100", None, Some(1)), all[..1]);
    assert_eq!(
        class_prices(&deps, &env, "h100", Some(H100), None),
        all[1..]
    );

    // Both stale: refused with the age of the youngest.
    env.block.time = Timestamp::from_seconds(11_001);
    assert_eq!(
        class_price(&deps, &env, "channel-0", "h100"),
        Err(ContractError::StalePrice {
            channel: "channel-0".into(),
            pool: H100_2.into(),
            age_seconds: 601,
            max_age_seconds: 600,
        })
    );
}

#[test]
fn migrating_puts_the_prices_stored_before_under_their_classes() {
    let (mut deps, env) = consumer();
    receive(&mut deps, &env, "channel-0", &packet(H100, "h100", 7, &env));
    receive(&mut deps, &env, "channel-1", &packet(A100, "a100", 7, &env));
    // As stored by a version without the index.
    let keys: Vec<(String, String, String)> = CLASSES
        .keys(&deps.storage, None, None, Order::Ascending)
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(keys.len(), 2);
    for (channel, class, pool) in &keys {
        CLASSES.remove(&mut deps.storage, (channel, class, pool));
    }
    assert!(class_price(&deps, &env, "channel-0", "h100").is_err());

    migrate(deps.as_mut(), env.clone(), MigrateMsg {}).unwrap();
    assert_eq!(
        class_price(&deps, &env, "channel-0", "h100")
            .unwrap()
            .packet
            .pool,
        H100
    );
    assert_eq!(
        class_price(&deps, &env, "channel-1", "a100")
            .unwrap()
            .packet
            .pool,
        A100
    );
}
