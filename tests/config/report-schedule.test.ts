/**
 * Daylight-saving gaps, from the zone database Node ships (Intl), against the schedule times a cron names.
 */
import { dstGaps, scheduleDstProblem } from "../../config/report-schedule";

const FROM = new Date("2026-12-01T00:00:00Z");

describe("dstGaps", () => {
  it("finds each spring-forward hour, to the minute, and nothing in zones without DST", () => {
    expect(dstGaps("Europe/Berlin", FROM)).toEqual([
      { date: "2027-03-28", fromMinute: 120, toMinute: 180 },
      { date: "2028-03-26", fromMinute: 120, toMinute: 180 },
    ]);
    expect(dstGaps("America/Chicago", FROM, 365)).toEqual([{ date: "2027-03-14", fromMinute: 120, toMinute: 180 }]);
    expect(dstGaps("Australia/Lord_Howe", FROM, 365)).toEqual([{ date: "2027-10-03", fromMinute: 120, toMinute: 150 }]); // a 30-minute jump
    expect(dstGaps("UTC", FROM)).toEqual([]);
    expect(dstGaps("Asia/Tokyo", FROM)).toEqual([]);
  });
});

describe("scheduleDstProblem", () => {
  it("rejects a daily time the zone skips once a year, saying when and what to pick instead", () => {
    expect(scheduleDstProblem("cron(30 2 * * ? *)", "Europe/Berlin", FROM)).toBe(
      "cron(30 2 * * ? *) names 02:30, a time that does not exist in Europe/Berlin on 2027-03-28 (clocks jump from 02:00 to 03:00): " +
        "EventBridge Scheduler skips that run without any alarm; schedule outside 02:00-02:59 local time",
    );
    expect(scheduleDstProblem("cron(0,45 1-2 * * ? *)", "America/Chicago", FROM)).toContain("names 02:00, 02:45, times that do not exist");
    expect(scheduleDstProblem("cron(0/20 0 ? * MON *)", "America/Santiago", FROM)).toContain("(clocks jump from 00:00 to 01:00)");
  });
  it("accepts times that exist every day, rate expressions and zones without DST", () => {
    expect(scheduleDstProblem("cron(30 3 * * ? *)", "Europe/Berlin", FROM)).toBeUndefined();
    expect(scheduleDstProblem("cron(30 1 * * ? *)", "Europe/Berlin", FROM)).toBeUndefined();
    expect(scheduleDstProblem("cron(30 2 * * ? *)", "UTC", FROM)).toBeUndefined();
    expect(scheduleDstProblem("rate(1 day)", "Europe/Berlin", FROM)).toBeUndefined();
  });
});
