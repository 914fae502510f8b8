// Tests of dag.ts.
import { describe, expect, it } from "vitest";
import { DEFAULT_SIZES, layoutDag, type DagInput } from "./dag";

const step = (name: string, ...dependsOn: string[]): DagInput => ({ name, dependsOn });

describe("layoutDag", () => {
  it("puts a chain in one layer per step, left to right", () => {
    const l = layoutDag([step("c", "b"), step("a"), step("b", "a")]);
    expect(l.layers).toEqual([["a"], ["b"], ["c"]]);
    expect(l.edges).toEqual([
      { from: "b", to: "c" },
      { from: "a", to: "b" },
    ]);
    const x = Object.fromEntries(l.nodes.map((n) => [n.name, n.x]));
    expect(x.a).toBe(0);
    expect(x.b).toBe(DEFAULT_SIZES.nodeWidth + DEFAULT_SIZES.gapX);
    expect(x.c).toBe(2 * (DEFAULT_SIZES.nodeWidth + DEFAULT_SIZES.gapX));
    expect(l.cyclic).toEqual([]);
    expect(l.width).toBe(3 * DEFAULT_SIZES.nodeWidth + 2 * DEFAULT_SIZES.gapX);
    expect(l.height).toBe(DEFAULT_SIZES.nodeHeight);
  });

  it("lays out a diamond with the join after both branches", () => {
    const l = layoutDag([step("start"), step("left", "start"), step("right", "start"), step("join", "left", "right")]);
    expect(l.layers).toEqual([["start"], ["left", "right"], ["join"]]);
    const byName = Object.fromEntries(l.nodes.map((n) => [n.name, n]));
    expect(byName.left.y).toBe(0);
    expect(byName.right.y).toBe(DEFAULT_SIZES.nodeHeight + DEFAULT_SIZES.gapY);
    // the single nodes are centred on the two-node layer
    expect(byName.start.y).toBe((DEFAULT_SIZES.nodeHeight + DEFAULT_SIZES.gapY) / 2);
    expect(byName.join.y).toBe(byName.start.y);
    expect(l.height).toBe(2 * DEFAULT_SIZES.nodeHeight + DEFAULT_SIZES.gapY);
  });

  it("uses the longest path from a root, not the shortest", () => {
    // d depends on a (layer 0) and on c (layer 2): it belongs in layer 3
    const l = layoutDag([step("a"), step("b", "a"), step("c", "b"), step("d", "a", "c")]);
    expect(l.layers).toEqual([["a"], ["b"], ["c"], ["d"]]);
  });

  it("keeps independent roots in the first layer, in input order", () => {
    const l = layoutDag([step("x"), step("y"), step("z")]);
    expect(l.layers).toEqual([["x", "y", "z"]]);
    expect(l.edges).toEqual([]);
    expect(l.nodes.map((n) => n.row)).toEqual([0, 1, 2]);
  });

  it("orders a layer by the rows of its dependencies", () => {
    // second-layer steps listed against the order of their parents: they follow the parents
    const l = layoutDag([step("p1"), step("p2"), step("under-p2", "p2"), step("under-p1", "p1")]);
    expect(l.layers).toEqual([["p1", "p2"], ["under-p1", "under-p2"]]);
  });

  it("never loops on a cycle and puts the cyclic steps last", () => {
    const l = layoutDag([step("root"), step("a", "root", "b"), step("b", "a"), step("after", "b")]);
    expect(l.cyclic).toEqual(["a", "b", "after"]);
    expect(l.layers).toEqual([["root"], ["a", "b", "after"]]);
    expect(l.nodes).toHaveLength(4);
  });

  it("handles a graph that is nothing but a cycle", () => {
    const l = layoutDag([step("a", "b"), step("b", "a")]);
    expect(l.cyclic).toEqual(["a", "b"]);
    expect(l.layers).toEqual([["a", "b"]]);
  });

  it("ignores self-dependencies, unknown dependencies and duplicate steps", () => {
    const l = layoutDag([step("a", "a", "ghost"), step("b", "a", "a"), step("a", "b")]);
    expect(l.layers).toEqual([["a"], ["b"]]);
    expect(l.edges).toEqual([{ from: "a", to: "b" }]);
    expect(l.cyclic).toEqual([]);
  });

  it("lays out nothing for no steps", () => {
    const l = layoutDag([]);
    expect(l).toMatchObject({ layers: [], nodes: [], edges: [], width: 0, height: 0 });
  });
});
