using Kubesharp.Api.Validation;

namespace Kubesharp.Api.Tests.Validation;

public sealed class BatchValidationTests
{
    public static TheoryData<string, string, string[]> JobCases => new()
    {
        { "valid", "{}", [] },
        { "restart policy defaulted to Always", """{"spec":{"template":{"spec":{"restartPolicy":null}}}}""", ["spec.template.spec.restartPolicy: Required value: valid values: \"OnFailure\", \"Never\""] },
        { "restart policy Always", """{"spec":{"template":{"spec":{"restartPolicy":"Always"}}}}""", ["spec.template.spec.restartPolicy: Required value: valid values: \"OnFailure\", \"Never\""] },
        { "negative parallelism", """{"spec":{"parallelism":-1}}""", ["spec.parallelism: Invalid value: -1: must be greater than or equal to 0"] },
        { "negative completions", """{"spec":{"completions":-1}}""", ["spec.completions: Invalid value: -1: must be greater than or equal to 0"] },
        { "negative backoff", """{"spec":{"backoffLimit":-1}}""", ["spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0"] },
        { "completion mode", """{"spec":{"completionMode":"Ordered"}}""", ["spec.completionMode: Unsupported value: \"Ordered\": supported values: \"NonIndexed\", \"Indexed\""] },
        { "manual selector required", """{"spec":{"manualSelector":true}}""", ["spec.selector: Required value"] },
        { "manual selector matching", """{"spec":{"manualSelector":true,"selector":{"matchLabels":{"job":"j"}},"template":{"metadata":{"labels":{"job":"j"}}}}}""", [] },
        { "manual selector not matching", """{"spec":{"manualSelector":true,"selector":{"matchLabels":{"job":"j"}}}}""", ["spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`"] },
        { "per-index backoff needs indexed", """{"spec":{"backoffLimitPerIndex":1}}""", ["spec.backoffLimitPerIndex: Invalid value: 1: requires indexed completion mode"] },
    };

    [Theory]
    [MemberData(nameof(JobCases))]
    public void Jobs_follow_upstreams_rules(string why, string patch, string[] expected) =>
        ValidationCase.Expect(why, expected, ValidationCase.Create("batch", "Job", Objects.Job, patch));

    public static TheoryData<string, string, string[]> CronJobCases => new()
    {
        { "valid", "{}", [] },
        { "descriptor", """{"spec":{"schedule":"@hourly"}}""", [] },
        { "names and steps", """{"spec":{"schedule":"0 9-17/2 * JAN-jun mon-fri"}}""", [] },
        { "time zone", """{"spec":{"timeZone":"Etc/UTC"}}""", [] },
        { "no schedule", """{"spec":{"schedule":""}}""", ["spec.schedule: Required value"] },
        { "four fields", """{"spec":{"schedule":"* * * *"}}""", ["spec.schedule: Invalid value: \"* * * *\": expected exactly 5 fields, found 4: [* * * *]"] },
        { "minute range", """{"spec":{"schedule":"60 * * * *"}}""", ["spec.schedule: Invalid value: \"60 * * * *\": end of range (60) above maximum (59): 60"] },
        { "day of month zero", """{"spec":{"schedule":"0 0 0 * *"}}""", ["spec.schedule: Invalid value: \"0 0 0 * *\": beginning of range (0) below minimum (1): 0"] },
        { "day of week seven", """{"spec":{"schedule":"0 0 * * 7"}}""", ["spec.schedule: Invalid value: \"0 0 * * 7\": end of range (7) above maximum (6): 7"] },
        { "not a number", """{"spec":{"schedule":"x * * * *"}}""", ["spec.schedule: Invalid value: \"x * * * *\": failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax"] },
        { "unknown descriptor", """{"spec":{"schedule":"@sometimes"}}""", ["spec.schedule: Invalid value: \"@sometimes\": unrecognized descriptor: @sometimes"] },
        { "TZ in schedule", """{"spec":{"schedule":"TZ=UTC 0 * * * *"}}""", ["spec.schedule: Invalid value: \"TZ=UTC 0 * * * *\": cannot use TZ or CRON_TZ in schedule, use timeZone field instead"] },
        { "empty time zone", """{"spec":{"timeZone":""}}""", ["spec.timeZone: Invalid value: \"\": timeZone must be nil or non-empty string"] },
        { "unknown time zone", """{"spec":{"timeZone":"Mars/Olympus"}}""", ["spec.timeZone: Invalid value: \"Mars/Olympus\": unknown time zone Mars/Olympus"] },
        { "local time zone", """{"spec":{"timeZone":"Local"}}""", ["spec.timeZone: Invalid value: \"Local\": timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones"] },
        { "concurrency policy", """{"spec":{"concurrencyPolicy":"Sometimes"}}""", ["spec.concurrencyPolicy: Unsupported value: \"Sometimes\": supported values: \"Allow\", \"Forbid\", \"Replace\""] },
        { "job template restart policy", """{"spec":{"jobTemplate":{"spec":{"template":{"spec":{"restartPolicy":"Always"}}}}}}""", ["spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: \"OnFailure\", \"Never\""] },
        { "job template selector", """{"spec":{"jobTemplate":{"spec":{"selector":{"matchLabels":{"a":"b"}}}}}}""", ["spec.jobTemplate.spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"a\":\"b\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` will be auto-generated"] },
        { "name over 52", """{"metadata":{"name":"a23456789b23456789c23456789d23456789e23456789f234567x"}}""", ["metadata.name: Invalid value: \"a23456789b23456789c23456789d23456789e23456789f234567x\": must be no more than 52 characters"] },
    };

    [Theory]
    [MemberData(nameof(CronJobCases))]
    public void Cron_jobs_follow_upstreams_rules(string why, string patch, string[] expected) =>
        ValidationCase.Expect(why, expected, ValidationCase.Create("batch", "CronJob", Objects.CronJob, patch));

    [Theory]
    [InlineData("* * * * *", null)]
    [InlineData("*/15 0-6,18-23 1,15 */2 sun", null)]
    [InlineData("@every 1h30m", null)]
    [InlineData("@every soon", "failed to parse duration soon: time: invalid duration \"soon\"")]
    [InlineData("1-2-3 * * * *", "too many hyphens: 1-2-3")]
    [InlineData("*/5/2 * * * *", "too many slashes: */5/2")]
    [InlineData("5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1")]
    [InlineData("*/0 * * * *", "step of range should be a positive number: */0")]
    [InlineData("-1 * * * *", "failed to parse int from : strconv.Atoi: parsing \"\": invalid syntax")]
    [InlineData("", "empty spec string")]
    public void The_schedule_parser_answers_as_robfig_cron(string schedule, string? expected) =>
        Assert.Equal(expected, CronSchedule.Check(schedule));
}
