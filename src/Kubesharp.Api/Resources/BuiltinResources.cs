namespace Kubesharp.Api.Resources;

/// <summary>
/// The built-in kinds, as upstream v1.32 serves them (names, scope, verbs, short names, categories,
/// subresources, field selectors). One row per kind; see <see cref="ResourceInfo"/>. The rows live in
/// one partial file per API group; groups are listed in upstream's discovery priority order (core,
/// apps, events.k8s.io, authentication, authorization, batch, certificates, policy, rbac, scheduling, coordination, apiextensions, discovery).
/// </summary>
public static partial class BuiltinResources
{
    public static ResourceTable Table { get; } = new(Rows());

    // A property, not a field: Table's initializer runs first and would see a field still null.
    private static string[] NoDeleteCollection => ["create", "delete", "get", "list", "patch", "update", "watch"];

    private static IEnumerable<ResourceInfo> Rows() =>
    [
        .. CoreRows(),
        .. AppsRows(),
        .. EventsRows(),
        .. AuthenticationRows(),
        .. AuthorizationRows(),
        .. BatchRows(),
        .. CertificatesRows(),
        .. PolicyRows(),
        .. RbacRows(),
        .. SchedulingRows(),
        .. CoordinationRows(),
        .. ApiExtensionsRows(),
        .. DiscoveryRows(),
    ];

    private static ResourceInfo Row(
        string group,
        string version,
        string kind,
        string plural,
        ResourceScope scope,
        string[]? shortNames = null,
        string[]? categories = null,
        SubresourceInfo[]? subresources = null,
        string[]? fields = null,
        bool status = false,
        IReadOnlyList<string>? verbs = null)
    {
        var subs = new List<SubresourceInfo>();
        if (status)
        {
            subs.Add(Sub("status", group, version, kind, "get", "patch", "update"));
        }

        subs.AddRange(subresources ?? []);
        return new ResourceInfo(group, version, kind, plural, kind.ToLowerInvariant(), scope, verbs ?? ResourceInfo.AllVerbs,
            shortNames ?? [], categories ?? [], subs, fields ?? [], status);
    }

    private static SubresourceInfo Sub(string name, string group, string version, string kind, params string[] verbs) =>
        new(name, group, version, kind, verbs);

    /// <summary>Scale travels as <c>autoscaling/v1 Scale</c>, which kubectl's scale client resolves from discovery.</summary>
    private static SubresourceInfo Scale() => Sub("scale", "autoscaling", "v1", "Scale", "get", "patch", "update");
}
