//! What the suites read back from the protocol, and the one-line actions several suites repeat,
//! as methods of [`Protocol`] so that no suite writes its own copy.

use cosmwasm_std::Uint128;
use cw_multi_test::AppResponse;
use loopin::pair::{ExecuteMsg, LeaseResponse, QueryMsg};
use loopin::stake_cert::{self, CertificateResponse, StakeMode};

use crate::protocol::{LOOP, Protocol};

impl Protocol {
    /// Lease `lease_id` as the pair answers it.
    pub fn lease_info(&self, lease_id: u64) -> LeaseResponse {
        self.app
            .wrap()
            .query_wasm_smart(&self.pair, &QueryMsg::Lease { lease_id })
            .unwrap()
    }

    /// The stake certificate `token_id` as the certificate contract answers it.
    pub fn certificate(&self, token_id: &str) -> CertificateResponse {
        self.app
            .wrap()
            .query_wasm_smart(
                &self.stake_cert,
                &stake_cert::QueryMsg::Certificate {
                    token_id: token_id.into(),
                },
            )
            .unwrap()
    }

    /// `who` withdraws all of its passive liquidity, if it holds any.
    pub fn withdraw_all(&mut self, who: &str) {
        let shares = self.liquidity(who).shares;
        if !shares.is_zero() {
            let sender = self.addr(who);
            let msg = ExecuteMsg::WithdrawLiquidity {
                shares,
                min_out: Uint128::zero(),
                deadline: None,
            };
            self.exec(&sender, &msg).unwrap();
        }
    }

    /// The set-up several pair suites start from: Alice provides a device for 10 epochs
    /// (stake 1, 101 LOOP sent) and a seller sells one for 3 (stake 2, 10 LOOP sent).
    pub fn stake_provider_and_seller(&mut self) {
        self.stake(
            "alice",
            "gpu-a",
            StakeMode::LiquidityProvider,
            10,
            101 * LOOP,
        )
        .unwrap();
        self.stake("seller", "gpu-s", StakeMode::Seller, 3, 10 * LOOP)
            .unwrap();
    }
}

/// The id of the lease a Lease hook or a renewal recorded.
pub fn lease_id(response: &AppResponse) -> u64 {
    crate::protocol::attr(response, "lease_id")
        .expect("a lease_id attribute")
        .parse()
        .unwrap()
}
