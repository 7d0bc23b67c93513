namespace Kubesharp.Scheduler.Framework;

/// <summary>Data one scheduling cycle shares between the extension points of its plugins (upstream's CycleState).</summary>
public sealed class CycleState
{
    private readonly Dictionary<string, object> _data = new(StringComparer.Ordinal);

    /// <summary>Plugins whose PreFilter said Skip: their Filter does not run for this pod.</summary>
    public HashSet<string> SkipFilter { get; } = new(StringComparer.Ordinal);

    /// <summary>Plugins whose PreScore said Skip: their Score does not run for this pod.</summary>
    public HashSet<string> SkipScore { get; } = new(StringComparer.Ordinal);

    public void Write(string key, object value) => _data[key] = value;

    public T? Read<T>(string key)
        where T : class => _data.TryGetValue(key, out var value) ? value as T : null;

    /// <summary>
    /// A copy that a what-if evaluation (preemption's dry run, nominated pods) may change without touching this one:
    /// values that are <see cref="IStateData"/> are cloned, others (immutable) shared.
    /// </summary>
    public CycleState Clone()
    {
        var clone = new CycleState();
        foreach (var (key, value) in _data)
        {
            clone._data[key] = value is IStateData data ? data.Clone() : value;
        }

        clone.SkipFilter.UnionWith(SkipFilter);
        clone.SkipScore.UnionWith(SkipScore);
        return clone;
    }
}

/// <summary>Mutable per-cycle data of a plugin: cloned with its <see cref="CycleState"/>.</summary>
public interface IStateData
{
    IStateData Clone();
}

/// <summary>Every plugin has a constant name: the one configuration enables and weights, and the one failures name.</summary>
public interface IPlugin
{
    string Name { get; }
}

/// <summary>Runs once per pod before the nodes are filtered; may narrow the nodes to consider, or Skip its Filter.</summary>
public interface IPreFilterPlugin : IPlugin
{
    /// <summary>Returns the status and, optionally, the only node names worth filtering (null for all).</summary>
    (Status Status, IReadOnlySet<string>? Nodes) PreFilter(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes);
}

/// <summary>
/// A PreFilter whose precomputed state depends on the other pods (upstream's PreFilterExtensions): told when a
/// what-if evaluation adds or removes a pod on a node (preemption removing victims, nominated pods added), so that
/// its state in <see cref="CycleState"/> (a clone) stays consistent with the changed <see cref="NodeInfo"/>.
/// </summary>
public interface IPreFilterExtensions : IPreFilterPlugin
{
    Status AddPod(CycleState state, PodInfo podToSchedule, PodInfo podToAdd, NodeInfo node);

    Status RemovePod(CycleState state, PodInfo podToSchedule, PodInfo podToRemove, NodeInfo node);
}

/// <summary>Says whether one pod may run on one node. Called for many nodes in parallel: must be thread-safe and should not allocate.</summary>
public interface IFilterPlugin : IPlugin
{
    Status Filter(CycleState state, PodInfo pod, NodeInfo node);
}

/// <summary>What a PostFilter plugin sees of the failed cycle: the profile that ran it, the snapshot's nodes and the nominated pods.</summary>
public sealed record PostFilterContext(Profile Profile, IReadOnlyList<NodeInfo> Nodes, NominatedPods Nominated);

/// <summary>
/// Runs when no node fits (preemption lives here). Success nominates a node for the pod; a rejection's message
/// ends the pod's FitError message ("preemption: ..."); <c>NominatedNode</c> "" on a rejection clears a stale nomination.
/// </summary>
public interface IPostFilterPlugin : IPlugin
{
    Task<(Status Status, string? NominatedNode)> PostFilterAsync(PostFilterContext context, CycleState state, PodInfo pod, FilterDiagnosis diagnosis, CancellationToken cancellationToken);
}

/// <summary>Runs once per pod before scoring, with the feasible nodes; Skip turns its Score off for this pod.</summary>
public interface IPreScorePlugin : IPlugin
{
    Status PreScore(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes);
}

/// <summary>Ranks one feasible node, 0 to 100 after normalisation (upstream's MaxNodeScore). Thread-safe.</summary>
public interface IScorePlugin : IPlugin
{
    long Score(CycleState state, PodInfo pod, NodeInfo node);

    /// <summary>Rescales the raw scores of all feasible nodes into 0..100; the identity by default.</summary>
    void NormalizeScores(CycleState state, PodInfo pod, Span<long> scores)
    {
    }
}

/// <summary>Told when a node is reserved for a pod, and when the reservation is undone.</summary>
public interface IReservePlugin : IPlugin
{
    Status Reserve(CycleState state, PodInfo pod, string node);

    void Unreserve(CycleState state, PodInfo pod, string node);
}

/// <summary>May hold (Wait) or refuse a pod after its node is reserved, before it is bound.</summary>
public interface IPermitPlugin : IPlugin
{
    (Status Status, TimeSpan Timeout) Permit(CycleState state, PodInfo pod, string node);
}

/// <summary>Runs before binding (volumes would be attached here).</summary>
public interface IPreBindPlugin : IPlugin
{
    Task<Status> PreBindAsync(CycleState state, PodInfo pod, string node, CancellationToken cancellationToken);
}

/// <summary>Binds the pod to the node; Skip lets the next bind plugin do it.</summary>
public interface IBindPlugin : IPlugin
{
    Task<Status> BindAsync(CycleState state, PodInfo pod, string node, CancellationToken cancellationToken);
}

/// <summary>Upstream's MaxNodeScore and the default normalisation.</summary>
public static class Scores
{
    public const long MaxNodeScore = 100;

    /// <summary>Upstream's DefaultNormalizeScore: scales to 0..max by the highest score, optionally reversed.</summary>
    public static void Normalize(Span<long> scores, long max = MaxNodeScore, bool reverse = false)
    {
        long highest = 0;
        foreach (var s in scores)
        {
            highest = Math.Max(highest, s);
        }

        if (highest == 0)
        {
            if (reverse)
            {
                scores.Fill(max);
            }

            return;
        }

        for (var i = 0; i < scores.Length; i++)
        {
            var s = max * scores[i] / highest;
            scores[i] = reverse ? max - s : s;
        }
    }
}
