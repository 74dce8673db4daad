/**
 * A small seeded pseudo-random generator, so that `iotpipe simulate --seed N` writes the same bytes every
 * time (Math.random cannot be seeded). mulberry32 is pure 32-bit integer arithmetic, identical on every
 * platform; the signal model's Math.exp/sin/log may differ in the last bit between JavaScript engines, and
 * values are rounded to the sensor's resolution, so such a difference practically never reaches the output.
 * 32-bit state, period 2^32, good enough for sensor noise; not for cryptography.
 */

/** Hashes a label into 32 bits (FNV-1a) so independent streams can be derived by name. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Seeded generator with the few distributions the simulator needs. */
export class Rng {
  private state: number;
  /** Second normal deviate from the last Box-Muller draw. */
  private spareNormal: number | null = null;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Integer uniform in [min, max] (both inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** Normal deviate (Box-Muller), mean 0 and standard deviation 1 unless given. */
  normal(mean = 0, sd = 1): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return mean + sd * z;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return mean + sd * r * Math.cos(2 * Math.PI * v);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element, uniformly. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("cannot pick from an empty list");
    return items[Math.floor(this.next() * items.length)];
  }

  /** A shuffled copy (Fisher-Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }

  /**
   * An independent generator derived from this seed and a label. Each device draws its noise from its own
   * stream, so adding a fault or a device does not shift every other device's signal.
   */
  static derive(seed: number, label: string): Rng {
    return new Rng((seed >>> 0) ^ hash32(label));
  }
}
