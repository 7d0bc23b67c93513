using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Kubesharp.Controllers.Common;
using Kubesharp.Controllers.Job;
using Kubesharp.Controllers.Tests.Fakes;

namespace Kubesharp.Controllers.Tests.Job;

/// <summary>
/// <see cref="IBatchClient"/> over the objects of a <see cref="FakeWorkloadClient"/> (which the fake informers read):
/// pods with finalizers are only marked on delete and go once their last finalizer is patched away; status writes check
/// the resourceVersion; a Job delete checks the UID precondition. Every call is recorded in <see cref="Calls"/>
/// ("delete pod ns/name", "status job ns/name", ...); <see cref="Fail"/> can refuse any call. Thread-safe.
/// </summary>
internal sealed class FakeBatchClient(FakeWorkloadClient store, TimeProvider time) : IBatchClient
{
    private readonly Lock _lock = new();
    private readonly List<string> _calls = [];

    public FakeWorkloadClient Store { get; } = store;

    public Func<string, Exception?>? Fail { get; set; }

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

    public Task<V1Pod> CreatePodAsync(string ns, V1Pod pod, CancellationToken cancellationToken) =>
        Do($"create pod {ns}/{pod.Metadata.Name ?? pod.Metadata.GenerateName}", () =>
        {
            pod.Metadata.NamespaceProperty = ns;
            return Store.Add(pod);
        });

    public Task DeletePodAsync(string ns, string name, CancellationToken cancellationToken) =>
        Do($"delete pod {ns}/{name}", () =>
        {
            var pod = Existing<V1Pod>(ns + "/" + name);
            if (pod.Metadata.Finalizers is { Count: > 0 })
            {
                Store.Mutate<V1Pod>(ns + "/" + name, p => p.Metadata.DeletionTimestamp ??= MetaTime.Now(time));
            }
            else
            {
                Store.Remove<V1Pod>(ns + "/" + name);
            }

            return true;
        });

    public Task<V1Pod> PatchPodAsync(string ns, string name, string strategicMergePatch, CancellationToken cancellationToken) =>
        Do($"patch pod {ns}/{name} {strategicMergePatch}", () =>
        {
            var key = ns + "/" + name;
            var meta = JsonNode.Parse(strategicMergePatch)!["metadata"]!;
            Existing<V1Pod>(key);
            if (meta["ownerReferences"] is not null)
            {
                Store.PatchPodAsync(ns, name, strategicMergePatch, CancellationToken.None).GetAwaiter().GetResult();
            }

            var added = meta["finalizers"]?.AsArray().Select(f => f!.GetValue<string>()).ToList() ?? [];
            var removed = meta["$deleteFromPrimitiveList/finalizers"]?.AsArray().Select(f => f!.GetValue<string>()).ToList() ?? [];
            var pod = Store.Mutate<V1Pod>(key, p =>
            {
                var finalizers = (p.Metadata.Finalizers ?? []).Where(f => !removed.Contains(f)).ToList();
                finalizers.AddRange(added.Where(f => !finalizers.Contains(f)));
                p.Metadata.Finalizers = finalizers.Count == 0 ? null : finalizers;
            });
            if (pod.Metadata.DeletionTimestamp is not null && pod.Metadata.Finalizers is not { Count: > 0 })
            {
                Store.Remove<V1Pod>(key);
            }

            return pod;
        });

    public Task<V1Job> GetJobAsync(string ns, string name, CancellationToken cancellationToken) =>
        Do($"get job {ns}/{name}", () => Existing<V1Job>(ns + "/" + name));

    public Task<V1Job> CreateJobAsync(string ns, V1Job job, CancellationToken cancellationToken) =>
        Do($"create job {ns}/{job.Metadata.Name}", () =>
        {
            job.Metadata.NamespaceProperty = ns;
            if (Store.Get<V1Job>(ns + "/" + job.Metadata.Name) is not null)
            {
                throw ApiErrors.Status(409, "AlreadyExists", $"jobs.batch \"{job.Metadata.Name}\" already exists");
            }

            return Store.Add(job);
        });

    public Task<V1Job> UpdateJobStatusAsync(V1Job job, CancellationToken cancellationToken) =>
        Do($"status job {job.Metadata.NamespaceProperty}/{job.Metadata.Name}", () => UpdateStatus(job, j => j.Status, (j, s) => j.Status = s));

    public Task DeleteJobAsync(string ns, string name, string propagationPolicy, string? uid, CancellationToken cancellationToken) =>
        Do($"delete job {ns}/{name} {propagationPolicy}{(uid is null ? "" : " uid=" + uid)}", () =>
        {
            var job = Existing<V1Job>(ns + "/" + name);
            if (uid is not null && job.Metadata.Uid != uid)
            {
                throw ApiErrors.Status(409, "Conflict", "Precondition failed: UID in precondition: " + uid + ", UID in object meta: " + job.Metadata.Uid);
            }

            Store.Remove<V1Job>(ns + "/" + name);
            return true;
        });

    public Task<V1CronJob> GetCronJobAsync(string ns, string name, CancellationToken cancellationToken) =>
        Do($"get cronjob {ns}/{name}", () => Existing<V1CronJob>(ns + "/" + name));

    public Task<V1CronJob> UpdateCronJobStatusAsync(V1CronJob cronJob, CancellationToken cancellationToken) =>
        Do($"status cronjob {cronJob.Metadata.NamespaceProperty}/{cronJob.Metadata.Name}", () => UpdateStatus(cronJob, c => c.Status, (c, s) => c.Status = s));

    private T UpdateStatus<T, TStatus>(T obj, Func<T, TStatus> status, Action<T, TStatus> setStatus)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var key = obj.Metadata.NamespaceProperty + "/" + obj.Metadata.Name;
        var stored = Existing<T>(key);
        if (stored.Metadata.ResourceVersion != obj.Metadata.ResourceVersion)
        {
            throw ApiErrors.Status(409, "Conflict", $"Operation cannot be fulfilled on {typeof(T).Name} \"{obj.Metadata.Name}\": the object has been modified; please apply your changes to the latest version and try again");
        }

        var copy = KubernetesJson.Deserialize<TStatus>(KubernetesJson.Serialize(status(obj)));
        return Store.Mutate<T>(key, o => setStatus(o, copy));
    }

    private T Existing<T>(string key)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        Store.Get<T>(key) ?? throw ApiErrors.Status(404, "NotFound", $"{typeof(T).Name} \"{key}\" not found");

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
                return Task.FromResult(action());
            }
            catch (Kubesharp.Client.Cache.ApiStatusException e)
            {
                return Task.FromException<T>(e);
            }
        }
    }
}
