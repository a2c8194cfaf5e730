//! Two signers with one key, both sending before either is in a block: the second is told the
//! sequence its node's mempool expects and goes on with it, on the devnet and on wasmd (a query
//! of the committed account would still give the first one's sequence).

use loopin_chain_tests::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_signer_of_one_key_follows_the_mempool_sequence_on_the_devnet() {
    a_second_signer_of_one_key_follows_the_mempool_sequence(Kind::Devnet).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_signer_of_one_key_follows_the_mempool_sequence_on_wasmd() {
    a_second_signer_of_one_key_follows_the_mempool_sequence(Kind::Wasmd { base_port: 29800 }).await;
}

async fn a_second_signer_of_one_key_follows_the_mempool_sequence(kind: Kind) {
    let chain = Chain::start(kind, "sequences", &[1, 2]).await;
    let first = chain.client(1).await;
    let second = chain.client(1).await;
    // Both read sequence 0 before either sends.
    let (_, start) = first.account_of(&address(1)).await.unwrap().unwrap();
    assert_eq!(start, 0);
    assert_eq!(second.account_of(&address(1)).await.unwrap().unwrap().1, 0);
    // The second signer caches sequence 0 now (its simulation loads the account).
    second.simulate(&[], "").await.ok();

    let to = address(2);
    let before = first.balance(&to, DENOM).await.unwrap();
    let send = |amount: u128| {
        let msg = cosmrs::bank::MsgSend {
            from_address: key(1).address,
            to_address: to.parse().unwrap(),
            amount: vec![cosmrs::Coin {
                denom: DENOM.parse().unwrap(),
                amount,
            }],
        };
        vec![cosmrs::tx::Msg::to_any(&msg).unwrap()]
    };
    let a = first.submit(send(3), "").await.expect("first signer");
    let b = second
        .submit(send(4), "")
        .await
        .expect("second signer, same key");
    first.wait_tx(&a).await.expect("first in a block");
    second.wait_tx(&b).await.expect("second in a block");
    assert_eq!(first.balance(&to, DENOM).await.unwrap(), before + 7);
    assert_eq!(first.account_of(&address(1)).await.unwrap().unwrap().1, 2);
    chain.stop().await;
}
