using System.Globalization;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Controllers.Deployment;

/// <summary>
/// The annotations a Deployment keeps on its ReplicaSets (upstream's <c>deployment/util</c>): the revision,
/// the revisions it had before a rollback, the desired and maximum replica counts that proportional scaling
/// reads, and the Deployment's own annotations copied over.
/// </summary>
internal static partial class DeploymentAnnotations
{
    public const string Revision = "deployment.kubernetes.io/revision";
    public const string RevisionHistory = "deployment.kubernetes.io/revision-history";
    public const string DesiredReplicas = "deployment.kubernetes.io/desired-replicas";
    public const string MaxReplicas = "deployment.kubernetes.io/max-replicas";
    public const string LastAppliedConfiguration = "kubectl.kubernetes.io/last-applied-configuration";
    public const string DeprecatedRollbackTo = "deprecated.deployment.rollback.to";

    /// <summary>Upstream limits the revision-history annotation to about 100 revisions.</summary>
    public const int MaxRevisionHistoryLengthInChars = 2000;

    private static readonly HashSet<string> NotCopied = new(StringComparer.Ordinal)
    {
        LastAppliedConfiguration, Revision, RevisionHistory, DesiredReplicas, MaxReplicas, DeprecatedRollbackTo,
    };

    public static bool SkipCopy(string key) => NotCopied.Contains(key);

    /// <summary>The revision annotation as a number; 0 when absent, null when not a number.</summary>
    public static long? RevisionOf(V1ReplicaSet rs)
    {
        if (rs.Metadata.Annotations is null || !rs.Metadata.Annotations.TryGetValue(Revision, out var text))
        {
            return 0;
        }

        return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var revision) ? revision : null;
    }

    /// <summary>The highest revision among the ReplicaSets (unparsable revisions skipped, as upstream logs and skips them).</summary>
    public static long MaxRevision(IEnumerable<V1ReplicaSet> replicaSets)
    {
        long max = 0;
        foreach (var rs in replicaSets)
        {
            if (RevisionOf(rs) is { } revision && revision > max)
            {
                max = revision;
            }
        }

        return max;
    }

    /// <summary>
    /// Upstream's <c>SetNewReplicaSetAnnotations</c>: copies the Deployment's annotations, raises the revision
    /// to <paramref name="newRevision"/> when lower (keeping the old one in the revision history: this is a
    /// rollback to an older template), and for a ReplicaSet about to be created, the replica annotations.
    /// Returns whether anything changed.
    /// </summary>
    public static bool SetNewReplicaSetAnnotations(V1Deployment deployment, V1ReplicaSet rs, string newRevision, bool exists, ILogger logger)
    {
        var changed = CopyDeploymentAnnotations(deployment, rs);
        rs.Metadata.Annotations ??= new Dictionary<string, string>();
        var annotations = rs.Metadata.Annotations;
        var hadRevision = annotations.TryGetValue(Revision, out var oldRevision);
        long oldValue = 0;
        if (!string.IsNullOrEmpty(oldRevision) && !long.TryParse(oldRevision, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out oldValue))
        {
            Log.NotANumber(logger, "old", oldRevision);
            return false;
        }

        if (!long.TryParse(newRevision, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var newValue))
        {
            Log.NotANumber(logger, "new", newRevision);
            return false;
        }

        if (oldValue < newValue)
        {
            annotations[Revision] = newRevision;
            changed = true;
        }

        // A ReplicaSet that already had a revision and gets a higher one is being rolled back to: keep its history.
        if (hadRevision && oldValue < newValue)
        {
            var history = annotations.TryGetValue(RevisionHistory, out var h) ? h : "";
            var old = history.Split(',');
            if (old[0].Length == 0)
            {
                annotations[RevisionHistory] = oldRevision!;
            }
            else
            {
                var totalLength = history.Length + oldRevision!.Length + 1;
                var start = 0;
                while (totalLength > MaxRevisionHistoryLengthInChars && start < old.Length)
                {
                    totalLength -= old[start].Length + 1;
                    start++;
                }

                if (totalLength <= MaxRevisionHistoryLengthInChars)
                {
                    annotations[RevisionHistory] = string.Join(',', old.Skip(start).Append(oldRevision));
                }
                else
                {
                    Log.HistoryFull(logger, MaxRevisionHistoryLengthInChars);
                }
            }
        }

        if (!exists && SetReplicasAnnotations(rs, deployment.Spec.Replicas ?? 1, (deployment.Spec.Replicas ?? 1) + DeploymentMath.MaxSurge(deployment)))
        {
            changed = true;
        }

        return changed;
    }

    /// <summary>Copies the Deployment's annotations but the skipped ones; returns whether any was added or changed.</summary>
    public static bool CopyDeploymentAnnotations(V1Deployment deployment, V1ReplicaSet rs)
    {
        rs.Metadata.Annotations ??= new Dictionary<string, string>();
        var changed = false;
        if (deployment.Metadata.Annotations is null)
        {
            return false;
        }

        foreach (var (key, value) in deployment.Metadata.Annotations)
        {
            // The deployment's revision follows its new ReplicaSet's, never the other way round.
            if (SkipCopy(key) || (rs.Metadata.Annotations.TryGetValue(key, out var existing) && existing == value))
            {
                continue;
            }

            rs.Metadata.Annotations[key] = value;
            changed = true;
        }

        return changed;
    }

    /// <summary>Sets the Deployment's revision annotation; returns whether it changed.</summary>
    public static bool SetDeploymentRevision(V1Deployment deployment, string? revision)
    {
        deployment.Metadata.Annotations ??= new Dictionary<string, string>();
        if (deployment.Metadata.Annotations.TryGetValue(Revision, out var current) && current == revision)
        {
            return false;
        }

        deployment.Metadata.Annotations[Revision] = revision ?? "";
        return true;
    }

    public static bool ReplicasAnnotationsNeedUpdate(V1ReplicaSet rs, int desired, int max)
    {
        var annotations = rs.Metadata.Annotations;
        return annotations is null
            || !annotations.TryGetValue(DesiredReplicas, out var d) || d != desired.ToString(CultureInfo.InvariantCulture)
            || !annotations.TryGetValue(MaxReplicas, out var m) || m != max.ToString(CultureInfo.InvariantCulture);
    }

    public static bool SetReplicasAnnotations(V1ReplicaSet rs, int desired, int max)
    {
        rs.Metadata.Annotations ??= new Dictionary<string, string>();
        var changed = false;
        var desiredText = desired.ToString(CultureInfo.InvariantCulture);
        if (!rs.Metadata.Annotations.TryGetValue(DesiredReplicas, out var d) || d != desiredText)
        {
            rs.Metadata.Annotations[DesiredReplicas] = desiredText;
            changed = true;
        }

        var maxText = max.ToString(CultureInfo.InvariantCulture);
        if (!rs.Metadata.Annotations.TryGetValue(MaxReplicas, out var m) || m != maxText)
        {
            rs.Metadata.Annotations[MaxReplicas] = maxText;
            changed = true;
        }

        return changed;
    }

    public static int? DesiredReplicasOf(V1ReplicaSet rs) => IntAnnotation(rs, DesiredReplicas);

    public static int? MaxReplicasOf(V1ReplicaSet rs) => IntAnnotation(rs, MaxReplicas);

    private static int? IntAnnotation(V1ReplicaSet rs, string key) =>
        rs.Metadata.Annotations is { } annotations && annotations.TryGetValue(key, out var text)
            && int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : null;

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Updating replica set revision: the {Which} revision {Revision} is not a number")]
        public static partial void NotANumber(ILogger logger, string which, string revision);

        [LoggerMessage(Level = LogLevel.Information, Message = "Not appending revision: the revision history reached its length limit {Limit}")]
        public static partial void HistoryFull(ILogger logger, int limit);
    }
}
