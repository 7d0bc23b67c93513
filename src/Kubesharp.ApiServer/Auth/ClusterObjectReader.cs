using k8s;
using k8s.Models;
using Kubesharp.Api.Resources;
using Kubesharp.ApiServer.Auth.Authentication;
using Kubesharp.ApiServer.Cache;
using Kubesharp.ApiServer.Crd;
using Kubesharp.Storage;

namespace Kubesharp.ApiServer.Auth;

/// <summary>
/// Reads single objects for authentication and admission: from the watch cache, and from the store when
/// the cache does not have it (yet), so that an object created a moment ago is never reported missing.
/// </summary>
internal sealed class ClusterObjectReader(IStore store, ResourceTable table, WatchCache cache) : IAuthObjectReader
{
    public ValueTask<V1Secret?> GetSecretAsync(string @namespace, string name, CancellationToken cancellationToken) =>
        GetAsync<V1Secret>("secrets", @namespace, name, cancellationToken);

    public ValueTask<V1ServiceAccount?> GetServiceAccountAsync(string @namespace, string name, CancellationToken cancellationToken) =>
        GetAsync<V1ServiceAccount>("serviceaccounts", @namespace, name, cancellationToken);

    public ValueTask<V1Pod?> GetPodAsync(string @namespace, string name, CancellationToken cancellationToken) =>
        GetAsync<V1Pod>("pods", @namespace, name, cancellationToken);

    public ValueTask<V1Node?> GetNodeAsync(string name, CancellationToken cancellationToken) =>
        GetAsync<V1Node>("nodes", null, name, cancellationToken);

    public ValueTask<V1ConfigMap?> GetConfigMapAsync(string @namespace, string name, CancellationToken cancellationToken) =>
        GetAsync<V1ConfigMap>("configmaps", @namespace, name, cancellationToken);

    public ValueTask<V1PriorityClass?> GetPriorityClassAsync(string name, CancellationToken cancellationToken) =>
        GetAsync<V1PriorityClass>("priorityclasses", null, name, cancellationToken, "scheduling.k8s.io");

    /// <summary>Every PriorityClass, from the watch cache (the Priority admission plugin looks for the global default).</summary>
    public async ValueTask<IReadOnlyList<V1PriorityClass>> ListPriorityClassesAsync(CancellationToken cancellationToken)
    {
        var resource = table.Find("scheduling.k8s.io", "v1", "priorityclasses")!;
        var loaded = await cache.GetAsync(resource.StoragePrefix, resource.FieldSelectors, cancellationToken);
        return [.. loaded.Snapshot().Items.Select(o => KubernetesJson.Deserialize<V1PriorityClass>(System.Text.Encoding.UTF8.GetString(o.Json)))];
    }

    private async ValueTask<T?> GetAsync<T>(string plural, string? ns, string name, CancellationToken cancellationToken, string group = "")
        where T : class
    {
        var resource = table.Find(group, "v1", plural)!;
        var key = resource.StorageKey(ns, name);
        var loaded = await cache.GetAsync(resource.StoragePrefix, resource.FieldSelectors, cancellationToken);
        if (loaded.TryGet(key) is { } cached)
        {
            return KubernetesJson.Deserialize<T>(System.Text.Encoding.UTF8.GetString(cached.Json));
        }

        var kv = await store.GetAsync(key, 0, cancellationToken);
        return kv is null ? null : KubernetesJson.Deserialize<T>(System.Text.Encoding.UTF8.GetString(resource.ForRead(kv.Value)));
    }
}
