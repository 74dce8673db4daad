/**
 * Device identity names: the thing group names per site and line, `<site>/<line>` parsing, and fleet ids that are
 * valid both as AWS IoT names and as telemetry contract identifiers.
 */
import { fleetIdProblem, lineGroupName, MAX_FLEET_ID_LENGTH, parseFleetLine, siteGroupName, groupNameProblem, SERIAL_PATTERN } from "../../contract/device-identity";
import { identifier, LIMITS } from "../../contract/telemetry";

/** AWS IoT thing and thing group names. */
const IOT_NAME = /^[a-zA-Z0-9:_-]{1,128}$/;

describe("device identity", () => {
  it("names a site's and a line's group; distinct (site, line) pairs never share a name", () => {
    expect(siteGroupName("iotpipe-prod", "plant-a")).toBe("iotpipe-prod-site-plant-a");
    expect(lineGroupName("iotpipe-prod", "plant-a", "line-1")).toBe("iotpipe-prod-line-plant-a:line-1");
    // A "-" separator would make these two the same group.
    expect(lineGroupName("p", "plant-a", "line-1")).not.toBe(lineGroupName("p", "plant", "a-line-1"));
    expect(IOT_NAME.test(lineGroupName("iotpipe-prod", "plant_a", "L-1"))).toBe(true);
  });

  it("accepts as fleet ids exactly what is both an IoT name and a contract identifier", () => {
    for (const id of ["a1-press02", "plant_a", "L1", "x".repeat(128)]) {
      expect(fleetIdProblem("device", id)).toBeUndefined();
      expect(IOT_NAME.test(id) && identifier.safeParse(id).success).toBe(true);
    }
    expect(fleetIdProblem("device", "a1.press02")).toContain("letters, digits, _ and - only");
    expect(fleetIdProblem("device", "-lead")).toContain("starting with a letter or digit");
    expect(fleetIdProblem("device", "a:b")).toContain("letters, digits, _ and - only");
    expect(fleetIdProblem("device", "x".repeat(129))).toContain("longer than 128");
    expect(fleetIdProblem("device", "")).toBe("device is missing");
    expect(fleetIdProblem("device", 7)).toBe("device is missing");
    expect(MAX_FLEET_ID_LENGTH).toBe(LIMITS.maxIdLength);
  });

  it("parses <site>/<line> and says what is wrong otherwise", () => {
    expect(parseFleetLine("plant-a/line-1")).toEqual({ site: "plant-a", line: "line-1" });
    expect(() => parseFleetLine("plant-a")).toThrow("'plant-a' must be <site>/<line>");
    expect(() => parseFleetLine("plant-a/line/1")).toThrow("must be <site>/<line>");
    expect(() => parseFleetLine("plant.a/line-1")).toThrow("'plant.a/line-1': site 'plant.a' must be letters");
    expect(groupNameProblem("p".repeat(110), [{ site: "plant-a", line: "line-1" }])).toContain("longer than 128 characters");
  });

  it("serial numbers as labels print them, nothing that could be a wildcard or a separator of JSON", () => {
    expect(SERIAL_PATTERN.test("SN-0042")).toBe(true);
    expect(SERIAL_PATTERN.test("AB12/34.5:6_7")).toBe(true);
    for (const bad of ["", "SN 42", "SN*", "SN+", "SN#1", "\"x\"", "x".repeat(65)]) expect(SERIAL_PATTERN.test(bad)).toBe(false);
  });
});
