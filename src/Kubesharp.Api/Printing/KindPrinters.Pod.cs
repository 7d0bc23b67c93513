using System.Text.Json;

namespace Kubesharp.Api.Printing;

internal static partial class KindPrinters
{
    private static KindPrinter Pod() => new("", "Pod",
    [
        Col.Name,
        Col.Str("Ready", "Ready containers out of all containers (restartable init containers included)."),
        Col.Str("Status", "The pod's phase, or the reason of the container that explains it best."),
        // A string since the cell carries the time of the last restart, e.g. "5 (3m ago)".
        Col.Str("Restarts", "Container restarts, and how long ago the last one was."),
        Col.Age,
        Col.Wide("IP", "The pod's first IP address."),
        Col.Wide("Node", "The node the pod is bound to."),
        Col.Wide("Nominated Node", "The node the scheduler nominated after preempting pods there."),
        Col.Wide("Readiness Gates", "Readiness gates whose condition is True, out of all of them."),
    ], PodCells);

    private static object[] PodCells(JsonElement pod, DateTimeOffset now)
    {
        var phase = pod.Str("status", "phase");
        var statusReason = pod.Str("status", "reason");
        var reason = statusReason.Length > 0 ? statusReason : phase;
        var conditions = pod.Items("status", "conditions");
        if (conditions.Any(c => c.Str("type") == "PodScheduled" && c.Str("reason") == "SchedulingGated"))
        {
            reason = "SchedulingGated";
        }

        var total = pod.Items("spec", "containers").Count;
        var initSpecs = pod.Items("spec", "initContainers");
        // Sidecars (init containers with restartPolicy Always) count as containers of the pod.
        var sidecars = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in initSpecs.Where(c => c.Str("restartPolicy") == "Always"))
        {
            sidecars.Add(c.Str("name"));
            total++;
        }

        long restarts = 0, sidecarRestarts = 0;
        var ready = 0;
        DateTimeOffset? lastRestart = null, lastSidecarRestart = null;
        var initializing = false;
        var initStatuses = pod.Items("status", "initContainerStatuses");
        for (var i = 0; i < initStatuses.Count; i++)
        {
            var c = initStatuses[i];
            restarts += c.Int("restartCount");
            var lastTerminated = c.Obj("lastState", "terminated");
            Latest(ref lastRestart, lastTerminated);
            var sidecar = sidecars.Contains(c.Str("name"));
            if (sidecar)
            {
                sidecarRestarts += c.Int("restartCount");
                Latest(ref lastSidecarRestart, lastTerminated);
            }

            var terminated = c.Obj("state", "terminated");
            if (terminated is { } done && done.Int("exitCode") == 0)
            {
                continue;
            }

            if (sidecar && c.Bool("started"))
            {
                ready += c.Bool("ready") ? 1 : 0;
                continue;
            }

            // The first init container that is not done explains the pod's status.
            var waitingReason = c.Str("state", "waiting", "reason");
            reason = terminated is { } failed
                ? "Init:" + TerminatedReason(failed)
                : waitingReason.Length > 0 && waitingReason != "PodInitializing"
                    ? "Init:" + waitingReason
                    : $"Init:{i}/{initSpecs.Count}";
            initializing = true;
            break;
        }

        if (!initializing || FirstConditionIsTrue(conditions, "Initialized"))
        {
            // Restarts of completed init containers no longer count once the pod is initialized.
            restarts = sidecarRestarts;
            lastRestart = lastSidecarRestart;
            var hasRunning = false;
            var statuses = pod.Items("status", "containerStatuses");
            // Upstream walks the statuses backwards, so the first container's state has the last word.
            for (var i = statuses.Count - 1; i >= 0; i--)
            {
                var c = statuses[i];
                restarts += c.Int("restartCount");
                Latest(ref lastRestart, c.Obj("lastState", "terminated"));
                var waitingReason = c.Str("state", "waiting", "reason");
                if (c.Obj("state", "waiting") is not null && waitingReason.Length > 0)
                {
                    reason = waitingReason;
                }
                else if (c.Obj("state", "terminated") is { } terminated)
                {
                    reason = TerminatedReason(terminated);
                }
                else if (c.Bool("ready") && c.Obj("state", "running") is not null)
                {
                    hasRunning = true;
                    ready++;
                }
            }

            if (reason == "Completed" && hasRunning)
            {
                reason = conditions.Any(c => c.Str("type") == "Ready" && c.Str("status") == "True") ? "Running" : "NotReady";
            }
        }

        if (pod.Has("metadata", "deletionTimestamp"))
        {
            if (statusReason == "NodeLost")
            {
                reason = "Unknown";
            }
            else if (phase is not ("Succeeded" or "Failed"))
            {
                reason = "Terminating";
            }
        }

        var restartCell = CellFormat.Int(restarts);
        if (restarts != 0 && lastRestart is not null)
        {
            restartCell = $"{restartCell} ({CellFormat.Since(lastRestart, now)} ago)";
        }

        return
        [
            CellFormat.Name(pod),
            $"{ready}/{total}",
            reason,
            restartCell,
            CellFormat.Age(pod, now),
            OrNone(PodIP(pod)),
            OrNone(pod.Str("spec", "nodeName")),
            OrNone(pod.Str("status", "nominatedNodeName")),
            ReadinessGates(pod, conditions),
        ];
    }

    /// <summary>A terminated state's reason, else <c>Signal:N</c> or <c>ExitCode:N</c>.</summary>
    private static string TerminatedReason(JsonElement terminated)
    {
        var reason = terminated.Str("reason");
        if (reason.Length > 0)
        {
            return reason;
        }

        var signal = terminated.Int("signal");
        return signal != 0 ? $"Signal:{signal}" : $"ExitCode:{terminated.Int("exitCode")}";
    }

    private static void Latest(ref DateTimeOffset? latest, JsonElement? lastTerminated)
    {
        if (lastTerminated?.Time("finishedAt") is { } t && (latest is null || latest < t))
        {
            latest = t;
        }
    }

    private static bool FirstConditionIsTrue(IReadOnlyList<JsonElement> conditions, string type) =>
        conditions.FirstOrDefault(c => c.Str("type") == type) is { ValueKind: JsonValueKind.Object } c && c.Str("status") == "True";

    /// <summary>
    /// The first pod IP. Upstream reads the internal <c>PodIPs</c>, which conversion fills from
    /// <c>status.podIP</c> whenever that is set, so <c>podIP</c> wins over <c>podIPs[0]</c>.
    /// </summary>
    private static string PodIP(JsonElement pod)
    {
        var ip = pod.Str("status", "podIP");
        return ip.Length > 0 ? ip : pod.Items("status", "podIPs").Select(p => p.Str("ip")).FirstOrDefault() ?? "";
    }

    private static string ReadinessGates(JsonElement pod, IReadOnlyList<JsonElement> conditions)
    {
        var gates = pod.Items("spec", "readinessGates");
        if (gates.Count == 0)
        {
            return CellFormat.None;
        }

        var met = gates.Count(g => FirstConditionIsTrue(conditions, g.Str("conditionType")));
        return $"{met}/{gates.Count}";
    }

    private static string OrNone(string s) => s.Length > 0 ? s : CellFormat.None;
}
