// Turns the events of a frame into lines for the player's news feed: what happened to their own bodies,
// and the sky-wide moments everybody sees (a star collapsing into a black hole).
import type { WireBody, WireEvent } from "../net/protocol.generated";
import { kindByCode, LIFE_STAGES } from "./kinds";

/** `before`: the bodies ahead of the frame (absorbed and escaped bodies are gone after it). */
export function describeEvents(events: readonly WireEvent[], before: ReadonlyMap<number, WireBody>, after: ReadonlyMap<number, WireBody>, me: number): string[] {
  const name = (id: number) => {
    const b = after.get(id) ?? before.get(id);
    return `${kindByCode(b?.kind ?? -1)?.label ?? "Body"} #${id}`;
  };
  const mine = (id: number) => me > 0 && (after.get(id) ?? before.get(id))?.owner === me;
  const out: string[] = [];
  for (const e of events) {
    switch (e.event) {
      case "merged":
        if (mine(e.survivor) || mine(e.absorbed)) {
          out.push(`${name(e.absorbed)} ${mine(e.absorbed) ? "(yours) " : ""}crashed into ${name(e.survivor)}${mine(e.survivor) ? " (yours), which grew" : ""}.`);
        }
        break;
      case "collapsed":
        out.push(`${mine(e.body) ? "Your star" : "A star"} #${e.body} collapsed into a black hole.`);
        break;
      case "escaped":
        if (mine(e.body)) out.push(`Your ${name(e.body).toLowerCase()} escaped the world.`);
        break;
      case "life_advanced":
        if (mine(e.body)) out.push(`Life on your planet #${e.body} reached the ${LIFE_STAGES[e.stage] ?? e.stage} stage.`);
        break;
      case "life_lost":
        if (mine(e.body)) out.push(`Your planet #${e.body} lost its life.`);
        break;
    }
  }
  return out;
}
