// A log-linear histogram of non-negative integers (microseconds here), in the manner of HDR histograms:
// exact below 128, then 128 buckets per power of two, so any recorded value is known to within 1/128
// (< 0.8 %) of itself. Fixed memory (3,328 counters), mergeable by adding counts, and cheap to send between
// worker threads as a plain array.

const SUB_BITS = 7;
const SUB = 1 << SUB_BITS; // 128
const MAX_EXP = 32; // values are clamped below 2^32 µs (~71 minutes)
const SIZE = (MAX_EXP - SUB_BITS + 1) * SUB;

function indexOf(v) {
  if (v < SUB) return v;
  const e = 31 - Math.clz32(v); // v in [2^e, 2^(e+1)), e ≥ SUB_BITS
  const sub = (v >>> (e - SUB_BITS)) & (SUB - 1);
  return (e - SUB_BITS + 1) * SUB + sub;
}

/** The middle of bucket i (its value for exact buckets). */
function valueOf(i) {
  if (i < SUB) return i;
  const e = Math.floor(i / SUB) + SUB_BITS - 1;
  const sub = i % SUB;
  const width = 2 ** (e - SUB_BITS);
  return (SUB + sub) * width + (width - 1) / 2;
}

export class Histogram {
  constructor() {
    this.counts = new Float64Array(SIZE);
    this.count = 0;
    this.max = 0;
  }

  record(value) {
    const v = Math.min(Math.max(0, Math.round(value)), 2 ** MAX_EXP - 1);
    this.counts[indexOf(v)] += 1;
    this.count += 1;
    if (v > this.max) this.max = v;
  }

  /** The value at quantile q (0..1): the middle of the bucket holding that rank; the exact max at 1. */
  quantile(q) {
    if (this.count === 0) return 0;
    if (q >= 1) return this.max;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < SIZE; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(valueOf(i), this.max);
    }
    return this.max;
  }

  /** A structured-clone-friendly copy, for postMessage. */
  toJSON() {
    return { counts: Array.from(this.counts), count: this.count, max: this.max };
  }

  static from({ counts, count, max }) {
    const h = new Histogram();
    h.counts.set(counts);
    h.count = count;
    h.max = max;
    return h;
  }

  add(other) {
    for (let i = 0; i < SIZE; i++) this.counts[i] += other.counts[i];
    this.count += other.count;
    this.max = Math.max(this.max, other.max);
  }

  /** p50 / p90 / p99 / p999 / max in milliseconds, and the sample count. */
  summaryMs() {
    const ms = (us) => Math.round(us) / 1000;
    return {
      p50: ms(this.quantile(0.5)),
      p90: ms(this.quantile(0.9)),
      p99: ms(this.quantile(0.99)),
      p999: ms(this.quantile(0.999)),
      max: ms(this.max),
      count: this.count,
    };
  }
}
