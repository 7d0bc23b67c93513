using k8s.Models;
using Kubesharp.Controllers.Common;

namespace Kubesharp.Controllers.Job;

/// <summary>Job condition types and reasons as upstream's <c>batch/v1</c> names them, and the helpers around them (<c>job/util</c>).</summary>
internal static class JobConditions
{
    public const string Complete = "Complete";
    public const string Failed = "Failed";
    public const string Suspended = "Suspended";
    public const string SuccessCriteriaMet = "SuccessCriteriaMet";
    public const string FailureTarget = "FailureTarget";

    public const string BackoffLimitExceeded = "BackoffLimitExceeded";
    public const string DeadlineExceeded = "DeadlineExceeded";

    /// <summary>The Complete or Failed condition that is True, if any (<c>jobutil.FinishedCondition</c>).</summary>
    public static V1JobCondition? Finished(V1Job job) =>
        job.Status?.Conditions?.FirstOrDefault(c => c.Type is Complete or Failed && c.Status == "True");

    public static bool IsFinished(V1Job job) => Finished(job) is not null;

    public static bool IsSucceeded(V1Job job) => Finished(job)?.Type == Complete;

    public static V1JobCondition? Find(IEnumerable<V1JobCondition>? conditions, string type) => conditions?.FirstOrDefault(c => c.Type == type);

    public static V1JobCondition New(string type, string status, string reason, string message, DateTime now) => new()
    {
        Type = type,
        Status = status,
        Reason = reason,
        Message = message,
        LastProbeTime = now,
        LastTransitionTime = now,
    };

    /// <summary>
    /// Upstream's <c>ensureJobConditionStatus</c>: replaces the condition of <paramref name="type"/> when its status,
    /// reason or message differ; adds one only when the status is not False. Returns whether the list changed.
    /// </summary>
    public static bool Ensure(V1JobStatus status, string type, string value, string reason, string message, DateTime now)
    {
        status.Conditions ??= [];
        for (var i = 0; i < status.Conditions.Count; i++)
        {
            var existing = status.Conditions[i];
            if (existing.Type != type)
            {
                continue;
            }

            if (existing.Status != value || (existing.Reason ?? "") != reason || (existing.Message ?? "") != message)
            {
                status.Conditions[i] = New(type, value, reason, message, now);
                return true;
            }

            return false;
        }

        if (value != "False")
        {
            status.Conditions.Add(New(type, value, reason, message, now));
            return true;
        }

        return false;
    }

    /// <summary>When the Job finished: the lastTransitionTime of its Complete or Failed condition.</summary>
    public static DateTimeOffset? FinishTime(V1Job job) =>
        Finished(job)?.LastTransitionTime is { } at ? MetaTime.Utc(at) : null;
}
