import { hash32, Rng } from "../../simulator/prng";

describe("seeded generator", () => {
  test("the same seed gives the same sequence, another seed a different one", () => {
    const draw = (seed: number) => Array.from({ length: 8 }, ((r) => () => r.next())(new Rng(seed)));
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
  });

  test("mulberry32 reference values (first output for seed 1 is the published 0.6270739405881613)", () => {
    const r = new Rng(1);
    expect([r.next(), r.next(), r.next()].map((x) => Math.round(x * 4294967296))).toEqual([2693262067, 11749833, 2265367787]);
  });

  test("uniform, int and normal have the right shape", () => {
    const r = new Rng(123);
    const counts = [0, 0, 0, 0, 0];
    let sum = 0;
    let sumSq = 0;
    const n = 50_000;
    for (let i = 0; i < n; i++) {
      counts[r.int(0, 4)]++;
      const z = r.normal(10, 2);
      sum += z;
      sumSq += z * z;
    }
    for (const c of counts) expect(Math.abs(c - n / 5)).toBeLessThan(n / 50);
    const mean = sum / n;
    expect(mean).toBeCloseTo(10, 1);
    expect(Math.sqrt(sumSq / n - mean * mean)).toBeCloseTo(2, 1);
    const draws = Array.from({ length: 10_000 }, () => r.uniform(-3, 5));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(-3);
    expect(Math.max(...draws)).toBeLessThan(5);
  });

  test("derived streams differ by label and are reproducible", () => {
    expect(Rng.derive(1, "a").next()).toBe(Rng.derive(1, "a").next());
    expect(Rng.derive(1, "a").next()).not.toBe(Rng.derive(1, "b").next());
    expect(hash32("abc")).toBe(0x1a47e90b);
  });

  test("shuffle is a permutation; pick refuses an empty list", () => {
    const r = new Rng(5);
    expect(r.shuffle([1, 2, 3, 4, 5]).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(() => r.pick([])).toThrow(/empty/);
  });
});
