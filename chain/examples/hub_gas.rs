//! Gas of the hub's operations on a local anvil: an anchor signed by 1, 4, 16 and 64
//! validators (the target is at most 80k + 8k per signature), and registration, staking,
//! withdrawal and slashing. Prints a Markdown table for docs/benchmarks.md.
//!
//! `cargo run --release -p datanet-chain --example hub_gas` (anvil from
//! `npm ci --prefix contracts`).

use std::time::Duration;

use alloy::primitives::{Bytes, B256, U256};
use alloy::providers::Provider;
use datanet_chain::bindings::DatanetHub;
use datanet_chain::{ChainError, ChainParams, DevChain, EvmKey, Hub, HubClient, TxHash};
use datanet_protocol::signed::{Policy, Threshold, Validator};
use datanet_protocol::{Datanet, DatanetBody, Hash, SecretKey, ValidatorSet};

fn open(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18u64))
}

async fn gas(hub: &Hub, tx: TxHash) -> Result<u64, Box<dyn std::error::Error>> {
    hub.mined(tx, Duration::from_secs(30)).await?;
    let receipt = hub
        .provider()
        .get_transaction_receipt(tx)
        .await?
        .ok_or("no receipt")?;
    Ok(receipt.gas_used)
}

/// `n` validators bound and staked on a new datanet; their clients and keys, and the record.
async fn staked(
    chain: &DevChain,
    n: usize,
) -> Result<(Vec<(Hub, EvmKey)>, Datanet, Vec<u64>), Box<dyn std::error::Error>> {
    let params = ChainParams {
        rpc_url: chain.rpc_url().into(),
        chain_id: chain.chain_id(),
        hub: chain.deployment().hub,
        confirmations: 0,
    };
    let mut members = Vec::new();
    let mut keys = Vec::new();
    let mut costs = Vec::new();
    for _ in 0..n {
        let evm = EvmKey::generate();
        chain.fund(evm.address(), 10, open(10)).await?;
        let hub = Hub::connect(params.clone(), Some(&evm)).await?;
        let network = SecretKey::generate();
        let tx = hub.register_validator(&network).await?;
        costs.push(gas(&hub, tx).await?);
        keys.push(network.public());
        members.push((hub, evm));
    }
    let set = ValidatorSet::new(
        keys.iter()
            .map(|k| Validator { key: *k, stake: 1 })
            .collect(),
        Threshold::TWO_THIRDS,
    )?;
    let owner = SecretKey::generate();
    let record = Datanet::sign(
        DatanetBody {
            name: "gas".into(),
            description: String::new(),
            owner: owner.public(),
            policy: Policy::default(),
            validators: Some(set),
            created_ms: 0,
            nonce: rand::random(),
        },
        &owner,
    )?;
    let tx = members[0].0.register_datanet(&record).await?;
    costs.push(gas(&members[0].0, tx).await?);
    for (hub, _) in &members {
        let tx = hub.stake(record.id(), open(1)).await?;
        costs.push(gas(hub, tx).await?);
    }
    Ok((members, record, costs))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    println!("| operation | signers | gas | target |");
    println!("| --- | ---: | ---: | ---: |");
    for n in [1usize, 4, 16, 64] {
        let chain = DevChain::start(&dir.path().join(format!("anvil-{n}.log")), None, 60).await?;
        let (members, record, costs) = staked(&chain, n).await?;
        if n == 4 {
            println!(
                "| registerValidator (ed25519 binding checked on chain) | | {} | |",
                costs[0]
            );
            println!("| registerDatanet (4 validators) | | {} | |", costs[n]);
            println!("| stake (after approve) | | {} | |", costs[n + 1]);
        }
        let hub = &members[0].0;
        let message = hub
            .params()
            .anchor_message(record.id(), 0, Hash([7; 32]), Hash([0; 32]));
        let signatures: Vec<[u8; 65]> = members
            .iter()
            .map(|(_, evm)| message.sign(evm))
            .collect::<Result<_, ChainError>>()?;
        let tx = hub.submit_anchor(&message, &signatures, None).await?.tx;
        let used = gas(hub, tx).await?;
        println!("| anchor | {n} | {used} | {} |", 80_000 + 8_000 * n as u64);
        if n == 4 {
            let cheat = &members[1].1;
            let other = hub
                .params()
                .anchor_message(record.id(), 1, Hash([8; 32]), Hash([0; 32]));
            let second = hub
                .params()
                .anchor_message(record.id(), 1, Hash([9; 32]), Hash([0; 32]));
            let contract = DatanetHub::new(hub.params().hub, hub.provider().clone());
            let pending = contract
                .slash(
                    B256::from(record.id().0 .0),
                    1,
                    [B256::from([8; 32]), B256::from([9; 32])],
                    [B256::ZERO, B256::ZERO],
                    [
                        Bytes::copy_from_slice(&other.sign(cheat)?),
                        Bytes::copy_from_slice(&second.sign(cheat)?),
                    ],
                )
                .send()
                .await?;
            println!("| slash | | {} | |", gas(hub, *pending.tx_hash()).await?);
        }
    }
    Ok(())
}
