/** Runs the `iotpipe` CLI in-process for tests and captures what it prints. */
import { run } from "../../cli/program";
import type { Io } from "../../cli/io";

export async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const io: Io = { out: (t) => void (out += t.endsWith("\n") ? t : `${t}\n`), err: (t) => void (err += t.endsWith("\n") ? t : `${t}\n`) };
  const code = await run(args, io);
  return { code, out, err };
}
