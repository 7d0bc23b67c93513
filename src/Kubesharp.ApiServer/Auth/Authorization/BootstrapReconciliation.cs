using k8s.Models;

namespace Kubesharp.ApiServer.Auth.Authorization;

/// <summary>What the API server must do to make a stored RBAC object agree with its bootstrap version.</summary>
internal enum ReconcileOperation
{
    /// <summary>Nothing: the object is as it should be, or it is protected by <c>autoupdate: "false"</c>.</summary>
    None,

    /// <summary>It does not exist: create it.</summary>
    Create,

    /// <summary>Update it (a PUT of <see cref="ReconcileResult{T}.Object"/>, resourceVersion kept).</summary>
    Update,

    /// <summary>A binding whose roleRef differs: roleRef is immutable, so delete it and create it anew.</summary>
    Recreate,
}

/// <summary>The operation and the object to write (null when there is nothing to write).</summary>
internal sealed record ReconcileResult<T>(ReconcileOperation Operation, T? Object)
    where T : class
{
    public static ReconcileResult<T> Nothing { get; } = new(ReconcileOperation.None, null);
}

/// <summary>
/// Upstream's start-up reconciliation of the bootstrap policy (<c>pkg/registry/rbac/reconciliation</c>, in
/// its union mode, which the API server uses): given the stored object (null when absent) and the
/// bootstrap one, what to write. Missing rules, aggregation selectors and subjects are added (extra ones a
/// cluster administrator added stay), the bootstrap labels and annotations are merged in (the stored
/// values win on conflict), an aggregationRule that the bootstrap role no longer has is removed, and a
/// binding whose roleRef changed is recreated. An object annotated
/// <c>rbac.authorization.kubernetes.io/autoupdate: "false"</c> is left alone. Returns copies; the inputs
/// are not modified. Stateless and thread-safe.
/// </summary>
internal static class BootstrapReconciliation
{
    public static ReconcileResult<V1ClusterRole> Reconcile(V1ClusterRole? existing, V1ClusterRole expected)
    {
        if (existing is null)
        {
            return new(ReconcileOperation.Create, expected);
        }

        if (IsProtected(existing.Metadata))
        {
            return ReconcileResult<V1ClusterRole>.Nothing;
        }

        var result = new V1ClusterRole
        {
            ApiVersion = existing.ApiVersion,
            Kind = existing.Kind,
            Metadata = existing.Metadata,
            Rules = existing.Rules?.ToList(),
            AggregationRule = existing.AggregationRule,
        };
        var changed = MergeMetadata(existing.Metadata, expected.Metadata, out var metadata);
        result.Metadata = metadata;
        changed |= ReconcileRules(existing.Rules, expected.Rules, out var rules);
        result.Rules = rules;

        if (expected.AggregationRule is null && existing.AggregationRule is not null)
        {
            // Not an aggregated role any more.
            result.AggregationRule = null;
            changed = true;
        }
        else if (expected.AggregationRule?.ClusterRoleSelectors is { Count: > 0 } expectedSelectors)
        {
            var existingSelectors = existing.AggregationRule?.ClusterRoleSelectors ?? [];
            var missing = expectedSelectors.Where(s => !existingSelectors.Any(e => SelectorEquals(e, s))).ToList();
            if (missing.Count > 0)
            {
                result.AggregationRule = new V1AggregationRule { ClusterRoleSelectors = [.. existingSelectors, .. missing] };
                changed = true;
            }
        }

        return changed ? new(ReconcileOperation.Update, result) : ReconcileResult<V1ClusterRole>.Nothing;
    }

    public static ReconcileResult<V1Role> Reconcile(V1Role? existing, V1Role expected)
    {
        if (existing is null)
        {
            return new(ReconcileOperation.Create, expected);
        }

        if (IsProtected(existing.Metadata))
        {
            return ReconcileResult<V1Role>.Nothing;
        }

        var changed = MergeMetadata(existing.Metadata, expected.Metadata, out var metadata);
        changed |= ReconcileRules(existing.Rules, expected.Rules, out var rules);
        return changed
            ? new(ReconcileOperation.Update, new V1Role { ApiVersion = existing.ApiVersion, Kind = existing.Kind, Metadata = metadata, Rules = rules })
            : ReconcileResult<V1Role>.Nothing;
    }

    public static ReconcileResult<V1ClusterRoleBinding> Reconcile(V1ClusterRoleBinding? existing, V1ClusterRoleBinding expected)
    {
        if (existing is null)
        {
            return new(ReconcileOperation.Create, expected);
        }

        if (IsProtected(existing.Metadata))
        {
            return ReconcileResult<V1ClusterRoleBinding>.Nothing;
        }

        if (!RoleRefEquals(existing.RoleRef, expected.RoleRef))
        {
            return new(ReconcileOperation.Recreate, expected);
        }

        var changed = MergeMetadata(existing.Metadata, expected.Metadata, out var metadata);
        changed |= ReconcileSubjects(existing.Subjects, expected.Subjects, out var subjects);
        return changed
            ? new(ReconcileOperation.Update, new V1ClusterRoleBinding { ApiVersion = existing.ApiVersion, Kind = existing.Kind, Metadata = metadata, RoleRef = existing.RoleRef, Subjects = subjects })
            : ReconcileResult<V1ClusterRoleBinding>.Nothing;
    }

    public static ReconcileResult<V1RoleBinding> Reconcile(V1RoleBinding? existing, V1RoleBinding expected)
    {
        if (existing is null)
        {
            return new(ReconcileOperation.Create, expected);
        }

        if (IsProtected(existing.Metadata))
        {
            return ReconcileResult<V1RoleBinding>.Nothing;
        }

        if (!RoleRefEquals(existing.RoleRef, expected.RoleRef))
        {
            return new(ReconcileOperation.Recreate, expected);
        }

        var changed = MergeMetadata(existing.Metadata, expected.Metadata, out var metadata);
        changed |= ReconcileSubjects(existing.Subjects, expected.Subjects, out var subjects);
        return changed
            ? new(ReconcileOperation.Update, new V1RoleBinding { ApiVersion = existing.ApiVersion, Kind = existing.Kind, Metadata = metadata, RoleRef = existing.RoleRef, Subjects = subjects })
            : ReconcileResult<V1RoleBinding>.Nothing;
    }

    private static bool IsProtected(V1ObjectMeta? metadata) =>
        metadata?.Annotations?.TryGetValue(RbacNames.AutoUpdateAnnotation, out var value) == true && value == "false";

    /// <summary>Rules the stored role lacks (judged by coverage, atom by atom) are appended.</summary>
    private static bool ReconcileRules(IList<V1PolicyRule>? existing, IList<V1PolicyRule>? expected, out IList<V1PolicyRule>? rules)
    {
        rules = existing?.ToList();
        if (RuleCoverage.Covers(existing ?? [], expected ?? [], out var missing))
        {
            return false;
        }

        rules = [.. existing ?? [], .. missing];
        return true;
    }

    private static bool ReconcileSubjects(IList<Rbacv1Subject>? existing, IList<Rbacv1Subject>? expected, out IList<Rbacv1Subject>? subjects)
    {
        subjects = existing?.ToList();
        var current = existing ?? [];
        var missing = (expected ?? []).Where(s => !current.Any(c => SubjectEquals(c, s))).ToList();
        if (missing.Count == 0)
        {
            return false;
        }

        subjects = [.. current, .. missing];
        return true;
    }

    /// <summary>Expected labels and annotations merged under the stored ones, whose values win.</summary>
    private static bool MergeMetadata(V1ObjectMeta? existing, V1ObjectMeta? expected, out V1ObjectMeta metadata)
    {
        metadata = CopyMetadata(existing);
        var labels = Merge(expected?.Labels, existing?.Labels);
        var annotations = Merge(expected?.Annotations, existing?.Annotations);
        var changed = !MapEquals(labels, existing?.Labels) || !MapEquals(annotations, existing?.Annotations);
        metadata.Labels = labels;
        metadata.Annotations = annotations;
        return changed;
    }

    private static Dictionary<string, string>? Merge(IDictionary<string, string>? under, IDictionary<string, string>? over)
    {
        if (under is null && over is null)
        {
            return null;
        }

        var merged = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in under ?? new Dictionary<string, string>())
        {
            merged[key] = value;
        }

        foreach (var (key, value) in over ?? new Dictionary<string, string>())
        {
            merged[key] = value;
        }

        return merged;
    }

    private static bool MapEquals(IDictionary<string, string>? a, IDictionary<string, string>? b)
    {
        if ((a?.Count ?? 0) != (b?.Count ?? 0))
        {
            return false;
        }

        foreach (var (key, value) in a ?? new Dictionary<string, string>())
        {
            if (b is null || !b.TryGetValue(key, out var other) || other != value)
            {
                return false;
            }
        }

        return true;
    }

    private static V1ObjectMeta CopyMetadata(V1ObjectMeta? m) => new()
    {
        Name = m?.Name,
        NamespaceProperty = m?.NamespaceProperty,
        Uid = m?.Uid,
        ResourceVersion = m?.ResourceVersion,
        Generation = m?.Generation,
        CreationTimestamp = m?.CreationTimestamp,
        DeletionTimestamp = m?.DeletionTimestamp,
        DeletionGracePeriodSeconds = m?.DeletionGracePeriodSeconds,
        GenerateName = m?.GenerateName,
        Labels = m?.Labels,
        Annotations = m?.Annotations,
        OwnerReferences = m?.OwnerReferences,
        Finalizers = m?.Finalizers,
        ManagedFields = m?.ManagedFields,
    };

    private static bool RoleRefEquals(V1RoleRef? a, V1RoleRef? b) =>
        a?.ApiGroup == b?.ApiGroup && a?.Kind == b?.Kind && a?.Name == b?.Name;

    private static bool SubjectEquals(Rbacv1Subject a, Rbacv1Subject b) =>
        (a.ApiGroup ?? "") == (b.ApiGroup ?? "") && a.Kind == b.Kind && a.Name == b.Name && (a.NamespaceProperty ?? "") == (b.NamespaceProperty ?? "");

    private static bool SelectorEquals(V1LabelSelector a, V1LabelSelector b)
    {
        if (!MapEquals(a.MatchLabels, b.MatchLabels))
        {
            return false;
        }

        var left = a.MatchExpressions ?? [];
        var right = b.MatchExpressions ?? [];
        return left.Count == right.Count && left.Zip(right).All(p =>
            p.First.Key == p.Second.Key
            && p.First.OperatorProperty == p.Second.OperatorProperty
            && (p.First.Values ?? []).SequenceEqual(p.Second.Values ?? [], StringComparer.Ordinal));
    }
}
