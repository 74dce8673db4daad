/**
 * The component convention (components/*.ts), checked on the source so the next component follows it too: a
 * component exports its defaults (`<NAME>_DEFAULTS`) and exactly one `resolve<Component>Args(name, args)` that
 * applies them and reports every problem with the arguments in one error (naming.ts `ArgsCheck`); its constructor
 * calls that first, right after `super`, and throws nowhere else.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { ArgsCheck, ComponentArgsError } from "../../components/naming";
import { resolveAlertNotifierArgs } from "../../components/alert-notifier";
import { resolveHardenedBucketArgs } from "../../components/hardened-bucket";

const COMPONENTS_DIR = path.join(__dirname, "..", "..", "components");

interface ComponentFile {
  file: string;
  source: ts.SourceFile;
  classes: ts.ClassDeclaration[];
}

const isExported = (node: ts.Node) => (ts.canHaveModifiers(node) ? ts.getModifiers(node) ?? [] : []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);

function extendsComponentResource(c: ts.ClassDeclaration): boolean {
  return (c.heritageClauses ?? []).some((h) => h.types.some((t) => t.expression.getText() === "pulumi.ComponentResource"));
}

function componentFiles(): ComponentFile[] {
  return fs
    .readdirSync(COMPONENTS_DIR)
    .filter((f) => f.endsWith(".ts"))
    .map((file) => {
      const source = ts.createSourceFile(file, fs.readFileSync(path.join(COMPONENTS_DIR, file), "utf8"), ts.ScriptTarget.Latest, true);
      const classes = source.statements.filter((s): s is ts.ClassDeclaration => ts.isClassDeclaration(s) && extendsComponentResource(s));
      return { file, source, classes };
    })
    .filter((c) => c.classes.length > 0);
}

/** Every node under `node` (itself included). */
function descendants(node: ts.Node): ts.Node[] {
  const found: ts.Node[] = [node];
  node.forEachChild((child) => {
    found.push(...descendants(child));
  });
  return found;
}

const components = componentFiles();

describe("the component convention", () => {
  it("finds every component file (one ComponentResource class each)", () => {
    expect(components.map((c) => c.file).sort()).toEqual([
      "alert-notifier.ts",
      "athena-analytics.ts",
      "compliance-reports.ts",
      "device-fleet.ts",
      "device-ingest.ts",
      "encryption-key.ts",
      "hardened-bucket.ts",
      "monitoring.ts",
      "parquet-lake.ts",
      "stream-analytics.ts",
      "telemetry-streams.ts",
    ]);
    for (const c of components) expect(c.classes).toHaveLength(1);
  });

  describe.each(components.map((c) => [c.file, c] as const))("%s", (_file, { source, classes }) => {
    const className = classes[0].name!.text;
    const resolverName = `resolve${className}Args`;

    it("exports its defaults as one <NAME>_DEFAULTS object", () => {
      const defaults = source.statements
        .filter((s): s is ts.VariableStatement => ts.isVariableStatement(s) && isExported(s))
        .flatMap((s) => s.declarationList.declarations.map((d) => d.name.getText()))
        .filter((n) => n.endsWith("_DEFAULTS"));
      expect(defaults).toHaveLength(1);
    });

    it(`exports exactly one resolve step, ${resolverName}(name, args), that reports through ArgsCheck and throws nothing itself`, () => {
      const resolvers = source.statements.filter((s): s is ts.FunctionDeclaration => ts.isFunctionDeclaration(s) && /^resolve\w*Args$/.test(s.name?.text ?? ""));
      expect(resolvers.map((r) => r.name!.text)).toEqual([resolverName]);
      const [resolver] = resolvers;
      expect(isExported(resolver)).toBe(true);
      expect(resolver.parameters.map((p) => p.name.getText())).toEqual(["name", "args"]);
      const nodes = descendants(resolver.body!);
      expect(nodes.some((n) => ts.isNewExpression(n) && n.expression.getText() === "ArgsCheck")).toBe(true);
      expect(nodes.filter((n) => ts.isCallExpression(n) && /\.done$/.test(n.expression.getText()))).toHaveLength(1);
      expect(nodes.filter(ts.isThrowStatement)).toEqual([]);
    });

    it("its constructor resolves its arguments first, right after super, and throws nowhere else", () => {
      const ctor = classes[0].members.find(ts.isConstructorDeclaration)!;
      const [first, second] = ctor.body!.statements;
      expect(first.getText()).toMatch(/^super\(/);
      expect(ts.isVariableStatement(second)).toBe(true);
      const init = (second as ts.VariableStatement).declarationList.declarations[0].initializer!;
      expect(init.getText()).toBe(`${resolverName}(name, args)`);
      expect(descendants(classes[0]).filter(ts.isThrowStatement).map((t) => t.getText())).toEqual([]);
    });
  });
});

describe("one error listing every problem", () => {
  it("ArgsCheck reports nothing when all is well, one line for one problem, a list for several", () => {
    expect(() => new ArgsCheck("X 'x'").done()).not.toThrow();
    const one = new ArgsCheck("X 'x'");
    one.intRange("size", 0, 1, 10);
    expect(() => one.done()).toThrow(/^X 'x': size must be an integer from 1 to 10 \(got 0\)$/);
    const shared = new ArgsCheck("X 'x'");
    expect(shared.attempt(() => JSON.parse("{"))).toBeUndefined();
    shared.lambdaRuntime("nodejs20.x");
    expect(() => shared.done()).toThrow(/^X 'x': 2 problems with its arguments:\n {2}- .*JSON.*\n {2}- runtime 'nodejs20\.x' must be nodejs22\.x or nodejs24\.x/);
  });

  it("a component's resolve step names every bad argument at once", () => {
    let error: unknown;
    try {
      resolveAlertNotifierArgs("alerts", { alertsStreamArn: "s", topicArn: "t", keyArn: "k", batchSize: 0, maximumRecordAgeSeconds: 10, startingPosition: "AT_TIMESTAMP" as "LATEST" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ComponentArgsError);
    expect((error as ComponentArgsError).component).toBe("AlertNotifier 'alerts'");
    expect((error as ComponentArgsError).problems).toEqual([
      "batchSize must be an integer from 1 to 10000 (got 0)",
      "maximumRecordAgeSeconds must be an integer from 60 to 604800 (got 10)",
      "startingPosition 'AT_TIMESTAMP' must be TRIM_HORIZON or LATEST",
    ]);
    expect(() => resolveHardenedBucketArgs("lake", { tiering: [{ prefix: "raw/" }, { prefix: "raw/", expireAfterDays: 0 }] })).toThrow(
      /HardenedBucket 'lake': 3 problems with its arguments:\n {2}- tiering\[0\] \(prefix 'raw\/'\) sets no transition or expiration\n {2}- tiering\[1\] \(prefix 'raw\/'\) appears twice\n {2}- .*expireAfterDays must be an integer from 1 to 36500 \(got 0\)/,
    );
  });

  it("the defaults are what a component uses when an argument is left out", () => {
    const { ALERT_NOTIFIER_DEFAULTS } = require("../../components/alert-notifier") as typeof import("../../components/alert-notifier");
    expect(resolveAlertNotifierArgs("alerts", { alertsStreamArn: "s", topicArn: "t", keyArn: "k" })).toMatchObject({
      batchSize: ALERT_NOTIFIER_DEFAULTS.batchSize,
      runtime: ALERT_NOTIFIER_DEFAULTS.runtime,
      logRetentionDays: ALERT_NOTIFIER_DEFAULTS.logRetentionDays,
    });
  });
});
