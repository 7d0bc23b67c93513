using System.Globalization;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Controllers.Common;

namespace Kubesharp.Controllers.Tests.Fakes;

/// <summary>
/// An in-memory API server for the workload controllers' <see cref="IWorkloadClient"/> (it doubles an
/// internal interface of Kubesharp.Controllers, so it lives here rather than in Kubesharp.Testing):
/// objects by kind and key, stored as JSON so callers never share instances, with UIDs, resourceVersions,
/// generations (bumped on spec changes), creation timestamps from the fake clock and generateName. Every
/// call is recorded in <see cref="Calls"/> ("create pod ns/name", "update replicaset ns/name", ...);
/// <see cref="Fail"/> can refuse any call with an exception. Strategic merge patches are applied for the
/// ownerReference adopt and release patches only. Thread-safe.
/// </summary>
internal sealed partial class FakeWorkloadClient(TimeProvider time) : IWorkloadClient
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, SortedDictionary<string, string>> _stores = new(StringComparer.Ordinal);
    private readonly List<string> _calls = [];
    private readonly Random _random = new(42);
    private long _revision;
    private int _uid;

    /// <summary>Called with each call's description ("create pod ns/x-"); a non-null result is thrown instead of doing it.</summary>
    public Func<string, Exception?>? Fail { get; set; }

    /// <summary>Called (under the fake's lock) with every object a call stored.</summary>
    public Action<object>? Written { get; set; }

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

    public void ClearCalls()
    {
        lock (_lock)
        {
            _calls.Clear();
        }
    }

    public List<T> List<T>()
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        lock (_lock)
        {
            return [.. Store<T>().Values.Select(json => KubernetesJson.Deserialize<T>(json))];
        }
    }

    public T? Get<T>(string key)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        lock (_lock)
        {
            return Store<T>().TryGetValue(key, out var json) ? KubernetesJson.Deserialize<T>(json) : null;
        }
    }

    /// <summary>Stores an object as the server would on create (the test's own writes: pods made by hand, objects under test).</summary>
    public T Add<T>(T obj)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        lock (_lock)
        {
            return CreateLocked(obj);
        }
    }

    /// <summary>Writes an object as a PUT would, without a resourceVersion check.</summary>
    public T Put<T>(T obj)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        lock (_lock)
        {
            return UpdateLocked(obj, checkVersion: false, statusOnly: false);
        }
    }

    /// <summary>Changes a stored object in place (a kubelet's status write, a user's edit).</summary>
    public T Mutate<T>(string key, Action<T> change)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        lock (_lock)
        {
            var obj = KubernetesJson.Deserialize<T>(Store<T>()[key]);
            change(obj);
            return UpdateLocked(obj, checkVersion: false, statusOnly: false);
        }
    }

    public void Remove<T>(string key)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        lock (_lock)
        {
            Store<T>().Remove(key);
        }
    }

    public Task<V1Pod> CreatePodAsync(string ns, V1Pod pod, CancellationToken cancellationToken) =>
        Do($"create pod {ns}/{pod.Metadata.Name ?? pod.Metadata.GenerateName}", () => CreateLocked(WithNamespace(pod, ns)));

    public Task DeletePodAsync(string ns, string name, CancellationToken cancellationToken) =>
        Do($"delete pod {ns}/{name}", () => DeleteLocked<V1Pod>(ns + "/" + name));

    public Task<V1Pod> PatchPodAsync(string ns, string name, string strategicMergePatch, CancellationToken cancellationToken) =>
        Do($"patch pod {ns}/{name} {strategicMergePatch}", () => PatchOwnerLocked<V1Pod>(ns + "/" + name, strategicMergePatch));

    public Task<V1ReplicaSet> GetReplicaSetAsync(string ns, string name, CancellationToken cancellationToken) =>
        Do($"get replicaset {ns}/{name}", () => GetLocked<V1ReplicaSet>(ns + "/" + name));

    public Task<V1ReplicaSet> CreateReplicaSetAsync(string ns, V1ReplicaSet replicaSet, CancellationToken cancellationToken) =>
        Do($"create replicaset {ns}/{replicaSet.Metadata.Name}", () => CreateLocked(WithNamespace(replicaSet, ns)));

    public Task<V1ReplicaSet> UpdateReplicaSetAsync(V1ReplicaSet replicaSet, CancellationToken cancellationToken) =>
        Do($"update replicaset {Key(replicaSet)} replicas={replicaSet.Spec.Replicas}", () => UpdateLocked(replicaSet, checkVersion: true, statusOnly: false));

    public Task<V1ReplicaSet> UpdateReplicaSetStatusAsync(V1ReplicaSet replicaSet, CancellationToken cancellationToken) =>
        Do($"status replicaset {Key(replicaSet)}", () => UpdateLocked(replicaSet, checkVersion: true, statusOnly: true));

    public Task<V1ReplicaSet> PatchReplicaSetAsync(string ns, string name, string strategicMergePatch, CancellationToken cancellationToken) =>
        Do($"patch replicaset {ns}/{name} {strategicMergePatch}", () => PatchOwnerLocked<V1ReplicaSet>(ns + "/" + name, strategicMergePatch));

    public Task DeleteReplicaSetAsync(string ns, string name, CancellationToken cancellationToken) =>
        Do($"delete replicaset {ns}/{name}", () => DeleteLocked<V1ReplicaSet>(ns + "/" + name));

    public Task<V1ReplicationController> GetReplicationControllerAsync(string ns, string name, CancellationToken cancellationToken) =>
        Do($"get replicationcontroller {ns}/{name}", () => GetLocked<V1ReplicationController>(ns + "/" + name));

    public Task<V1ReplicationController> UpdateReplicationControllerStatusAsync(V1ReplicationController controller, CancellationToken cancellationToken) =>
        Do($"status replicationcontroller {Key(controller)}", () => UpdateLocked(controller, checkVersion: true, statusOnly: true));

    public Task<V1Deployment> GetDeploymentAsync(string ns, string name, CancellationToken cancellationToken) =>
        Do($"get deployment {ns}/{name}", () => GetLocked<V1Deployment>(ns + "/" + name));

    public Task<V1Deployment> UpdateDeploymentStatusAsync(V1Deployment deployment, CancellationToken cancellationToken) =>
        Do($"status deployment {Key(deployment)}", () => UpdateLocked(deployment, checkVersion: true, statusOnly: true));

    private Task<T> Do<T>(string call, Func<T> action)
    {
        lock (_lock)
        {
            _calls.Add(call);
            if (Fail?.Invoke(call) is { } failure)
            {
                return Task.FromException<T>(failure);
            }

            try
            {
                var result = action();
                if (result is IKubernetesObject<V1ObjectMeta> written)
                {
                    Written?.Invoke(written);
                }

                return Task.FromResult(result);
            }
            catch (ApiStatusException e)
            {
                return Task.FromException<T>(e);
            }
        }
    }

    private Task Do(string call, Action action) => Do(call, () =>
    {
        action();
        return true;
    });

    private SortedDictionary<string, string> Store<T>()
    {
        var kind = typeof(T).Name;
        if (!_stores.TryGetValue(kind, out var store))
        {
            _stores[kind] = store = new SortedDictionary<string, string>(StringComparer.Ordinal);
        }

        return store;
    }

    private static string Key(IKubernetesObject<V1ObjectMeta> obj) => obj.Metadata.NamespaceProperty + "/" + obj.Metadata.Name;

    private static T WithNamespace<T>(T obj, string ns)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        obj.Metadata.NamespaceProperty = ns;
        return obj;
    }

    private T GetLocked<T>(string key)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        Store<T>().TryGetValue(key, out var json) ? KubernetesJson.Deserialize<T>(json) : throw NotFound<T>(key);

    private T CreateLocked<T>(T obj)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var copy = KubernetesJson.Deserialize<T>(KubernetesJson.Serialize(obj));
        var meta = copy.Metadata;
        if (string.IsNullOrEmpty(meta.Name))
        {
            const string Alphabet = "bcdfghjklmnpqrstvwxz2456789";
            meta.Name = meta.GenerateName + new string([.. Enumerable.Range(0, 5).Select(_ => Alphabet[_random.Next(Alphabet.Length)])]);
        }

        var key = Key(copy);
        if (Store<T>().ContainsKey(key))
        {
            throw ApiErrors.Status(409, "AlreadyExists", $"{typeof(T).Name} \"{meta.Name}\" already exists");
        }

        meta.Uid ??= "uid-" + (++_uid).ToString(CultureInfo.InvariantCulture);
        meta.CreationTimestamp ??= MetaTime.Now(time);
        meta.Generation = 1;
        meta.ResourceVersion = (++_revision).ToString(CultureInfo.InvariantCulture);
        Store<T>()[key] = KubernetesJson.Serialize(copy);
        return KubernetesJson.Deserialize<T>(Store<T>()[key]);
    }

    private T UpdateLocked<T>(T obj, bool checkVersion, bool statusOnly)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var key = Key(obj);
        if (!Store<T>().TryGetValue(key, out var storedJson))
        {
            throw NotFound<T>(key);
        }

        var stored = JsonNode.Parse(storedJson)!.AsObject();
        var incoming = JsonNode.Parse(KubernetesJson.Serialize(obj))!.AsObject();
        if (checkVersion && stored["metadata"]!["resourceVersion"]!.GetValue<string>() != obj.Metadata.ResourceVersion)
        {
            throw ApiErrors.Status(409, "Conflict", $"Operation cannot be fulfilled on {typeof(T).Name} \"{obj.Metadata.Name}\": the object has been modified; please apply your changes to the latest version and try again");
        }

        JsonObject result;
        if (statusOnly)
        {
            result = stored;
            result["status"] = incoming["status"]?.DeepClone();
            if (typeof(T) == typeof(V1Deployment))
            {
                // As upstream's deploymentStatusStrategy: /status may change annotations (the revision).
                result["metadata"]!["annotations"] = incoming["metadata"]?["annotations"]?.DeepClone();
            }
        }
        else
        {
            result = incoming;
            result["metadata"]!["uid"] = stored["metadata"]!["uid"]!.DeepClone();
            result["metadata"]!["creationTimestamp"] = stored["metadata"]!["creationTimestamp"]?.DeepClone();
            var generation = stored["metadata"]!["generation"]?.GetValue<long>() ?? 1;
            var specChanged = !JsonNode.DeepEquals(stored["spec"], incoming["spec"]);
            result["metadata"]!["generation"] = specChanged ? generation + 1 : generation;
            if (checkVersion)
            {
                // A PUT of the main resource leaves status alone.
                result["status"] = stored["status"]?.DeepClone();
            }
        }

        result["metadata"]!["resourceVersion"] = (++_revision).ToString(CultureInfo.InvariantCulture);
        Store<T>()[key] = result.ToJsonString();
        return KubernetesJson.Deserialize<T>(Store<T>()[key]);
    }

    private void DeleteLocked<T>(string key)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        if (!Store<T>().Remove(key))
        {
            throw NotFound<T>(key);
        }
    }

    /// <summary>The two patches controllers send: add a controller ownerReference, or delete one by UID; both with the UID precondition.</summary>
    private T PatchOwnerLocked<T>(string key, string patch)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var obj = GetLocked<T>(key);
        var meta = JsonNode.Parse(patch)!["metadata"]!;
        if (meta["uid"]?.GetValue<string>() is { } uid && uid != obj.Metadata.Uid)
        {
            throw ApiErrors.Status(422, "Invalid", "metadata.uid: Invalid value: field is immutable");
        }

        var refs = obj.Metadata.OwnerReferences?.ToList() ?? [];
        foreach (var r in meta["ownerReferences"]!.AsArray())
        {
            var refUid = r!["uid"]!.GetValue<string>();
            if (r["$patch"]?.GetValue<string>() == "delete")
            {
                refs.RemoveAll(x => x.Uid == refUid);
            }
            else
            {
                if (refs.Any(x => x.Controller == true && x.Uid != refUid))
                {
                    throw ApiErrors.Status(422, "Invalid", "Only one reference can have Controller set to true");
                }

                refs.RemoveAll(x => x.Uid == refUid);
                refs.Add(KubernetesJson.Deserialize<V1OwnerReference>(r.ToJsonString()));
            }
        }

        obj.Metadata.OwnerReferences = refs.Count == 0 ? null : refs;
        return UpdateLocked(obj, checkVersion: false, statusOnly: false);
    }

    private static ApiStatusException NotFound<T>(string key) => ApiErrors.Status(404, "NotFound", $"{typeof(T).Name} \"{key}\" not found");
}
