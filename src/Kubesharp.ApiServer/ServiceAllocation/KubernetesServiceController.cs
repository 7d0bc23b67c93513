using System.Text.Json.Nodes;
using Kubesharp.Api.Defaulting;
using Kubesharp.Api.Errors;
using Kubesharp.Api.Resources;
using Kubesharp.ApiServer.Crd;
using Kubesharp.ApiServer.Rest;
using Kubesharp.Storage;
using Microsoft.Extensions.Logging;

namespace Kubesharp.ApiServer.ServiceAllocation;

/// <summary>
/// The <c>default/kubernetes</c> Service (upstream's kubernetesservice controller) and its endpoints kept by
/// upstream's "lease" endpoint reconciler (<c>pkg/controlplane/reconcilers/lease.go</c>): every API server keeps
/// a key <c>/registry/masterleases/ADDRESS</c> alive with a time-to-live and writes the Endpoints and the
/// EndpointSlice <c>kubernetes</c> from the set of live keys. An API server that stops removes its key; a dead
/// one's key expires and the next reconcile of any survivor drops it.
/// </summary>
/// <remarks>
/// All writes go to the store directly (this is the API server) with compare-and-swap; a lost swap waits
/// for the next round. One loop per API server; <see cref="StopAsync"/> ends it and withdraws the address.
/// The endpoints port is this server's secure port: API servers of one cluster are expected to share it.
/// </remarks>
internal sealed class KubernetesServiceController(
    IStore store, ResourceTable table, ServiceAllocator allocator, string advertiseAddress, int securePort,
    TimeSpan leaseTtl, TimeSpan renewInterval, TimeProvider time, ILogger logger) : IAsyncDisposable
{
    public const string LeasePrefix = "/registry/masterleases/";
    public const string Name = "kubernetes";
    public const string Namespace = "default";

    private readonly ResourceInfo _services = table.Find("", "v1", "services")!;
    private readonly ResourceInfo _endpoints = table.Find("", "v1", "endpoints")!;
    private readonly ResourceInfo _slices = table.Find("discovery.k8s.io", "v1", "endpointslices")!;
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    /// <summary>Reconciles once (so that the Service and this server's address exist when it returns), then every renew interval.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await ReconcileOnceAsync(cancellationToken);
        _loop = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(renewInterval, time);
            try
            {
                while (await timer.WaitForNextTickAsync(_stop.Token))
                {
                    await ReconcileOnceAsync(_stop.Token);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }, CancellationToken.None);
    }

    private async Task ReconcileOnceAsync(CancellationToken cancellationToken)
    {
        try
        {
            await EnsureServiceAsync(cancellationToken);
            await RenewLeaseAsync(cancellationToken);
            await ReconcileEndpointsAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            ServiceAllocationLog.KubernetesServiceFailed(logger, e);
        }
    }

    /// <summary>Ends the loop and withdraws this server's address from the endpoints (upstream's RemoveEndpoints).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
            _loop = null;
        }

        try
        {
            await store.DeleteAsync(LeasePrefix + advertiseAddress, null, cancellationToken);
            await ReconcileEndpointsAsync(cancellationToken);
        }
        catch (Exception e) when (e is StoreException or OperationCanceledException)
        {
            ServiceAllocationLog.KubernetesServiceFailed(logger, e);
        }
    }

    private JsonArray DesiredPorts() =>
    [
        new JsonObject { ["name"] = "https", ["protocol"] = "TCP", ["port"] = 443, ["targetPort"] = securePort },
    ];

    private async Task EnsureServiceAsync(CancellationToken cancellationToken)
    {
        var key = _services.StorageKey(Namespace, Name);
        var existing = await store.GetAsync(key, 0, cancellationToken);
        if (existing is not null)
        {
            var current = JsonNode.Parse(_services.ForRead(existing.Value))!.AsObject();
            var spec = ServiceFields.Spec(current);
            // Upstream updates the ports of a ClusterIP kubernetes Service that drifted; the address never changes.
            if (ServiceFields.Type(spec) == "ClusterIP" && !JsonNode.DeepEquals(spec["ports"], DesiredPorts()))
            {
                spec["ports"] = DesiredPorts();
                await store.UpdateAsync(key, _services.ForStorage(ObjectJson.ToStorage(current)), existing.ModRevision, null, cancellationToken);
            }

            return;
        }

        var svc = new JsonObject
        {
            ["kind"] = "Service",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject
            {
                ["name"] = Name,
                ["namespace"] = Namespace,
                ["uid"] = Guid.NewGuid().ToString(),
                ["creationTimestamp"] = ObjectJson.Time(time.GetUtcNow()),
                ["labels"] = new JsonObject { ["component"] = "apiserver", ["provider"] = "kubernetes" },
            },
            ["spec"] = new JsonObject
            {
                ["ports"] = DesiredPorts(),
                ["clusterIP"] = allocator.Ips.First,
                ["type"] = "ClusterIP",
                ["sessionAffinity"] = "None",
            },
            ["status"] = new JsonObject { ["loadBalancer"] = new JsonObject() },
        };
        Defaults.Apply("", "Service", svc);
        ObjectJson.Metadata(svc)["generation"] = 1;
        ServiceAllocator.PrepareForCreate(svc);
        AllocationTransaction txn;
        try
        {
            txn = await allocator.AllocateCreateAsync(svc, false, cancellationToken);
        }
        catch (StatusException e)
        {
            // Upstream logs and retries later too: another Service holds the first address.
            ServiceAllocationLog.KubernetesServiceFailed(logger, e);
            return;
        }

        var result = await WriteOrRevertAsync(txn, () => store.CreateAsync(key, _services.ForStorage(ObjectJson.ToStorage(svc)), null, cancellationToken));
        if (result.Status != WriteStatus.Ok)
        {
            await txn.RevertAsync(CancellationToken.None);
        }
    }

    private static async Task<WriteResult> WriteOrRevertAsync(AllocationTransaction txn, Func<ValueTask<WriteResult>> write)
    {
        try
        {
            return await write();
        }
        catch
        {
            await txn.RevertAsync(CancellationToken.None);
            throw;
        }
    }

    private async Task RenewLeaseAsync(CancellationToken cancellationToken)
    {
        var key = LeasePrefix + advertiseAddress;
        var value = ObjectJson.ToStorage(new JsonObject
        {
            ["kind"] = "Endpoints",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject { ["name"] = advertiseAddress },
        });
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var current = await store.GetAsync(key, 0, cancellationToken);
            var result = current is null
                ? await store.CreateAsync(key, value, leaseTtl, cancellationToken)
                : await store.UpdateAsync(key, value, current.ModRevision, leaseTtl, cancellationToken);
            if (result.Status == WriteStatus.Ok)
            {
                return;
            }
        }
    }

    /// <summary>The addresses of the live API servers, sorted as upstream's lease reconciler lists them.</summary>
    public async Task<List<string>> LiveAddressesAsync(CancellationToken cancellationToken)
    {
        var page = await store.ListAsync(LeasePrefix, 0, null, 0, cancellationToken);
        return [.. page.Items.Select(kv => kv.Key[LeasePrefix.Length..]).Order(StringComparer.Ordinal)];
    }

    private async Task ReconcileEndpointsAsync(CancellationToken cancellationToken)
    {
        var addresses = await LiveAddressesAsync(cancellationToken);
        if (addresses.Count == 0)
        {
            // Upstream refuses to erase every endpoint of the kubernetes Service.
            return;
        }

        var port = new JsonObject { ["name"] = "https", ["port"] = securePort, ["protocol"] = "TCP" };
        var endpoints = new JsonObject
        {
            ["kind"] = "Endpoints",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject
            {
                ["name"] = Name,
                ["namespace"] = Namespace,
                ["labels"] = new JsonObject { ["endpointslice.kubernetes.io/skip-mirror"] = "true" },
            },
            ["subsets"] = new JsonArray(new JsonObject
            {
                ["addresses"] = new JsonArray([.. addresses.Select(a => (JsonNode)new JsonObject { ["ip"] = a })]),
                ["ports"] = new JsonArray(port.DeepClone()),
            }),
        };
        await WriteIfChangedAsync(_endpoints, endpoints, ["subsets"], cancellationToken);

        var slice = new JsonObject
        {
            ["kind"] = "EndpointSlice",
            ["apiVersion"] = "discovery.k8s.io/v1",
            ["metadata"] = new JsonObject
            {
                ["name"] = Name,
                ["namespace"] = Namespace,
                ["labels"] = new JsonObject { ["kubernetes.io/service-name"] = Name },
            },
            ["addressType"] = "IPv4",
            ["endpoints"] = new JsonArray([.. addresses.Select(a => (JsonNode)new JsonObject
            {
                ["addresses"] = new JsonArray(a),
                ["conditions"] = new JsonObject { ["ready"] = true },
            })]),
            ["ports"] = new JsonArray(port.DeepClone()),
        };
        await WriteIfChangedAsync(_slices, slice, ["addressType", "endpoints", "ports"], cancellationToken);
    }

    /// <summary>Creates the object, or rewrites its <paramref name="fields"/> and labels when they differ; keeps its identity.</summary>
    private async Task WriteIfChangedAsync(ResourceInfo resource, JsonObject desired, string[] fields, CancellationToken cancellationToken)
    {
        var key = resource.StorageKey(Namespace, Name);
        var existing = await store.GetAsync(key, 0, cancellationToken);
        var meta = ObjectJson.Metadata(desired);
        if (existing is null)
        {
            meta["uid"] = Guid.NewGuid().ToString();
            meta["creationTimestamp"] = ObjectJson.Time(time.GetUtcNow());
            if (resource == _slices)
            {
                // As the EndpointSlice strategy does for a write through the API.
                meta["generation"] = 1;
            }

            await store.CreateAsync(key, resource.ForStorage(ObjectJson.ToStorage(desired)), null, cancellationToken);
            return;
        }

        var current = JsonNode.Parse(resource.ForRead(existing.Value))!.AsObject();
        var currentMeta = ObjectJson.Metadata(current);
        var same = fields.All(f => JsonNode.DeepEquals(current[f], desired[f]));
        var labels = currentMeta["labels"] as JsonObject ?? [];
        var labelsOk = (meta["labels"] as JsonObject)!.All(l => JsonNode.DeepEquals(labels[l.Key], l.Value));
        if (same && labelsOk)
        {
            return;
        }

        foreach (var field in fields)
        {
            current[field] = desired[field]?.DeepClone();
        }

        foreach (var (label, value) in (meta["labels"] as JsonObject)!)
        {
            labels[label] = value?.DeepClone();
        }

        currentMeta["labels"] = labels;
        if (resource == _slices)
        {
            currentMeta["generation"] = (currentMeta["generation"] is JsonValue g && g.TryGetValue<long>(out var n) ? n : 0) + 1;
        }

        await store.UpdateAsync(key, resource.ForStorage(ObjectJson.ToStorage(current)), existing.ModRevision, null, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }

        _stop.Dispose();
    }
}
