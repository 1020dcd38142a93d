// What a projector page asks of the browser: full screen (on a user gesture) and a screen that stays awake.

export function requestFullscreen(): void {
  const root = document.documentElement;
  if (document.fullscreenElement || typeof root.requestFullscreen !== "function") return;
  root.requestFullscreen().catch(() => undefined);
}

/** Holds a screen wake lock while the page is visible, taking it again when the page comes back. */
export function keepAwake(): void {
  if (!("wakeLock" in navigator)) return;
  let lock: WakeLockSentinel | null = null;
  const take = async () => {
    if (document.visibilityState !== "visible" || (lock && !lock.released)) return;
    try {
      lock = await navigator.wakeLock.request("screen");
    } catch {
      // Refused (battery saver, no gesture yet): the show goes on; the next gesture or return retries.
    }
  };
  void take();
  document.addEventListener("visibilitychange", () => void take());
  addEventListener("click", () => void take());
}
