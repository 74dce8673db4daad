/**
 * Parsers for option values: each refuses a bad value with what is allowed, so `--hours abc` says
 * "must be a positive number" instead of simulating NaN hours.
 */
import { InvalidArgumentError } from "commander";

/** A whole number within [min, max]. */
export function integerIn(min: number, max: number): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
    }
    return value;
  };
}

/** A finite number greater than zero (and at most max). */
export function positiveNumber(max = Number.MAX_SAFE_INTEGER): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (text.trim() === "" || !Number.isFinite(value) || value <= 0 || value > max) {
      throw new InvalidArgumentError(`must be a number greater than 0 and at most ${max}`);
    }
    return value;
  };
}

/** A finite number, zero or more. */
export function nonNegativeNumber(text: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value < 0) throw new InvalidArgumentError("must be a number, 0 or more");
  return value;
}

/** A calendar date YYYY-MM-DD that exists. */
export function isoDate(text: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const date = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
  if (!m || !date || date.toISOString().slice(0, 10) !== text) throw new InvalidArgumentError("must be a date as YYYY-MM-DD, e.g. 2026-11-02");
  return text;
}

/** An ISO-8601 instant, `YYYY-MM-DD[THH:MM[:SS[.mmm]]][Z|±HH:MM]`, UTC unless it names a zone; epoch ms. */
export function isoInstant(text: string): number {
  const m = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?))?(Z|[+-]\d{2}:\d{2})?$/.exec(text);
  const ms = m ? Date.parse(`${m[1]}T${m[2] ?? "00:00"}${m[3] ?? "Z"}`) : NaN;
  if (!Number.isFinite(ms)) throw new InvalidArgumentError("must be an ISO-8601 time, e.g. 2026-11-02T06:00:00Z");
  return ms;
}

/** A TCP port; 0 asks the system for a free one. */
export const port = integerIn(0, 65535);

/** One of a fixed set of words. */
export function oneOf<T extends string>(...values: T[]): (text: string) => T {
  return (text) => {
    if (!(values as string[]).includes(text)) throw new InvalidArgumentError(`must be one of ${values.join(", ")}`);
    return text as T;
  };
}
