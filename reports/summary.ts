/**
 * The day in a few figures: the first thing a reader of the HTML report sees, the SNS message, and what the
 * CLI prints. Computed from the query results only, so every engine summarises the same way.
 */
import { ReportData, recordsOf, resultOf } from "./model";

export interface ReportSummary {
  date: string;
  site: string;
  /** Sensors (device and metric) that reported on the day, and their readings. */
  sensorsReporting: number;
  readings: number;
  /** Alert episodes open at any time on the day; of them, still open at midnight; of them, critical. */
  excursions: number;
  excursionsOpenAtMidnight: number;
  criticalExcursions: number;
  /** Known sensors that reported less than expected, or nothing at all. */
  incompleteSensors: number;
  silentSensors: number;
  /** Gaps longer than the threshold, and their total length in hours. */
  gaps: number;
  gapHours: number;
  anomalies: number;
  criticalAnomalies: number;
  /** Devices in the inventory: registered ones and those seen in the lookback. */
  devices: number;
  /** Of those, the ones without a reading on the report day (a registered device that never reported included). */
  silentDevices: number;
  openAlerts: number;
}

const int = (v: string | null) => (v === null ? 0 : Number(v));
const sum = (values: Array<string | null>) => values.reduce((total, v) => total + int(v), 0);

export function summarize(data: ReportData): ReportSummary {
  const log = recordsOf(resultOf(data, "daily-sensor-log"));
  const excursions = recordsOf(resultOf(data, "excursions"));
  const completeness = recordsOf(resultOf(data, "data-completeness"));
  const gaps = recordsOf(resultOf(data, "data-gaps"));
  const anomalies = recordsOf(resultOf(data, "anomaly-summary"));
  const inventory = recordsOf(resultOf(data, "device-inventory"));
  return {
    date: data.date,
    site: data.site,
    sensorsReporting: log.length,
    readings: sum(log.map((r) => r.sample_count)),
    excursions: excursions.length,
    excursionsOpenAtMidnight: excursions.filter((e) => e.status === "open").length,
    criticalExcursions: excursions.filter((e) => e.severity === "critical").length,
    incompleteSensors: completeness.filter((c) => c.status === "incomplete").length,
    silentSensors: completeness.filter((c) => c.status === "silent").length,
    gaps: gaps.length,
    gapHours: Math.round((sum(gaps.map((g) => g.gap_seconds)) / 3600) * 10) / 10,
    anomalies: sum(anomalies.map((a) => a.anomalies)),
    criticalAnomalies: sum(anomalies.map((a) => a.critical)),
    devices: inventory.length,
    silentDevices: inventory.filter((d) => int(d.readings_on_day) === 0).length,
    openAlerts: sum(inventory.map((d) => d.open_alerts)),
  };
}

/** A short plain-text summary (the SNS message body and the CLI's closing lines). */
export function summaryText(s: ReportSummary, location: string): string {
  const scope = s.site === "*" ? "all sites" : `site ${s.site}`;
  return [
    `Compliance report for ${s.date}, ${scope}: ${location}`,
    `${s.sensorsReporting} sensors reported ${s.readings} readings on ${s.devices - s.silentDevices} devices${s.silentDevices > 0 ? ` (${s.silentDevices} more silent all day)` : ""}.`,
    `Excursions: ${s.excursions} (${s.criticalExcursions} critical, ${s.excursionsOpenAtMidnight} still open at midnight).`,
    `Completeness: ${s.incompleteSensors} sensors incomplete, ${s.silentSensors} silent all day, ${s.gaps} gaps (${s.gapHours} h).`,
    `Anomalies: ${s.anomalies} (${s.criticalAnomalies} critical). Open alerts at midnight: ${s.openAlerts}.`,
  ].join("\n");
}
