using k8s.Models;

namespace Kubesharp.ApiServer.Auth.Authorization;

/// <summary>
/// An immutable view of every Role, ClusterRole, RoleBinding and ClusterRoleBinding, indexed for the
/// rule resolver: roles by namespace and name, cluster roles by name, bindings by namespace and by the
/// users, groups and service accounts they name.
/// </summary>
/// <remarks>
/// Contract: the owner (the watch cache integration) builds a new snapshot whenever any RBAC object
/// changes and publishes it; readers never see a snapshot change. The objects handed in are kept by
/// reference, not copied: the caller must not mutate them afterwards (the watch cache decodes fresh
/// objects for each event, so this holds without a copy). Building is linear in the number of objects
/// and bindings' subjects; a few hundred objects take well under a millisecond. Every snapshot gets a
/// <see cref="Version"/> greater than those built before it in this process, which is what caches key on.
/// Two objects with the same key (a duplicate in the input) keep the last one. Thread-safe.
/// </remarks>
internal sealed class RbacSnapshot
{
    private static long _lastVersion;

    private readonly Dictionary<string, V1ClusterRole> _clusterRoles;
    private readonly Dictionary<(string Namespace, string Name), V1Role> _roles;
    private readonly Dictionary<string, RbacBindingIndex<V1RoleBinding>> _roleBindingsByNamespace;

    public RbacSnapshot(
        IEnumerable<V1Role> roles,
        IEnumerable<V1ClusterRole> clusterRoles,
        IEnumerable<V1RoleBinding> roleBindings,
        IEnumerable<V1ClusterRoleBinding> clusterRoleBindings)
    {
        Version = Interlocked.Increment(ref _lastVersion);
        Roles = roles.ToArray();
        ClusterRoles = clusterRoles.ToArray();
        RoleBindings = roleBindings.ToArray();
        ClusterRoleBindings = clusterRoleBindings.ToArray();

        _clusterRoles = new Dictionary<string, V1ClusterRole>(ClusterRoles.Count, StringComparer.Ordinal);
        foreach (var clusterRole in ClusterRoles)
        {
            _clusterRoles[clusterRole.Metadata?.Name ?? ""] = clusterRole;
        }

        _roles = new Dictionary<(string, string), V1Role>(Roles.Count);
        foreach (var role in Roles)
        {
            _roles[(role.Metadata?.NamespaceProperty ?? "", role.Metadata?.Name ?? "")] = role;
        }

        ClusterRoleBindingIndex = new RbacBindingIndex<V1ClusterRoleBinding>(ClusterRoleBindings, b => b.Subjects, bindingNamespace: "");

        _roleBindingsByNamespace = RoleBindings
            .GroupBy(b => b.Metadata?.NamespaceProperty ?? "", StringComparer.Ordinal)
            .ToDictionary(
                g => g.Key,
                g => new RbacBindingIndex<V1RoleBinding>(g.ToArray(), b => b.Subjects, g.Key),
                StringComparer.Ordinal);
    }

    public static RbacSnapshot Empty { get; } = new([], [], [], []);

    /// <summary>Increases with every snapshot built in this process; equal only for the same instance.</summary>
    public long Version { get; }

    public IReadOnlyList<V1Role> Roles { get; }

    public IReadOnlyList<V1ClusterRole> ClusterRoles { get; }

    public IReadOnlyList<V1RoleBinding> RoleBindings { get; }

    public IReadOnlyList<V1ClusterRoleBinding> ClusterRoleBindings { get; }

    internal RbacBindingIndex<V1ClusterRoleBinding> ClusterRoleBindingIndex { get; }

    public V1ClusterRole? GetClusterRole(string name) => _clusterRoles.GetValueOrDefault(name);

    public V1Role? GetRole(string @namespace, string name) => _roles.GetValueOrDefault((@namespace, name));

    /// <summary>The RoleBindings of one namespace, or null when it has none.</summary>
    internal RbacBindingIndex<V1RoleBinding>? RoleBindingIndex(string @namespace) => _roleBindingsByNamespace.GetValueOrDefault(@namespace);
}
