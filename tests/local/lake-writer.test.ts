/**
 * Partition swaps publish a replay's changes by rename, and finish after a crash: running a swap again from any
 * point inside it ends with the staged partition in place (or the partition gone), never both or neither.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applySwap, type PartitionSwap } from "../../local/lake-writer";

describe("partition swaps", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "iotpipe-swap-test-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (path: string, text: string) => {
    mkdirSync(join(path, ".."), { recursive: true });
    writeFileSync(path, text);
  };
  const lake = () => join(dir, "lake");
  const staging = () => join(lake(), ".staging-1");
  const swap: PartitionSwap = { table: "readings", partition: "dt=2026-11-02", action: "replace" };
  const published = () => readFileSync(join(lake(), "readings", "dt=2026-11-02", "part-0.parquet"), "utf8");

  it("replaces a partition with its staged copy, and running it again is a no-op", () => {
    write(join(lake(), "readings", "dt=2026-11-02", "part-0.parquet"), "old");
    write(join(staging(), "new", "readings", "dt=2026-11-02", "part-0.parquet"), "new");
    applySwap(lake(), staging(), swap);
    expect(published()).toBe("new");
    applySwap(lake(), staging(), swap);
    expect(published()).toBe("new");
  });

  it("finishes a swap interrupted between its two renames (the partition briefly missing)", () => {
    write(join(lake(), "readings", "dt=2026-11-02", "part-0.parquet"), "old");
    write(join(staging(), "new", "readings", "dt=2026-11-02", "part-0.parquet"), "new");
    // The state a crash right after the first rename leaves.
    mkdirSync(join(staging(), "old", "readings"), { recursive: true });
    renameSync(join(lake(), "readings", "dt=2026-11-02"), join(staging(), "old", "readings", "dt=2026-11-02"));
    applySwap(lake(), staging(), swap);
    expect(published()).toBe("new");
    expect(readdirSync(join(lake(), "readings"))).toEqual(["dt=2026-11-02"]);
  });

  it("removes a partition left without rows, idempotently", () => {
    write(join(lake(), "alerts", "dt=2026-11-02", "part-0.parquet"), "old");
    const remove: PartitionSwap = { table: "alerts", partition: "dt=2026-11-02", action: "remove" };
    applySwap(lake(), staging(), remove);
    applySwap(lake(), staging(), remove);
    expect(existsSync(join(lake(), "alerts", "dt=2026-11-02"))).toBe(false);
    expect(readdirSync(join(lake(), "alerts"))).toEqual([]);
  });
});
