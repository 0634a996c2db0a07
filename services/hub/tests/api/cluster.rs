//! Two hub nodes on one database and a real NATS server: frames and membership changes cross nodes.

use std::time::Duration;

use serde_json::{Value, json};

use crate::{
    helpers::{WsClient, clustered, spawn_app_with, unthrottled},
    realtime::{ack_of, is_cmd, text},
};

const WAIT: Duration = Duration::from_secs(10);

async fn acked(ws: &mut WsClient, cid: &str) -> Value {
    let v = ack_of(ws, cid).await;
    assert!(is_cmd(&v, 20), "expected an ack of {cid}, got {v}");
    v
}

#[tokio::test]
async fn a_direct_message_reaches_every_connection_on_the_other_node_once() {
    let a = spawn_app_with(clustered).await;
    let b = a.spawn_peer().await;
    let (alice, alice_token) = a.register("alice").await;
    let (bob, bob_token) = a.register("bob").await;
    let mut alice_on_a = a.ws(&alice_token).await;
    let mut alice_on_b = b.ws(&alice_token).await;
    let mut bob_tab1 = b.ws(&bob_token).await;
    let mut bob_tab2 = b.ws(&bob_token).await;

    for (i, content) in ["one", "two", "three"].into_iter().enumerate() {
        let cid = format!("c{i}");
        alice_on_a.send_json(text(bob.id, &cid, content)).await;
        assert_eq!(acked(&mut alice_on_a, &cid).await["seq"], i + 1);
    }
    for ws in [&mut bob_tab1, &mut bob_tab2, &mut alice_on_b] {
        for seq in 1..=3 {
            let got = ws.recv_until(|v| is_cmd(v, 10), WAIT).await;
            assert_eq!(
                (&got["seq"], &got["userid"]),
                (&json!(seq), &json!(alice.id))
            );
        }
        ws.expect_silence(Duration::from_millis(200)).await;
    }
    alice_on_a.expect_silence(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn group_messages_joins_and_presence_cross_nodes() {
    let a = spawn_app_with(|c| {
        clustered(c);
        unthrottled(c);
    })
    .await;
    let b = a.spawn_peer().await;
    let (owner, owner_token) = a.register("owner").await;
    let (member, member_token) = a.register("member").await;
    let group = a.create_group(&owner_token, "spread").await;
    let group_id = group["id"].as_i64().expect("id");
    let mut owner_on_a = a.ws(&owner_token).await;
    let mut member_on_b = b.ws(&member_token).await;
    let to_group = |cid: &str| json!({"cmd": 11, "dstid": group_id, "cid": cid, "content": cid});

    // Joined through node A's API while connected to node B: B learns it from the control event.
    a.join_group(&member_token, group_id).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let cid = format!("from-b-{attempt}");
        member_on_b.send_json(to_group(&cid)).await;
        let answer = ack_of(&mut member_on_b, &cid).await;
        if is_cmd(&answer, 20) {
            break;
        }
        assert_eq!(answer["code"], "not_member");
        assert!(
            tokio::time::Instant::now() < deadline,
            "node B never learnt the join"
        );
        // Polls node B until the control event has arrived (milliseconds).
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let got = owner_on_a.recv_until(|v| is_cmd(v, 11), WAIT).await;
    assert_eq!(got["userid"], member.id);

    // A group message from node A reaches the member on node B once.
    owner_on_a.send_json(to_group("from-a")).await;
    acked(&mut owner_on_a, "from-a").await;
    let got = member_on_b.recv_until(|v| is_cmd(v, 11), WAIT).await;
    assert_eq!(
        (&got["cid"], &got["userid"]),
        (&json!("from-a"), &json!(owner.id))
    );
    member_on_b.expect_silence(Duration::from_millis(200)).await;

    // A contact made through node B's API: the owner on node A hears that the member is online.
    b.add_contact(&member_token, owner.id).await;
    let presence = owner_on_a.recv_until(|v| is_cmd(v, 14), WAIT).await;
    assert_eq!(
        (&presence["userid"], &presence["online"]),
        (&json!(member.id), &json!(true))
    );
}
