using k8s.Models;
using Kubesharp.Scheduler.Framework;

namespace Kubesharp.Scheduler.Queue;

/// <summary>A pod waiting in the queue, with its scheduling history.</summary>
public sealed class QueuedPod(PodInfo pod, DateTimeOffset timestamp)
{
    public PodInfo Pod { get; internal set; } = pod;

    /// <summary>When the pod entered the queue (orders pods of equal priority).</summary>
    public DateTimeOffset Timestamp { get; internal set; } = timestamp;

    public DateTimeOffset? InitialAttempt { get; internal set; }

    public int Attempts { get; internal set; }

    /// <summary>The plugins that rejected it last time (the events that may help it are theirs).</summary>
    public IReadOnlySet<string> UnschedulablePlugins { get; internal set; } = new HashSet<string>();

    internal long Sequence { get; set; }

    internal Where Place { get; set; }

    internal DateTimeOffset BackoffExpiry { get; set; }

    internal enum Where
    {
        None,
        Active,
        Backoff,
        Unschedulable,
        InFlight,
    }
}

/// <summary>Settings of the queue, upstream's defaults.</summary>
public sealed record SchedulingQueueOptions
{
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a pod stays among the unschedulable before it is tried again anyway (podMaxInUnschedulablePodsDuration).</summary>
    public TimeSpan MaxInUnschedulable { get; init; } = TimeSpan.FromMinutes(5);
}

/// <summary>
/// Upstream's PriorityQueue: an active queue ordered by priority then arrival; a back-off queue (1 s doubling
/// to 10 s per failed attempt); and the unschedulable pods, moved back when a cluster event could make them fit
/// (a node added or changed, a pod deleted) or after five minutes. Thread-safe; <see cref="PopAsync"/> waits for work.
/// </summary>
public sealed class SchedulingQueue(TimeProvider time, SchedulingQueueOptions? options = null) : IDisposable
{
    private readonly SchedulingQueueOptions _options = options ?? new();
    private readonly Lock _lock = new();
    private readonly Dictionary<string, QueuedPod> _pods = new(StringComparer.Ordinal);
    private readonly PriorityQueue<QueuedPod, (int NegPriority, DateTimeOffset Timestamp, long Sequence)> _active = new();
    private readonly PriorityQueue<QueuedPod, (DateTimeOffset Expiry, long Sequence)> _backoff = new();
    private readonly Dictionary<string, QueuedPod> _unschedulable = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _signal = new(0);
    private long _sequence;
    private long _schedulingCycle;
    private long _moveRequestCycle = -1;
    private bool _closed;

    public long SchedulingCycle => Interlocked.Read(ref _schedulingCycle);

    /// <summary>Counts per sub-queue, for <c>scheduler_pending_pods{queue}</c>.</summary>
    public (int Active, int Backoff, int Unschedulable) Pending
    {
        get
        {
            lock (_lock)
            {
                var active = _pods.Values.Count(p => p.Place == QueuedPod.Where.Active);
                var backoff = _pods.Values.Count(p => p.Place == QueuedPod.Where.Backoff);
                return (active, backoff, _unschedulable.Count);
            }
        }
    }

    /// <summary>A new pending pod (or one whose update may make it schedulable).</summary>
    public void Add(V1Pod pod)
    {
        var info = PodInfo.Of(pod);
        lock (_lock)
        {
            if (_pods.TryGetValue(info.Uid, out var existing))
            {
                existing.Pod = info;
                if (existing.Place == QueuedPod.Where.Unschedulable)
                {
                    MoveLocked(existing);
                }

                return;
            }

            var queued = new QueuedPod(info, time.GetUtcNow());
            _pods[info.Uid] = queued;
            PushActiveLocked(queued);
        }
    }

    /// <summary>The pending pod changed: keep the newest object; an unschedulable one whose spec changed is tried again.</summary>
    public void Update(V1Pod oldPod, V1Pod newPod)
    {
        lock (_lock)
        {
            if (_pods.TryGetValue(newPod.Metadata.Uid ?? "", out var existing))
            {
                existing.Pod = PodInfo.Of(newPod);
                if (existing.Place == QueuedPod.Where.Unschedulable && !SameSpecAndLabels(oldPod, newPod))
                {
                    MoveLocked(existing);
                }

                return;
            }
        }

        Add(newPod);
    }

    public void Delete(V1Pod pod)
    {
        lock (_lock)
        {
            if (_pods.Remove(pod.Metadata.Uid ?? "", out var existing))
            {
                _unschedulable.Remove(existing.Pod.Uid);
                existing.Place = QueuedPod.Where.None;
            }
        }
    }

    /// <summary>Waits for the next pod to schedule; null once the queue is closed.</summary>
    public async Task<QueuedPod?> PopAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            lock (_lock)
            {
                if (_closed)
                {
                    return null;
                }

                while (_active.TryDequeue(out var queued, out var priority))
                {
                    if (queued.Place != QueuedPod.Where.Active || queued.Sequence != priority.Sequence)
                    {
                        continue;
                    }

                    queued.Place = QueuedPod.Where.InFlight;
                    queued.Attempts++;
                    queued.InitialAttempt ??= time.GetUtcNow();
                    _schedulingCycle++;
                    return queued;
                }
            }

            await _signal.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A cycle failed to place the pod: it goes to the unschedulable pods, unless a cluster event arrived while it
    /// was being tried (then straight to back-off, the event may have helped), or it failed on an error (back-off).
    /// </summary>
    public void AddUnschedulable(QueuedPod queued, long podSchedulingCycle, IReadOnlySet<string> rejectors, bool error)
    {
        lock (_lock)
        {
            if (!_pods.TryGetValue(queued.Pod.Uid, out var current) || !ReferenceEquals(current, queued))
            {
                return;
            }

            queued.UnschedulablePlugins = rejectors;
            queued.Timestamp = time.GetUtcNow();
            queued.BackoffExpiry = queued.Timestamp + Backoff(queued.Attempts);
            if (error || _moveRequestCycle >= podSchedulingCycle)
            {
                PushBackoffLocked(queued);
            }
            else
            {
                queued.Place = QueuedPod.Where.Unschedulable;
                _unschedulable[queued.Pod.Uid] = queued;
            }
        }
    }

    /// <summary>The pod was bound (or given up): it leaves the queue.</summary>
    public void Done(QueuedPod queued)
    {
        lock (_lock)
        {
            if (_pods.TryGetValue(queued.Pod.Uid, out var current) && ReferenceEquals(current, queued))
            {
                _pods.Remove(queued.Pod.Uid);
            }

            queued.Place = QueuedPod.Where.None;
        }
    }

    /// <summary>A cluster event that could make unschedulable pods fit: all of them go to back-off or active.</summary>
    public void MoveAllToActiveOrBackoff(string cause)
    {
        _ = cause;
        lock (_lock)
        {
            foreach (var queued in _unschedulable.Values.ToList())
            {
                MoveLocked(queued);
            }

            _moveRequestCycle = _schedulingCycle;
        }
    }

    /// <summary>
    /// A cluster event only some plugins care about (a coarse form of upstream's queueing hints): the unschedulable
    /// pods one of <paramref name="plugins"/> rejected go to back-off or active; the others stay. Pods in flight are
    /// not marked, so a frequent event (every binding) does not send every failing pod to back-off.
    /// </summary>
    public void MoveToActiveOrBackoff(string cause, IReadOnlySet<string> plugins)
    {
        _ = cause;
        lock (_lock)
        {
            foreach (var queued in _unschedulable.Values.Where(q => q.UnschedulablePlugins.Overlaps(plugins)).ToList())
            {
                MoveLocked(queued);
            }
        }
    }

    /// <summary>Moves pods whose back-off ended to the active queue, and pods unschedulable for too long back to be tried.</summary>
    public void Flush()
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            while (_backoff.TryPeek(out var queued, out var key) && key.Expiry <= now)
            {
                _backoff.Dequeue();
                if (queued.Place == QueuedPod.Where.Backoff && queued.Sequence == key.Sequence)
                {
                    PushActiveLocked(queued);
                }
            }

            foreach (var queued in _unschedulable.Values.Where(q => now - q.Timestamp > _options.MaxInUnschedulable).ToList())
            {
                MoveLocked(queued);
            }
        }
    }

    public void Dispose() => _signal.Dispose();

    public void Close()
    {
        lock (_lock)
        {
            _closed = true;
        }

        _signal.Release();
    }

    /// <summary>Upstream's back-off: the initial duration doubled per attempt after the first, capped.</summary>
    public TimeSpan Backoff(int attempts)
    {
        var backoff = _options.InitialBackoff;
        for (var i = 1; i < attempts; i++)
        {
            backoff += backoff;
            if (backoff >= _options.MaxBackoff)
            {
                return _options.MaxBackoff;
            }
        }

        return backoff;
    }

    private void MoveLocked(QueuedPod queued)
    {
        _unschedulable.Remove(queued.Pod.Uid);
        if (queued.BackoffExpiry > time.GetUtcNow())
        {
            PushBackoffLocked(queued);
        }
        else
        {
            PushActiveLocked(queued);
        }
    }

    private void PushActiveLocked(QueuedPod queued)
    {
        queued.Place = QueuedPod.Where.Active;
        queued.Sequence = ++_sequence;
        _active.Enqueue(queued, (-queued.Pod.Priority, queued.Timestamp, queued.Sequence));
        _signal.Release();
    }

    private void PushBackoffLocked(QueuedPod queued)
    {
        queued.Place = QueuedPod.Where.Backoff;
        queued.Sequence = ++_sequence;
        _backoff.Enqueue(queued, (queued.BackoffExpiry, queued.Sequence));
    }

    private static bool SameSpecAndLabels(V1Pod a, V1Pod b) =>
        k8s.KubernetesJson.Serialize(a.Spec) == k8s.KubernetesJson.Serialize(b.Spec)
        && k8s.KubernetesJson.Serialize(a.Metadata.Labels) == k8s.KubernetesJson.Serialize(b.Metadata.Labels);
}
