//! A block with more than 100 transactions is read in full: CometBFT caps a tx search page at
//! 100, and `txs_at` pages to the total (a relayer reading one page would skip every packet after
//! the 100th of a block).

use std::collections::BTreeMap;

use loopin_chain_tests::*;

/// Transactions sent inside one long block.
const TXS: usize = 130;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_of_more_than_100_txs_is_read_in_full_on_the_devnet() {
    a_block_of_more_than_100_txs_is_read_in_full(Kind::Devnet).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_of_more_than_100_txs_is_read_in_full_on_wasmd() {
    a_block_of_more_than_100_txs_is_read_in_full(Kind::Wasmd { base_port: 29900 }).await;
}

async fn a_block_of_more_than_100_txs_is_read_in_full(kind: Kind) {
    // Blocks 10 s apart, the sends starting just after one: they fit in the next (two at most
    // on a loaded machine, and then the test says so).
    let chain = Chain::start_with_block_time(kind, "tx-search", &[1, 2], Some(10_000)).await;
    let client = chain.client(1).await;
    let to = address(2);
    let (now, _) = client.latest_block().await.unwrap();
    while client.latest_block().await.unwrap().0 == now {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let mut hashes = Vec::new();
    for _ in 0..TXS {
        let msg = cosmrs::bank::MsgSend {
            from_address: key(1).address,
            to_address: to.parse().unwrap(),
            amount: vec![cosmrs::Coin {
                denom: DENOM.parse().unwrap(),
                amount: 1,
            }],
        };
        let any = cosmrs::tx::Msg::to_any(&msg).unwrap();
        hashes.push(client.submit(vec![any], "").await.expect("submit"));
    }
    let mut per_block: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for hash in &hashes {
        let result = client.wait_tx(hash).await.expect("in a block");
        per_block
            .entry(result.height)
            .or_default()
            .push(hash.clone());
    }
    let (height, mine) = per_block
        .iter()
        .max_by_key(|(_, txs)| txs.len())
        .expect("some block");
    assert!(
        mine.len() > 100,
        "the sends spread over blocks {:?}",
        per_block
            .iter()
            .map(|(h, t)| (h, t.len()))
            .collect::<Vec<_>>()
    );
    let read = client.txs_at(*height as u64).await.expect("tx search");
    let read: Vec<String> = read.into_iter().map(|r| r.txhash).collect();
    assert_eq!(&read, mine, "every tx of block {height}, in block order");
    // A block without transactions reads as none.
    let empty = per_block.keys().max().unwrap() + 1;
    let mut latest = client.latest_block().await.unwrap().0;
    while latest < empty {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        latest = client.latest_block().await.unwrap().0;
    }
    assert!(client.txs_at(empty as u64).await.unwrap().is_empty());
    chain.stop().await;
}
