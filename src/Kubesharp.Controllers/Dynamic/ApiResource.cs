using System.Text;

namespace Kubesharp.Controllers.Dynamic;

/// <summary>
/// One resource as discovery lists it (a row of an <c>APIResourceList</c>), in the version the server prefers
/// for its group: enough to list, get, patch and delete its objects without a typed model.
/// </summary>
public sealed record ApiResource(string Group, string Version, string Kind, string Plural, bool Namespaced, IReadOnlyList<string> Verbs)
{
    /// <summary><c>v1</c> for the core group, else <c>group/version</c>: the objects' apiVersion.</summary>
    public string GroupVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary><c>plural.group</c> (or just <c>plural</c> for the core group), as upstream names a group-resource in messages.</summary>
    public string GroupResource => Group.Length == 0 ? Plural : $"{Plural}.{Group}";

    public bool Supports(string verb) => Verbs.Contains(verb, StringComparer.Ordinal);

    /// <summary>The collection path relative to the API root: <c>api/v1/namespaces/ns/pods</c>, <c>apis/apps/v1/deployments</c>.</summary>
    public string CollectionPath(string? ns)
    {
        var sb = new StringBuilder(Group.Length == 0 ? "api/" : "apis/");
        sb.Append(GroupVersion);
        if (Namespaced && !string.IsNullOrEmpty(ns))
        {
            sb.Append("/namespaces/").Append(Uri.EscapeDataString(ns));
        }

        return sb.Append('/').Append(Plural).ToString();
    }

    public string ObjectPath(string? ns, string name) => CollectionPath(ns) + "/" + Uri.EscapeDataString(name);
}

/// <summary>
/// What discovery found: the resources of every group it could read (preferred versions, no subresources), and
/// the group versions it could not read (their resources are missing from <see cref="Resources"/>).
/// </summary>
public sealed record DiscoveryResult(IReadOnlyList<ApiResource> Resources, IReadOnlyDictionary<string, string> FailedGroups)
{
    public bool Complete => FailedGroups.Count == 0;

    /// <summary>
    /// The resource serving <paramref name="kind"/> in the group of <paramref name="apiVersion"/> (the version
    /// itself is not needed: any version of a kind names the same objects, by uid), or null.
    /// </summary>
    public ApiResource? Find(string? apiVersion, string? kind)
    {
        var group = GroupOf(apiVersion);
        foreach (var r in Resources)
        {
            if (r.Kind == kind && r.Group == group)
            {
                return r;
            }
        }

        return null;
    }

    public static string GroupOf(string? apiVersion)
    {
        var slash = apiVersion?.IndexOf('/', StringComparison.Ordinal) ?? -1;
        return slash < 0 ? "" : apiVersion![..slash];
    }
}
