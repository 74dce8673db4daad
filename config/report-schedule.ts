/**
 * Daylight-saving gaps versus a daily cron schedule. EventBridge Scheduler evaluates a cron expression in its time
 * zone and, on the spring-forward day, skips an invocation whose time does not exist (02:30 in Europe/Berlin on the
 * last Sunday of March), without an error or a metric: a daily compliance report would silently be missing once a
 * year. This module finds the local times a zone skips and the schedule times that fall into them.
 */

/** A span of local wall-clock time that does not exist in a zone: from `fromMinute` to `toMinute` (minutes of day). */
export interface DstGap {
  /** The local date of the gap, YYYY-MM-DD. */
  date: string;
  fromMinute: number;
  toMinute: number;
}

const MINUTE_MS = 60_000;
const SCAN_STEP_MS = 6 * 3600_000;

/** The zone's UTC offset at an instant, in minutes (Intl's `longOffset` name: `GMT+01:00`, `GMT-09:30`, `GMT`). */
function offsetMinutes(instant: number, timeZone: string, format: Intl.DateTimeFormat): number {
  const name = format.formatToParts(new Date(instant)).find((p) => p.type === "timeZoneName")?.value ?? "GMT";
  const m = /^GMT(?:([+-])(\d{2}):?(\d{2})?)?$/.exec(name);
  if (!m) throw new Error(`cannot read the UTC offset of ${timeZone} from '${name}'`);
  return m[1] ? (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0)) : 0;
}

const hhmm = (minute: number) => `${String(Math.floor(minute / 60)).padStart(2, "0")}:${String(minute % 60).padStart(2, "0")}`;

/**
 * The local times `timeZone` skips between `from` and `from + days`: every forward jump of its UTC offset. A gap
 * that crosses local midnight is returned as two gaps, one per local date.
 */
export function dstGaps(timeZone: string, from: Date, days = 730): DstGap[] {
  const format = new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "longOffset" });
  const offset = (t: number) => offsetMinutes(t, timeZone, format);
  const gaps: DstGap[] = [];
  const end = from.getTime() + days * 86_400_000;
  for (let t = from.getTime(); t < end; t += SCAN_STEP_MS) {
    const before = offset(t);
    const after = offset(t + SCAN_STEP_MS);
    if (after <= before) continue;
    // Narrow the jump to the minute: `low` still has the old offset, `high` the new one.
    let low = t;
    let high = t + SCAN_STEP_MS;
    while (high - low > MINUTE_MS) {
      const mid = low + Math.floor((high - low) / 2 / MINUTE_MS) * MINUTE_MS;
      if (offset(mid) === before) low = mid;
      else high = mid;
    }
    const localStart = new Date(high + before * MINUTE_MS); // the first local time that is skipped, as UTC fields
    const date = localStart.toISOString().slice(0, 10);
    const fromMinute = localStart.getUTCHours() * 60 + localStart.getUTCMinutes();
    const toMinute = fromMinute + (after - before);
    if (toMinute <= 1440) gaps.push({ date, fromMinute, toMinute });
    else {
      gaps.push({ date, fromMinute, toMinute: 1440 });
      const next = new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
      gaps.push({ date: next, fromMinute: 0, toMinute: toMinute - 1440 });
    }
  }
  return gaps;
}

/** Expands one cron field (`*`, `5`, `1-3`, `0,30`, `*\/15`, `10/20`, `1-9/2`) over `[min, max]`. */
function expandField(field: string, min: number, max: number): number[] {
  const values = new Set<number>();
  for (const part of field.split(",")) {
    const m = /^(\*|\d+)(?:-(\d+))?(?:\/(\d+))?$/.exec(part.trim());
    if (!m) throw new Error(`cron field '${field}' is not a list of numbers, ranges and steps`);
    const start = m[1] === "*" ? min : Number(m[1]);
    const stop = m[2] !== undefined ? Number(m[2]) : m[1] === "*" || m[3] !== undefined ? max : start;
    const step = m[3] !== undefined ? Number(m[3]) : 1;
    if (start < min || stop > max || step < 1) throw new Error(`cron field '${field}' is outside ${min}-${max}`);
    for (let v = start; v <= stop; v += step) values.add(v);
  }
  return [...values].sort((a, b) => a - b);
}

/**
 * Why `expression` (an EventBridge Scheduler `cron(min hour dom month dow year)`) loses runs to daylight saving
 * in `timeZone` within two years of `from`, or undefined when every run time exists. Rate expressions and zones
 * without DST never do. Day fields are not considered: a time in a gap is rejected even if its day never matches.
 */
export function scheduleDstProblem(expression: string, timeZone: string, from: Date): string | undefined {
  const m = /^cron\((.+)\)$/.exec(expression.trim());
  if (!m) return undefined;
  const [minuteField, hourField] = m[1].trim().split(/\s+/);
  const times = expandField(hourField, 0, 23).flatMap((h) => expandField(minuteField, 0, 59).map((mi) => h * 60 + mi));
  for (const gap of dstGaps(timeZone, from)) {
    const lost = times.filter((t) => t >= gap.fromMinute && t < gap.toMinute);
    if (lost.length > 0) {
      return (
        `${expression} names ${lost.map(hhmm).join(", ")}, ${lost.length > 1 ? "times that do" : "a time that does"} not exist in ${timeZone} on ${gap.date} ` +
        `(clocks jump from ${hhmm(gap.fromMinute)} to ${hhmm(gap.toMinute % 1440)}): EventBridge Scheduler skips that run ` +
        `without any alarm; schedule outside ${hhmm(gap.fromMinute)}-${hhmm(gap.toMinute - 1)} local time`
      );
    }
  }
  return undefined;
}
