using System.Text.Json;
using k8s;
using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Client.Events;
using Kubesharp.Scheduler.Cache;
using Kubesharp.Scheduler.Framework;
using Kubesharp.Scheduler.Metrics;
using Kubesharp.Scheduler.Plugins.ImageLocality;
using Kubesharp.Scheduler.Queue;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Scheduler;

/// <summary>Settings of the scheduler.</summary>
public sealed record SchedulerOptions
{
    /// <summary>Seed of the tie-breaking random; logged at start so that any placement can be replayed. Null: chosen at start.</summary>
    public int? Seed { get; init; }

    /// <summary>Upstream's global percentageOfNodesToScore: 0 for adaptive; a profile's own value wins.</summary>
    public int PercentageOfNodesToScore { get; init; }

    public SchedulingQueueOptions Queue { get; init; } = new();

    /// <summary>Where attempts and pending pods are reported (<c>/metrics</c>); none when null.</summary>
    public SchedulerMetrics? Metrics { get; init; }
}

/// <summary>Where a pod went, or why it went nowhere.</summary>
public sealed record ScheduleResult(string? Node, int Evaluated, int Feasible, FitError? FitError, Status? Error);

/// <summary>
/// kube-scheduler's core: pops a pending pod, filters the nodes of a snapshot (in parallel), scores the feasible
/// ones, assumes the pod on the best and binds it in the background while the next pod is scheduled. A pod that
/// fits nowhere gets <c>PodScheduled=False</c> with upstream's message and a <c>FailedScheduling</c> event, and
/// waits among the unschedulable pods until a cluster event may help.
/// </summary>
public sealed partial class Scheduler : IDisposable
{
    /// <summary>Upstream's minFeasibleNodesToFind and minFeasibleNodesPercentageToFind.</summary>
    public const int MinFeasibleNodesToFind = 100;
    public const int MinFeasibleNodesPercentageToFind = 5;

    /// <summary>How many nodes a cycle filters on its own thread before it spreads the rest over the thread pool.</summary>
    internal const int SequentialNodes = 1024;

    private readonly IKubernetes _client;
    private readonly IEventRecorder _recorder;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Dictionary<string, Profile> _profiles;
    private readonly SchedulerOptions _options;
    private readonly Snapshot _snapshot = new();
    private readonly Random _random;
    private readonly Lock _bindings = new();
    private readonly HashSet<Task> _inFlight = [];
    private Status?[] _statuses = [];
    private int _nextStartNodeIndex;
    private long _attemptsScheduled;
    private long _attemptsUnschedulable;
    private long _attemptsError;

    public Scheduler(IKubernetes client, IEventRecorder recorder, TimeProvider time, ILoggerFactory loggers, IReadOnlyList<Profile> profiles, SchedulerOptions? options = null)
    {
        _client = client;
        _recorder = recorder;
        _time = time;
        _logger = loggers.CreateLogger("kube-scheduler");
        _profiles = profiles.ToDictionary(p => p.SchedulerName, StringComparer.Ordinal);
        _options = options ?? new();
        Seed = _options.Seed ?? Random.Shared.Next();
        _random = new Random(Seed);
        Cache = new SchedulerCache();
        Nominator = new Nominator();
        Queue = new SchedulingQueue(time, _options.Queue);
        _options.Metrics?.Track(Queue);
    }

    public int Seed { get; }

    public SchedulerCache Cache { get; }

    public SchedulingQueue Queue { get; }

    /// <summary>Pending pods nominated to a node by preemption, which filters count on that node.</summary>
    public Nominator Nominator { get; }

    internal Snapshot SnapshotForTests => _snapshot;

    /// <summary>scheduler_schedule_attempts_total by result.</summary>
    public (long Scheduled, long Unschedulable, long Error) Attempts =>
        (Interlocked.Read(ref _attemptsScheduled), Interlocked.Read(ref _attemptsUnschedulable), Interlocked.Read(ref _attemptsError));

    public bool IsResponsibleFor(V1Pod pod) => _profiles.ContainsKey(pod.Spec?.SchedulerName ?? DefaultProfiles.SchedulerName);

    /// <summary>Registers the scheduler's handlers on the informers of <paramref name="informers"/> (nodes, and pods that are not finished).</summary>
    public IReadOnlyList<ISharedInformer> Watch(SharedInformerFactory informers)
    {
        var nodes = informers.GetInformer<V1Node>();
        var pods = informers.GetInformer<V1Pod>(fieldSelector: "status.phase!=Succeeded,status.phase!=Failed");
        nodes.AddEventHandler(new ResourceEventHandlerFuncs<V1Node>
        {
            AddFunc = node =>
            {
                Cache.AddOrUpdateNode(node);
                Queue.MoveAllToActiveOrBackoff("NodeAdd");
            },
            UpdateFunc = (old, node) =>
            {
                Cache.AddOrUpdateNode(node);
                if (old.Metadata.ResourceVersion != node.Metadata.ResourceVersion)
                {
                    Queue.MoveAllToActiveOrBackoff("NodeUpdate");
                }
            },
            DeleteFunc = (node, _) => Cache.RemoveNode(node.Metadata.Name),
        });
        pods.AddEventHandler(new ResourceEventHandlerFuncs<V1Pod>
        {
            AddFunc = OnPodAdd,
            UpdateFunc = OnPodUpdate,
            DeleteFunc = (pod, _) => OnPodDelete(pod),
        });
        return [nodes, pods];
    }

    /// <summary>Schedules pods until <paramref name="cancellationToken"/> is cancelled, then waits for bindings in flight.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var profiles = string.Join(",", _profiles.Keys);
        Log.Started(_logger, Seed, profiles);
        using var flushing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var flush = FlushLoopAsync(flushing.Token);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var queued = await Queue.PopAsync(cancellationToken).ConfigureAwait(false);
                if (queued is null)
                {
                    break;
                }

                await ScheduleOneAsync(queued, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            await flushing.CancelAsync().ConfigureAwait(false);
            await flush.ConfigureAwait(false);
            Task[] pending;
            lock (_bindings)
            {
                pending = [.. _inFlight];
            }

            await Task.WhenAll(pending).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        _options.Metrics?.Untrack(Queue);
        Queue.Dispose();
    }

    /// <summary>One scheduling cycle for one pod; the binding cycle runs in the background.</summary>
    internal async Task ScheduleOneAsync(QueuedPod queued, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var pod = queued.Pod;
        if (pod.Pod.Metadata.DeletionTimestamp is not null || !_profiles.TryGetValue(pod.Pod.Spec?.SchedulerName ?? DefaultProfiles.SchedulerName, out var profile))
        {
            Queue.Done(queued);
            return;
        }

        var cycle = Queue.SchedulingCycle;
        Cache.UpdateSnapshot(_snapshot);
        var state = new CycleState();
        var result = SchedulePod(profile, state, pod);
        if (result.Node is null)
        {
            var diagnosis = result.FitError?.Diagnosis;
            string? nominated = null;
            if (result.FitError is not null)
            {
                nominated = await RunPostFilterAsync(profile, state, pod, result.FitError, cancellationToken).ConfigureAwait(false);
                if (nominated is not null)
                {
                    Nominator.Set(pod, nominated);
                }
            }

            var message = result.FitError?.Message() ?? result.Error?.Message ?? "unknown error";
            var unschedulable = result.FitError is not null || result.Error?.IsRejected == true;
            CountAttempt(unschedulable ? AttemptResult.Unschedulable : AttemptResult.Error, profile, started);
            Queue.AddUnschedulable(queued, cycle, diagnosis?.UnschedulablePlugins ?? new HashSet<string>(), error: !unschedulable);
            await ReportFailureAsync(pod, unschedulable ? "Unschedulable" : "SchedulerError", message, cancellationToken, nominated).ConfigureAwait(false);
            return;
        }

        var node = result.Node;
        Cache.AssumePod(pod, node);
        Nominator.Delete(pod.Uid);
        var reserved = profile.RunReserve(state, pod, node);
        if (!reserved.IsSuccess)
        {
            profile.RunUnreserve(state, pod, node);
            Cache.ForgetPod(pod.Uid);
            CountAttempt(AttemptResult.Error, profile, started);
            Queue.AddUnschedulable(queued, cycle, new HashSet<string> { reserved.Plugin }, error: !reserved.IsRejected);
            await ReportFailureAsync(pod, reserved.IsRejected ? "Unschedulable" : "SchedulerError", reserved.Message, cancellationToken).ConfigureAwait(false);
            return;
        }

        foreach (var permit in profile.Permits)
        {
            var (status, _) = permit.Permit(state, pod, node);
            if (!status.IsSuccess)
            {
                // Waiting pods are not supported yet: a Wait is treated as a refusal, retried with back-off.
                profile.RunUnreserve(state, pod, node);
                Cache.ForgetPod(pod.Uid);
                CountAttempt(AttemptResult.Error, profile, started);
                Queue.AddUnschedulable(queued, cycle, new HashSet<string> { permit.Name }, error: true);
                await ReportFailureAsync(pod, "SchedulerError", status.Message, cancellationToken).ConfigureAwait(false);
                return;
            }
        }

        var binding = BindAsync(profile, state, queued, node, cycle, started, cancellationToken);
        lock (_bindings)
        {
            _inFlight.Add(binding);
        }

        _ = binding.ContinueWith(
            t =>
            {
                lock (_bindings)
                {
                    _inFlight.Remove(t);
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>Filters and scores the nodes of the current snapshot for <paramref name="pod"/> (no side effects).</summary>
    internal ScheduleResult SchedulePod(Profile profile, CycleState state, PodInfo pod)
    {
        var nodes = _snapshot.Nodes;
        if (nodes.Count == 0)
        {
            return new ScheduleResult(null, 0, 0, null, Status.Unresolvable("", FitError.NoNodesAvailable));
        }

        ImageLocality.SetTotalNodes(state, nodes.Count);
        var diagnosis = new FilterDiagnosis();
        var (pre, narrowed) = profile.RunPreFilter(state, pod, nodes);
        if (!pre.IsSuccess)
        {
            if (!pre.IsRejected)
            {
                return new ScheduleResult(null, 0, 0, null, pre);
            }

            diagnosis.PreFilterMessage = pre.Message;
            diagnosis.UnschedulablePlugins.Add(pre.Plugin);
            return new ScheduleResult(null, 0, 0, new FitError(nodes.Count, diagnosis), null);
        }

        var nominated = Nominator.Snapshot();
        if (NominatedNodeOf(pod) is { } nominatedNode && nodes.FirstOrDefault(n => n.Name == nominatedNode) is { } nominatedInfo
            && (narrowed is null || narrowed.Contains(nominatedNode)))
        {
            // Upstream's evaluateNominatedNode: the node preemption made room on is tried alone first.
            var status = profile.RunFilterWithNominatedPods(state, pod, nominatedInfo, nominated);
            if (status.IsSuccess)
            {
                return new ScheduleResult(nominatedNode, 1, 1, null, null);
            }

            if (!status.IsRejected)
            {
                return new ScheduleResult(null, 1, 0, null, status);
            }
        }

        var candidates = narrowed is null ? nodes : [.. nodes.Where(n => narrowed.Contains(n.Name))];
        var (feasible, evaluated, error) = FindFeasible(profile, state, pod, candidates, diagnosis, nominated);
        if (error is not null)
        {
            return new ScheduleResult(null, evaluated, 0, null, error);
        }

        if (feasible.Count == 0)
        {
            return new ScheduleResult(null, evaluated, 0, new FitError(nodes.Count, diagnosis), null);
        }

        if (feasible.Count == 1)
        {
            return new ScheduleResult(feasible[0].Name, evaluated, 1, null, null);
        }

        var preScore = profile.RunPreScore(state, pod, feasible);
        if (!preScore.IsSuccess)
        {
            return new ScheduleResult(null, evaluated, feasible.Count, null, preScore);
        }

        var (totals, _) = profile.RunScore(state, pod, feasible);
        return new ScheduleResult(feasible[SelectHost(totals)].Name, evaluated, feasible.Count, null, null);
    }

    /// <summary>Upstream's numFeasibleNodesToFind: all nodes on small clusters, an adaptive share (at least 100) on large ones.</summary>
    public static int NumFeasibleNodesToFind(int percentageOfNodesToScore, int numAllNodes)
    {
        if (numAllNodes < MinFeasibleNodesToFind)
        {
            return numAllNodes;
        }

        var percentage = percentageOfNodesToScore;
        if (percentage == 0)
        {
            percentage = Math.Max(MinFeasibleNodesPercentageToFind, 50 - (numAllNodes / 125));
        }

        if (percentage >= 100)
        {
            return numAllNodes;
        }

        return Math.Max(MinFeasibleNodesToFind, numAllNodes * percentage / 100);
    }

    /// <summary>Picks the highest total; ties broken uniformly with the seeded random (reservoir sampling, as upstream).</summary>
    internal int SelectHost(long[] totals)
    {
        var best = 0;
        var ties = 1;
        for (var i = 1; i < totals.Length; i++)
        {
            if (totals[i] > totals[best])
            {
                best = i;
                ties = 1;
            }
            else if (totals[i] == totals[best])
            {
                ties++;
                if (_random.Next(ties) == 0)
                {
                    best = i;
                }
            }
        }

        return best;
    }

    private string? NominatedNodeOf(PodInfo pod) =>
        Nominator.NodeOf(pod.Uid) ?? (string.IsNullOrEmpty(pod.Pod.Status?.NominatedNodeName) ? null : pod.Pod.Status.NominatedNodeName);

    private (List<NodeInfo> Feasible, int Evaluated, Status? Error) FindFeasible(Profile profile, CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes, FilterDiagnosis diagnosis, NominatedPods nominated)
    {
        var count = nodes.Count;
        var wanted = NumFeasibleNodesToFind(profile.PercentageOfNodesToScore != 0 ? profile.PercentageOfNodesToScore : _options.PercentageOfNodesToScore, count);
        var start = _nextStartNodeIndex % count;
        if (_statuses.Length < count)
        {
            _statuses = new Status?[count];
        }

        var statuses = _statuses;
        Array.Clear(statuses, 0, count);
        var found = 0;

        // Sequentially first: a node takes a microsecond or less, and most pods find their share of feasible nodes
        // in the first few hundred, where waking the thread pool would cost more than it saves (two cores, shared
        // with the API server). Only what is left after SequentialNodes (few nodes fit) is filtered in parallel.
        var sequential = Math.Min(count, SequentialNodes);
        var processed = sequential;
        for (var i = 0; i < sequential; i++)
        {
            var status = profile.RunFilterWithNominatedPods(state, pod, nodes[(start + i) % count], nominated);
            statuses[i] = status;
            if (status.IsSuccess && ++found >= wanted)
            {
                processed = i + 1;
                break;
            }
        }

        if (found < wanted && count > sequential)
        {
            Parallel.For(sequential, count, (i, loop) =>
            {
                if (Volatile.Read(ref found) >= wanted)
                {
                    loop.Stop();
                    return;
                }

                var status = profile.RunFilterWithNominatedPods(state, pod, nodes[(start + i) % count], nominated);
                statuses[i] = status;
                if (status.IsSuccess)
                {
                    Interlocked.Increment(ref found);
                }
            });
            processed = count;
        }

        var feasible = new List<NodeInfo>(Math.Min(found, wanted));
        var evaluated = 0;
        for (var i = 0; i < processed; i++)
        {
            if (statuses[i] is not { } status)
            {
                continue;
            }

            if (feasible.Count >= wanted)
            {
                break;
            }

            evaluated++;
            var node = nodes[(start + i) % count];
            if (status.IsSuccess)
            {
                feasible.Add(node);
            }
            else if (status.IsRejected)
            {
                diagnosis.NodeToStatus[node.Name] = status;
                diagnosis.UnschedulablePlugins.Add(status.Plugin);
            }
            else
            {
                return (feasible, evaluated, status);
            }
        }

        _nextStartNodeIndex = (start + evaluated) % count;
        return (feasible, evaluated, null);
    }

    /// <summary>Runs the PostFilter plugins until one succeeds; returns the node to nominate, "" to clear a nomination, null to leave it.</summary>
    private async Task<string?> RunPostFilterAsync(Profile profile, CycleState state, PodInfo pod, FitError fitError, CancellationToken cancellationToken)
    {
        var context = new PostFilterContext(profile, _snapshot.Nodes, Nominator.Snapshot());
        string? nominate = null;
        foreach (var plugin in profile.PostFilters)
        {
            Status status;
            string? nominated;
            try
            {
                (status, nominated) = await plugin.PostFilterAsync(context, state, pod, fitError.Diagnosis, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException or IOException)
            {
                (status, nominated) = (Status.Error(plugin.Name, e.Message), null);
            }

            if (status.IsSuccess)
            {
                return nominated;
            }

            nominate = nominated ?? nominate;
            if (status.Message.Length > 0)
            {
                fitError.Diagnosis.PostFilterMessage = status.Message;
            }
        }

        return nominate;
    }

    private async Task BindAsync(Profile profile, CycleState state, QueuedPod queued, string node, long cycle, long started, CancellationToken cancellationToken)
    {
        var pod = queued.Pod;
        Status status;
        try
        {
            status = await profile.RunBindAsync(state, pod, node, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
        {
            status = Status.Error("", e.Message);
        }

        if (status.IsSuccess)
        {
            Cache.FinishBinding(pod.Uid);
            Queue.Done(queued);
            CountAttempt(AttemptResult.Scheduled, profile, started);
            _options.Metrics?.PodScheduled(queued.Attempts);
            _recorder.Event(pod.Pod, EventTypes.Normal, "Scheduled", $"Successfully assigned {pod.Key} to {node}");
            return;
        }

        profile.RunUnreserve(state, pod, node);
        Cache.ForgetPod(pod.Uid);
        CountAttempt(AttemptResult.Error, profile, started);
        Log.BindFailed(_logger, pod.Key, node, status.Message);

        // The assumed pod no longer holds its node's resources: other pods may fit now.
        Queue.MoveAllToActiveOrBackoff("AssignedPodDelete");
        Queue.AddUnschedulable(queued, cycle, new HashSet<string>(), error: true);
        await ReportFailureAsync(pod, "SchedulerError", status.Message, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Counts an attempt (<see cref="Attempts"/> and the metrics); <paramref name="started"/> is when the pod was popped.</summary>
    private void CountAttempt(AttemptResult result, Profile profile, long started)
    {
        switch (result)
        {
            case AttemptResult.Scheduled:
                Interlocked.Increment(ref _attemptsScheduled);
                break;
            case AttemptResult.Unschedulable:
                Interlocked.Increment(ref _attemptsUnschedulable);
                break;
            default:
                Interlocked.Increment(ref _attemptsError);
                break;
        }

        _options.Metrics?.Attempted(result, profile.SchedulerName, _time.GetElapsedTime(started));
    }

    /// <summary>Upstream's handleSchedulingFailure: the FailedScheduling event, and the PodScheduled condition when it changed.</summary>
    private async Task ReportFailureAsync(PodInfo pod, string reason, string message, CancellationToken cancellationToken, string? nominate = null)
    {
        Log.Unschedulable(_logger, pod.Key, message);
        _recorder.Event(pod.Pod, EventTypes.Warning, "FailedScheduling", message);
        var current = pod.Pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "PodScheduled");
        var currentNomination = pod.Pod.Status?.NominatedNodeName ?? "";
        var nominationChanges = nominate is not null && nominate != currentNomination;
        if (current is { Status: "False" } && current.Reason == reason && current.Message == message && !nominationChanges)
        {
            return;
        }

        var condition = new Dictionary<string, object?>
        {
            ["type"] = "PodScheduled",
            ["status"] = "False",
            ["reason"] = reason,
            ["message"] = message,
            ["lastProbeTime"] = null,
            ["lastTransitionTime"] = current is { Status: "False" } ? current.LastTransitionTime : _time.GetUtcNow().UtcDateTime,
        };
        var status = new Dictionary<string, object?> { ["conditions"] = new[] { condition } };
        if (nominationChanges)
        {
            status["nominatedNodeName"] = nominate!.Length == 0 ? null : nominate;
        }

        var patch = JsonSerializer.Serialize(new { status }, PatchJson);
        try
        {
            await _client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch(patch, V1Patch.PatchType.StrategicMergePatch), pod.Pod.Metadata.Name, pod.Pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (k8s.Autorest.HttpOperationException e)
        {
            Log.StatusUpdateFailed(_logger, pod.Key, (int)e.Response.StatusCode);
        }
        catch (HttpRequestException e)
        {
            Log.StatusUpdateFailed(_logger, pod.Key, (int?)e.StatusCode ?? 0);
        }
    }

    private static readonly JsonSerializerOptions PatchJson = new() { Converters = { new UtcSecondsConverter() } };

    private async Task FlushLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), _time, cancellationToken).ConfigureAwait(false);
                Queue.Flush();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>The plugins whose verdicts depend on the pods already placed (they may change when a pod is placed or relabelled).</summary>
    private static readonly IReadOnlySet<string> PodPlacementPlugins = new HashSet<string>(StringComparer.Ordinal) { Plugins.InterPodAffinity.InterPodAffinity.PluginName, Plugins.PodTopologySpread.PodTopologySpread.PluginName };

    private void OnPodAdd(V1Pod pod)
    {
        if (!string.IsNullOrEmpty(pod.Spec?.NodeName))
        {
            Cache.AddOrUpdatePod(pod);
            Queue.MoveToActiveOrBackoff("AssignedPodAdd", PodPlacementPlugins);
        }
        else if (IsResponsibleFor(pod) && pod.Metadata.DeletionTimestamp is null)
        {
            Queue.Add(pod);
            if (!string.IsNullOrEmpty(pod.Status?.NominatedNodeName))
            {
                Nominator.Set(PodInfo.Of(pod), pod.Status.NominatedNodeName);
            }
        }
    }

    private void OnPodUpdate(V1Pod old, V1Pod pod)
    {
        if (!string.IsNullOrEmpty(pod.Spec?.NodeName))
        {
            var placed = string.IsNullOrEmpty(old.Spec?.NodeName);
            if (placed)
            {
                Queue.Delete(pod);
                Nominator.Delete(pod.Metadata.Uid ?? "");
            }

            Cache.AddOrUpdatePod(pod);
            if (placed || !LabelsEqual(old.Metadata.Labels, pod.Metadata.Labels))
            {
                Queue.MoveToActiveOrBackoff(placed ? "AssignedPodAdd" : "AssignedPodUpdate", PodPlacementPlugins);
            }
        }
        else if (IsResponsibleFor(pod))
        {
            if (pod.Metadata.DeletionTimestamp is not null)
            {
                Queue.Delete(pod);
                Nominator.Delete(pod.Metadata.Uid ?? "");
            }
            else
            {
                Queue.Update(old, pod);
                if (old.Status?.NominatedNodeName != pod.Status?.NominatedNodeName)
                {
                    Nominator.Set(PodInfo.Of(pod), pod.Status?.NominatedNodeName);
                }
            }
        }
    }

    private static bool LabelsEqual(IDictionary<string, string>? a, IDictionary<string, string>? b) =>
        (a?.Count ?? 0) == (b?.Count ?? 0) && (a is null || a.All(kv => b!.TryGetValue(kv.Key, out var v) && v == kv.Value));

    private void OnPodDelete(V1Pod pod)
    {
        if (!string.IsNullOrEmpty(pod.Spec?.NodeName))
        {
            Cache.RemovePod(pod);
            Queue.MoveAllToActiveOrBackoff("AssignedPodDelete");
        }
        else
        {
            Queue.Delete(pod);
            Nominator.Delete(pod.Metadata.Uid ?? "");
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "kube-scheduler: scheduling with profiles {Profiles}; tie-breaking seed {Seed} (set it to replay placements)")]
        public static partial void Started(ILogger logger, int seed, string profiles);

        [LoggerMessage(Level = LogLevel.Information, Message = "unable to schedule pod {Pod}: {Message}")]
        public static partial void Unschedulable(ILogger logger, string pod, string message);

        [LoggerMessage(Level = LogLevel.Warning, Message = "binding {Pod} to {Node} failed: {Message}")]
        public static partial void BindFailed(ILogger logger, string pod, string node, string message);

        [LoggerMessage(Level = LogLevel.Warning, Message = "updating the PodScheduled condition of {Pod} failed: HTTP {Code}")]
        public static partial void StatusUpdateFailed(ILogger logger, string pod, int code);
    }
}
