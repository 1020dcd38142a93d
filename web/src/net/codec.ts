// The codec byte in front of every binary server message, and decompression with an output limit:
// none, LZ4 (block format, 4-byte little-endian size prefix) in plain TypeScript, deflate (raw) through the
// browser's own `DecompressionStream`. The client does not advertise zstd, so the server never sends it.
import type { Codec } from "./protocol.generated";
import { FrameError } from "./reader";

/** Codecs this client decodes, as sent in `hello.codecs` (`none` is implied). */
export const CLIENT_CODECS: Codec[] = ["deflate", "lz4"];

/** Largest decompressed message accepted (the server's frames are far below this). */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export async function decompress(message: Uint8Array, limit = MAX_MESSAGE_BYTES): Promise<Uint8Array> {
  if (message.length === 0) throw new FrameError(0, "empty message");
  const body = message.subarray(1);
  switch (message[0]) {
    case 0:
      return body;
    case 1:
      return lz4Block(body, limit);
    case 2:
      return inflateRaw(body, limit);
    default:
      throw new FrameError(0, `unknown codec ${message[0]}`);
  }
}

/** Decodes an LZ4 block whose decompressed size precedes it (lz4_flex `compress_prepend_size`). */
export function lz4Block(input: Uint8Array, limit = MAX_MESSAGE_BYTES): Uint8Array {
  if (input.length < 4) throw new FrameError(1, "lz4: missing size");
  const size = (input[0]! | (input[1]! << 8) | (input[2]! << 16) | (input[3]! << 24)) >>> 0;
  if (size > limit) throw new FrameError(1, "lz4: larger than the limit");
  const out = new Uint8Array(size);
  let i = 4;
  let o = 0;
  const bad = (what: string) => new FrameError(i + 1, `lz4: ${what}`);
  // A 4-bit length of 15 continues in the following bytes, each added, until one is below 255.
  const length = (nibble: number): number => {
    let n = nibble;
    if (nibble === 15) {
      let b: number;
      do {
        if (i >= input.length) throw bad("truncated length");
        b = input[i++]!;
        n += b;
      } while (b === 255);
    }
    return n;
  };
  while (i < input.length) {
    const token = input[i++]!;
    const literals = length(token >>> 4);
    if (i + literals > input.length || o + literals > size) throw bad("literals overrun");
    out.set(input.subarray(i, i + literals), o);
    i += literals;
    o += literals;
    if (i >= input.length) break; // the last sequence has literals only
    if (i + 2 > input.length) throw bad("truncated offset");
    const offset = input[i]! | (input[i + 1]! << 8);
    i += 2;
    if (offset === 0 || offset > o) throw bad("bad offset");
    const match = length(token & 15) + 4;
    if (o + match > size) throw bad("match overrun");
    for (let k = 0; k < match; k++, o++) out[o] = out[o - offset]!;
  }
  if (o !== size) throw bad("size mismatch");
  return out;
}

async function inflateRaw(input: Uint8Array, limit: number): Promise<Uint8Array> {
  const stream = new Blob([input as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > limit) {
        await reader.cancel();
        throw new FrameError(1, "deflate: larger than the limit");
      }
      chunks.push(value);
    }
  } catch (e) {
    if (e instanceof FrameError) throw e;
    throw new FrameError(1, `deflate: ${String(e)}`);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}
