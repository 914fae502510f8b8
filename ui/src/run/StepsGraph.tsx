// The run's step DAG drawn with React Flow: a read-only node per step (name, fault, phase, verdict, weight),
// edges from dependsOn, placed by layoutDag; the step table below the graph is its text alternative.
import { useMemo } from "react";
import {
  Controls,
  Handle,
  MarkerType,
  Position,
  ReactFlow,
  type Edge,
  type Node,
  type NodeProps,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { DEFAULT_SIZES, layoutDag } from "./dag";
import type { StepRow } from "./status";
import { StepPhase, VerdictBadge } from "./badges";

type StepNodeData = {
  name: string;
  faultType?: string;
  phase: string;
  verdict: string;
  weight: number;
};
type StepNode = Node<StepNodeData, "step">;

function StepNodeView({ data }: NodeProps<StepNode>) {
  return (
    <div className={`dag-node dag-${data.phase.toLowerCase()}`} style={{ width: DEFAULT_SIZES.nodeWidth }}>
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <div className="dag-node-name" title={data.name}>
        {data.name}
      </div>
      <div className="dag-node-fault mono">{data.faultType ?? "—"}</div>
      <div className="dag-node-status">
        <StepPhase phase={data.phase} />
        <VerdictBadge verdict={data.verdict} />
        <span className="muted">weight {data.weight}</span>
      </div>
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </div>
  );
}

const nodeTypes = { step: StepNodeView };

export function StepsGraph({ steps, onSelect }: { steps: StepRow[]; onSelect?: (step: string) => void }) {
  const { nodes, edges, height, cyclic } = useMemo(() => {
    const layout = layoutDag(steps);
    const byName = new Map(steps.map((s) => [s.name, s]));
    const nodes: StepNode[] = layout.nodes.map((n) => {
      const s = byName.get(n.name)!;
      return {
        id: n.name,
        type: "step",
        position: { x: n.x, y: n.y },
        data: { name: s.name, faultType: s.faultType, phase: s.phase, verdict: s.verdict, weight: s.weight },
        ariaLabel: `Step ${s.name}${s.faultType ? `, ${s.faultType}` : ""}: ${s.phase}, verdict ${s.verdict}, weight ${s.weight}`,
        draggable: false,
        connectable: false,
      };
    });
    const edges: Edge[] = layout.edges.map((e) => ({
      id: `${e.from}->${e.to}`,
      source: e.from,
      target: e.to,
      markerEnd: { type: MarkerType.ArrowClosed },
      animated: byName.get(e.to)?.phase === "Running",
    }));
    return { nodes, edges, height: Math.min(560, Math.max(220, layout.height + 90)), cyclic: layout.cyclic };
  }, [steps]);

  // remount when the set of steps changes, so the view fits the new graph
  const shape = nodes.map((n) => n.id).join("\n");

  return (
    <div role="region" aria-label="Steps graph" className="dag" style={{ height }}>
      {cyclic.length > 0 && (
        <p className="error dag-warning">Dependency cycle between: {cyclic.join(", ")}.</p>
      )}
      <ReactFlow
        key={shape}
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        fitView
        fitViewOptions={{ padding: 0.15 }}
        minZoom={0.2}
        maxZoom={1}
        nodesDraggable={false}
        nodesConnectable={false}
        elementsSelectable={false}
        zoomOnScroll={false}
        preventScrolling={false}
        onNodeClick={(_, node) => onSelect?.(node.id)}
      >
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}
