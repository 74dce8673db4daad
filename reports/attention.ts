/**
 * "Needs attention": what a reviewer must look at, grouped and ranked so that the worst comes first and a long
 * day does not bury it. Excursions are grouped per sensor and rule (one line for a sensor that kept crossing the
 * same rule), critical before warning, longest first; each line says in plain words what the rule saw (a gap's
 * span, a stuck value and for how long, the value and which limit it crossed: a static specification limit or a
 * statistical band). Each group shows its count and at most a few lines; the rest are in the table and the CSV.
 */
import { formatValue, timestampMs } from "./charts";
import { ReportData, ResultRecord, recordsOf, resultOf } from "./model";

/** One line of a group: who (a sensor or a device, and where), what happened, ranked by `weight` (higher first). */
export interface AttentionLine {
  subject: string;
  text: string;
  weight: number;
}

/** A heading with its count, its lines (worst first) and where the full list is. */
export interface AttentionGroup {
  id: string;
  title: string;
  /** How many findings the group holds, not how many lines; `counted` names them ("episodes", "sensors"). */
  count: number;
  counted: string;
  lines: AttentionLine[];
  /** The query whose section and CSV hold every finding of the group. */
  queryId: string;
}

const DAY_SECONDS = 86_400;

/** A span as people read it: "45 s", "4 min 05 s", "2 h 05 min". */
export function spanText(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${String(s % 60).padStart(2, "0")} s` : ""}`;
  const minutes = Math.round((s % 3600) / 60);
  return `${Math.floor(s / 3600)} h${minutes ? ` ${String(minutes).padStart(2, "0")} min` : ""}`;
}

/** A timestamp of the report day as its time of day; another day's with its date. */
function when(timestamp: string, date: string): string {
  return timestamp.startsWith(date) ? timestamp.slice(11, 19) : timestamp.slice(0, 19);
}

/** Seconds an episode lasted, counting one still open up to midnight of the report day. */
function episodeSeconds(e: ResultRecord, date: string): number {
  if (e.duration_seconds !== null) return Number(e.duration_seconds);
  const midnight = Date.parse(`${date}T00:00:00Z`) / 1000 + DAY_SECONDS;
  return midnight - timestampMs(e.episode_start!) / 1000;
}

const STATISTICAL: Record<string, string> = {
  deviation: "far from its recent readings",
  level_shift: "its recent mean shifted",
  rate_of_change: "a step between readings far larger than usual",
};

/** What the rule saw in one episode, in words that name the rule and its limit. */
export function episodeFinding(e: ResultRecord, date: string): string {
  const span = e.episode_end === null ? `from ${when(e.episode_start!, date)}, still open at midnight` : `from ${when(e.episode_start!, date)} to ${when(e.episode_end, date)}`;
  const lasted = spanText(episodeSeconds(e, date));
  const peak = formatValue(e.peak_value);
  const limit = e.limit_value === null ? null : formatValue(e.limit_value);
  switch (e.rule) {
    case "data_gap":
      return `data gap: no readings for ${lasted}, ${span}`;
    case "flatline":
      return `flatline: stuck at ${peak} for ${lasted}, ${span}`;
    case "static_limit": {
      const above = e.peak_value !== null && e.limit_value !== null && Number(e.peak_value) > Number(e.limit_value);
      const which = limit === null ? "its static limit" : `its ${above ? "upper" : "lower"} static limit ${limit}`;
      return `static limit: ${peak} ${above ? "above" : "below"} ${which} (specification) for ${lasted}, ${span}`;
    }
    default: {
      const what = STATISTICAL[e.rule ?? ""] ?? "outside its statistical band";
      const band = limit === null ? "" : ` against its statistical band's edge ${limit}`;
      return `${(e.rule ?? "rule").replace(/_/g, " ")} (${what}): peak ${peak}${band} for ${lasted}, ${span}`;
    }
  }
}

/** Episodes of one sensor and rule, as one line: the longest described, the others counted. */
function excursionLines(episodes: ResultRecord[], date: string): AttentionLine[] {
  const bySensorRule = new Map<string, ResultRecord[]>();
  for (const e of episodes) {
    const key = [e.site, e.line, e.device_id, e.metric, e.rule].join("\u0000");
    bySensorRule.set(key, [...(bySensorRule.get(key) ?? []), e]);
  }
  return [...bySensorRule.values()].map((group) => {
    const seconds = group.map((e) => episodeSeconds(e, date));
    const total = seconds.reduce((a, b) => a + b, 0);
    const longest = group[seconds.indexOf(Math.max(...seconds))];
    const more = group.length > 1 ? ` (longest of ${group.length} episodes, ${spanText(total)} in all)` : "";
    return { subject: sensorName(longest), text: `${episodeFinding(longest, date)}${more}.`, weight: total };
  });
}

const plural = (n: number, noun: string) => (n === 1 ? noun : `${noun}s`);

const byWeight = (a: AttentionLine, b: AttentionLine) => b.weight - a.weight || a.subject.localeCompare(b.subject);

/** "a2-press02 temperature (plant-a/line-2)". */
const sensorName = (r: ResultRecord) => `${r.device_id} ${r.metric} (${r.site}/${r.line})`;

/**
 * Incomplete sensors, one line per device (a device that drops out loses every metric at once): its metrics
 * and how much of the expected record each holds, the emptiest device first.
 */
function incompleteLines(incomplete: ResultRecord[]): AttentionLine[] {
  const byDevice = new Map<string, ResultRecord[]>();
  for (const c of incomplete) {
    const key = [c.site, c.line, c.device_id].join("\u0000");
    byDevice.set(key, [...(byDevice.get(key) ?? []), c]);
  }
  return [...byDevice.values()].map((sensors) => {
    const pct = sensors.map((c) => Number(c.completeness_pct ?? 0));
    const received = sensors.reduce((n, c) => n + Number(c.received_readings ?? 0), 0);
    const expected = sensors.reduce((n, c) => n + Number(c.expected_readings ?? 0), 0);
    const share = Math.min(...pct) === Math.max(...pct) ? `${pct[0]} %` : `${Math.min(...pct)} to ${Math.max(...pct)} %`;
    const metrics = sensors.map((c) => c.metric).join(", ");
    return {
      subject: `${sensors[0].device_id} (${sensors[0].site}/${sensors[0].line})`,
      text: `${sensors.length === 1 ? metrics : `${sensors.length} metrics (${metrics})`}: ${received} of ${expected} expected readings, ${share} of the record.`,
      weight: 100 - Math.min(...pct),
    };
  });
}

/** The groups of findings for the report, in the order a reviewer reads them; empty groups are left out. */
export function attentionGroups(data: ReportData): AttentionGroup[] {
  const excursions = recordsOf(resultOf(data, "excursions"));
  const completeness = recordsOf(resultOf(data, "data-completeness"));
  const critical = excursions.filter((e) => e.severity === "critical");
  const warning = excursions.filter((e) => e.severity !== "critical");
  const silent = completeness.filter((c) => c.status === "silent");
  const incomplete = completeness.filter((c) => c.status === "incomplete");
  const groups: AttentionGroup[] = [
    { id: "critical", title: "Critical excursions", count: critical.length, counted: plural(critical.length, "episode"), lines: excursionLines(critical, data.date).sort(byWeight), queryId: "excursions" },
    {
      id: "silent",
      title: "Sensors silent all day",
      count: silent.length,
      counted: plural(silent.length, "sensor"),
      lines: silent.map((c) => ({ subject: sensorName(c), text: "sent no reading all day.", weight: 0 })).sort(byWeight),
      queryId: "data-completeness",
    },
    { id: "warning", title: "Warning excursions", count: warning.length, counted: plural(warning.length, "episode"), lines: excursionLines(warning, data.date).sort(byWeight), queryId: "excursions" },
    { id: "incomplete", title: "Sensors incomplete", count: incomplete.length, counted: plural(incomplete.length, "sensor"), lines: incompleteLines(incomplete).sort(byWeight), queryId: "data-completeness" },
  ];
  return groups.filter((g) => g.count > 0);
}
