// Smooth motion between ticks: each body glides from where it was drawn to its newest position over one
// tick period, so 20 Hz server ticks render as 60+ fps motion without jumps.

/** Wire units per game unit of position (`protocol::quant::POSITION_SCALE`). */
export const POSITION_SCALE = 256;
/** Wire units per game unit per second of velocity (`protocol::quant::VELOCITY_SCALE`). */
export const VELOCITY_SCALE = 64;

export type Vec3 = [number, number, number];

/** How far through the current tick `now` is: 0 at the frame's arrival, 1 one period later (clamped). */
export function alphaAt(now: number, receivedAt: number, periodMs: number): number {
  if (periodMs <= 0) return 1;
  return Math.min(1, Math.max(0, (now - receivedAt) / periodMs));
}

export function lerp(a: Vec3, b: Vec3, t: number): Vec3 {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

interface Track {
  from: Vec3;
  to: Vec3;
}

/** Positions in game units, interpolated between the last two frames. */
export class Motion {
  private tracks = new Map<number, Track>();
  private receivedAt = 0;

  constructor(public periodMs: number) {}

  /** Takes the bodies of a new tick as `[id, position in game units]`; each starts from where it is drawn now. */
  updatePositions(bodies: Iterable<[number, Vec3]>, now: number): void {
    const next = new Map<number, Track>();
    const t = alphaAt(now, this.receivedAt, this.periodMs);
    for (const [id, to] of bodies) {
      const old = this.tracks.get(id);
      next.set(id, { from: old ? lerp(old.from, old.to, t) : to, to });
    }
    this.tracks = next;
    this.receivedAt = now;
  }

  /** Where body `id` is drawn at `now` (undefined when it is not in the view). */
  position(id: number, now: number): Vec3 | undefined {
    const tr = this.tracks.get(id);
    return tr && lerp(tr.from, tr.to, alphaAt(now, this.receivedAt, this.periodMs));
  }
}
