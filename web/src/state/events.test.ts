import { describe, expect, it } from "vitest";
import type { WireBody } from "../net/protocol.generated";
import { describeEvents } from "./events";

const body = (id: number, kind: number, owner: number): WireBody => ({
  id,
  kind,
  owner,
  pos: [0, 0, 0],
  vel: [0, 0, 0],
  mv: [0, 0, 0],
  mass: 1,
  radius: 1,
  life: 0,
});
const map = (...bodies: WireBody[]) => new Map(bodies.map((b) => [b.id, b]));

describe("news from events", () => {
  const before = map(body(1, 4, 7), body(2, 0, 7), body(3, 0, 9), body(4, 12, 9));
  const after = map(body(1, 4, 7), body(4, 12, 9));

  it("tells a player what happened to their bodies, using the bodies from before the frame", () => {
    const lines = describeEvents(
      [
        { event: "merged", survivor: 1, absorbed: 2 },
        { event: "life_advanced", body: 1, stage: 2 },
        { event: "escaped", body: 2 },
      ],
      before,
      after,
      7,
    );
    expect(lines).toEqual([
      "Asteroid #2 (yours) crashed into Planet #1 (yours), which grew.",
      "Life on your planet #1 reached the plant stage.",
      "Your asteroid #2 escaped the world.",
    ]);
  });

  it("keeps other players' small news out, but everybody hears of a collapsing star", () => {
    const events = [
      { event: "merged", survivor: 4, absorbed: 3 },
      { event: "life_lost", body: 1 },
      { event: "collapsed", body: 4 },
    ] as const;
    expect(describeEvents(events, before, after, 9)).toEqual(["Asteroid #3 (yours) crashed into G star #4 (yours), which grew.", "Your star #4 collapsed into a black hole."]);
    expect(describeEvents(events, before, after, 0)).toEqual(["A star #4 collapsed into a black hole."]);
  });
});
