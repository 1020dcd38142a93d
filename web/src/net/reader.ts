// Reading the binary frame format: LEB128 varints, zigzag signed integers, little-endian f32.
// Every read fails with a `FrameError` at the end of the input instead of reading past it.

export class FrameError extends Error {
  constructor(
    readonly at: number,
    what: string,
  ) {
    super(`malformed frame at byte ${at}: ${what}`);
    this.name = "FrameError";
  }
}

export class Reader {
  private pos = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get position(): number {
    return this.pos;
  }

  isEmpty(): boolean {
    return this.pos >= this.bytes.length;
  }

  u8(): number {
    if (this.pos >= this.bytes.length) throw new FrameError(this.pos, "unexpected end");
    return this.bytes[this.pos++]!;
  }

  /** An unsigned varint. Ids and ticks stay below 2^53 in practice; larger ones are refused. */
  uint(): number {
    let v = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.u8();
      v += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (!Number.isSafeInteger(v)) throw new FrameError(this.pos, "number too large");
        return v;
      }
      scale *= 128;
    }
    throw new FrameError(this.pos, "varint too long");
  }

  /** A zigzag varint that must fit an i32 (positions, velocities, moves). */
  i32(): number {
    const z = this.uint();
    const v = z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    if (v < -2147483648 || v > 2147483647) throw new FrameError(this.pos, "i32 out of range");
    return v;
  }

  /** A count of items: at most what the remaining bytes could hold (one byte each at least). */
  count(): number {
    const n = this.uint();
    if (n > this.bytes.length - this.pos) throw new FrameError(this.pos, "count larger than the frame");
    return n;
  }

  f32(): number {
    if (this.pos + 4 > this.bytes.length) throw new FrameError(this.pos, "unexpected end");
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }
}
