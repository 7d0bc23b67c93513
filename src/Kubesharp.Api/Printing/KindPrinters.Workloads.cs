using System.Text.Json;

namespace Kubesharp.Api.Printing;

// apps/v1 and batch/v1. Replica counts read as stored: the server defaults spec.replicas to 1 on write,
// and a missing value reads as 0, as upstream's conversion of a nil pointer does.
internal static partial class KindPrinters
{
    private static KindPrinter Deployment() => new("apps", "Deployment",
    [
        Col.Name,
        Col.Str("Ready", "Ready replicas out of desired replicas."),
        Col.Str("Up-to-date", "Replicas running the current pod template."),
        Col.Str("Available", "Replicas available to users."),
        Col.Age,
        Col.Containers,
        Col.Images,
        Col.Wide("Selector", "The label selector of the deployment's pods."),
    ], (o, now) =>
    {
        var (names, images) = CellFormat.Containers(o, "spec", "template", "spec");
        return
        [
            CellFormat.Name(o),
            $"{o.Int("status", "readyReplicas")}/{o.Int("spec", "replicas")}",
            o.Int("status", "updatedReplicas"),
            o.Int("status", "availableReplicas"),
            CellFormat.Age(o, now),
            names,
            images,
            // Unlike the other workloads, an empty selector prints as "" here, not "<none>".
            CellFormat.SelectorString(o, "spec", "selector") ?? "<invalid>",
        ];
    });

    private static KindPrinter ReplicaSet() => ReplicaPrinter("apps", "ReplicaSet", o => CellFormat.LabelSelector(o, "spec", "selector"));

    /// <summary>Upstream's replica controller table (ReplicaSet and ReplicationController alike), but for the selector cell.</summary>
    private static KindPrinter ReplicaPrinter(string group, string kind, Func<JsonElement, string> selector) => new(group, kind,
    [
        Col.Name,
        Col.Integer("Desired", "Replicas wanted (spec.replicas)."),
        Col.Integer("Current", "Replicas observed (status.replicas)."),
        Col.Integer("Ready", "Ready replicas."),
        Col.Age,
        Col.Containers,
        Col.Images,
        Col.Wide("Selector", "The label selector of the controlled pods."),
    ], (o, now) =>
    {
        var (names, images) = CellFormat.Containers(o, "spec", "template", "spec");
        return
        [
            CellFormat.Name(o),
            o.Int("spec", "replicas"),
            o.Int("status", "replicas"),
            o.Int("status", "readyReplicas"),
            CellFormat.Age(o, now),
            names,
            images,
            selector(o),
        ];
    });

    private static KindPrinter StatefulSet() => new("apps", "StatefulSet",
        [Col.Name, Col.Str("Ready", "Ready replicas out of desired replicas."), Col.Age, Col.Containers, Col.Images],
        (o, now) =>
        {
            var (names, images) = CellFormat.Containers(o, "spec", "template", "spec");
            return [CellFormat.Name(o), $"{o.Int("status", "readyReplicas")}/{o.Int("spec", "replicas")}", CellFormat.Age(o, now), names, images];
        });

    private static KindPrinter DaemonSet() => new("apps", "DaemonSet",
    [
        Col.Name,
        Col.Integer("Desired", "Nodes that should run the daemon pod."),
        Col.Integer("Current", "Nodes running at least one daemon pod."),
        Col.Integer("Ready", "Nodes whose daemon pod is ready."),
        Col.Integer("Up-to-date", "Nodes running the current pod template."),
        Col.Integer("Available", "Nodes whose daemon pod is available."),
        Col.Str("Node Selector", "The pod template's node selector."),
        Col.Age,
        Col.Containers,
        Col.Images,
        Col.Wide("Selector", "The label selector of the daemon pods."),
    ], (o, now) =>
    {
        var (names, images) = CellFormat.Containers(o, "spec", "template", "spec");
        return
        [
            CellFormat.Name(o),
            o.Int("status", "desiredNumberScheduled"),
            o.Int("status", "currentNumberScheduled"),
            o.Int("status", "numberReady"),
            o.Int("status", "updatedNumberScheduled"),
            o.Int("status", "numberAvailable"),
            CellFormat.Labels(o, "spec", "template", "spec", "nodeSelector"),
            CellFormat.Age(o, now),
            names,
            images,
            CellFormat.LabelSelector(o, "spec", "selector"),
        ];
    });

    private static KindPrinter ControllerRevision() => new("apps", "ControllerRevision",
    [
        Col.Name,
        Col.Str("Controller", "The owner that controls the revision, as kind.group/name."),
        Col.Str("Revision", "The revision number."),
        Col.Age,
    ], (o, now) => [CellFormat.Name(o), Controller(o), o.Int("revision"), CellFormat.Age(o, now)]);

    /// <summary>The controller owner reference as <c>lowercase(Kind.group)/name</c>, <c>&lt;none&gt;</c> without one.</summary>
    private static string Controller(JsonElement obj)
    {
        if (obj.Items("metadata", "ownerReferences").FirstOrDefault(r => r.Bool("controller")) is not { ValueKind: JsonValueKind.Object } owner)
        {
            return CellFormat.None;
        }

        var apiVersion = owner.Str("apiVersion");
        var slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        var group = slash < 0 ? "" : apiVersion[..slash];
        var kind = owner.Str("kind");
        if (group.Length == 0 && kind.Length == 0)
        {
            return owner.Str("name");
        }

        var groupKind = group.Length == 0 ? kind : $"{kind}.{group}";
        return $"{groupKind.ToLowerInvariant()}/{owner.Str("name")}";
    }

    private static KindPrinter Job() => new("batch", "Job",
    [
        Col.Name,
        Col.Str("Status", "Complete, Failed, Terminating, Suspended, FailureTarget or Running."),
        Col.Str("Completions", "Succeeded pods out of the completions wanted."),
        Col.Str("Duration", "Time the job ran, or has been running."),
        Col.Age,
        Col.Containers,
        Col.Images,
        Col.Wide("Selector", "The label selector of the job's pods."),
    ], (o, now) =>
    {
        var succeeded = o.Int("status", "succeeded");
        var parallelism = o.IntOrNull("spec", "parallelism") ?? 0;
        var completions = o.IntOrNull("spec", "completions") is { } c
            ? $"{succeeded}/{c}"
            : parallelism > 1 ? $"{succeeded}/1 of {parallelism}" : $"{succeeded}/1";
        var start = o.Time("status", "startTime");
        var duration = start is null ? ""
            : DurationFormat.HumanDuration((o.Time("status", "completionTime") ?? now) - start.Value);
        var (names, images) = CellFormat.Containers(o, "spec", "template", "spec");
        return
        [
            CellFormat.Name(o),
            JobStatus(o),
            completions,
            duration,
            CellFormat.Age(o, now),
            names,
            images,
            CellFormat.LabelSelector(o, "spec", "selector"),
        ];
    });

    private static string JobStatus(JsonElement job)
    {
        // The first condition of a type decides it, as upstream's hasJobCondition does.
        var conditions = job.Items("status", "conditions");
        bool Has(string type) => conditions.FirstOrDefault(c => c.Str("type") == type) is { ValueKind: JsonValueKind.Object } c && c.Str("status") == "True";

        if (Has("Complete"))
        {
            return "Complete";
        }

        if (Has("Failed"))
        {
            return "Failed";
        }

        if (job.Has("metadata", "deletionTimestamp"))
        {
            return "Terminating";
        }

        return Has("Suspended") ? "Suspended" : Has("FailureTarget") ? "FailureTarget" : "Running";
    }

    private static KindPrinter CronJob() => new("batch", "CronJob",
    [
        Col.Name,
        Col.Str("Schedule", "The cron schedule."),
        Col.Str("Timezone", "The time zone of the schedule."),
        // Declared boolean upstream, yet the cell is the text True, False or <unset>.
        Col.Boolean("Suspend", "Whether new runs are suspended."),
        Col.Integer("Active", "Jobs running now."),
        Col.Str("Last Schedule", "Time since a job was last scheduled."),
        Col.Age,
        Col.Containers,
        Col.Images,
        Col.Wide("Selector", "The label selector of the jobs' pods."),
    ], (o, now) =>
    {
        var (names, images) = CellFormat.Containers(o, "spec", "jobTemplate", "spec", "template", "spec");
        return
        [
            CellFormat.Name(o),
            o.Str("spec", "schedule"),
            o.StrOrNull("spec", "timeZone") ?? CellFormat.None,
            o.BoolOrNull("spec", "suspend") switch { true => "True", false => "False", null => CellFormat.Unset },
            (long)o.Items("status", "active").Count,
            o.Has("status", "lastScheduleTime") ? CellFormat.Since(o.Time("status", "lastScheduleTime"), now) : CellFormat.None,
            CellFormat.Age(o, now),
            names,
            images,
            CellFormat.LabelSelector(o, "spec", "jobTemplate", "spec", "selector"),
        ];
    });
}
