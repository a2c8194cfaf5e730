//! A disputed bad-proof claim: the device defends its opening with a path in its committed
//! tree (the claim is refuted, the verifier slashed), or lets the dispute lapse (the claim is
//! proven, the device invalidated).

use cosmwasm_std::{DepsMut, Env, HexBinary, MessageInfo, Response, Storage};
use loopin::registry::{ChallengeStatus, DeviceStatus};
use loopin_pocps::merkle::verify_path;

use crate::appeal::{self, Finding};
use crate::bonds::slash;
use crate::challenge::{close, expect_status, load_challenge};
use crate::device::invalidate_device;
use crate::error::ContractError;
use crate::judge::{self, hash32};
use crate::rewards::reward;
use crate::state::{CONFIG, Challenge, DEVICES, DisputedLeaf};

/// `Defend`: the device's owner shows the disputed leaf's path in the committed tree.
pub(crate) fn defend(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    id: u64,
    path: Vec<HexBinary>,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let (mut challenge, target, disputed) = load_disputed(deps.storage, id)?;
    let device = DEVICES.load(deps.storage, &target)?;
    if device.owner != info.sender {
        return Err(ContractError::NotDeviceOwner {});
    }
    if env.block.time > disputed.deadline {
        return Err(ContractError::ChallengeLapsed {});
    }
    let commitment = judge::commitment(&device.commitment)?;
    if path.len() != commitment.params.depth() {
        return Err(ContractError::InvalidPath {});
    }
    let path = path
        .iter()
        .map(|h| hash32("path", h))
        .collect::<Result<Vec<_>, _>>()?;
    if !verify_path(&commitment.root, disputed.leaf_hash, disputed.index, &path) {
        return Err(ContractError::InvalidPath {});
    }
    let verifier = challenge.verifier.clone();
    close(deps.storage, id, &mut challenge, ChallengeStatus::Refuted)?;
    let (slashed, burn) = slash(deps.storage, &config, &verifier)?;
    let response = Response::new()
        .add_attribute("action", "defend")
        .add_attribute("challenge_id", id.to_string())
        .add_attribute("target", &target)
        .add_attribute("verifier", verifier)
        .add_attribute("slashed", slashed)
        .add_messages(burn);
    appeal::count(
        deps.storage,
        &config,
        env.block.time,
        id,
        &challenge,
        Finding::Lapsed,
        response,
    )
}

/// `Finalize`: anyone closes a dispute the device did not answer in time.
pub(crate) fn finalize(deps: DepsMut, env: Env, id: u64) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let (mut challenge, target, disputed) = load_disputed(deps.storage, id)?;
    if env.block.time <= disputed.deadline {
        return Err(ContractError::NotLapsed {});
    }
    let device = DEVICES.load(deps.storage, &target)?;
    let verifier = challenge.verifier.clone();
    close(deps.storage, id, &mut challenge, ChallengeStatus::Proven)?;
    let mut response = Response::new()
        .add_attribute("action", "finalize")
        .add_attribute("challenge_id", id.to_string())
        .add_attribute("target", &target);
    // Another verdict may have invalidated the device meanwhile.
    if device.status == DeviceStatus::Active {
        let msg = invalidate_device(
            deps.storage,
            &target,
            "pocps: opening not in the committed tree (unanswered)",
        )?;
        response = response
            .add_attribute("invalidated", &target)
            .add_message(msg);
    }
    let reward = reward(deps.storage, &config, &env, &verifier)?;
    Ok(response.add_submessages(reward))
}

/// Challenge `id`, which must be disputed, with its target device and the disputed claim.
fn load_disputed(
    storage: &dyn Storage,
    id: u64,
) -> Result<(Challenge, String, DisputedLeaf), ContractError> {
    let challenge = load_challenge(storage, id)?;
    expect_status(&challenge, ChallengeStatus::Disputed)?;
    let (Some(target), Some(disputed)) = (challenge.target.clone(), challenge.disputed.clone())
    else {
        return Err(ContractError::WrongStatus {
            status: "undisputed".into(),
            expected: "Disputed".into(),
        });
    };
    Ok((challenge, target, disputed))
}
