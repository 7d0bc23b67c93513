using k8s.Models;
using Kubesharp.Controllers.Common;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Controllers.ReplicaSet;

/// <summary>Status: what the claimed pods add up to, and the write of it.</summary>
internal sealed partial class ReplicaManager<T>
{
    /// <summary>Upstream's <c>statusUpdateRetries</c>: one more attempt after a fresh read.</summary>
    private const int StatusUpdateRetries = 1;

    /// <summary>Upstream's <c>calculateStatus</c>.</summary>
    internal ReplicaStatus CalculateStatus(T owner, IReadOnlyList<V1Pod> filtered, Exception? manageError)
    {
        var current = _kind.Status(owner);
        var templateLabels = _kind.Template(owner)?.Metadata?.Labels;
        var minReady = _kind.MinReadySeconds(owner);
        var now = Time.GetUtcNow();
        int fullyLabeled = 0, ready = 0, available = 0;
        foreach (var pod in filtered)
        {
            // Template labels are a superset of the selector: a pod with all of them is "fully labeled".
            if (HasAll(pod.Metadata.Labels, templateLabels))
            {
                fullyLabeled++;
            }

            if (Pods.IsReady(pod))
            {
                ready++;
                if (Pods.IsAvailable(pod, minReady, now))
                {
                    available++;
                }
            }
        }

        var conditions = current.Conditions.ToList();
        var failure = conditions.FirstOrDefault(c => c.Type == ReplicaFailure);
        if (manageError is not null && failure is null)
        {
            var diff = filtered.Count - _kind.Replicas(owner);
            var reason = diff < 0 ? "FailedCreate" : diff > 0 ? "FailedDelete" : "";
            SetCondition(conditions, new ReplicaCondition(ReplicaFailure, "True", reason, ApiErrors.Message(manageError), MetaTime.Now(Time)));
        }
        else if (manageError is null && failure is not null)
        {
            conditions.RemoveAll(c => c.Type == ReplicaFailure);
        }

        return new ReplicaStatus(filtered.Count, fullyLabeled, ready, available, current.ObservedGeneration, conditions);
    }

    /// <summary>Upstream's <c>SetCondition</c>: a condition of the same status and reason is kept as it is.</summary>
    private static void SetCondition(List<ReplicaCondition> conditions, ReplicaCondition condition)
    {
        var existing = conditions.FirstOrDefault(c => c.Type == condition.Type);
        if (existing is not null && existing.Status == condition.Status && existing.Reason == condition.Reason)
        {
            return;
        }

        conditions.RemoveAll(c => c.Type == condition.Type);
        conditions.Add(condition);
    }

    private static bool HasAll(IDictionary<string, string>? labels, IDictionary<string, string>? required)
    {
        if (required is null)
        {
            return true;
        }

        foreach (var (key, value) in required)
        {
            if (labels is null || !labels.TryGetValue(key, out var actual) || actual != value)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Upstream's <c>updateReplicaSetStatus</c>: writes unless nothing changed (and the generation was already
    /// observed); a failed write is tried once more on a fresh read. Returns the owner as it now is.
    /// </summary>
    private async Task<T> UpdateStatusAsync(T owner, ReplicaStatus status, CancellationToken cancellationToken)
    {
        var current = _kind.Status(owner);
        var generation = Objects.Generation(owner);
        if (current.Replicas == status.Replicas
            && current.FullyLabeledReplicas == status.FullyLabeledReplicas
            && current.ReadyReplicas == status.ReadyReplicas
            && current.AvailableReplicas == status.AvailableReplicas
            && generation == current.ObservedGeneration
            && SameConditions(current.Conditions, status.Conditions))
        {
            return owner;
        }

        var target = owner;
        for (var attempt = 0; ; attempt++)
        {
            // Record the generation acted on, so that a retry does not claim to have seen a later spec.
            var write = status with { ObservedGeneration = Objects.Generation(target) };
            try
            {
                return await _kind.UpdateStatusAsync(_client, target, write, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (attempt < StatusUpdateRetries && !cancellationToken.IsCancellationRequested)
            {
                target = await _kind.GetAsync(_client, owner.Metadata.NamespaceProperty, owner.Metadata.Name, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static bool SameConditions(IReadOnlyList<ReplicaCondition> a, IReadOnlyList<ReplicaCondition> b)
    {
        if (a.Count != b.Count)
        {
            return false;
        }

        for (var i = 0; i < a.Count; i++)
        {
            if (!a[i].Same(b[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Debug, Message = "Too few replicas for {Kind} {Key}: need {Need}, creating {Creating}")]
        public static partial void TooFew(ILogger logger, string kind, string key, int need, int creating);

        [LoggerMessage(Level = LogLevel.Debug, Message = "Too many replicas for {Kind} {Key}: need {Need}, deleting {Deleting}")]
        public static partial void TooMany(ILogger logger, string kind, string key, int need, int deleting);

        [LoggerMessage(Level = LogLevel.Debug, Message = "Slow-start failure: skipping creation of {Skipped} pods for {Kind} {Key}, decrementing expectations")]
        public static partial void SlowStartSkipped(ILogger logger, int skipped, string kind, string key);

        [LoggerMessage(Level = LogLevel.Warning, Message = "{Kind} {Namespace}/{Name} has an invalid selector: {Error}")]
        public static partial void InvalidSelector(ILogger logger, string kind, string @namespace, string name, string error);
    }
}
