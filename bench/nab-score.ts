/**
 * The Numenta Anomaly Benchmark's scoring (NAB `sweeper.py`, standard profile), for one file: detections are row
 * indices; labelled windows are inclusive row ranges. Checked against NAB's published per-file scores by
 * `npm run bench:nab` (its calibration files must reproduce the `numenta` detector's scores to 3 decimals).
 */

/** NAB's cost profile (profiles.json). */
export interface NabProfile { tpWeight: number; fnWeight: number; fpWeight: number }
export const NAB_STANDARD: NabProfile = { tpWeight: 1, fnWeight: 1, fpWeight: 0.11 };

export interface NabFileScore { score: number; tp: number; fp: number; fn: number; windows: number }

/** NAB's sigmoid: 2 / (1 + e^(5y)) − 1, and −1 past y = 3. */
export function scaledSigmoid(y: number): number {
  return y > 3 ? -1 : 2 / (1 + Math.exp(5 * y)) - 1;
}

/** Rows of a file NAB does not score: the first min(floor(0.15 n), 750). */
export function probationaryRows(rows: number): number {
  return Math.min(Math.floor(0.15 * rows), 750);
}

/**
 * Raw score of one file. `windows` are [firstRow, lastRow] (inclusive, ascending, disjoint); `detected(i)` says
 * whether row i is a detection. The first detection inside a window earns scaledSigmoid(−(last − i + 1) / width)
 * / scaledSigmoid(−1) × tpWeight and later ones there count for nothing; a window without one costs fnWeight; a
 * detection outside every window costs fpWeight × −scaledSigmoid(rows since the previous window's end / (its
 * width − 1)), or fpWeight before the first window. Probationary rows are not scored, nor windows ending in them.
 */
export function nabFileScore(rows: number, windows: [number, number][], detected: (row: number) => boolean, profile: NabProfile = NAB_STANDARD): NabFileScore {
  const probation = probationaryRows(rows);
  const maxTp = scaledSigmoid(-1);
  const scored = windows.filter(([, last]) => last >= probation);
  let score = 0;
  let tp = 0;
  let fp = 0;
  let next = 0;
  let previous: { last: number; width: number } | null = null;
  const hit = new Set<number>();
  for (let i = probation; i < rows; i++) {
    while (next < scored.length && scored[next][1] < i) {
      previous = { last: scored[next][1], width: scored[next][1] - scored[next][0] + 1 };
      next++;
    }
    if (!detected(i)) continue;
    const window = next < scored.length && scored[next][0] <= i ? next : null;
    if (window !== null) {
      if (hit.has(window)) continue;
      hit.add(window);
      const [first, last] = scored[window];
      const width = last - first + 1;
      score += (scaledSigmoid(-(last - i + 1) / width) / maxTp) * profile.tpWeight;
      tp++;
    } else {
      score += previous === null ? -profile.fpWeight : scaledSigmoid((i - previous.last) / (previous.width - 1)) * profile.fpWeight;
      fp++;
    }
  }
  const fn = scored.length - hit.size;
  score -= fn * profile.fnWeight;
  return { score, tp, fp, fn, windows: scored.length };
}

/** NAB's normalised score of a set of files: 100 × (S − S_null) / (S_perfect − S_null), S_null = −windows. */
export function nabNormalised(scores: { score: number; windows: number }[], profile: NabProfile = NAB_STANDARD): number {
  const sum = scores.reduce((a, s) => a + s.score, 0);
  const windows = scores.reduce((a, s) => a + s.windows, 0);
  const nullScore = -windows * profile.fnWeight;
  const perfect = windows * profile.tpWeight;
  return windows === 0 ? 0 : (100 * (sum - nullScore)) / (perfect - nullScore);
}
