/** A replay whose books do not balance must fail the command with its own exit code, never pass quietly. */
import { run } from "../../cli/program";
import { EXIT } from "../../cli/errors";
import { ConservationError } from "../../local/conservation";

jest.mock("../../local/replay", () => ({
  replay: async () => {
    throw new ConservationError({ input: 10, accepted: 8, quarantined: 1, duplicates: 0, late: 0 });
  },
}));

test("a conservation failure exits with code 3 and prints the unbalanced line", async () => {
  let err = "";
  const code = await run(["replay", "--input", "in.jsonl", "--out", "lake"], { out: () => undefined, err: (t) => void (err += `${t}\n`) });
  expect(code).toBe(EXIT.conservation);
  expect(err).toMatch(/error: conservation violated: input 10 = accepted 8 \+ quarantined 1 \+ duplicates 0 \(late 0 of 8\) does not hold/);
  expect(err).toMatch(/next: keep the input file and report it/);
});
