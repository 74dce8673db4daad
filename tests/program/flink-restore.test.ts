/**
 * The program's restore policy end to end: rendered as if the stack's last deployment ran other SQL (its
 * `flinkSqlSha256` output differs), the dev stack's Flink application starts without restoring the snapshot and
 * reads the raw stream from LATEST; the plan records the new hash for the next deployment to compare against.
 */
import { RenderedStack } from "./stack";
import { renderPlan } from "../../plan/render";

const APP = "aws:kinesisanalyticsv2/application:Application";
const STALE = "0".repeat(64);
let stack: RenderedStack;

beforeAll(async () => {
  stack = new RenderedStack(await renderPlan("dev", { deployedOutputs: { flinkSqlSha256: STALE } }));
}, 120_000);

it("a changed SQL graph deploys with SKIP_RESTORE_FROM_SNAPSHOT and the source at LATEST", () => {
  const config = stack.one(APP).inputs.applicationConfiguration;
  expect(config.runConfiguration).toEqual({
    applicationRestoreConfiguration: { applicationRestoreType: "SKIP_RESTORE_FROM_SNAPSHOT" },
    flinkRunConfiguration: { allowNonRestoredState: false },
  });
  expect(config.environmentProperties.propertyGroups.find((g: any) => g.propertyGroupId === "iotpipe").propertyMap["raw.init.position"]).toBe("LATEST");
});

it("records the SQL hash it deploys as the stack output the next deployment compares against", () => {
  // The dev stack runs SQL generated for its own configuration, so its hash is its own.
  expect(stack.plan.outputs.flinkSqlSha256).toMatch(/^[0-9a-f]{64}$/);
  expect(stack.plan.outputs.flinkSqlSha256).not.toBe(STALE);
});
