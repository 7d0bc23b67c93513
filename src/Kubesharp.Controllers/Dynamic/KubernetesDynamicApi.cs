using System.Globalization;
using k8s;
using k8s.Models;
using Kubesharp.Client.Cache;

namespace Kubesharp.Controllers.Dynamic;

/// <summary><see cref="IDynamicApi"/> over the HTTP API of one <see cref="Kubernetes"/> client.</summary>
public sealed class KubernetesDynamicApi(Kubernetes client) : IDynamicApi
{
    private const int PageSize = 500;

    public async Task<DiscoveryResult> DiscoverAsync(CancellationToken cancellationToken)
    {
        var resources = new List<ApiResource>();
        var failed = new Dictionary<string, string>(StringComparer.Ordinal);
        var versions = new List<string>();
        var core = await ApiHttp.SendAsync(client, HttpMethod.Get, "api", null, null, false, cancellationToken).ConfigureAwait(false);
        foreach (var v in KubernetesJson.Deserialize<V1APIVersions>(core!)?.Versions ?? [])
        {
            versions.Add(v);
        }

        // The core group's preferred (and only) version is v1.
        var groupVersions = new List<(string Group, string Version)>();
        if (versions.Contains("v1"))
        {
            groupVersions.Add(("", "v1"));
        }

        var groups = await ApiHttp.SendAsync(client, HttpMethod.Get, "apis", null, null, false, cancellationToken).ConfigureAwait(false);
        foreach (var group in KubernetesJson.Deserialize<V1APIGroupList>(groups!)?.Groups ?? [])
        {
            if (group.PreferredVersion?.Version is { Length: > 0 } preferred)
            {
                groupVersions.Add((group.Name, preferred));
            }
        }

        foreach (var (group, version) in groupVersions)
        {
            var gv = group.Length == 0 ? version : $"{group}/{version}";
            try
            {
                var path = group.Length == 0 ? "api/" + version : $"apis/{gv}";
                var list = KubernetesJson.Deserialize<V1APIResourceList>((await ApiHttp.SendAsync(client, HttpMethod.Get, path, null, null, false, cancellationToken).ConfigureAwait(false))!);
                foreach (var r in list?.Resources ?? [])
                {
                    // Subresources (pods/status) are not collections of objects.
                    if (r.Name.Contains('/', StringComparison.Ordinal))
                    {
                        continue;
                    }

                    resources.Add(new ApiResource(group, version, r.Kind, r.Name, r.Namespaced, [.. r.Verbs ?? []]));
                }
            }
            catch (Exception e) when (e is ApiStatusException or HttpRequestException or System.Text.Json.JsonException)
            {
                failed[gv] = e.Message;
            }
        }

        return new DiscoveryResult(resources, failed);
    }

    public async Task<IReadOnlyList<PartialObject>> ListAsync(ApiResource resource, string? ns, CancellationToken cancellationToken)
    {
        var items = new List<PartialObject>();
        string? continueToken = null;
        do
        {
            var query = "?limit=" + PageSize.ToString(CultureInfo.InvariantCulture)
                + (string.IsNullOrEmpty(continueToken) ? "" : "&continue=" + Uri.EscapeDataString(continueToken));
            var body = await ApiHttp.SendAsync(client, HttpMethod.Get, resource.CollectionPath(ns) + query, null, null, true, cancellationToken).ConfigureAwait(false);
            if (body is null)
            {
                return [];
            }

            var page = KubernetesJson.Deserialize<KubernetesList<PartialObject>>(body);
            foreach (var item in page?.Items ?? [])
            {
                items.Add(Stamp(item, resource));
            }

            continueToken = page?.Metadata?.ContinueProperty;
        }
        while (!string.IsNullOrEmpty(continueToken));

        return items;
    }

    public async Task<PartialObject?> GetAsync(ApiResource resource, string? ns, string name, CancellationToken cancellationToken)
    {
        var body = await ApiHttp.SendAsync(client, HttpMethod.Get, resource.ObjectPath(ns, name), null, null, true, cancellationToken).ConfigureAwait(false);
        return body is null ? null : Stamp(KubernetesJson.Deserialize<PartialObject>(body), resource);
    }

    public async Task<bool> DeleteAsync(ApiResource resource, string? ns, string name, V1DeleteOptions options, CancellationToken cancellationToken) =>
        await ApiHttp.SendAsync(client, HttpMethod.Delete, resource.ObjectPath(ns, name), KubernetesJson.Serialize(options), "application/json", true, cancellationToken).ConfigureAwait(false) is not null;

    public Task DeleteCollectionAsync(ApiResource resource, string ns, V1DeleteOptions options, CancellationToken cancellationToken) =>
        ApiHttp.SendAsync(client, HttpMethod.Delete, resource.CollectionPath(ns), KubernetesJson.Serialize(options), "application/json", false, cancellationToken);

    public async Task<PartialObject?> MergePatchAsync(ApiResource resource, string? ns, string name, string patch, CancellationToken cancellationToken)
    {
        var body = await ApiHttp.SendAsync(client, HttpMethod.Patch, resource.ObjectPath(ns, name), patch, "application/merge-patch+json", true, cancellationToken).ConfigureAwait(false);
        return body is null ? null : Stamp(KubernetesJson.Deserialize<PartialObject>(body), resource);
    }

    internal static PartialObject Stamp(PartialObject obj, ApiResource resource)
    {
        obj.ApiVersion = resource.GroupVersion;
        obj.Kind = resource.Kind;
        return obj;
    }
}
