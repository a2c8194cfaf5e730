//! Device claims (issue 16, defect 4: device-id squatting). One device backs one valid
//! certificate at a time, across all pools, so whoever names a device in a Stake holds it until
//! the stake ends. Before the fix any string was a device id: Dave staked Bob's device for the
//! longest duration with a one-micro-hour stake (22 micro-LOOP in all) and Bob's own stake was
//! refused ("device gpu-bob already backs certificate h100-2"). Now the id is the fingerprint of
//! the device's key, the key signs the stake (chain, pair, staker, commitment and terms), and a
//! stake is at least the class's `min_rate`.

use cosmwasm_std::{Addr, Decimal, HexBinary, Uint128, to_json_binary};
use cw_multi_test::{AppResponse, Executor};
use loopin::device::{StakeClaim, device_id};
use loopin::pair::ReceiveMsg;
use loopin::pool::DEFAULT_MIN_RATE;
use loopin::stake_cert::StakeMode;
use loopin::token;
use loopin_integration_tests::contract_error;
use loopin_integration_tests::protocol::{
    LOOP, Protocol, attr, device_key, device_pubkey, market, params, protocol_with, test_device_id,
};
use loopin_pair::ContractError;
use loopin_pocps::sig::k256_sign;

const LONGEST: u64 = 200;

/// `msg` with its device key and signature replaced.
fn with_key(mut msg: ReceiveMsg, key: Vec<u8>, signature: Vec<u8>) -> ReceiveMsg {
    if let ReceiveMsg::Stake {
        device_key,
        device_signature,
        ..
    } = &mut msg
    {
        *device_key = HexBinary::from(key);
        *device_signature = HexBinary::from(signature);
    }
    msg
}

/// A Seller stake signed by the test device `signer` for `staker`, naming `device_id`.
fn signed_by(
    p: &Protocol,
    signer: &str,
    staker: &str,
    device_id: &str,
    rate: Decimal,
    epochs: u64,
) -> ReceiveMsg {
    let mut msg = p.stake_msg(staker, signer, StakeMode::Seller, rate, epochs);
    if let ReceiveMsg::Stake { device_id: id, .. } = &mut msg {
        *id = device_id.into();
    }
    msg
}

/// The pair's refusal of `result`.
fn refusal(result: anyhow::Result<AppResponse>) -> ContractError {
    contract_error(result)
}

#[test]
fn a_squatter_cannot_stake_someone_elses_device() {
    let mut p = market();
    let bob_device = test_device_id("gpu-bob");
    let dave = p.balance_of("dave");
    let cheapest = DEFAULT_MIN_RATE;

    // Dave names Bob's device with his own key, for the longest duration at the smallest rate.
    let own_key = signed_by(&p, "gpu-dave", "dave", &bob_device, cheapest, LONGEST);
    assert_eq!(
        refusal(p.send("dave", LOOP, &own_key)),
        ContractError::DeviceKeyMismatch {
            device_id: bob_device.clone(),
            expected: test_device_id("gpu-dave"),
        }
    );
    // Bob's public key is public: Dave puts it in, but cannot sign with it.
    let forged = with_key(
        own_key,
        device_pubkey("gpu-bob"),
        k256_sign(&device_key("gpu-dave"), &[0; 32]),
    );
    assert_eq!(
        refusal(p.send("dave", LOOP, &forged)),
        ContractError::InvalidDeviceSignature {}
    );
    // A key of another encoding or no signature at all.
    let uncompressed = device_key("gpu-bob")
        .verifying_key()
        .to_encoded_point(false)
        .as_bytes()
        .to_vec();
    let unsigned = with_key(
        p.stake_msg("dave", "gpu-bob", StakeMode::Seller, cheapest, LONGEST),
        uncompressed,
        Vec::new(),
    );
    assert_eq!(
        refusal(p.send("dave", LOOP, &unsigned)),
        ContractError::InvalidDeviceKey {}
    );
    let unsigned = with_key(
        p.stake_msg("dave", "gpu-bob", StakeMode::Seller, cheapest, LONGEST),
        device_pubkey("gpu-bob"),
        Vec::new(),
    );
    assert_eq!(
        refusal(p.send("dave", LOOP, &unsigned)),
        ContractError::InvalidDeviceSignature {}
    );
    assert_eq!(p.balance_of("dave"), dave, "refusals change nothing");

    // Bob, who holds the key, stakes his device.
    let res = p
        .stake(
            "bob",
            "gpu-bob",
            StakeMode::LiquidityProvider,
            10,
            11 * LOOP,
        )
        .expect("the device's owner stakes its device");
    let stake_id: u64 = attr(&res, "stake_id").unwrap().parse().unwrap();
    assert_eq!(stake_id, 2, "the refused stakes left no trace");
    let stake = p.stake_info(stake_id);
    assert_eq!(stake.device_id, bob_device);
    assert_eq!(stake.owner, p.addr("bob"));
}

#[test]
fn a_dust_stake_is_refused() {
    let mut p = market();
    let dust = Decimal::from_ratio(1u128, 1_000_000u128);
    let msg = p.stake_msg("bob", "gpu-bob", StakeMode::Seller, dust, LONGEST);
    assert_eq!(
        refusal(p.send("bob", LOOP, &msg)),
        ContractError::RateBelowMinimum {
            rate: dust,
            min: DEFAULT_MIN_RATE,
        }
    );
    let below = DEFAULT_MIN_RATE - Decimal::from_ratio(1u128, 1_000u128);
    let msg = p.stake_msg("bob", "gpu-bob", StakeMode::Seller, below, LONGEST);
    assert_eq!(
        refusal(p.send("bob", LOOP, &msg)),
        ContractError::RateBelowMinimum {
            rate: below,
            min: DEFAULT_MIN_RATE,
        }
    );
    // The smallest stake for the longest duration costs its 0.1 LOOP fee and a deposit that
    // covers the maintenance of its 20 device-hours (2 LOOP).
    let msg = p.stake_msg(
        "bob",
        "gpu-bob",
        StakeMode::Seller,
        DEFAULT_MIN_RATE,
        LONGEST,
    );
    let before = p.balance_of("bob");
    p.send("bob", 10 * LOOP, &msg).unwrap();
    assert!(before - p.balance_of("bob") >= 2 * LOOP);

    // A class whose governance asks for whole devices refuses half of one.
    let mut p = protocol_with(
        loopin::pool::PoolParams {
            min_rate: Decimal::one(),
            ..params()
        },
        1_000 * LOOP,
    );
    let half = Decimal::percent(50);
    let msg = p.stake_msg("alice", "gpu-a", StakeMode::LiquidityProvider, half, 10);
    assert_eq!(
        refusal(p.send("alice", 11 * LOOP, &msg)),
        ContractError::RateBelowMinimum {
            rate: half,
            min: Decimal::one(),
        }
    );
    p.stake(
        "alice",
        "gpu-a",
        StakeMode::LiquidityProvider,
        10,
        11 * LOOP,
    )
    .unwrap();
}

#[test]
fn a_device_signature_serves_only_its_staker_pool_and_terms() {
    let mut p = market();
    // Bob's device signs Bob's stake; the message is public once Bob sends it.
    let bobs = p.stake_msg("bob", "gpu-bob", StakeMode::Seller, Decimal::one(), 10);
    // Dave replays it as his own stake.
    assert_eq!(
        refusal(p.send("dave", 5 * LOOP, &bobs)),
        ContractError::InvalidDeviceSignature {}
    );
    // Other terms under the same signature: a longer stake, another rate, another mode.
    let ReceiveMsg::Stake {
        device_id,
        device_key: bobs_key,
        device_signature: bobs_signature,
        commitment,
        ..
    } = bobs.clone()
    else {
        unreachable!()
    };
    for (mode, rate, epochs) in [
        (StakeMode::Seller, Decimal::one(), LONGEST),
        (StakeMode::Seller, Decimal::percent(50), 10),
        (StakeMode::LiquidityProvider, Decimal::one(), 10),
    ] {
        let altered = ReceiveMsg::Stake {
            device_id: device_id.clone(),
            mode,
            rate,
            epochs,
            commitment: commitment.clone(),
            max_liquidity: None,
            device_key: bobs_key.clone(),
            device_signature: bobs_signature.clone(),
            min_shares: None,
            max_price: None,
            deadline: None,
        };
        assert_eq!(
            refusal(p.send("bob", 12 * LOOP, &altered)),
            ContractError::InvalidDeviceSignature {}
        );
    }
    // Another pool of the same factory: Bob's signature for this pair does not stake there.
    let other = p.second_pool();
    assert_eq!(
        refusal(send_to(&mut p, &other, "bob", 5 * LOOP, &bobs)),
        ContractError::InvalidDeviceSignature {}
    );
    // Another chain: the same claim signed for another chain id is refused here.
    let bob = p.addr("bob");
    let claim = StakeClaim {
        chain_id: "another-chain",
        pair: p.pair.as_str(),
        device_id: &device_id,
        staker: bob.as_str(),
        commitment: &commitment,
        mode: StakeMode::Seller,
        rate: Decimal::one(),
        epochs: 10,
    };
    let other_chain = with_key(
        bobs.clone(),
        device_pubkey("gpu-bob"),
        k256_sign(&device_key("gpu-bob"), &claim.message()),
    );
    assert_eq!(
        refusal(p.send("bob", 5 * LOOP, &other_chain)),
        ContractError::InvalidDeviceSignature {}
    );
    // Bob's own stake goes through, once: the device then backs its certificate.
    p.send("bob", 5 * LOOP, &bobs).unwrap();
    assert!(p.send("bob", 5 * LOOP, &bobs).is_err());
    assert_eq!(device_id, test_device_id("gpu-bob"));
    assert_eq!(device_id, self::device_id(bobs_key.as_slice()));
}

fn send_to(
    p: &mut Protocol,
    pair: &Addr,
    from: &str,
    amount: u128,
    msg: &ReceiveMsg,
) -> anyhow::Result<AppResponse> {
    let send = token::ExecuteMsg::Send {
        contract: pair.to_string(),
        amount: Uint128::new(amount),
        msg: to_json_binary(msg).unwrap(),
    };
    let sender = p.addr(from);
    p.app.execute_contract(sender, p.token.clone(), &send, &[])
}
