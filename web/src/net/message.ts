// One binary server message → a `ServerMessage`: codec byte, then a payload whose first byte says whether
// it is a control message (JSON) or a world frame (binary).
import { decompress } from "./codec";
import { decodeFrame, KIND_CONTROL } from "./frame";
import type { ServerMessage } from "./protocol.generated";
import { FrameError } from "./reader";

const utf8 = new TextDecoder();

export async function decodeMessage(message: Uint8Array): Promise<ServerMessage> {
  const payload = await decompress(message);
  if (payload.length === 0) throw new FrameError(1, "empty payload");
  if (payload[0] === KIND_CONTROL) {
    try {
      return JSON.parse(utf8.decode(payload.subarray(1))) as ServerMessage;
    } catch {
      throw new FrameError(2, "control message is not JSON");
    }
  }
  return decodeFrame(payload);
}
