//! A price's age and the consumer's maximum: `Price` refuses a price older than
//! `max_age_seconds` with its age, `PriceWithAge` serves it whatever its age. The age counts
//! from the earlier of the observation (the LooPIN chain's clock) and the reception (this
//! chain's).

mod common;

use common::*;
use cosmwasm_std::testing::{message_info, mock_dependencies, mock_env};
use cosmwasm_std::{Addr, Env, Response, Timestamp, from_json};
use cw_ownable::OwnershipError;
use loopin::price_feed::consumer::{
    DEFAULT_MAX_AGE_SECONDS, ExecuteMsg, PriceResponse, PriceWithAgeResponse, QueryMsg,
};
use loopin::price_feed::settings::SettingsError;
use loopin::price_feed::{Ack, PricePacket, Receipt};
use loopin_price_consumer::ContractError;
use loopin_price_consumer::contract::{execute, instantiate, migrate, query};
use loopin_price_consumer::state::MAX_AGE;

const CHANNEL: &str = "channel-0";

struct Consumer {
    deps: Deps,
    env: Env,
    owner: Addr,
}

/// A consumer at t = 10,000 s with `max_age_seconds` and a connected channel.
fn consumer(max_age_seconds: Option<u64>) -> Consumer {
    let (mut deps, env, owner) = instantiated(
        env_at(10_000),
        &[MOCK_CONNECTION],
        &[MOCK_PORT],
        max_age_seconds,
    );
    connect_ack(&mut deps, &env, CHANNEL);
    Consumer { deps, env, owner }
}

/// Epoch `epoch`'s price, observed on the LooPIN chain at `observed` s.
fn packet(epoch: u64, observed: u64) -> PricePacket {
    price_packet(POOL, epoch, epoch * 10, Timestamp::from_seconds(observed))
}

impl Consumer {
    fn at(&mut self, seconds: u64) {
        self.env.block.time = Timestamp::from_seconds(seconds);
    }

    fn receive(&mut self, packet: &PricePacket) -> Ack {
        receive(&mut self.deps, &self.env, CHANNEL, packet)
    }

    fn price(&self) -> Result<PriceResponse, ContractError> {
        price(&self.deps, &self.env, CHANNEL, POOL)
    }

    fn price_with_age(&self) -> PriceWithAgeResponse {
        let msg = QueryMsg::PriceWithAge {
            channel: CHANNEL.into(),
            pool: POOL.into(),
        };
        from_json(query(self.deps.as_ref(), self.env.clone(), msg).unwrap()).unwrap()
    }

    fn set_max_age(&mut self, sender: &Addr, seconds: u64) -> Result<Response, ContractError> {
        execute(
            self.deps.as_mut(),
            self.env.clone(),
            message_info(sender, &[]),
            ExecuteMsg::SetMaxAge {
                max_age_seconds: seconds,
            },
        )
    }

    fn max_age(&self) -> u64 {
        config(&self.deps, &self.env).max_age_seconds
    }
}

#[test]
fn a_price_older_than_the_maximum_age_is_refused_with_its_age() {
    let mut consumer = consumer(Some(600));
    // Observed at 9,990 s, received at 10,000 s.
    assert_eq!(consumer.receive(&packet(7, 9_990)), Receipt::Stored.ack());
    let stored = PriceResponse {
        channel: CHANNEL.into(),
        packet: packet(7, 9_990),
        received_at: Timestamp::from_seconds(10_000),
    };

    // 600 s after its observation it is still served...
    consumer.at(10_590);
    assert_eq!(consumer.price(), Ok(stored.clone()));
    assert_eq!(
        consumer.price_with_age(),
        PriceWithAgeResponse {
            price: stored.clone(),
            age_seconds: 600,
            max_age_seconds: 600,
            stale: false,
        }
    );
    // ...a second later it is refused, and still shown with its age.
    consumer.at(10_591);
    assert_eq!(
        consumer.price(),
        Err(ContractError::StalePrice {
            channel: CHANNEL.into(),
            pool: POOL.into(),
            age_seconds: 601,
            max_age_seconds: 600,
        })
    );
    assert_eq!(
        consumer.price().unwrap_err().to_string(),
        "the price of pool loopin1pair on channel channel-0 is 601 s old, older than the 600 s allowed"
    );
    assert_eq!(
        consumer.price_with_age(),
        PriceWithAgeResponse {
            price: stored,
            age_seconds: 601,
            max_age_seconds: 600,
            stale: true,
        }
    );

    // The next epoch's price is fresh again.
    assert_eq!(consumer.receive(&packet(8, 10_580)), Receipt::Stored.ack());
    assert_eq!(consumer.price().unwrap().packet, packet(8, 10_580));
    assert_eq!(consumer.price_with_age().age_seconds, 11);
}

#[test]
fn a_packet_relayed_late_is_as_old_as_its_observation() {
    let mut consumer = consumer(Some(600));
    // Observed 550 s before it arrived (a relayer down for a while, within the timeout).
    consumer.receive(&packet(7, 9_450));
    consumer.at(10_051);
    assert_eq!(
        consumer.price(),
        Err(ContractError::StalePrice {
            channel: CHANNEL.into(),
            pool: POOL.into(),
            age_seconds: 601,
            max_age_seconds: 600,
        })
    );
}

#[test]
fn a_loopin_clock_ahead_of_this_chains_does_not_make_a_price_younger() {
    let mut consumer = consumer(Some(600));
    // Its time is an hour after this chain's block time: its age counts from its reception.
    consumer.receive(&packet(7, 13_600));
    assert_eq!(consumer.price_with_age().age_seconds, 0);
    consumer.at(10_601);
    assert_eq!(
        consumer.price(),
        Err(ContractError::StalePrice {
            channel: CHANNEL.into(),
            pool: POOL.into(),
            age_seconds: 601,
            max_age_seconds: 600,
        })
    );
}

#[test]
fn the_maximum_age_defaults_to_two_hours_and_only_the_owner_changes_it() {
    let mut consumer = consumer(None);
    assert_eq!(DEFAULT_MAX_AGE_SECONDS, 7_200);
    assert_eq!(consumer.max_age(), DEFAULT_MAX_AGE_SECONDS);
    consumer.receive(&packet(7, 10_000));
    consumer.at(17_201);
    assert!(matches!(
        consumer.price(),
        Err(ContractError::StalePrice {
            age_seconds: 7_201,
            max_age_seconds: 7_200,
            ..
        })
    ));

    let stranger = consumer.deps.api.addr_make("stranger");
    assert_eq!(
        consumer.set_max_age(&stranger, 86_400),
        Err(ContractError::Ownership(OwnershipError::NotOwner))
    );
    let owner = consumer.owner.clone();
    assert_eq!(
        consumer.set_max_age(&owner, 0),
        Err(ContractError::Settings(SettingsError::ZeroMaxAge {}))
    );
    assert_eq!(consumer.max_age(), DEFAULT_MAX_AGE_SECONDS);
    consumer.set_max_age(&owner, 86_400).unwrap();
    assert_eq!(consumer.max_age(), 86_400);
    assert_eq!(consumer.price().unwrap().packet, packet(7, 10_000));

    // Nor can it be instantiated with a maximum of zero.
    let mut deps = mock_dependencies();
    assert_eq!(
        instantiate(
            deps.as_mut(),
            mock_env(),
            message_info(&owner, &[]),
            instantiate_msg(&owner, &[MOCK_CONNECTION], &[MOCK_PORT], Some(0)),
        ),
        Err(ContractError::Settings(SettingsError::ZeroMaxAge {}))
    );
}

#[test]
fn a_consumer_migrated_from_a_version_without_a_maximum_age_gets_the_default() {
    let mut consumer = consumer(Some(600));
    MAX_AGE.remove(&mut consumer.deps.storage);
    migrate(
        consumer.deps.as_mut(),
        consumer.env.clone(),
        loopin::price_feed::MigrateMsg {},
    )
    .unwrap();
    assert_eq!(consumer.max_age(), DEFAULT_MAX_AGE_SECONDS);
}
