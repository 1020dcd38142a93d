// How displays find the show: its code, the display link, a QR code of it (drawn by `uqr`, loaded on demand),
// and invitations for a co-controller.
import { byId } from "../ui/dom";
import { displayUrl } from "./code";

export async function renderShare(code: string, name: string): Promise<void> {
  const url = displayUrl(code);
  byId("show-code").textContent = code;
  byId("show-name").textContent = name ? `“${name}”` : "";
  const link = byId<HTMLAnchorElement>("show-link");
  link.href = url;
  link.textContent = url;
  const copy = byId<HTMLButtonElement>("copy-link");
  copy.onclick = () =>
    void navigator.clipboard?.writeText(url).then(
      () => (copy.textContent = "Copied"),
      () => (copy.textContent = "Copy failed: select the link"),
    );
  const { renderSVG } = await import("uqr");
  byId("qr").innerHTML = renderSVG(url, { border: 2, pixelSize: 4, whiteColor: "#ffffff", blackColor: "#000000" });
}

export function inviteUrl(token: string): string {
  return `${location.origin}/live?invite=${encodeURIComponent(token)}`;
}
