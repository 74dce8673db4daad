/**
 * Conservation: every record that enters a replay ends in exactly one accounted place. The line printed at
 * the end of every run, and the check that fails the run when the books do not balance.
 */

/** Records (JSON lines or CSV rows; a message with several readings is one record). */
export interface ReplayCounts {
  input: number;
  accepted: number;
  quarantined: number;
  duplicates: number;
  /** Accepted records that arrived behind the watermark (a subset of accepted). */
  late: number;
}

/** `input N = accepted A + quarantined Q + duplicates D (late L of A)` */
export function conservationLine(counts: ReplayCounts): string {
  return `input ${counts.input} = accepted ${counts.accepted} + quarantined ${counts.quarantined} + duplicates ${counts.duplicates} (late ${counts.late} of ${counts.accepted})`;
}

export class ConservationError extends Error {
  constructor(readonly counts: ReplayCounts) {
    super(`conservation violated: ${conservationLine(counts)} does not hold; the lake was not published. Re-run the replay; if it persists, report it with the input file.`);
    this.name = "ConservationError";
  }
}

/** Returns the conservation line, or throws ConservationError when the counts do not add up. */
export function checkConservation(counts: ReplayCounts): string {
  const values = Object.values(counts);
  const whole = values.every((v) => Number.isSafeInteger(v) && v >= 0);
  if (!whole || counts.input !== counts.accepted + counts.quarantined + counts.duplicates || counts.late > counts.accepted) {
    throw new ConservationError(counts);
  }
  return conservationLine(counts);
}
