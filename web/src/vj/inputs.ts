// The controller's audio and MIDI buttons: microphone analysis sent as audio features, and MIDI learn.
import type { LiveClient } from "../net/live";
import type { ShowState } from "../net/live.generated";
import { byId } from "../ui/dom";
import { startMic } from "./mic";
import { MidiLearn, midiSupported } from "./midi";
import type { ParamsPanel } from "./params";

export interface InputsHost {
  client(): LiveClient | null;
  state(): ShowState | null;
  params: ParamsPanel;
  note: HTMLElement;
}

export function wireInputs(host: InputsHost): void {
  const micButton = byId<HTMLButtonElement>("mic");
  let mic: { stop(): void } | null = null;
  micButton.addEventListener("click", async () => {
    if (mic) {
      mic.stop();
      mic = null;
      micButton.setAttribute("aria-pressed", "false");
      host.note.textContent = "Microphone off.";
      return;
    }
    try {
      mic = await startMic((levels, beat) => host.client()?.sendAudio(levels, beat));
      micButton.setAttribute("aria-pressed", "true");
      host.note.textContent = "Listening: the displays react to the sound.";
    } catch (e) {
      host.note.textContent = `No microphone: ${e instanceof Error ? e.message : String(e)}`;
    }
  });

  const midiButton = byId<HTMLButtonElement>("midi");
  if (!midiSupported()) {
    midiButton.disabled = true;
    midiButton.textContent = "MIDI: not in this browser";
    return;
  }
  midiButton.addEventListener("click", async () => {
    const midi = new MidiLearn();
    try {
      const inputs = await midi.start();
      midiButton.disabled = true;
      host.note.textContent = `MIDI on (${inputs} input${inputs === 1 ? "" : "s"}): press “learn” next to a slider, then move a knob.`;
    } catch (e) {
      host.note.textContent = `MIDI refused: ${e instanceof Error ? e.message : String(e)}`;
      return;
    }
    host.params.onLearn = (target) => {
      midi.learning = target;
      host.note.textContent = "Move a knob or fader to bind it…";
    };
    midi.onLearned = (_target, cc) => (host.note.textContent = `Bound CC ${cc.controller} (channel ${cc.channel + 1}).`);
    midi.onValue = (target, fraction) => host.params.setFraction(target, fraction);
    const s = host.state();
    if (s) host.params.refresh(s);
  });
}
