/**
 * Why a replay refused to run or to publish, as a typed error: the CLI chooses the next step from `problem`,
 * never from the message text. Anything else a replay throws is an interruption (disk full, killed, a bug),
 * which running the same command again resumes.
 */

export const REPLAY_PROBLEMS = [
  "input_missing",
  "input_unreadable",
  "input_empty",
  "csv_no_header",
  "csv_bad_header",
  "csv_wrong_separator",
  "lake_not_directory",
  "lake_not_writable",
  "lake_busy",
  "settings_changed",
] as const;
export type ReplayProblem = (typeof REPLAY_PROBLEMS)[number];

export class ReplayInputError extends Error {
  constructor(readonly problem: ReplayProblem, message: string) {
    super(message);
    this.name = "ReplayInputError";
  }
}

/**
 * DuckDB's refusal to open a database file another process holds (it locks the file for a writer), or undefined
 * for any other error. The one place that reads DuckDB's message text: its errors carry no code for this.
 */
export function lockHolder(error: unknown): { pid?: number } | undefined {
  const message = error instanceof Error ? error.message : String(error);
  if (!/Could not set lock on file/.test(message)) return undefined;
  const pid = /\(PID (\d+)\)/.exec(message)?.[1];
  return pid === undefined ? {} : { pid: Number(pid) };
}
