// The layered layout of a workflow's step DAG: each step's column is its longest path from a root,
// rows are ordered to keep edges short; pure, so React Flow only draws what this computes.

export interface DagInput {
  name: string;
  dependsOn: string[];
}

export interface DagEdge {
  from: string;
  to: string;
}

export interface PlacedNode {
  name: string;
  layer: number;
  /** The position in its layer, from the top. */
  row: number;
  x: number;
  y: number;
}

export interface DagLayout {
  /** The step names per layer, left to right, each top to bottom. */
  layers: string[][];
  nodes: PlacedNode[];
  /** Edges between known steps (dependencies naming no step are dropped). */
  edges: DagEdge[];
  /** Steps on or behind a dependency cycle: they cannot be ordered, so they sit in a last layer. */
  cyclic: string[];
  width: number;
  height: number;
}

export interface LayoutSizes {
  nodeWidth: number;
  nodeHeight: number;
  gapX: number;
  gapY: number;
}

export const DEFAULT_SIZES: LayoutSizes = { nodeWidth: 220, nodeHeight: 96, gapX: 70, gapY: 28 };

/** Lays out steps by layers (longest path from the roots, left to right). Duplicate names keep the first;
 *  self-dependencies and unknown dependencies are ignored; a cycle never loops. */
export function layoutDag(steps: DagInput[], sizes: LayoutSizes = DEFAULT_SIZES): DagLayout {
  const first = new Map<string, DagInput>();
  for (const s of steps) if (!first.has(s.name)) first.set(s.name, s);
  const order = [...first.keys()];
  const deps = new Map<string, string[]>();
  for (const [name, s] of first) {
    const known = s.dependsOn.filter((d) => d !== name && first.has(d));
    deps.set(name, [...new Set(known)]);
  }

  const edges: DagEdge[] = order.flatMap((name) => deps.get(name)!.map((from) => ({ from, to: name })));
  const children = new Map<string, string[]>(order.map((n) => [n, []]));
  for (const e of edges) children.get(e.from)!.push(e.to);

  // Kahn's algorithm: a step is placed once all its dependencies are; its layer is one past theirs.
  const missing = new Map(order.map((n) => [n, deps.get(n)!.length]));
  const layerOf = new Map<string, number>();
  const queue = order.filter((n) => missing.get(n) === 0);
  for (const n of queue) layerOf.set(n, 0);
  for (let i = 0; i < queue.length; i++) {
    const n = queue[i];
    for (const c of children.get(n)!) {
      layerOf.set(c, Math.max(layerOf.get(c) ?? 0, layerOf.get(n)! + 1));
      const left = missing.get(c)! - 1;
      missing.set(c, left);
      if (left === 0) queue.push(c);
    }
  }

  const placed = new Set(queue);
  const cyclic = order.filter((n) => !placed.has(n));
  const last = queue.reduce((m, n) => Math.max(m, layerOf.get(n)!), -1);
  for (const n of cyclic) layerOf.set(n, last + 1);

  const layers: string[][] = [];
  for (const n of order) {
    const l = layerOf.get(n)!;
    (layers[l] ??= []).push(n);
  }

  // Order each layer by the mean row of its dependencies (barycentre), keeping input order on ties.
  const rowOf = new Map<string, number>();
  layers.forEach((layer, l) => {
    if (l > 0) {
      const key = (n: string) => {
        const rows = deps
          .get(n)!
          .map((d) => rowOf.get(d))
          .filter((r): r is number => r !== undefined);
        return rows.length ? rows.reduce((a, b) => a + b, 0) / rows.length : Number.POSITIVE_INFINITY;
      };
      const keyed = layer.map((n, i) => ({ n, i, k: key(n) }));
      keyed.sort((a, b) => a.k - b.k || a.i - b.i);
      layers[l] = keyed.map((e) => e.n);
    }
    layers[l].forEach((n, r) => rowOf.set(n, r));
  });

  const tallest = layers.reduce((m, layer) => Math.max(m, layer.length), 0);
  const pitchY = sizes.nodeHeight + sizes.gapY;
  const nodes: PlacedNode[] = layers.flatMap((layer, l) => {
    const offset = ((tallest - layer.length) * pitchY) / 2;
    return layer.map((name, row) => ({
      name,
      layer: l,
      row,
      x: l * (sizes.nodeWidth + sizes.gapX),
      y: offset + row * pitchY,
    }));
  });

  return {
    layers,
    nodes,
    edges,
    cyclic,
    width: layers.length ? layers.length * sizes.nodeWidth + (layers.length - 1) * sizes.gapX : 0,
    height: tallest ? tallest * sizes.nodeHeight + (tallest - 1) * sizes.gapY : 0,
  };
}
