import { describe, expect, it } from "vitest";
import { displayUrl, joinCode, normalizeCode } from "./code";

describe("join codes", () => {
  it("come from the path or the room parameter, normalised", () => {
    expect(joinCode("/show/abc-234", new URLSearchParams())).toBe("ABC234");
    expect(joinCode("/show/ABC234/", new URLSearchParams())).toBe("ABC234");
    expect(joinCode("/live/display", new URLSearchParams("room=xy z789"))).toBe("XYZ789");
    expect(joinCode("/show/", new URLSearchParams())).toBeNull();
    expect(joinCode("/show", new URLSearchParams("room="))).toBeNull();
  });
  it("are typed loosely and linked exactly", () => {
    expect(normalizeCode(" ab-c 2-34 ")).toBe("ABC234");
    expect(displayUrl("ABC234", "https://vj.example")).toBe("https://vj.example/show/ABC234");
  });
});
