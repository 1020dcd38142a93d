//! Property tests of the world-frame format: delta ∘ apply = identity, binary and JSON round-trips, and no
//! panics on garbage.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use protocol::frame::{self, Frame, WireBody, WireEvent, WorldView};
use protocol::v1::{ReplyBody, ServerMessage};

fn body_strategy(id: u64) -> impl Strategy<Value = WireBody> {
    (
        0u8..15,
        0u64..4,
        any::<[i32; 3]>(),
        any::<[i32; 3]>(),
        any::<[i32; 3]>(),
        0.1f32..1e7,
        1f32..500.0,
        0u8..5,
    )
        .prop_map(
            move |(kind, owner, pos, vel, mv, mass, radius, life)| WireBody {
                id,
                kind,
                owner,
                pos,
                vel,
                mv,
                mass,
                radius,
                life,
            },
        )
}

fn view_strategy() -> impl Strategy<Value = WorldView> {
    (
        0u64..1000,
        proptest::collection::btree_set(0u64..200, 0..60),
    )
        .prop_flat_map(|(tick, ids)| {
            let bodies: Vec<_> = ids.into_iter().map(body_strategy).collect();
            (Just(tick), bodies)
        })
        .prop_map(|(tick, bodies)| WorldView {
            tick,
            time_us: tick * 50_000,
            bodies,
        })
}

/// A target derived from a base: some removed, some moved a little, some changed, some new.
fn evolve(base: &WorldView, seed: u64) -> WorldView {
    let mut s = seed;
    let mut next = || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        s >> 33
    };
    let mut bodies = Vec::new();
    for b in &base.bodies {
        if next() % 7 == 0 {
            continue;
        }
        let mut b = b.clone();
        match next() % 5 {
            0 => b.mass += 1.0,
            1 => b.life = (b.life + 1) % 5,
            // Mostly canonical motion (mv = the move just made), sometimes not (then it is upserted).
            2 => b.pos = b.pos.map(|p| p.wrapping_add((next() % 2001) as i32 - 1000)),
            _ => {
                let d = [0; 3].map(|_: i32| (next() % 2001) as i32 - 1000);
                b.pos = std::array::from_fn(|k| b.pos[k].wrapping_add(d[k]));
                b.mv = d;
            }
        }
        bodies.push(b);
    }
    for id in 200..200 + next() % 5 {
        bodies.push(WireBody {
            id,
            kind: 0,
            owner: 0,
            pos: [1, 2, 3],
            vel: [0; 3],
            mv: [4, 5, 6],
            mass: 1.0,
            radius: 5.0,
            life: 0,
        });
    }
    WorldView {
        tick: base.tick + 1 + next() % 3,
        time_us: next(),
        bodies,
    }
}

fn binary_roundtrip(f: &Frame) -> Frame {
    let mut bytes = Vec::new();
    frame::encode(f, &mut bytes);
    frame::decode(&bytes).unwrap()
}

proptest! {
    #[test]
    fn delta_then_apply_gives_the_target(base in view_strategy(), seed in any::<u64>()) {
        let target = evolve(&base, seed);
        let events = vec![WireEvent::Merged { survivor: 1, absorbed: 2 }, WireEvent::LifeAdvanced { body: 3, stage: 2 }];
        let d = frame::delta(&base, &target, &events);
        let d = binary_roundtrip(&d);
        let mut view = base.clone();
        frame::apply(&mut view, &d).unwrap();
        prop_assert_eq!(&view, &target);

        // JSON (cosmic.v1.json) carries the same frame.
        let json = serde_json::to_string(&ServerMessage::Frame(d.clone())).unwrap();
        prop_assert_eq!(serde_json::from_str::<ServerMessage>(&json).unwrap(), ServerMessage::Frame(d));
    }

    #[test]
    fn snapshot_roundtrips(view in view_strategy()) {
        let s = binary_roundtrip(&frame::snapshot(&view, &[WireEvent::Escaped { body: 9 }]));
        let mut got = WorldView::default();
        frame::apply(&mut got, &s).unwrap();
        prop_assert_eq!(got, view);
    }

    #[test]
    fn a_delta_on_the_wrong_base_is_refused_and_changes_nothing(base in view_strategy(), seed in any::<u64>()) {
        let target = evolve(&base, seed);
        let d = frame::delta(&base, &target, &[]);
        let mut other = base.clone();
        other.tick += 100;
        let before = other.clone();
        prop_assert!(frame::apply(&mut other, &d).is_err());
        prop_assert_eq!(other, before);
    }

    #[test]
    fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = frame::decode(&bytes);
        let mut tagged = vec![3u8];
        tagged.extend_from_slice(&bytes);
        let _ = frame::decode(&tagged);
    }
}

#[test]
fn control_messages_are_tagged_json() {
    let reply = ServerMessage::Reply {
        request_id: 7,
        result: ReplyBody::BodyCreated { body: 42 },
    };
    let json = serde_json::to_string(&reply).unwrap();
    assert_eq!(
        json,
        r#"{"type":"reply","request_id":7,"result":"body_created","body":42}"#
    );
    assert_eq!(serde_json::from_str::<ServerMessage>(&json).unwrap(), reply);
}
