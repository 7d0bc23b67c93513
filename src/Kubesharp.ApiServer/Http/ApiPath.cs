using Kubesharp.Api.Resources;

namespace Kubesharp.ApiServer.Http;

/// <summary>
/// A parsed API path: <c>/api/v1/...</c> or <c>/apis/GROUP/VERSION/...</c>, down to the resource,
/// namespace, name and subresource it names.
/// </summary>
internal sealed record ApiPath(string Group, string Version, ResourceInfo? Resource, string? Namespace, string? Name, string? Subresource)
{
    /// <summary>True for <c>/api/v1</c> or <c>/apis/G/V</c> themselves (the APIResourceList).</summary>
    public bool IsGroupVersionRoot => Resource is null;

    /// <summary>
    /// Parses the segments after <c>/api</c> or <c>/apis</c>. Returns null when the path names nothing
    /// served (the caller answers 404). <c>/api/v1/namespaces/NS/pods</c> is pods in NS, while
    /// <c>/api/v1/namespaces/NS</c> and <c>/api/v1/namespaces/NS/status</c> are the namespace itself.
    /// </summary>
    public static ApiPath? Parse(ResourceTable table, bool core, string[] segments)
    {
        string group, version;
        int i;
        if (core)
        {
            if (segments.Length < 1)
            {
                return null;
            }

            (group, version, i) = ("", segments[0], 1);
        }
        else
        {
            if (segments.Length < 2)
            {
                return null;
            }

            (group, version, i) = (segments[0], segments[1], 2);
        }

        var rest = segments.AsSpan(i);
        if (rest.Length == 0)
        {
            return table.GroupVersions().Contains((group, version)) ? new ApiPath(group, version, null, null, null, null) : null;
        }

        if (rest.Length >= 3 && rest[0] == "namespaces" && table.Find(group, version, rest[2]) is { Namespaced: true } namespaced)
        {
            return rest.Length switch
            {
                3 => new ApiPath(group, version, namespaced, rest[1], null, null),
                4 => new ApiPath(group, version, namespaced, rest[1], rest[3], null),
                5 => new ApiPath(group, version, namespaced, rest[1], rest[3], rest[4]),
                _ => null,
            };
        }

        if (table.Find(group, version, rest[0]) is not { } resource)
        {
            return null;
        }

        // A namespaced kind at the top level is the list across all namespaces; it has no objects there.
        return rest.Length switch
        {
            1 => new ApiPath(group, version, resource, null, null, null),
            2 when !resource.Namespaced => new ApiPath(group, version, resource, null, rest[1], null),
            3 when !resource.Namespaced => new ApiPath(group, version, resource, null, rest[1], rest[2]),
            _ => null,
        };
    }
}
