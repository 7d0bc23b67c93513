using System.Text.Json.Nodes;
using Kubesharp.Api.Resources;
using Kubesharp.ApiServer.Crd;
using Kubesharp.Storage;
using Microsoft.Extensions.Logging;
using static Kubesharp.ApiServer.ServiceAllocation.ServiceFields;

namespace Kubesharp.ApiServer.ServiceAllocation;

/// <summary>
/// Upstream's two repair controllers (<c>ipallocator/controller/repair.go</c>, <c>portallocator/controller/repair.go</c>):
/// rebuild each bitmap from the Services in the store and write it back with a compare-and-swap. Run once at
/// start, before anything is served, and then every <c>interval</c>.
/// </summary>
/// <remarks>
/// The bitmap is read before the Services are listed, so an item taken by a create that has not written its
/// Service yet (on this or another API server) shows as a leak, not as free: a leak is kept for two more runs
/// and only freed on the third sighting, as upstream does, which outlasts any create in flight. A lost
/// compare-and-swap (someone allocated meanwhile) starts the run again. Runs are serialized; the leak counts
/// are this object's alone.
/// </remarks>
internal sealed class AllocationRepair(ServiceAllocator allocator, IStore store, ResourceInfo services, TimeProvider time, ILogger logger) : IAsyncDisposable
{
    private const int RepairsBeforeLeakCleanup = 3;
    private const int MaxAttempts = 100;

    private readonly Dictionary<int, int> _ipLeaks = [];
    private readonly Dictionary<int, int> _portLeaks = [];
    private readonly SemaphoreSlim _running = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    /// <summary>Repairs both bitmaps once. Throws on a storage fault (the periodic loop logs and tries again later).</summary>
    public async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        await _running.WaitAsync(cancellationToken);
        try
        {
            await RepairAsync(allocator.IpStore, _ipLeaks, "cluster IP", IpsOf, allocator.Ips.AddressAt, cancellationToken);
            await RepairAsync(allocator.PortStore, _portLeaks, "node port", PortsOf, item => allocator.NodePorts.PortAt(item).ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken);
        }
        finally
        {
            _running.Release();
        }
    }

    /// <summary>Starts the periodic runs.</summary>
    public void Start(TimeSpan interval)
    {
        _loop = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(interval, time);
            try
            {
                while (await timer.WaitForNextTickAsync(_stop.Token))
                {
                    try
                    {
                        await RunOnceAsync(_stop.Token);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        ServiceAllocationLog.RepairFailed(logger, e);
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        }, CancellationToken.None);
    }

    private IEnumerable<int> IpsOf(JsonObject spec)
    {
        if (!NeedsClusterIp(spec) || IsHeadless(spec))
        {
            return [];
        }

        var ips = Strings(spec, "clusterIPs");
        if (ips.Count == 0 && Str(spec, "clusterIP") is { Length: > 0 } ip)
        {
            ips = [ip];
        }

        // An address outside the range (the range changed) is left alone, as upstream does.
        return ips.Select(allocator.Ips.ItemOf).OfType<int>();
    }

    private IEnumerable<int> PortsOf(JsonObject spec)
    {
        var ports = ServiceFields.NodePorts(spec).Distinct().ToList();
        if (NeedsHealthCheck(spec) && Int(spec, "healthCheckNodePort") is > 0 and var health)
        {
            ports.Add(health);
        }

        return ports.Select(allocator.NodePorts.ItemOf).OfType<int>();
    }

    private async Task RepairAsync(RangeAllocationStore range, Dictionary<int, int> leaks, string what, Func<JsonObject, IEnumerable<int>> itemsOf, Func<int, string> show, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var (stored, entry) = await range.ReadAsync(cancellationToken);
            var rebuilt = range.Empty();
            var page = await store.ListAsync(services.StoragePrefix, 0, null, 0, cancellationToken);
            foreach (var kv in page.Items)
            {
                var svc = JsonNode.Parse(services.ForRead(kv.Value))!.AsObject();
                var meta = svc["metadata"] as JsonObject;
                foreach (var item in itemsOf(Spec(svc)))
                {
                    if (!rebuilt.Allocate(item))
                    {
                        ServiceAllocationLog.Duplicate(logger, what, show(item), Str(meta, "namespace") ?? "", Str(meta, "name") ?? "");
                    }
                    else if (!stored.Has(item))
                    {
                        ServiceAllocationLog.NotAllocated(logger, what, show(item), Str(meta, "namespace") ?? "", Str(meta, "name") ?? "");
                    }
                }
            }

            var next = new Dictionary<int, int>();
            foreach (var item in stored.Items())
            {
                if (rebuilt.Has(item))
                {
                    continue;
                }

                var found = leaks.TryGetValue(item, out var count);
                if (!found || count > 1)
                {
                    // Maybe a create in flight: keep it a while before believing it leaked.
                    next[item] = (found ? count : RepairsBeforeLeakCleanup) - 1;
                    rebuilt.Allocate(item);
                }
                else
                {
                    ServiceAllocationLog.Leaked(logger, what, show(item));
                }
            }

            if (entry is not null && stored.Snapshot().AsSpan().SequenceEqual(rebuilt.Snapshot()))
            {
                Replace(leaks, next);
                return;
            }

            if (await range.WriteAsync(rebuilt, entry, cancellationToken))
            {
                Replace(leaks, next);
                return;
            }
        }

        throw new InvalidOperationException($"could not repair the allocation range {range.Key}: too many concurrent writes");
    }

    private static void Replace(Dictionary<int, int> leaks, Dictionary<int, int> next)
    {
        leaks.Clear();
        foreach (var (item, count) in next)
        {
            leaks[item] = count;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }

        _stop.Dispose();
        _running.Dispose();
    }
}
