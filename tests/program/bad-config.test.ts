/** A stack with invalid configuration stops the program before a single resource is declared. */
import { installMocks } from "../../plan/mocks";
import { readStackConfig } from "../../config/stack-file";

it("names every bad key with its allowed values, and declares nothing", () => {
  const recorded = installMocks({
    stack: "dev",
    config: { ...readStackConfig("dev"), "iotpipe:streamMode": "fast", "iotpipe:reportTimezone": "Mars/Olympus" },
  });
  let message = "";
  try {
    require("../../index");
  } catch (e) {
    message = (e as Error).message;
  }
  expect(message).toContain('iotpipe:streamMode must be one of on-demand, provisioned; got "fast"');
  expect(message).toContain('iotpipe:reportTimezone must be an IANA time zone such as UTC, Europe/Berlin or America/Chicago; got "Mars/Olympus"');
  expect(recorded).toEqual([]);
});
