using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Kubesharp.Api.Validation;

/// <summary>Upstream's <c>pkg/apis/batch/validation</c> (Job, CronJob) on JSON.</summary>
internal static partial class BatchValidation
{
    public static void Job(JsonObject obj, Causes causes)
    {
        var spec = Json.Obj(obj, "spec") ?? [];
        JobSpec(spec, "spec", causes);
        // Upstream's strategy generates the selector (and the template's job-name and controller-uid labels)
        // unless manualSelector is true; only a manual selector is the user's to get right.
        var selector = Json.Obj(spec, "selector");
        if (Json.Bool(spec, "manualSelector") == true)
        {
            if (selector is null)
            {
                causes.Required("spec.selector");
            }
            else
            {
                var before = causes.Count;
                MetaValidation.LabelSelector(selector, "spec.selector", causes);
                if (causes.Count == before && WorkloadSelector(selector) is { } s && !s.Matches(WorkloadValidation.TemplateLabels(Json.Obj(spec, "template"))))
                {
                    causes.Invalid("spec.template.metadata.labels", WorkloadValidation.TemplateLabelsLiteral(Json.Obj(spec, "template")), "`selector` does not match template `labels`");
                }
            }
        }
        else if (selector is not null)
        {
            MetaValidation.LabelSelector(selector, "spec.selector", causes);
        }

        if (Json.S(spec, "completionMode") == "Indexed" && Json.Int(spec, "completions") is > 0 and var completions)
        {
            var name = Json.S(Json.Obj(obj, "metadata"), "name");
            var hostname = $"{name}-{completions - 1}";
            if (Names.Dns1123LabelErrors(hostname).Count > 0)
            {
                causes.Invalid("metadata.name", name, $"will not able to create pod with invalid DNS label: {hostname}");
            }
        }
    }

    private static Selectors.LabelSelector? WorkloadSelector(JsonObject selector)
    {
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(selector.ToJsonString());
            return Selectors.LabelSelector.FromJson(doc.RootElement);
        }
        catch (Errors.StatusException)
        {
            return null;
        }
    }

    /// <summary>Upstream's <c>validateJobSpec</c>: counts, completion mode, the template and its restart policy.</summary>
    private static void JobSpec(JsonObject spec, string path, Causes causes)
    {
        foreach (var field in new[] { "parallelism", "completions", "activeDeadlineSeconds", "backoffLimit", "ttlSecondsAfterFinished", "backoffLimitPerIndex", "maxFailedIndexes" })
        {
            WorkloadValidation.NonNegative(spec, field, path, causes);
        }

        if (Json.Has(spec, "maxFailedIndexes") && !Json.Has(spec, "backoffLimitPerIndex"))
        {
            causes.Required(path + ".backoffLimitPerIndex", "when maxFailedIndexes is specified");
        }

        var mode = Json.Str(spec, "completionMode");
        if (mode is not null)
        {
            if (mode is not ("NonIndexed" or "Indexed"))
            {
                causes.NotSupported(path + ".completionMode", mode, "NonIndexed", "Indexed");
            }

            if (mode == "Indexed")
            {
                if (!Json.Has(spec, "completions"))
                {
                    causes.Required(path + ".completions", "when completion mode is Indexed");
                }

                if (Json.Int(spec, "parallelism") is > 100000 and var parallelism)
                {
                    causes.Invalid(path + ".parallelism", parallelism, "must be less than or equal to 100000 when completion mode is Indexed");
                }
            }
        }

        if (mode is null or "NonIndexed")
        {
            if (Json.Int(spec, "backoffLimitPerIndex") is { } perIndex)
            {
                causes.Invalid(path + ".backoffLimitPerIndex", perIndex, "requires indexed completion mode");
            }

            if (Json.Int(spec, "maxFailedIndexes") is { } maxFailed)
            {
                causes.Invalid(path + ".maxFailedIndexes", maxFailed, "requires indexed completion mode");
            }
        }

        if (Json.Str(spec, "podReplacementPolicy") is { } replacement)
        {
            if (Json.Has(spec, "podFailurePolicy"))
            {
                if (replacement != "Failed")
                {
                    causes.NotSupported(path + ".podReplacementPolicy", replacement, "Failed");
                }
            }
            else if (replacement is not ("Failed" or "TerminatingOrFailed"))
            {
                causes.NotSupported(path + ".podReplacementPolicy", replacement, "Failed", "TerminatingOrFailed");
            }
        }

        var template = Json.Obj(spec, "template");
        PodValidation.Template(template, path + ".template", causes);
        var restart = Json.S(Json.Obj(template, "spec"), "restartPolicy");
        if (restart is "Always" or "")
        {
            causes.Required(path + ".template.spec.restartPolicy", "valid values: \"OnFailure\", \"Never\"");
        }
        else if (restart is not ("OnFailure" or "Never"))
        {
            causes.NotSupported(path + ".template.spec.restartPolicy", restart, "OnFailure", "Never");
        }
        else if (Json.Has(spec, "podFailurePolicy") && restart != "Never")
        {
            causes.Invalid(path + ".template.spec.restartPolicy", restart, "only \"Never\" is supported when podFailurePolicy is specified");
        }
    }

    public static void CronJob(JsonObject obj, Causes causes, JsonObject? oldObj)
    {
        var spec = Json.Obj(obj, "spec") ?? [];
        var oldSpec = Json.Obj(oldObj, "spec");
        var schedule = Json.S(spec, "schedule");
        var timeZone = Json.Str(spec, "timeZone");
        if (schedule.Length == 0)
        {
            causes.Required("spec.schedule");
        }
        else
        {
            if (CronSchedule.Check(schedule) is { } error)
            {
                causes.Invalid("spec.schedule", schedule, error);
            }

            var allowTz = oldSpec is not null && Json.S(oldSpec, "schedule").Contains("TZ", StringComparison.Ordinal);
            if (allowTz && schedule.Contains("TZ", StringComparison.Ordinal) && timeZone is not null)
            {
                causes.Invalid("spec.schedule", schedule, "cannot use both timeZone field and TZ or CRON_TZ in schedule");
            }
            else if (!allowTz && schedule.Contains("TZ", StringComparison.Ordinal))
            {
                causes.Invalid("spec.schedule", schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead");
            }
        }

        WorkloadValidation.NonNegative(spec, "startingDeadlineSeconds", "spec", causes);
        if (timeZone is not null && (oldSpec is null || Json.Str(oldSpec, "timeZone") != timeZone))
        {
            TimeZone(timeZone, causes);
        }

        var policy = Json.S(spec, "concurrencyPolicy");
        if (policy.Length == 0)
        {
            causes.Required("spec.concurrencyPolicy");
        }
        else if (policy is not ("Allow" or "Forbid" or "Replace"))
        {
            causes.NotSupported("spec.concurrencyPolicy", policy, "Allow", "Forbid", "Replace");
        }

        var jobSpec = Json.Obj(Json.Obj(spec, "jobTemplate"), "spec") ?? [];
        JobSpec(jobSpec, "spec.jobTemplate.spec", causes);
        if (Json.Obj(jobSpec, "selector") is { } selector)
        {
            causes.Invalid("spec.jobTemplate.spec.selector", new GoLiteral(MetaValidation.SelectorLiteral(selector)), "`selector` will be auto-generated");
        }

        if (Json.Bool(jobSpec, "manualSelector") == true)
        {
            causes.NotSupported("spec.jobTemplate.spec.manualSelector", new GoLiteral("true"), "nil", "false");
        }

        WorkloadValidation.NonNegative(spec, "successfulJobsHistoryLimit", "spec", causes);
        WorkloadValidation.NonNegative(spec, "failedJobsHistoryLimit", "spec", causes);
        if (oldObj is null)
        {
            var name = Json.S(Json.Obj(obj, "metadata"), "name");
            if (name.Length > 52)
            {
                causes.Invalid("metadata.name", name, "must be no more than 52 characters");
            }
        }
    }

    private static void TimeZone(string timeZone, Causes causes)
    {
        const string Path = "spec.timeZone";
        if (timeZone.Length == 0)
        {
            causes.Invalid(Path, timeZone, "timeZone must be nil or non-empty string");
            return;
        }

        foreach (var part in timeZone.Split('/'))
        {
            if (part is "." or ".." || part.StartsWith('-') || !ZonePart().IsMatch(part))
            {
                causes.Invalid(Path, timeZone, $"unknown time zone {timeZone}");
                return;
            }
        }

        if (timeZone.Equals("Local", StringComparison.OrdinalIgnoreCase))
        {
            causes.Invalid(Path, timeZone, "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones");
        }

        if (TimeZones.Load(timeZone) is { } error)
        {
            causes.Invalid(Path, timeZone, error);
        }
    }

    [GeneratedRegex("^[A-Za-z\\.\\-_0-9+]{1,14}\\z")]
    private static partial Regex ZonePart();
}
