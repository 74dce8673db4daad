/**
 * Pulumi unit-test harness. The mock core lives in plan/mocks.ts, shared with the offline plan
 * (`npm run plan`), so tests and plan render a program the same way; see that module for the API.
 */
export * from "../../plan/mocks";
