using k8s.Models;

namespace Kubesharp.Controllers.Namespace;

/// <summary>
/// The five status conditions upstream's namespace deleter keeps on a terminating namespace
/// (status_condition_utils.go): each is True with a failure reason and message while that failure lasts, and
/// False with upstream's "ok" reason and message otherwise. Messages are upstream's, word for word, since users
/// and tools read them (<c>kubectl describe ns</c>).
/// </summary>
public sealed class NamespaceConditions
{
    public const string DiscoveryFailure = "NamespaceDeletionDiscoveryFailure";
    public const string GroupVersionParsingFailure = "NamespaceDeletionGroupVersionParsingFailure";
    public const string ContentFailure = "NamespaceDeletionContentFailure";
    public const string ContentRemaining = "NamespaceContentRemaining";
    public const string FinalizersRemaining = "NamespaceFinalizersRemaining";

    private static readonly (string Type, string Reason, string Message)[] Ok =
    [
        (DiscoveryFailure, "ResourcesDiscovered", "All resources successfully discovered"),
        (GroupVersionParsingFailure, "ParsedGroupVersions", "All legacy kube types successfully parsed"),
        (ContentFailure, "ContentDeleted", "All content successfully deleted, may be waiting on finalization"),
        (ContentRemaining, "ContentRemoved", "All content successfully removed"),
        (FinalizersRemaining, "ContentHasNoFinalizers", "All content-preserving finalizers finished"),
    ];

    private readonly Dictionary<string, (string Reason, string Message)> _failures = new(StringComparer.Ordinal);
    private readonly List<string> _contentErrors = [];

    public void DiscoveryFailed(string message) => _failures[DiscoveryFailure] = ("DiscoveryFailed", message);

    public void ContentDeletionFailed(string error) => _contentErrors.Add(error);

    /// <summary>What remains: instances per group-resource (<c>pods.</c> for core, as upstream prints it), and instances per finalizer.</summary>
    public void Remaining(IReadOnlyDictionary<string, int> byResource, IReadOnlyDictionary<string, int> byFinalizer)
    {
        var resources = byResource.Where(r => r.Value > 0).Select(r => $"{r.Key} has {r.Value} resource instances").Order(StringComparer.Ordinal).ToList();
        if (resources.Count > 0)
        {
            _failures[ContentRemaining] = ("SomeResourcesRemain", "Some resources are remaining: " + string.Join(", ", resources));
        }

        var finalizers = byFinalizer.Where(f => f.Value > 0).Select(f => $"{f.Key} in {f.Value} resource instances").Order(StringComparer.Ordinal).ToList();
        if (finalizers.Count > 0)
        {
            _failures[FinalizersRemaining] = ("SomeFinalizersRemain", "Some content in the namespace has finalizers remaining: " + string.Join(", ", finalizers));
        }
    }

    /// <summary>Writes the conditions into <paramref name="status"/>; true when anything changed (then the status needs an update).</summary>
    public bool ApplyTo(V1NamespaceStatus status, DateTime now)
    {
        if (_contentErrors.Count > 0 && !_failures.ContainsKey(ContentFailure))
        {
            var sorted = _contentErrors.Order(StringComparer.Ordinal).ToList();
            _failures[ContentFailure] = ("ContentDeletionFailed", $"Failed to delete all resource types, {sorted.Count} remaining: {string.Join(", ", sorted)}");
        }

        status.Conditions ??= [];
        var changed = false;
        foreach (var (type, okReason, okMessage) in Ok)
        {
            var (state, reason, message) = _failures.TryGetValue(type, out var failure) ? ("True", failure.Reason, failure.Message) : ("False", okReason, okMessage);
            var old = status.Conditions.FirstOrDefault(c => c.Type == type);
            if (old is null)
            {
                status.Conditions.Add(new V1NamespaceCondition { Type = type, Status = state, Reason = reason, Message = message, LastTransitionTime = now });
                changed = true;
            }
            else if (old.Status != state || old.Reason != reason || old.Message != message)
            {
                if (old.Status != state)
                {
                    old.LastTransitionTime = now;
                }

                old.Status = state;
                old.Reason = reason;
                old.Message = message;
                changed = true;
            }
        }

        return changed;
    }
}
