// The golden cases are written by the Rust encoder (crates/protocol/tests, `UPDATE_TS_TYPES=1`): decoding
// them here proves the TypeScript decoder and the Rust encoder agree byte for byte.
import { describe, expect, it } from "vitest";
import { applyFrame, type WorldView } from "../state/view";
import fixtures from "./fixtures/frames.json";
import { decodeFrame } from "./frame";
import { decodeMessage } from "./message";
import type { Frame, ServerMessage, WireBody } from "./protocol.generated";
import { FrameError } from "./reader";

interface Case {
  name: string;
  codec: string;
  message_b64: string;
  frame: Frame | null;
  control: ServerMessage | null;
  bodies_after: WireBody[] | null;
}

const cases = (fixtures as { cases: Case[] }).cases;
const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, "base64"));

describe("golden frames from the Rust encoder", () => {
  it("covers every codec the client accepts, both frame kinds and control messages", () => {
    expect(new Set(cases.map((c) => c.codec))).toEqual(new Set(["none", "lz4", "deflate"]));
    expect(cases.some((c) => c.frame?.type === "snapshot")).toBe(true);
    expect(cases.some((c) => c.frame?.type === "delta" && c.frame.motions.length > 0)).toBe(true);
    expect(cases.some((c) => c.control)).toBe(true);
  });

  for (const c of cases) {
    it(`decodes ${c.name} (${c.codec})`, async () => {
      const msg = await decodeMessage(bytes(c.message_b64));
      expect(msg).toEqual(c.frame ?? c.control);
    });
  }

  it("applies each codec's sequence to the same views as the Rust client", async () => {
    for (const codec of ["none", "lz4", "deflate"]) {
      let view: WorldView | null = null;
      for (const c of cases.filter((c) => c.codec === codec && c.frame)) {
        view = applyFrame(view, (await decodeMessage(bytes(c.message_b64))) as Frame);
        expect(view.bodies, `${c.name} (${codec})`).toEqual(c.bodies_after);
      }
    }
  });
});

describe("malformed frames", () => {
  const snapshot = cases.find((c) => c.codec === "none" && c.frame?.type === "snapshot")!;
  const payload = bytes(snapshot.message_b64).subarray(1);

  it("throws FrameError for every truncation, never garbage", () => {
    for (let n = 0; n < payload.length; n++) {
      expect(() => decodeFrame(payload.subarray(0, n))).toThrow(FrameError);
    }
  });

  it("refuses trailing bytes and unknown kinds", () => {
    expect(() => decodeFrame(new Uint8Array([...payload, 0]))).toThrow(/trailing/);
    expect(() => decodeFrame(new Uint8Array([9, 0]))).toThrow(/not a world frame/);
  });

  it("refuses counts larger than the frame (no huge allocations)", () => {
    expect(() => decodeFrame(new Uint8Array([2, 1, 1, 0xff, 0xff, 0xff, 0x0f]))).toThrow(/count/);
  });
});
