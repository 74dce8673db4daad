/**
 * Progress bars for steps that take more than a moment. Drawn on stderr and only on a terminal, so piped
 * output and CI logs stay clean.
 */
import { SingleBar, Presets } from "cli-progress";

/** A progress reporter: `update(done, total)`, then `stop()`. */
export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

/** A bar labelled with what is being done, e.g. "simulate". Silent when stderr is not a terminal. */
export function progressBar(label: string, unit: string): Progress {
  if (!process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new SingleBar(
    {
      format: `  ${label.padEnd(9)} {bar} {percentage}% | {value}/{total} ${unit} | {duration_formatted}`,
      hideCursor: true,
      clearOnComplete: true,
      stream: process.stderr,
    },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total) {
      if (!started) {
        bar.start(total, 0);
        started = true;
      }
      bar.setTotal(total);
      bar.update(done);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
