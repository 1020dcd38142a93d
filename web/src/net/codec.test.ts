import { deflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { decompress, lz4Block } from "./codec";
import { FrameError } from "./reader";

const sized = (size: number, block: number[]) => new Uint8Array([size & 255, (size >> 8) & 255, 0, 0, ...block]);

describe("lz4 block", () => {
  it("decodes literals only", () => {
    // token 0x50: five literals, no match (last sequence).
    const out = lz4Block(sized(5, [0x50, 104, 101, 108, 108, 111]));
    expect(new TextDecoder().decode(out)).toBe("hello");
  });

  it("decodes an overlapping match (run-length)", () => {
    // "ab" then a match of 6 at offset 2 → "abababab", then a last literal "!".
    const out = lz4Block(sized(9, [0x22, 97, 98, 2, 0, 0x10, 33]));
    expect(new TextDecoder().decode(out)).toBe("abababab!");
  });

  it("decodes extended literal lengths", () => {
    const text = "x".repeat(20);
    const out = lz4Block(sized(20, [0xf0, 5, ...new TextEncoder().encode(text)]));
    expect(new TextDecoder().decode(out)).toBe(text);
  });

  it("refuses bad offsets, overruns and oversize claims instead of reading past the input", () => {
    expect(() => lz4Block(sized(9, [0x22, 97, 98, 9, 0, 0x10, 33]))).toThrow(FrameError);
    expect(() => lz4Block(sized(3, [0x50, 1, 2, 3, 4, 5]))).toThrow(FrameError);
    expect(() => lz4Block(sized(5, [0x50, 1, 2]))).toThrow(FrameError);
    expect(() => lz4Block(new Uint8Array([0xff, 0xff, 0xff, 0x7f, 0]), 1024)).toThrow(/limit/);
  });
});

describe("decompress", () => {
  it("passes codec 0 through and inflates codec 2 (raw deflate)", async () => {
    const payload = new TextEncoder().encode("tick ".repeat(100));
    expect(await decompress(new Uint8Array([0, ...payload]))).toEqual(payload);
    const deflated = deflateRawSync(payload);
    expect(await decompress(new Uint8Array([2, ...deflated]))).toEqual(payload);
  });

  it("refuses an unknown codec, corrupt deflate and output beyond the limit", async () => {
    await expect(decompress(new Uint8Array([3, 1, 2, 3]))).rejects.toThrow(/unknown codec/);
    await expect(decompress(new Uint8Array([2, 0xff, 0xff, 0xff]))).rejects.toThrow(FrameError);
    const big = deflateRawSync(new Uint8Array(100_000));
    await expect(decompress(new Uint8Array([2, ...big]), 1000)).rejects.toThrow(/limit/);
  });
});
