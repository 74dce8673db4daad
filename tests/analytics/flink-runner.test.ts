/** Runs the PyFlink runner's own tests (stdlib unittest with a stand-in table environment) under jest. */
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";

it("flink-app/test_main.py passes (python3 -m unittest)", () => {
  const result = spawnSync("python3", ["-B", "-m", "unittest", "discover", "-s", "flink-app", "-p", "test_*.py"], {
    cwd: resolve(__dirname, "../.."),
    encoding: "utf8",
    timeout: 60_000,
  });
  if (result.error) throw result.error;
  expect({ status: result.status, output: result.status === 0 ? "" : result.stderr }).toEqual({ status: 0, output: "" });
  expect(result.stderr).toMatch(/Ran \d+ tests/);
});
