namespace Kubesharp.Scheduler.Framework;

/// <summary>Why the nodes were rejected for a pod: upstream's Diagnosis.</summary>
public sealed class FilterDiagnosis
{
    /// <summary>The rejecting status of each node that was filtered and failed.</summary>
    public Dictionary<string, Status> NodeToStatus { get; } = new(StringComparer.Ordinal);

    /// <summary>Nodes a PreFilter result excluded: they count as <see cref="PreFilterExcluded"/> in the message.</summary>
    public Status? PreFilterExcluded { get; set; }

    /// <summary>The plugins that rejected the pod somewhere: the cluster events that can help it are theirs.</summary>
    public HashSet<string> UnschedulablePlugins { get; } = new(StringComparer.Ordinal);

    /// <summary>A PreFilter plugin's rejection, for every node at once.</summary>
    public string PreFilterMessage { get; set; } = "";

    /// <summary>What PostFilter (preemption) said.</summary>
    public string PostFilterMessage { get; set; } = "";
}

/// <summary>
/// No node fits the pod: upstream's FitError, whose message is the one users read in the <c>PodScheduled</c>
/// condition and the <c>FailedScheduling</c> event: <c>0/5 nodes are available: 2 Insufficient cpu, 3 node(s) had
/// untolerated taint {a: b}. preemption: ...</c>.
/// </summary>
public sealed class FitError(int numAllNodes, FilterDiagnosis diagnosis)
{
    /// <summary>Upstream's ErrNoNodesAvailable message.</summary>
    public const string NoNodesAvailable = "no nodes available to schedule pods";

    public int NumAllNodes { get; } = numAllNodes;

    public FilterDiagnosis Diagnosis { get; } = diagnosis;

    public string Message()
    {
        var message = $"0/{NumAllNodes} nodes are available:";
        if (Diagnosis.PreFilterMessage.Length > 0)
        {
            message += $" {Diagnosis.PreFilterMessage}.";
        }

        var histogram = Histogram(Diagnosis.NodeToStatus.Values);
        if (histogram.Length > 0)
        {
            message += $" {histogram}.";
        }

        // Upstream appends each part as " %v.", so a preemption message that ends in a period ends in two.
        if (Diagnosis.PostFilterMessage.Length > 0)
        {
            message += $" {Diagnosis.PostFilterMessage}.";
        }

        return message;
    }

    /// <summary>Upstream's sorted "N reason" list: each reason of each node's status counted, the lines sorted as strings.</summary>
    public static string Histogram(IEnumerable<Status> statuses)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var status in statuses)
        {
            foreach (var reason in status.Reasons)
            {
                counts[reason] = counts.GetValueOrDefault(reason) + 1;
            }
        }

        var lines = counts.Select(kv => $"{kv.Value} {kv.Key}").ToList();
        lines.Sort(StringComparer.Ordinal);
        return string.Join(", ", lines);
    }
}
