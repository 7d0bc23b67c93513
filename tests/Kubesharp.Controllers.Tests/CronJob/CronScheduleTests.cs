using Kubesharp.Controllers.CronJob;

namespace Kubesharp.Controllers.Tests.CronJob;

public sealed class CronScheduleTests
{
    private static readonly DateTimeOffset From = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero); // a Friday

    [Theory]
    [InlineData("every minute", "* * * * *", "2026-01-02T03:05:00Z")]
    [InlineData("every quarter", "*/15 * * * *", "2026-01-02T03:15:00Z")]
    [InlineData("hourly macro", "@hourly", "2026-01-02T04:00:00Z")]
    [InlineData("daily macro", "@daily", "2026-01-03T00:00:00Z")]
    [InlineData("midnight macro", "@midnight", "2026-01-03T00:00:00Z")]
    [InlineData("weekly macro (Sunday)", "@weekly", "2026-01-04T00:00:00Z")]
    [InlineData("monthly macro", "@monthly", "2026-02-01T00:00:00Z")]
    [InlineData("yearly macro", "@yearly", "2027-01-01T00:00:00Z")]
    [InlineData("weekdays at nine", "0 9 * * 1-5", "2026-01-02T09:00:00Z")]
    [InlineData("names", "30 8 * jan mon", "2026-01-05T08:30:00Z")]
    [InlineData("question mark", "0 12 ? * *", "2026-01-02T12:00:00Z")]
    [InlineData("zone prefix", "TZ=Europe/Paris 0 9 * * *", "2026-01-02T08:00:00Z")]
    [InlineData("CRON_TZ prefix", "CRON_TZ=America/New_York 0 0 * * *", "2026-01-02T05:00:00Z")]
    [InlineData("constant delay", "@every 90s", "2026-01-02T03:05:35Z")]
    [InlineData("constant delay in hours", "@every 1h30m", "2026-01-02T04:34:05Z")]
    public void Next_times_follow_the_standard_syntax(string why, string spec, string expected)
    {
        var schedule = CronSchedule.TryParse(spec, TimeZoneInfo.Utc, out var error);

        Assert.True(schedule is not null, $"{why}: {error}");
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), schedule!.Next(From));
    }

    [Fact]
    public void The_time_zone_field_shifts_the_schedule()
    {
        var paris = CronSchedule.TryParse("0 9 * * *", CronSchedule.LoadZone("Europe/Paris")!, out _)!;

        Assert.Equal(new DateTimeOffset(2026, 7, 1, 7, 0, 0, TimeSpan.Zero), paris.Next(new DateTimeOffset(2026, 7, 1, 0, 0, 0, TimeSpan.Zero)));
    }

    [Theory]
    [InlineData("", "empty spec string")]
    [InlineData("* * * *", "expected exactly 5 fields")]
    [InlineData("* * * * * *", "expected exactly 5 fields")]
    [InlineData("@fortnightly", "unrecognized descriptor")]
    [InlineData("TZ=Mars/Olympus * * * * *", "provided bad location Mars/Olympus")]
    [InlineData("@every soon", "failed to parse duration")]
    [InlineData("61 * * * *", "")]
    public void Bad_schedules_do_not_parse(string spec, string errorStart)
    {
        Assert.Null(CronSchedule.TryParse(spec, TimeZoneInfo.Utc, out var error));
        Assert.StartsWith(errorStart, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("none missed: the next time is ahead", "2026-01-02T04:00:00Z", null, "2026-01-02T04:00:30Z", null, "None")]
    [InlineData("one due", "2026-01-02T04:00:00Z", null, "2026-01-02T04:01:10Z", "2026-01-02T04:01:00Z", "None")]
    [InlineData("a few missed: the latest runs", "2026-01-02T04:00:00Z", null, "2026-01-02T04:05:10Z", "2026-01-02T04:05:00Z", "Few")]
    [InlineData("more than a hundred missed", "2026-01-02T04:00:00Z", null, "2026-01-02T07:00:10Z", "2026-01-02T07:00:00Z", "Many")]
    [InlineData("the last schedule time counts from", "2026-01-01T00:00:00Z", "2026-01-02T04:04:00Z", "2026-01-02T04:05:10Z", "2026-01-02T04:05:00Z", "None")]
    public void The_most_recent_unmet_time_and_the_missed_count(string why, string created, string? lastSchedule, string now, string? expected, string missed)
    {
        var cronJob = CronJobHarness.NewCronJob("cj");
        cronJob.Metadata.CreationTimestamp = Parse(created).UtcDateTime;
        cronJob.Status = new k8s.Models.V1CronJobStatus { LastScheduleTime = lastSchedule is null ? null : Parse(lastSchedule).UtcDateTime };
        var schedule = CronSchedule.TryParse("* * * * *", TimeZoneInfo.Utc, out _)!;

        var (_, mostRecent, actualMissed, error) = ScheduleMath.MostRecent(cronJob, Parse(now), schedule, includeStartingDeadline: true);

        Assert.Null(error);
        Assert.True((expected is null ? null : Parse(expected)) == mostRecent && missed == actualMissed.ToString(), $"{why}: got {mostRecent} {actualMissed}");
    }

    [Fact]
    public void The_starting_deadline_moves_the_earliest_time_up()
    {
        var cronJob = CronJobHarness.NewCronJob("cj", startingDeadlineSeconds: 200);
        cronJob.Metadata.CreationTimestamp = Parse("2026-01-02T04:00:00Z").UtcDateTime;
        var schedule = CronSchedule.TryParse("* * * * *", TimeZoneInfo.Utc, out _)!;

        var (earliest, mostRecent, missed, _) = ScheduleMath.MostRecent(cronJob, Parse("2026-01-02T07:00:10Z"), schedule, includeStartingDeadline: true);

        Assert.Equal((Parse("2026-01-02T06:56:50Z"), Parse("2026-01-02T07:00:00Z"), MissedSchedules.Few), (earliest, mostRecent!.Value, missed));
    }

    [Fact]
    public void The_requeue_lands_just_after_the_next_time()
    {
        var cronJob = CronJobHarness.NewCronJob("cj");
        cronJob.Metadata.CreationTimestamp = Parse("2026-01-02T04:00:00Z").UtcDateTime;
        var schedule = CronSchedule.TryParse("*/5 * * * *", TimeZoneInfo.Utc, out _)!;

        Assert.Equal(TimeSpan.FromSeconds(290.1), ScheduleMath.NextScheduleDuration(cronJob, Parse("2026-01-02T04:00:10Z"), schedule));
    }

    private static DateTimeOffset Parse(string text) => DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
}
