using System.Globalization;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Controllers.Dynamic;

namespace Kubesharp.Controllers.Tests.Fakes;

/// <summary>
/// An in-memory API for the dynamic controllers with the server's rules that matter to them: a delete marks an
/// object held by finalizers (adding the garbage collector's finalizer for Foreground and Orphan) and removes it
/// otherwise; a uid precondition that fails is 409; a merge patch of ownerReferences or finalizers checks the
/// resourceVersion it carries, and an object being deleted goes when its last finalizer does. Every call is
/// recorded as text. Thread-safe.
/// </summary>
internal sealed class FakeDynamicApi : IDynamicApi
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Resource, string Namespace, string Name), PartialObject> _objects = [];
    private readonly List<string> _calls = [];
    private long _version = 100;

    public static readonly ApiResource ConfigMaps = new("", "v1", "ConfigMap", "configmaps", true, ResourceInfoVerbs);
    public static readonly ApiResource Pods = new("", "v1", "Pod", "pods", true, ResourceInfoVerbs);
    public static readonly ApiResource Namespaces = new("", "v1", "Namespace", "namespaces", false, ["create", "delete", "get", "list", "patch", "update", "watch"]);
    public static readonly ApiResource Widgets = new("example.com", "v1", "Widget", "widgets", true, ["delete", "get", "list", "patch", "watch"]);
    public static readonly ApiResource ClusterThings = new("example.com", "v1", "ClusterThing", "clusterthings", false, ResourceInfoVerbs);

    private static IReadOnlyList<string> ResourceInfoVerbs => ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

    public List<ApiResource> Resources { get; } = [ConfigMaps, Pods, Namespaces, Widgets, ClusterThings];

    public Dictionary<string, string> FailedGroups { get; } = [];

    public IReadOnlyList<string> Calls
    {
        get
        {
            lock (_lock)
            {
                return [.. _calls];
            }
        }
    }

    public PartialObject Add(ApiResource resource, string ns, string name, string? uid = null, IEnumerable<V1OwnerReference>? owners = null, IEnumerable<string>? finalizers = null, bool deleting = false)
    {
        lock (_lock)
        {
            var obj = new PartialObject
            {
                ApiVersion = resource.GroupVersion,
                Kind = resource.Kind,
                Metadata = new V1ObjectMeta
                {
                    Name = name,
                    NamespaceProperty = resource.Namespaced ? ns : null,
                    Uid = uid ?? $"uid-{name}",
                    ResourceVersion = (++_version).ToString(CultureInfo.InvariantCulture),
                    OwnerReferences = owners?.ToList(),
                    Finalizers = finalizers?.ToList(),
                    DeletionTimestamp = deleting ? new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc) : null,
                },
            };
            _objects[(resource.GroupResource, resource.Namespaced ? ns : "", name)] = obj;
            return Copy(obj);
        }
    }

    public PartialObject? Find(ApiResource resource, string ns, string name)
    {
        lock (_lock)
        {
            return _objects.TryGetValue((resource.GroupResource, resource.Namespaced ? ns : "", name), out var obj) ? Copy(obj) : null;
        }
    }

    public Task<DiscoveryResult> DiscoverAsync(CancellationToken cancellationToken)
    {
        Record("discover");
        return Task.FromResult(new DiscoveryResult([.. Resources], new Dictionary<string, string>(FailedGroups)));
    }

    public Task<IReadOnlyList<PartialObject>> ListAsync(ApiResource resource, string? ns, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _calls.Add($"list {resource.GroupResource} {ns}");
            return Task.FromResult<IReadOnlyList<PartialObject>>([.. _objects.Where(o => o.Key.Resource == resource.GroupResource && (string.IsNullOrEmpty(ns) || o.Key.Namespace == ns)).Select(o => Copy(o.Value))]);
        }
    }

    public Task<PartialObject?> GetAsync(ApiResource resource, string? ns, string name, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _calls.Add($"get {resource.GroupResource} {Key(resource, ns, name)}");
            return Task.FromResult(_objects.TryGetValue((resource.GroupResource, resource.Namespaced ? ns ?? "" : "", name), out var obj) ? Copy(obj) : null);
        }
    }

    public Task<bool> DeleteAsync(ApiResource resource, string? ns, string name, V1DeleteOptions options, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _calls.Add($"delete {resource.GroupResource} {Key(resource, ns, name)} {options.PropagationPolicy} uid={options.Preconditions?.Uid}");
            return Task.FromResult(DeleteLocked(resource, ns ?? "", name, options));
        }
    }

    public Task DeleteCollectionAsync(ApiResource resource, string ns, V1DeleteOptions options, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _calls.Add($"deletecollection {resource.GroupResource} {ns} {options.PropagationPolicy}");
            foreach (var key in _objects.Keys.Where(k => k.Resource == resource.GroupResource && k.Namespace == ns).ToList())
            {
                DeleteLocked(resource, ns, key.Name, options);
            }

            return Task.CompletedTask;
        }
    }

    public Task<PartialObject?> MergePatchAsync(ApiResource resource, string? ns, string name, string patch, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _calls.Add($"patch {resource.GroupResource} {Key(resource, ns, name)} {patch}");
            var key = (resource.GroupResource, resource.Namespaced ? ns ?? "" : "", name);
            if (!_objects.TryGetValue(key, out var obj))
            {
                return Task.FromResult<PartialObject?>(null);
            }

            var meta = JsonNode.Parse(patch)!["metadata"]!.AsObject();
            if (meta["resourceVersion"]?.GetValue<string>() is { } rv && rv != obj.Metadata.ResourceVersion)
            {
                throw new ApiStatusException(new V1Status { Code = 409, Reason = "Conflict", Message = "the object has been modified" });
            }

            if (meta.ContainsKey("ownerReferences"))
            {
                obj.Metadata.OwnerReferences = meta["ownerReferences"] is { } refs ? KubernetesJson.Deserialize<List<V1OwnerReference>>(refs.ToJsonString()) : null;
            }

            if (meta.ContainsKey("finalizers"))
            {
                obj.Metadata.Finalizers = meta["finalizers"] is { } fs ? KubernetesJson.Deserialize<List<string>>(fs.ToJsonString()) : null;
            }

            obj.Metadata.ResourceVersion = (++_version).ToString(CultureInfo.InvariantCulture);
            if (obj.Metadata.DeletionTimestamp is not null && obj.Metadata.Finalizers is not { Count: > 0 })
            {
                _objects.Remove(key);
            }

            return Task.FromResult<PartialObject?>(Copy(obj));
        }
    }

    private bool DeleteLocked(ApiResource resource, string ns, string name, V1DeleteOptions options)
    {
        var key = (resource.GroupResource, resource.Namespaced ? ns : "", name);
        if (!_objects.TryGetValue(key, out var obj))
        {
            return false;
        }

        if (options.Preconditions?.Uid is { } uid && uid != obj.Metadata.Uid)
        {
            throw new ApiStatusException(new V1Status { Code = 409, Reason = "Conflict", Message = "Precondition failed: UID" });
        }

        var finalizers = (obj.Metadata.Finalizers ?? []).Where(f => f is not ("orphan" or "foregroundDeletion")).ToList();
        if (options.PropagationPolicy == "Foreground")
        {
            finalizers.Add("foregroundDeletion");
        }
        else if (options.PropagationPolicy == "Orphan")
        {
            finalizers.Add("orphan");
        }

        if (finalizers.Count == 0)
        {
            _objects.Remove(key);
            return true;
        }

        obj.Metadata.Finalizers = finalizers;
        obj.Metadata.DeletionTimestamp ??= new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        obj.Metadata.ResourceVersion = (++_version).ToString(CultureInfo.InvariantCulture);
        return true;
    }

    private void Record(string call)
    {
        lock (_lock)
        {
            _calls.Add(call);
        }
    }

    private static string Key(ApiResource resource, string? ns, string name) => resource.Namespaced ? $"{ns}/{name}" : name;

    private static PartialObject Copy(PartialObject obj) => KubernetesJson.Deserialize<PartialObject>(KubernetesJson.Serialize(obj));
}
