// Who is in the show, with their roles; the host grants or revokes control.
import type { Participant, Role } from "../net/live.generated";
import { el } from "../ui/dom";

export function renderPeople(list: HTMLUListElement, people: Iterable<Participant>, me: Participant | null, setRole: (id: string, role: Role) => void): void {
  const host = me?.role === "host";
  const sorted = [...people].sort((a, b) => a.joinedAt.localeCompare(b.joinedAt));
  list.replaceChildren(
    ...sorted.map((p) => {
      const li = el("li", { "data-role": p.role }, el("span", {}, p.name + (p.id === me?.id ? " (you)" : "")), el("small", {}, p.role));
      if (host && p.id !== me?.id && p.role !== "host") {
        const grant = p.role !== "controller";
        const b = el("button", { type: "button", "aria-label": `${grant ? "Grant control to" : "Revoke control from"} ${p.name}` }, grant ? "Grant control" : "Revoke");
        b.addEventListener("click", () => setRole(p.id, grant ? "controller" : "display"));
        li.append(b);
      }
      return li;
    }),
  );
}
