/**
 * Errors the CLI reports to people: what went wrong, and what to do next. Any other error escaping a command
 * is printed with its message (and its stack with IOTPIPE_DEBUG=1) and exits with EXIT.failed.
 */

/** Exit codes, documented in `iotpipe --help`. */
export const EXIT = {
  ok: 0,
  /** The command ran and failed (input missing, write failed, broker unreachable). */
  failed: 1,
  /** The command line was wrong (unknown option, bad value). */
  usage: 2,
  /** Replay finished but the conservation check failed: records were lost or double-counted. */
  conservation: 3,
} as const;

/** A failure with a message for the user and a hint naming the next step. */
export class CliError extends Error {
  constructor(message: string, readonly hint?: string, readonly exitCode: number = EXIT.failed) {
    super(message);
    this.name = "CliError";
  }
}
