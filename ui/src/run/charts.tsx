// The score charts (recharts): the dashboard's average score per day and the history's score per workflow
// over time. Each is an image to assistive technology, named by a summary, with its data as a hidden table.
import {
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  Scatter,
  ScatterChart,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import { dateTime, score } from "../lib/format";
import { describeDays, describeSeries, shortDay, type DayPoint, type WorkflowSeries } from "./series";

/** Line colours, distinguishable and dark enough on white. */
const PALETTE = ["#5b3cc4", "#1b7f8c", "#c2410c", "#2f6fd0", "#a21caf", "#4d7c0f", "#b91c1c", "#475569"];

export function seriesColour(i: number): string {
  return PALETTE[i % PALETTE.length];
}

function shortDate(t: number): string {
  return new Date(t).toLocaleDateString(undefined, { day: "numeric", month: "short" });
}

export function ScoreTrendChart({ points }: { points: DayPoint[] }) {
  const withRuns = points.filter((p) => p.score !== null);
  return (
    <figure className="runs-chart">
      <div role="img" aria-label={describeDays(points)}>
        <LineChart
          responsive
          style={{ width: "100%", height: 240 }}
          data={points}
          margin={{ top: 8, right: 16, bottom: 0, left: 0 }}
          accessibilityLayer={false}
        >
          <CartesianGrid strokeDasharray="3 3" stroke="#dfe2ec" />
          <XAxis dataKey="day" tickFormatter={shortDay} minTickGap={20} fontSize={12} />
          <YAxis domain={[0, 100]} width={36} fontSize={12} />
          <Tooltip
            labelFormatter={(day) => shortDay(String(day))}
            formatter={(v) => [score(typeof v === "number" ? v : null), "Average score"]}
          />
          <Line
            type="monotone"
            dataKey="score"
            name="Average score"
            stroke={PALETTE[0]}
            strokeWidth={2}
            connectNulls
            isAnimationActive={false}
          />
        </LineChart>
      </div>
      <table className="visually-hidden">
        <caption>Average score per day</caption>
        <thead>
          <tr>
            <th scope="col">Day</th>
            <th scope="col">Average score</th>
            <th scope="col">Runs</th>
          </tr>
        </thead>
        <tbody>
          {withRuns.map((p) => (
            <tr key={p.day}>
              <td>{p.day}</td>
              <td>{score(p.score)}</td>
              <td>{p.runs}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

export function ScoreOverTimeChart({ series }: { series: WorkflowSeries[] }) {
  return (
    <figure className="runs-chart">
      <div role="img" aria-label={describeSeries(series)}>
        <ScatterChart
          responsive
          style={{ width: "100%", height: 280 }}
          margin={{ top: 8, right: 16, bottom: 0, left: 0 }}
          accessibilityLayer={false}
        >
          <CartesianGrid strokeDasharray="3 3" stroke="#dfe2ec" />
          <XAxis
            type="number"
            dataKey="t"
            name="Created"
            scale="time"
            domain={["dataMin", "dataMax"]}
            tickFormatter={shortDate}
            minTickGap={20}
            fontSize={12}
          />
          <YAxis type="number" dataKey="score" name="Score" domain={[0, 100]} width={36} fontSize={12} />
          <Tooltip
            formatter={(v, name) => (name === "Created" && typeof v === "number" ? dateTime(new Date(v).toISOString()) : v)}
          />
          <Legend />
          {series.map((s, i) => (
            <Scatter
              key={s.workflow}
              name={s.workflow}
              data={s.points}
              fill={seriesColour(i)}
              line={{ stroke: seriesColour(i), strokeWidth: 2 }}
              isAnimationActive={false}
            />
          ))}
        </ScatterChart>
      </div>
    </figure>
  );
}
