/**
 * Scores what the analytics found against what the simulator injected: per fault detected or missed and
 * how fast, and which alerts nobody asked for (false alerts). Alerts, not anomaly rows, are the unit: an
 * operator sees one notification per episode, so that is what recall and false alerts are counted in.
 */
import { ALERTS } from "../lake/tables";
import { queryLakeTable } from "../local/lake-query";
import type { FaultLabel } from "./faults";
import type { ExpectedCounts } from "./simulate";

/** One alert episode as the lake's `alerts` table records its opening transition. */
export interface AlertEpisode {
  device_id: string;
  site: string;
  line: string;
  metric: string | null;
  rule: string;
  /**
   * When the alert opened, epoch ms: the episode's first anomalous reading, or for a silence the moment it was
   * noticed (its open transition's event time; its episode_start is the last reading before it).
   */
  episode_start: number;
  severity: string;
}

export interface ScoringOptions {
  /** An alert this long before a fault starts still counts (device clocks jitter, windows round). */
  earlyToleranceMs: number;
  /**
   * A spike lasts seconds; an alert on the way back down (rate of change) within this margin still caught it.
   * Drifts and stuck sensors must be caught while they last: an alert that only opens when the fault is
   * repaired has not detected it.
   */
  spikeMarginMs: number;
  /**
   * A dropout is provable only once the device is heard from again, so its detection may open this long
   * after the silence ends.
   */
  dropoutResumeMs: number;
  /** Alerts this long after a fault ends (a baseline settling back, the repair itself) belong to the fault: not false. */
  settleMs: number;
}

export const DEFAULT_SCORING: ScoringOptions = {
  earlyToleranceMs: 60_000,
  spikeMarginMs: 60_000,
  dropoutResumeMs: 5 * 60_000,
  settleMs: 15 * 60_000,
};

/** The outcome for one signal fault. */
export interface FaultFinding {
  fault: FaultLabel;
  detected: boolean;
  /** First detecting alert's start minus the fault's start (never negative), ms; null when missed. */
  delayMs: number | null;
  /** Rules of the detecting alerts, in order of first firing. */
  rules: string[];
  /** True when at least one detecting alert came from a rule the label expects. */
  expectedRuleFired: boolean;
}

export interface Scorecard {
  findings: FaultFinding[];
  detected: number;
  total: number;
  /** detected / total (1 when there is nothing to detect). */
  recall: number;
  /**
   * Alerts that match no detection but are explained by an injected fault: the settling after a signal fault
   * (or its repair), or a delivery fault (e.g. a gap while messages were held back an hour). Not false.
   */
  explained: Array<{ alert: AlertEpisode; fault: FaultLabel }>;
  /** Alerts that match no injected fault. */
  falseAlerts: AlertEpisode[];
  /** Median detection delay over detected faults, ms; null when none detected. */
  medianDelayMs: number | null;
}

/** Same device, and same metric unless the fault or the alert is device-wide. */
function sameSensor(alert: AlertEpisode, fault: FaultLabel): boolean {
  if (alert.device_id !== fault.device_id) return false;
  return fault.metric === null || alert.metric === null || alert.metric === fault.metric;
}

function detects(alert: AlertEpisode, fault: FaultLabel, o: ScoringOptions): boolean {
  const margin = fault.kind === "dropout" ? o.dropoutResumeMs : fault.kind === "spike" ? o.spikeMarginMs : 0;
  const deadline = fault.end + margin;
  return sameSensor(alert, fault) && alert.episode_start >= fault.start - o.earlyToleranceMs && alert.episode_start < deadline;
}

function explains(alert: AlertEpisode, fault: FaultLabel, o: ScoringOptions): boolean {
  return sameSensor(alert, fault) && alert.episode_start >= fault.start - o.earlyToleranceMs && alert.episode_start < fault.end + o.settleMs;
}

/** Matches alert episodes to labelled faults. Pure: the tests feed it crafted episodes. */
export function scoreDetections(faults: FaultLabel[], alerts: AlertEpisode[], options: ScoringOptions = DEFAULT_SCORING): Scorecard {
  const ordered = [...alerts].sort((a, b) => a.episode_start - b.episode_start);
  const signal = faults.filter((f) => f.expected_rules.length > 0);
  const used = new Set<AlertEpisode>();

  const findings: FaultFinding[] = signal.map((fault) => {
    const matches = ordered.filter((a) => detects(a, fault, options));
    matches.forEach((a) => used.add(a));
    const first = matches[0];
    return {
      fault,
      detected: matches.length > 0,
      delayMs: first ? Math.max(0, first.episode_start - fault.start) : null,
      rules: [...new Set(matches.map((a) => a.rule))],
      expectedRuleFired: matches.some((a) => fault.expected_rules.includes(a.rule)),
    };
  });

  const explained: Scorecard["explained"] = [];
  const falseAlerts: AlertEpisode[] = [];
  for (const alert of ordered) {
    if (used.has(alert)) continue;
    const fault = faults.find((f) => explains(alert, f, options));
    if (fault) explained.push({ alert, fault });
    else falseAlerts.push(alert);
  }

  const detected = findings.filter((f) => f.detected);
  const delays = detected.map((f) => f.delayMs!).sort((a, b) => a - b);
  return {
    findings,
    detected: detected.length,
    total: findings.length,
    recall: findings.length === 0 ? 1 : detected.length / findings.length,
    explained,
    falseAlerts,
    medianDelayMs: delays.length === 0 ? null : delays[Math.floor((delays.length - 1) / 2)],
  };
}

/** One delivery-fault figure: what the simulator injected beside what the ingest path counted. */
export interface DeliveryCheck {
  what: string;
  expected: number;
  actual: number;
  ok: boolean;
}

/** What a replay reports that can be held against the simulator's expectations. */
export interface ReplayFigures {
  counts: { input: number; accepted: number; quarantined: number; duplicates: number; late: number };
  byReason: Record<string, number>;
  readings: { accepted: number; late: number };
}

/**
 * Holds a replay's counts against the simulator's exact expectations: every duplicate dropped, every late
 * message flagged, every malformed message quarantined for the right reason, every valid reading kept.
 */
export function checkDelivery(expected: ExpectedCounts, replayed: ReplayFigures): DeliveryCheck[] {
  const check = (what: string, e: number, actual: number): DeliveryCheck => ({ what, expected: e, actual, ok: e === actual });
  const reasons = new Set([...Object.keys(expected.quarantined_by_reason), ...Object.keys(replayed.byReason).filter((r) => replayed.byReason[r] > 0)]);
  return [
    check("records in", expected.lines, replayed.counts.input),
    check("accepted messages", expected.accepted_messages, replayed.counts.accepted),
    check("accepted readings", expected.accepted_readings, replayed.readings.accepted),
    check("duplicates dropped", expected.duplicates, replayed.counts.duplicates),
    check("late messages flagged", expected.late_messages, replayed.counts.late),
    check("late readings flagged", expected.late_readings, replayed.readings.late),
    ...[...reasons].sort().map((reason) => check(`quarantined: ${reason}`, expected.quarantined_by_reason[reason] ?? 0, replayed.byReason[reason] ?? 0)),
  ];
}

/**
 * Reads the opening transitions of every alert episode from a local lake's `alerts` table (Parquet under
 * `alerts/dt=*`). A lake without an alerts directory has raised no alert: that is an empty list, not an error.
 */
export async function readAlertEpisodes(lakeDir: string): Promise<AlertEpisode[]> {
  const rows = await queryLakeTable(
    lakeDir,
    ALERTS.name,
    (from) => `SELECT device_id, site, line, metric, rule, CAST(epoch_ms(event_ts) AS DOUBLE) AS episode_start, severity
         FROM ${from}
        WHERE state = 'open'
        ORDER BY episode_start, device_id, metric, rule`,
  );
  return rows.map((row) => ({
    device_id: String(row.device_id),
    site: String(row.site),
    line: String(row.line),
    metric: row.metric === null ? null : String(row.metric),
    rule: String(row.rule),
    episode_start: Number(row.episode_start),
    severity: String(row.severity),
  }));
}
