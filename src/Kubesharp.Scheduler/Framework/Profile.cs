namespace Kubesharp.Scheduler.Framework;

/// <summary>A score plugin and its weight in a profile.</summary>
public sealed record WeightedScorer(IScorePlugin Plugin, long Weight);

/// <summary>The plugins of a profile per extension point, in the order they run.</summary>
public sealed record ProfilePoints
{
    public IReadOnlyList<IPreFilterPlugin> PreFilters { get; init; } = [];

    public IReadOnlyList<IFilterPlugin> Filters { get; init; } = [];

    public IReadOnlyList<IPostFilterPlugin> PostFilters { get; init; } = [];

    public IReadOnlyList<IPreScorePlugin> PreScores { get; init; } = [];

    public IReadOnlyList<IScorePlugin> Scorers { get; init; } = [];

    public IReadOnlyList<IReservePlugin> Reserves { get; init; } = [];

    public IReadOnlyList<IPermitPlugin> Permits { get; init; } = [];

    public IReadOnlyList<IPreBindPlugin> PreBinds { get; init; } = [];

    public IReadOnlyList<IBindPlugin> Binders { get; init; } = [];
}

/// <summary>
/// One scheduler profile (upstream's framework instance): the plugins enabled at each extension point, in order,
/// and the score weights. <c>spec.schedulerName</c> picks the profile. Running a point is a loop over its plugins;
/// the first rejection wins, as upstream.
/// </summary>
public sealed class Profile
{
    public Profile(string schedulerName, IReadOnlyList<IPlugin> plugins, IReadOnlyDictionary<string, long> weights, int percentageOfNodesToScore = 0)
    {
        SchedulerName = schedulerName;
        Plugins = plugins;
        PreFilters = [.. plugins.OfType<IPreFilterPlugin>()];
        PreFilterExtensions = [.. plugins.OfType<IPreFilterExtensions>()];
        Filters = [.. plugins.OfType<IFilterPlugin>()];
        PostFilters = [.. plugins.OfType<IPostFilterPlugin>()];
        PreScores = [.. plugins.OfType<IPreScorePlugin>()];
        Scorers = [.. plugins.OfType<IScorePlugin>().Select(p => new WeightedScorer(p, weights.GetValueOrDefault(p.Name, 1)))];
        Reserves = [.. plugins.OfType<IReservePlugin>()];
        Permits = [.. plugins.OfType<IPermitPlugin>()];
        PreBinds = [.. plugins.OfType<IPreBindPlugin>()];
        Binders = [.. plugins.OfType<IBindPlugin>()];
        PercentageOfNodesToScore = percentageOfNodesToScore;
    }

    /// <summary>
    /// A profile whose plugins are listed per extension point (what a KubeSchedulerConfiguration resolves to): a
    /// plugin runs only at the points it is listed at, in the listed order. <paramref name="weights"/> has an entry
    /// per scorer.
    /// </summary>
    public Profile(string schedulerName, ProfilePoints points, IReadOnlyDictionary<string, long> weights, int percentageOfNodesToScore = 0)
    {
        SchedulerName = schedulerName;
        PreFilters = [.. points.PreFilters];
        PreFilterExtensions = [.. points.PreFilters.OfType<IPreFilterExtensions>()];
        Filters = [.. points.Filters];
        PostFilters = [.. points.PostFilters];
        PreScores = [.. points.PreScores];
        Scorers = [.. points.Scorers.Select(p => new WeightedScorer(p, weights.GetValueOrDefault(p.Name, 1)))];
        Reserves = [.. points.Reserves];
        Permits = [.. points.Permits];
        PreBinds = [.. points.PreBinds];
        Binders = [.. points.Binders];
        Plugins = [.. new IPlugin[][] { PreFilters, Filters, PostFilters, PreScores, [.. points.Scorers], Reserves, Permits, PreBinds, Binders }.SelectMany(p => p).Distinct()];
        PercentageOfNodesToScore = percentageOfNodesToScore;
    }

    public string SchedulerName { get; }

    public IReadOnlyList<IPlugin> Plugins { get; }

    public IPreFilterPlugin[] PreFilters { get; }

    public IPreFilterExtensions[] PreFilterExtensions { get; }

    public IFilterPlugin[] Filters { get; }

    public IPostFilterPlugin[] PostFilters { get; }

    public IPreScorePlugin[] PreScores { get; }

    public WeightedScorer[] Scorers { get; }

    public IReservePlugin[] Reserves { get; }

    public IPermitPlugin[] Permits { get; }

    public IPreBindPlugin[] PreBinds { get; }

    public IBindPlugin[] Binders { get; }

    /// <summary>0 means adaptive (upstream's default); 1..100 a fixed percentage.</summary>
    public int PercentageOfNodesToScore { get; }

    public bool HasFilter(string plugin) => Filters.Any(f => f.Name == plugin);

    /// <summary>Runs every PreFilter; returns the first rejection, and the intersection of the node sets they narrowed to.</summary>
    public (Status Status, IReadOnlySet<string>? Nodes) RunPreFilter(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes)
    {
        HashSet<string>? narrowed = null;
        foreach (var plugin in PreFilters)
        {
            var (status, only) = plugin.PreFilter(state, pod, nodes);
            if (status.IsSkip)
            {
                state.SkipFilter.Add(plugin.Name);
                continue;
            }

            if (!status.IsSuccess)
            {
                return (status, null);
            }

            if (only is not null)
            {
                if (narrowed is null)
                {
                    narrowed = new HashSet<string>(only, StringComparer.Ordinal);
                }
                else
                {
                    narrowed.IntersectWith(only);
                }
            }
        }

        return (Status.Success, narrowed);
    }

    /// <summary>Every Filter in order for one node; the first that does not succeed decides.</summary>
    public Status RunFilter(CycleState state, PodInfo pod, NodeInfo node)
    {
        foreach (var plugin in Filters)
        {
            if (state.SkipFilter.Count > 0 && state.SkipFilter.Contains(plugin.Name))
            {
                continue;
            }

            var status = plugin.Filter(state, pod, node);
            if (!status.IsSuccess)
            {
                return status;
            }
        }

        return Status.Success;
    }

    /// <summary>
    /// Upstream's RunFilterPluginsWithNominatedPods: when pods of equal or higher priority are nominated to the node,
    /// the filters must pass both with them counted (so that the room preemption made is not taken) and without
    /// them (they may never arrive, and pod affinity must not rely on them).
    /// </summary>
    public Status RunFilterWithNominatedPods(CycleState state, PodInfo pod, NodeInfo node, NominatedPods nominated)
    {
        if (!nominated.IsEmpty && AddNominatedPods(state, pod, node, nominated) is { } withNominated)
        {
            var status = RunFilter(withNominated.State, pod, withNominated.Node);
            if (!status.IsSuccess)
            {
                return status;
            }
        }

        return RunFilter(state, pod, node);
    }

    /// <summary>Tells every PreFilterExtensions plugin that <paramref name="added"/> now runs on <paramref name="node"/>.</summary>
    public Status RunPreFilterExtensionAddPod(CycleState state, PodInfo pod, PodInfo added, NodeInfo node)
    {
        foreach (var plugin in PreFilterExtensions)
        {
            if (state.SkipFilter.Contains(plugin.Name))
            {
                continue;
            }

            var status = plugin.AddPod(state, pod, added, node);
            if (!status.IsSuccess)
            {
                return status;
            }
        }

        return Status.Success;
    }

    /// <summary>Tells every PreFilterExtensions plugin that <paramref name="removed"/> no longer runs on <paramref name="node"/>.</summary>
    public Status RunPreFilterExtensionRemovePod(CycleState state, PodInfo pod, PodInfo removed, NodeInfo node)
    {
        foreach (var plugin in PreFilterExtensions)
        {
            if (state.SkipFilter.Contains(plugin.Name))
            {
                continue;
            }

            var status = plugin.RemovePod(state, pod, removed, node);
            if (!status.IsSuccess)
            {
                return status;
            }
        }

        return Status.Success;
    }

    public Status RunPreScore(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes)
    {
        foreach (var plugin in PreScores)
        {
            var status = plugin.PreScore(state, pod, nodes);
            if (status.IsSkip)
            {
                state.SkipScore.Add(plugin.Name);
            }
            else if (!status.IsSuccess)
            {
                return status;
            }
        }

        return Status.Success;
    }

    /// <summary>
    /// Scores every node with every scorer, normalises each scorer's column and sums the weighted columns:
    /// returns the total per node and, for explanations, each scorer's normalised column.
    /// </summary>
    public (long[] Totals, Dictionary<string, long[]> ByPlugin) RunScore(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes, bool keepColumns = false)
    {
        var totals = new long[nodes.Count];
        var byPlugin = new Dictionary<string, long[]>(StringComparer.Ordinal);
        var column = new long[nodes.Count];
        foreach (var (plugin, weight) in Scorers)
        {
            if (state.SkipScore.Contains(plugin.Name))
            {
                continue;
            }

            for (var i = 0; i < nodes.Count; i++)
            {
                column[i] = plugin.Score(state, pod, nodes[i]);
            }

            plugin.NormalizeScores(state, pod, column);
            for (var i = 0; i < nodes.Count; i++)
            {
                totals[i] += column[i] * weight;
            }

            if (keepColumns)
            {
                byPlugin[plugin.Name] = (long[])column.Clone();
            }
        }

        return (totals, byPlugin);
    }

    public Status RunReserve(CycleState state, PodInfo pod, string node)
    {
        for (var i = 0; i < Reserves.Length; i++)
        {
            var status = Reserves[i].Reserve(state, pod, node);
            if (!status.IsSuccess)
            {
                return status;
            }
        }

        return Status.Success;
    }

    public void RunUnreserve(CycleState state, PodInfo pod, string node)
    {
        for (var i = Reserves.Length - 1; i >= 0; i--)
        {
            Reserves[i].Unreserve(state, pod, node);
        }
    }

    private (CycleState State, NodeInfo Node)? AddNominatedPods(CycleState state, PodInfo pod, NodeInfo node, NominatedPods nominated)
    {
        var pods = nominated.ForNode(node.Name);
        if (pods.Count == 0)
        {
            return null;
        }

        CycleState? stateCopy = null;
        NodeInfo? nodeCopy = null;
        foreach (var other in pods)
        {
            if (other.Priority < pod.Priority || other.Uid == pod.Uid)
            {
                continue;
            }

            stateCopy ??= state.Clone();
            nodeCopy ??= node.Clone();
            nodeCopy.AddPod(other);
            RunPreFilterExtensionAddPod(stateCopy, pod, other, nodeCopy);
        }

        return stateCopy is null ? null : (stateCopy, nodeCopy!);
    }

    public async Task<Status> RunBindAsync(CycleState state, PodInfo pod, string node, CancellationToken cancellationToken)
    {
        foreach (var plugin in PreBinds)
        {
            var status = await plugin.PreBindAsync(state, pod, node, cancellationToken).ConfigureAwait(false);
            if (!status.IsSuccess)
            {
                return status;
            }
        }

        foreach (var plugin in Binders)
        {
            var status = await plugin.BindAsync(state, pod, node, cancellationToken).ConfigureAwait(false);
            if (!status.IsSkip)
            {
                return status;
            }
        }

        return Status.Error("", "no bind plugin bound the pod");
    }
}
