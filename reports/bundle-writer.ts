/**
 * Writes a bundle so that a report, once complete, is never replaced and never looks complete when it is not:
 * - every object is created only if absent (S3 `If-None-Match: *`, a hard link locally): nothing is overwritten;
 * - the manifest goes last, so a bundle without one is a partial run, never a report;
 * - a re-run over the same data finds its own manifest with the same content hash and succeeds without writing;
 * - a re-run that would say something different fails loudly, naming the keys, because the locked report stands.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { BUNDLE_ROOT, Bundle, BundleManifest, MANIFEST_NAME, manifestFile } from "./bundle";

/** Where bundles are stored: S3 with Object Lock in the cloud, a directory locally. */
export interface BundleWriter {
  /** Where a key is, for people (`s3://bucket/reports/…`, `/path/to/reports/…`). */
  where(key: string): string;
  /** The object's bytes, or null when there is no object at the key. */
  read(key: string): Promise<Buffer | null>;
  /** Creates the object only if none exists at the key; returns false (and changes nothing) when one does. */
  createIfAbsent(key: string, body: Buffer, contentType: string): Promise<boolean>;
}

/** A report already exists at the keys with different content: it is locked and must not be replaced. */
export class BundleConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BundleConflictError";
  }
}

export interface BundleWriteResult {
  /** `written`: this run created the bundle (or completed a partial one); `unchanged`: it already existed. */
  status: "written" | "unchanged";
  /** Full keys of every file, manifest last. */
  keys: string[];
  manifestKey: string;
}

const sha256 = (data: Buffer) => crypto.createHash("sha256").update(data).digest("hex");

/** A stored manifest; one that is not JSON is a conflict for a person to inspect, never something to overwrite. */
export function parseManifest(bytes: Buffer, key: string): BundleManifest {
  try {
    return JSON.parse(bytes.toString("utf8")) as BundleManifest;
  } catch (error) {
    throw new BundleConflictError(`manifest ${key} exists but is not valid JSON (${(error as Error).message}); inspect the bundle by hand`);
  }
}

function compareManifest(existing: BundleManifest, bundle: Bundle, where: string): void {
  if (existing.contentSha256 !== bundle.manifest.contentSha256) {
    throw new BundleConflictError(
      `a different compliance report for ${bundle.manifest.date} (${bundle.manifest.site}) is already locked at ${where} ` +
        `(content ${existing.contentSha256}, this run ${bundle.manifest.contentSha256}, generated ${existing.generatedAt}); ` +
        `it is not overwritten. The lake changed after the report was written (late data?): review both, then record what the lake says now ` +
        `as an amendment that references the locked report (\`iotpipe report --amend "<reason>"\`, or the report job's event field "amend").`,
    );
  }
}

/** Writes the bundle through `writer` following the rules above. */
export async function writeBundle(writer: BundleWriter, bundle: Bundle): Promise<BundleWriteResult> {
  const manifestKey = `${bundle.prefix}${MANIFEST_NAME}`;
  const keys = [...bundle.files.map((f) => `${bundle.prefix}${f.name}`), manifestKey];
  const previous = await writer.read(manifestKey);
  if (previous) {
    compareManifest(parseManifest(previous, manifestKey), bundle, writer.where(manifestKey));
    return { status: "unchanged", keys, manifestKey };
  }
  for (const file of bundle.files) {
    const key = `${bundle.prefix}${file.name}`;
    if (await writer.createIfAbsent(key, file.body, file.contentType)) continue;
    // Left by an earlier run that stopped before its manifest: fine if identical, a conflict otherwise.
    const existing = await writer.read(key);
    if (!existing || sha256(existing) !== file.sha256) {
      throw new BundleConflictError(
        `${writer.where(key)} already exists with different content (an earlier partial run?) and is locked; ` +
          `the report for ${bundle.manifest.date} cannot be completed without review. No manifest was written.`,
      );
    }
  }
  const manifest = manifestFile(bundle);
  if (!(await writer.createIfAbsent(manifestKey, manifest.body, manifest.contentType))) {
    // A concurrent run finished first: same report, or a conflict to report.
    const raced = await writer.read(manifestKey);
    compareManifest(parseManifest(raced ?? Buffer.from("{}"), manifestKey), bundle, writer.where(manifestKey));
    return { status: "unchanged", keys, manifestKey };
  }
  return { status: "written", keys, manifestKey };
}

/**
 * Bundles in a local reports folder: what the cloud keeps under the bucket's `reports/` prefix, so a key
 * `reports/<date>/<site>/x` is the file `<folder>/<date>/<site>/x`. Each file is written to a temporary name,
 * flushed, then hard-linked to its final name: the link fails if the name exists (create-if-absent, like S3's
 * If-None-Match) and a reader never sees a half-written file.
 */
export class LocalBundleWriter implements BundleWriter {
  private readonly folder: string;

  constructor(folder: string) {
    this.folder = path.resolve(folder);
  }

  /** The file of a key. */
  pathOf(key: string): string {
    if (!key.startsWith(BUNDLE_ROOT)) throw new Error(`bundle key '${key}' is not under ${BUNDLE_ROOT}`);
    const full = path.resolve(this.folder, key.slice(BUNDLE_ROOT.length));
    if (!full.startsWith(this.folder + path.sep)) throw new Error(`bundle key '${key}' escapes the reports folder ${this.folder}`);
    return full;
  }

  where(key: string): string {
    return this.pathOf(key);
  }

  async read(key: string): Promise<Buffer | null> {
    try {
      return await fs.promises.readFile(this.pathOf(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw error;
    }
  }

  async createIfAbsent(key: string, body: Buffer): Promise<boolean> {
    const target = this.pathOf(key);
    await fs.promises.mkdir(path.dirname(target), { recursive: true });
    const temp = `${target}.${process.pid}.${crypto.randomBytes(6).toString("hex")}.tmp`;
    const handle = await fs.promises.open(temp, "wx", 0o644);
    try {
      await handle.writeFile(body);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await fs.promises.link(temp, target);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw error;
    } finally {
      await fs.promises.unlink(temp);
    }
  }
}
