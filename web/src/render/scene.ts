// The 3D sky (three.js), running in the render worker on an OffscreenCanvas: the page's main thread never
// evaluates three.js, creates the GL context or draws. It draws packed bodies at interpolated positions and
// turns pointer input into camera moves, places (on the disc plane z = 0) and picked bodies.
import * as THREE from "three";
import { kindByCode, KINDS, LIFE_COLORS, type KindInfo } from "../state/kinds";
import { Motion, type Vec3 } from "../state/motion";
import { BODY_FIELDS } from "./messages";

/** Scene units per game unit: the world (radius 50,000) becomes 500 units across. */
const S = 1 / 100;

export interface SkyEvents {
  place: (pos: Vec3) => void;
  pick: (id: number | null) => void;
  drawn: (count: number) => void;
}

interface Group {
  kind: KindInfo;
  mesh: THREE.InstancedMesh;
  /** Drawn with the same matrices: the black hole's accretion ring. */
  halo?: THREE.InstancedMesh;
  ids: number[];
}

interface Drawn {
  kind: number;
  radius: number;
  life: number;
}

export class Sky {
  private readonly renderer: THREE.WebGLRenderer;
  private readonly scene = new THREE.Scene();
  private readonly camera = new THREE.PerspectiveCamera(55, 1, 1, 5_000);
  private readonly orbit = { radius: 520, azimuth: -Math.PI / 2, polar: 0.95 };
  private readonly groups = new Map<number, Group>();
  private readonly marker: THREE.Mesh;
  private readonly raycaster = new THREE.Raycaster();
  private readonly motion = new Motion(50);
  private bodies = new Map<number, Drawn>();
  private selected: number | null = null;
  private placing = false;
  private size = { width: 1, height: 1 };
  /** Pointers down now (mouse, pen, fingers), by pointer id: one drags the camera, two pinch-zoom. */
  private readonly pointers = new Map<number, { x: number; y: number; startX: number; startY: number }>();
  /** Set once a gesture moved or used two pointers: its release is then no click. */
  private gesture = false;
  private lastDrawn = -1;
  private readonly matrix = new THREE.Matrix4();
  private readonly color = new THREE.Color();

  constructor(
    canvas: OffscreenCanvas,
    private readonly events: SkyEvents,
  ) {
    this.renderer = new THREE.WebGLRenderer({ canvas, antialias: true, powerPreference: "high-performance" });
    // Checking every shader link synchronously stalls on the GPU; the shaders are fixed.
    this.renderer.debug.checkShaderErrors = import.meta.env.DEV;
    this.camera.up.set(0, 0, 1);
    this.scene.background = new THREE.Color(0x05060f);
    this.scene.add(new THREE.AmbientLight(0xffffff, 0.55), new THREE.PointLight(0xfff2dd, 2.2, 0, 0), starfield());
    const disc = new THREE.Mesh(
      new THREE.RingGeometry(30, 500, 96),
      new THREE.MeshBasicMaterial({ color: 0x223366, transparent: true, opacity: 0.08, side: THREE.DoubleSide }),
    );
    this.scene.add(disc);
    this.marker = new THREE.Mesh(new THREE.SphereGeometry(1, 16, 12), new THREE.MeshBasicMaterial({ color: 0x7fffd4, wireframe: true }));
    this.marker.visible = false;
    this.scene.add(this.marker);
    for (const kind of KINDS) this.groups.set(kind.code, group(kind, 64, this.scene));
    this.moveCamera();
  }

  /** Compiles every shader without blocking (KHR_parallel_shader_compile) before the first frame. */
  prepare(): Promise<unknown> {
    return this.renderer.compileAsync(this.scene, this.camera);
  }

  resize(width: number, height: number, dpr: number): void {
    if (width === 0 || height === 0) return;
    this.size = { width, height };
    this.renderer.setPixelRatio(Math.min(dpr, 2));
    this.renderer.setSize(width, height, false);
    this.camera.aspect = width / height;
    this.camera.updateProjectionMatrix();
  }

  /**
   * Takes the bodies of a new tick: groups them by kind (growing a group's meshes when needed) and sets
   * their colours, which change only per tick; `draw` then only moves them.
   */
  setBodies(packed: Float64Array, periodMs: number, now: number): void {
    const bodies = new Map<number, Drawn>();
    const positions: [number, Vec3][] = [];
    for (const g of this.groups.values()) g.ids.length = 0;
    for (let o = 0; o < packed.length; o += BODY_FIELDS) {
      const id = packed[o]!;
      const body = { kind: packed[o + 1]!, radius: packed[o + 6]!, life: packed[o + 7]! };
      bodies.set(id, body);
      positions.push([id, [packed[o + 3]!, packed[o + 4]!, packed[o + 5]!]]);
      this.groups.get(body.kind)?.ids.push(id);
    }
    this.bodies = bodies;
    this.motion.periodMs = periodMs;
    this.motion.updatePositions(positions, now);
    for (const [code, g] of this.groups) {
      if (g.ids.length > g.mesh.instanceMatrix.count) {
        for (const m of [g.mesh, g.halo]) {
          if (!m) continue;
          this.scene.remove(m);
          m.dispose();
        }
        this.groups.set(code, { ...group(g.kind, g.ids.length * 2, this.scene), ids: g.ids });
      }
    }
    for (const g of this.groups.values()) {
      g.ids.forEach((id, n) => {
        const body = bodies.get(id)!;
        this.color.setHex(body.kind === 4 ? (LIFE_COLORS[body.life] ?? g.kind.color) : g.kind.color);
        g.mesh.setColorAt(n, this.color);
      });
      if (g.mesh.instanceColor) g.mesh.instanceColor.needsUpdate = true;
    }
  }

  select(id: number | null): void {
    this.selected = id;
  }

  setPlacing(on: boolean): void {
    this.placing = on;
  }

  /**
   * Pointer input in CSS pixels relative to the canvas: one pointer dragging turns the camera, two pinch to
   * zoom, and a press released where it started (a click or a tap) places or picks.
   */
  pointer(phase: "down" | "move" | "up", id: number, x: number, y: number): void {
    const p = this.pointers.get(id);
    if (phase === "down") {
      if (this.pointers.size === 0) this.gesture = false;
      this.pointers.set(id, { x, y, startX: x, startY: y });
      if (this.pointers.size > 1) this.gesture = true;
      return;
    }
    if (!p) return;
    if (phase === "move") {
      if (this.pointers.size === 2) {
        const other = [...this.pointers.entries()].find(([k]) => k !== id)![1];
        const before = Math.hypot(p.x - other.x, p.y - other.y);
        const after = Math.hypot(x - other.x, y - other.y);
        if (before > 0 && after > 0) this.zoom(before / after);
      } else if (this.pointers.size === 1) {
        this.orbit.azimuth -= ((x - p.x) / this.size.width) * Math.PI * 2;
        this.orbit.polar = Math.min(Math.PI / 2 - 0.02, Math.max(0.05, this.orbit.polar - ((y - p.y) / this.size.height) * Math.PI));
        this.moveCamera();
      }
      if (Math.hypot(x - p.startX, y - p.startY) > 6) this.gesture = true;
      p.x = x;
      p.y = y;
      return;
    }
    this.pointers.delete(id);
    if (!this.gesture && this.pointers.size === 0 && Math.hypot(x - p.startX, y - p.startY) <= 6) this.click(x, y);
  }

  wheel(deltaY: number): void {
    this.zoom(Math.exp(deltaY * 0.001));
  }

  private zoom(factor: number): void {
    this.orbit.radius = Math.min(1_500, Math.max(20, this.orbit.radius * factor));
    this.moveCamera();
  }

  /** Draws one frame at `now` (this worker's performance.now()): every body at its interpolated place. */
  draw(now: number): void {
    let drawn = 0;
    for (const g of this.groups.values()) {
      // Every grouped body has a track: setBodies gave the motion the same bodies.
      g.ids.forEach((id, n) => {
        const p = this.motion.position(id, now)!;
        const s = Math.max(g.kind.size, this.bodies.get(id)!.radius) * S;
        this.matrix.makeScale(s, s, s).setPosition(p[0] * S, p[1] * S, p[2] * S);
        g.mesh.setMatrixAt(n, this.matrix);
        g.halo?.setMatrixAt(n, this.matrix);
      });
      for (const m of [g.mesh, g.halo]) {
        if (!m) continue;
        m.count = g.ids.length;
        m.instanceMatrix.needsUpdate = true;
      }
      drawn += g.ids.length;
    }
    const sel = this.selected === null ? undefined : this.motion.position(this.selected, now);
    this.marker.visible = sel !== undefined;
    if (sel) {
      const kind = this.bodies.get(this.selected!)?.kind ?? 0;
      this.marker.position.set(sel[0] * S, sel[1] * S, sel[2] * S);
      this.marker.scale.setScalar(((kindByCode(kind)?.size ?? 100) * 1.8 + 200) * S);
    }
    this.renderer.render(this.scene, this.camera);
    if (drawn !== this.lastDrawn) {
      this.lastDrawn = drawn;
      this.events.drawn(drawn);
    }
  }

  private moveCamera(): void {
    const { radius, azimuth, polar } = this.orbit;
    this.camera.position.set(radius * Math.sin(polar) * Math.cos(azimuth), radius * Math.sin(polar) * Math.sin(azimuth), radius * Math.cos(polar));
    this.camera.lookAt(0, 0, 0);
  }

  private click(x: number, y: number): void {
    const ndc = new THREE.Vector2((x / this.size.width) * 2 - 1, -(y / this.size.height) * 2 + 1);
    this.raycaster.setFromCamera(ndc, this.camera);
    if (this.placing) {
      const hit = new THREE.Vector3();
      if (this.raycaster.ray.intersectPlane(new THREE.Plane(new THREE.Vector3(0, 0, 1), 0), hit)) {
        this.events.place([hit.x / S, hit.y / S, 0]);
      }
      return;
    }
    const groups = [...this.groups.values()];
    for (const g of groups) g.mesh.computeBoundingSphere();
    const hit = this.raycaster.intersectObjects(
      groups.map((g) => g.mesh),
      false,
    )[0];
    const g = hit && groups.find((g) => g.mesh === hit.object);
    this.events.pick(g && hit.instanceId !== undefined ? (g.ids[hit.instanceId] ?? null) : null);
  }
}

function group(kind: KindInfo, capacity: number, scene: THREE.Scene): Group {
  const star = kind.code >= 8;
  const geometry =
    kind.code === 0
      ? new THREE.IcosahedronGeometry(1, 0)
      : kind.code === 1
        ? new THREE.ConeGeometry(0.7, 2.4, 8).rotateX(Math.PI / 2)
        : new THREE.SphereGeometry(1, star ? 24 : 16, star ? 16 : 12);
  const material =
    star || kind.code === 5 ? new THREE.MeshBasicMaterial({ color: 0xffffff }) : new THREE.MeshLambertMaterial({ color: 0xffffff, emissive: 0x111111 });
  const mesh = new THREE.InstancedMesh(geometry, material, capacity);
  mesh.instanceMatrix.setUsage(THREE.DynamicDrawUsage);
  mesh.setColorAt(0, new THREE.Color(kind.color));
  mesh.count = 0;
  mesh.frustumCulled = false;
  scene.add(mesh);
  let halo: THREE.InstancedMesh | undefined;
  if (kind.code === 5) {
    // A black hole is a dark sphere: an accretion ring makes it read as one.
    halo = new THREE.InstancedMesh(new THREE.TorusGeometry(1.6, 0.25, 8, 48), new THREE.MeshBasicMaterial({ color: 0xff8a3d }), capacity);
    halo.count = 0;
    halo.frustumCulled = false;
    scene.add(halo);
  }
  return { kind, mesh, halo, ids: [] };
}

function starfield(): THREE.Points {
  const n = 1500;
  const pos = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const u = Math.random() * 2 - 1;
    const t = Math.random() * Math.PI * 2;
    const r = 2_000 + Math.random() * 1_000;
    const s = Math.sqrt(1 - u * u);
    pos.set([r * s * Math.cos(t), r * s * Math.sin(t), r * u], i * 3);
  }
  const g = new THREE.BufferGeometry();
  g.setAttribute("position", new THREE.BufferAttribute(pos, 3));
  return new THREE.Points(g, new THREE.PointsMaterial({ color: 0x8899bb, size: 1.5, sizeAttenuation: false }));
}
