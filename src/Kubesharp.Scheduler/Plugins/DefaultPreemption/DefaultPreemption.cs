using System.Text.Json;
using k8s;
using k8s.Models;
using Kubesharp.Api.Errors;
using Kubesharp.Api.Selectors;
using Kubesharp.Client.Events;
using Kubesharp.Scheduler.Framework;

namespace Kubesharp.Scheduler.Plugins.DefaultPreemption;

/// <summary>Upstream's DefaultPreemptionArgs: how many nodes a dry run must find as candidates (a share, and a floor).</summary>
public sealed record DefaultPreemptionArgs
{
    public int MinCandidateNodesPercentage { get; init; } = 10;

    public int MinCandidateNodesAbsolute { get; init; } = 100;

    /// <summary>Upstream's ValidateDefaultPreemptionArgs messages, with their field paths.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (MinCandidateNodesPercentage is < 0 or > 100)
        {
            errors.Add($"minCandidateNodesPercentage: Invalid value: {MinCandidateNodesPercentage}: not in valid range [0, 100]");
        }

        if (MinCandidateNodesAbsolute < 0)
        {
            errors.Add($"minCandidateNodesAbsolute: Invalid value: {MinCandidateNodesAbsolute}: not in valid range [0, inf)");
        }

        if (MinCandidateNodesPercentage == 0 && MinCandidateNodesAbsolute == 0)
        {
            errors.Add("minCandidateNodesPercentage: Invalid value: 0: cannot be zero at the same time as minCandidateNodesAbsolute");
        }

        return errors;
    }
}

/// <summary>A node where the pod would fit once <see cref="Victims"/> are gone, and how many of them a PodDisruptionBudget protects.</summary>
public sealed record PreemptionCandidate(string Node, IReadOnlyList<PodInfo> Victims, int PdbViolations);

/// <summary>
/// Upstream's DefaultPreemption (PostFilter): when no node fits a pod, find the nodes where removing pods of lower
/// priority would make it fit, keep on each the fewest and least important victims (reprieving pods a
/// PodDisruptionBudget protects first), pick the node whose victims cost least (fewest PDB violations, lowest highest
/// priority, lowest priority sum, fewest pods, latest start), then evict them (a <c>DisruptionTarget</c> condition,
/// a delete, a <c>Preempted</c> event) and nominate the node for the pod.
/// </summary>
public sealed class DefaultPreemption : IPostFilterPlugin
{
    public const string PluginName = "DefaultPreemption";
    public const string NoVictims = "No preemption victims found for incoming pod";
    public const string NotHelpful = "Preemption is not helpful for scheduling";

    private static readonly Status NoVictimsStatus = Status.Unresolvable(PluginName, NoVictims);

    private readonly PluginHandle _handle;
    private readonly DefaultPreemptionArgs _args;
    private readonly Random _random;

    public DefaultPreemption(PluginHandle handle, DefaultPreemptionArgs? args = null, int? seed = null)
    {
        _handle = handle;
        _args = args ?? new DefaultPreemptionArgs();
        var errors = _args.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", errors));
        }

        _random = seed is { } s ? new Random(s) : new Random();
        handle.Objects.Require<V1PodDisruptionBudget>();
    }

    public string Name => PluginName;

    public async Task<(Status Status, string? NominatedNode)> PostFilterAsync(PostFilterContext context, CycleState state, PodInfo pod, FilterDiagnosis diagnosis, CancellationToken cancellationToken)
    {
        if (Ineligible(context, pod, diagnosis) is { } reason)
        {
            return (Status.Unschedulable(PluginName, "preemption: " + reason), null);
        }

        var (candidates, statuses) = FindCandidates(context, state, pod, diagnosis);
        if (candidates.Count == 0)
        {
            // Upstream reports a FitError of its own: each node's reason for not being a candidate.
            foreach (var node in context.Nodes)
            {
                statuses.TryAdd(node.Name, Status.Unresolvable(PluginName, NotHelpful));
            }

            var inner = new FilterDiagnosis();
            foreach (var (node, status) in statuses)
            {
                inner.NodeToStatus[node] = status;
            }

            return (Status.Unschedulable(PluginName, "preemption: " + new FitError(context.Nodes.Count, inner).Message()), "");
        }

        var best = SelectCandidate(candidates);
        var error = await PrepareCandidateAsync(context, best, pod, cancellationToken).ConfigureAwait(false);
        return error is null ? (Status.Success, best.Node) : (error, null);
    }

    /// <summary>Upstream's PodEligibleToPreemptOthers: null when the pod may preempt, else why not.</summary>
    internal static string? Ineligible(PostFilterContext context, PodInfo pod, FilterDiagnosis diagnosis)
    {
        if (pod.Pod.Spec?.PreemptionPolicy == "Never")
        {
            return "not eligible due to preemptionPolicy=Never.";
        }

        var nominated = pod.Pod.Status?.NominatedNodeName;
        if (string.IsNullOrEmpty(nominated))
        {
            return null;
        }

        // A nominated node the filters now call unresolvable is worth preempting elsewhere.
        if (diagnosis.NodeToStatus.TryGetValue(nominated, out var status) && status.Code == Code.UnschedulableAndUnresolvable)
        {
            return null;
        }

        var node = context.Nodes.FirstOrDefault(n => n.Name == nominated);
        if (node is not null && node.Pods.Any(p => p.Priority < pod.Priority && TerminatingByPreemption(p.Pod)))
        {
            return "not eligible due to a terminating pod on the nominated node.";
        }

        return null;
    }

    /// <summary>Upstream's calculateNumCandidates: a share of the nodes, at least the floor, at most all.</summary>
    internal int NumCandidates(int nodes) => Math.Min(nodes, Math.Max(nodes * _args.MinCandidateNodesPercentage / 100, _args.MinCandidateNodesAbsolute));

    /// <summary>Dry-runs preemption on the nodes where it may help (those that failed as merely Unschedulable), from a random offset.</summary>
    internal (List<PreemptionCandidate> Candidates, Dictionary<string, Status> Statuses) FindCandidates(PostFilterContext context, CycleState state, PodInfo pod, FilterDiagnosis diagnosis)
    {
        var statuses = new Dictionary<string, Status>(StringComparer.Ordinal);
        var potential = context.Nodes.Where(n => diagnosis.NodeToStatus.TryGetValue(n.Name, out var s) && s.Code == Code.Unschedulable).ToList();
        if (potential.Count == 0)
        {
            return ([], statuses);
        }

        var pdbs = _handle.Objects.List<V1PodDisruptionBudget>();
        var wanted = NumCandidates(potential.Count);
        int offset;
        lock (_random)
        {
            offset = _random.Next(potential.Count);
        }

        var nonViolating = new List<PreemptionCandidate>();
        var violating = new List<PreemptionCandidate>();
        for (var i = 0; i < potential.Count; i++)
        {
            var node = potential[(offset + i) % potential.Count];
            if (!HasLowerPriorityPod(node, pod.Priority))
            {
                // What SelectVictimsOnNode would say, without copying the node and the cycle state first (on a
                // cluster of equal priorities every unschedulable pod would otherwise copy them for every node).
                statuses[node.Name] = NoVictimsStatus;
                continue;
            }

            var (victims, violations, status) = SelectVictimsOnNode(context, state.Clone(), pod, node.Clone(), pdbs);
            if (status.IsSuccess)
            {
                (violations == 0 ? nonViolating : violating).Add(new PreemptionCandidate(node.Name, victims, violations));
                if (nonViolating.Count > 0 && nonViolating.Count + violating.Count >= wanted)
                {
                    break;
                }
            }
            else
            {
                statuses[node.Name] = status;
            }
        }

        return ([.. nonViolating, .. violating], statuses);
    }

    /// <summary>
    /// Upstream's SelectVictimsOnNode on copies of the node and state: remove every lower-priority pod; if the pod
    /// then fits, add them back most important first (PDB-protected ones before the others) and keep as victims
    /// only those without which it no longer fits.
    /// </summary>
    internal static (List<PodInfo> Victims, int PdbViolations, Status Status) SelectVictimsOnNode(PostFilterContext context, CycleState state, PodInfo pod, NodeInfo node, IReadOnlyList<V1PodDisruptionBudget> pdbs)
    {
        var profile = context.Profile;
        var potential = node.Pods.Where(p => p.Priority < pod.Priority).ToList();
        if (potential.Count == 0)
        {
            return ([], 0, NoVictimsStatus);
        }

        foreach (var victim in potential)
        {
            node.RemovePod(victim.Uid);
            profile.RunPreFilterExtensionRemovePod(state, pod, victim, node);
        }

        var fits = profile.RunFilterWithNominatedPods(state, pod, node, context.Nominated);
        if (!fits.IsSuccess)
        {
            return ([], 0, fits);
        }

        potential.Sort(MoreImportantFirst);
        var (violatingPods, nonViolatingPods) = SplitByPdbViolation(potential, pdbs);
        var victims = new List<PodInfo>();
        var violations = 0;
        bool Reprieve(PodInfo candidate)
        {
            node.AddPod(candidate);
            profile.RunPreFilterExtensionAddPod(state, pod, candidate, node);
            if (profile.RunFilterWithNominatedPods(state, pod, node, context.Nominated).IsSuccess)
            {
                return true;
            }

            node.RemovePod(candidate.Uid);
            profile.RunPreFilterExtensionRemovePod(state, pod, candidate, node);
            victims.Add(candidate);
            return false;
        }

        foreach (var candidate in violatingPods)
        {
            violations += Reprieve(candidate) ? 0 : 1;
        }

        foreach (var candidate in nonViolatingPods)
        {
            Reprieve(candidate);
        }

        if (violatingPods.Count > 0 && nonViolatingPods.Count > 0)
        {
            victims.Sort(MoreImportantFirst);
        }

        return victims.Count == 0
            ? ([], 0, Status.Error(PluginName, $"expected at least one victim pod on node \"{node.Name}\""))
            : (victims, violations, Status.Success);
    }

    /// <summary>Upstream's filterPodsWithPDBViolation: a pod whose eviction would take a matching budget below zero violates it. Order is kept.</summary>
    internal static (List<PodInfo> Violating, List<PodInfo> NonViolating) SplitByPdbViolation(IReadOnlyList<PodInfo> pods, IReadOnlyList<V1PodDisruptionBudget> pdbs)
    {
        var allowed = pdbs.Select(p => p.Status?.DisruptionsAllowed ?? 0).ToArray();
        var selectors = pdbs.Select(Selector).ToArray();
        var violating = new List<PodInfo>();
        var nonViolating = new List<PodInfo>();
        foreach (var info in pods)
        {
            var labels = info.Pod.Metadata.Labels is { Count: > 0 } own ? own as IReadOnlyDictionary<string, string> ?? own.ToDictionary() : null;
            var violates = false;
            if (labels is not null)
            {
                for (var i = 0; i < pdbs.Count; i++)
                {
                    var pdb = pdbs[i];
                    if (pdb.Metadata.NamespaceProperty != info.Pod.Metadata.NamespaceProperty || selectors[i] is not { IsEmpty: false } selector || !selector.Matches(labels))
                    {
                        continue;
                    }

                    // Already counted by the API server's eviction: not a new disruption.
                    if (pdb.Status?.DisruptedPods?.ContainsKey(info.Pod.Metadata.Name) == true)
                    {
                        continue;
                    }

                    allowed[i]--;
                    violates |= allowed[i] < 0;
                }
            }

            (violates ? violating : nonViolating).Add(info);
        }

        return (violating, nonViolating);
    }

    /// <summary>Upstream's pickOneNodeForPreemption, criteria in order; the first candidate wins a full tie.</summary>
    internal static PreemptionCandidate SelectCandidate(IReadOnlyList<PreemptionCandidate> candidates)
    {
        IEnumerable<PreemptionCandidate> remaining = candidates;
        Func<PreemptionCandidate, long>[] scores =
        [
            c => -c.PdbViolations,
            c => -(long)c.Victims[0].Priority,
            c => -c.Victims.Sum(v => (long)v.Priority + int.MaxValue + 1L),
            c => -c.Victims.Count,
            c => EarliestStartOfHighestPriority(c.Victims).UtcTicks,
        ];
        foreach (var score in scores)
        {
            var list = remaining.ToList();
            var max = list.Max(score);
            var best = list.Where(c => score(c) == max).ToList();
            if (best.Count == 1)
            {
                return best[0];
            }

            remaining = best;
        }

        return remaining.First();
    }

    private static bool HasLowerPriorityPod(NodeInfo node, int priority)
    {
        foreach (var other in node.Pods)
        {
            if (other.Priority < priority)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Upstream's MoreImportantPod: higher priority first, then the one that started earlier.</summary>
    internal static int MoreImportantFirst(PodInfo a, PodInfo b)
    {
        if (a.Priority != b.Priority)
        {
            return b.Priority.CompareTo(a.Priority);
        }

        return StartTime(a.Pod).CompareTo(StartTime(b.Pod));
    }

    private static DateTimeOffset EarliestStartOfHighestPriority(IReadOnlyList<PodInfo> victims)
    {
        var highest = victims.Max(v => v.Priority);
        return victims.Where(v => v.Priority == highest).Min(v => StartTime(v.Pod));
    }

    private static DateTimeOffset StartTime(V1Pod pod) =>
        pod.Status?.StartTime is { } start ? new DateTimeOffset(DateTime.SpecifyKind(start, DateTimeKind.Utc)) : DateTimeOffset.UtcNow;

    private static bool TerminatingByPreemption(V1Pod pod) =>
        pod.Metadata.DeletionTimestamp is not null
        && pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "DisruptionTarget") is { Status: "True", Reason: "PreemptionByScheduler" };

    private static LabelSelector? Selector(V1PodDisruptionBudget pdb)
    {
        try
        {
            return LabelSelector.FromModel(pdb.Spec?.Selector);
        }
        catch (StatusException)
        {
            return null;
        }
    }

    /// <summary>
    /// Upstream's prepareCandidate: each victim gets <c>DisruptionTarget=True</c> (reason PreemptionByScheduler),
    /// is deleted and gets a <c>Preempted</c> event; lower-priority pods nominated to the node lose the nomination.
    /// Returns an error status when a victim could not be evicted.
    /// </summary>
    private async Task<Status?> PrepareCandidateAsync(PostFilterContext context, PreemptionCandidate candidate, PodInfo pod, CancellationToken cancellationToken)
    {
        var client = _handle.Client;
        var schedulerName = pod.Pod.Spec?.SchedulerName ?? DefaultProfiles.SchedulerName;
        try
        {
            await Parallel.ForEachAsync(candidate.Victims, cancellationToken, async (victim, ct) =>
            {
                var meta = victim.Pod.Metadata;
                if (meta.DeletionTimestamp is not null)
                {
                    return;
                }

                var condition = new Dictionary<string, object?>
                {
                    ["type"] = "DisruptionTarget",
                    ["status"] = "True",
                    ["reason"] = "PreemptionByScheduler",
                    ["message"] = $"{schedulerName}: preempting to accommodate a higher priority pod",
                    ["lastTransitionTime"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
                };
                var patch = JsonSerializer.Serialize(new { status = new { conditions = new[] { condition } } });
                try
                {
                    await client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch(patch, V1Patch.PatchType.StrategicMergePatch), meta.Name, meta.NamespaceProperty, cancellationToken: ct).ConfigureAwait(false);
                    await client.CoreV1.DeleteNamespacedPodAsync(meta.Name, meta.NamespaceProperty, new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = meta.Uid } }, cancellationToken: ct).ConfigureAwait(false);
                }
                catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode is System.Net.HttpStatusCode.NotFound or System.Net.HttpStatusCode.Conflict)
                {
                    // Already gone (or replaced under the same name): nothing left to evict.
                    return;
                }

                _handle.Recorder?.Event(victim.Pod, EventTypes.Normal, "Preempted", $"Preempted by pod {pod.Uid} on node {candidate.Node}");
            }).ConfigureAwait(false);
        }
        catch (Exception e) when (e is k8s.Autorest.HttpOperationException or HttpRequestException)
        {
            return Status.Error(PluginName, $"preempting victims on node {candidate.Node}: {e.Message}");
        }

        foreach (var lower in context.Nominated.ForNode(candidate.Node).Where(p => p.Priority < pod.Priority))
        {
            var meta = lower.Pod.Metadata;
            try
            {
                await client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch("{\"status\":{\"nominatedNodeName\":null}}", V1Patch.PatchType.MergePatch), meta.Name, meta.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (k8s.Autorest.HttpOperationException)
            {
                // Not critical: the pod's next cycle finds another place or the node again.
            }
        }

        return null;
    }
}
