// Adaptive resolution: a display draws at the resolution its GPU keeps at a fluid frame rate. The cost of a
// frame of fullscreen shaders grows with its pixels (scale²), so a slow second moves the scale by the square
// root of how far the frame rate is from the target; a fast one lets it grow back a little at a time.

export const TARGET_FPS = 30;
export const MIN_SCALE = 0.25;
/** Where a display starts: half resolution, growing to full within seconds on a GPU that keeps up. */
export const START_SCALE = 0.5;

export class Resolution {
  /** The scale now, 0.25–`max`. */
  scale: number;

  /** `max`: the most the page allows (the `scale` message); 1 draws at full resolution. */
  constructor(public max = 1) {
    this.scale = Math.min(max, START_SCALE);
  }

  /** Takes the frame rate of the last second; returns the scale to draw at from now on. */
  update(fps: number): number {
    if (fps < TARGET_FPS * 0.8) {
      this.scale *= Math.max(0.5, Math.sqrt(Math.max(fps, 1) / TARGET_FPS));
    } else if (fps > TARGET_FPS * 1.7) {
      this.scale *= 1.1;
    }
    this.scale = Math.min(this.max, Math.max(MIN_SCALE, this.scale));
    return this.scale;
  }
}
