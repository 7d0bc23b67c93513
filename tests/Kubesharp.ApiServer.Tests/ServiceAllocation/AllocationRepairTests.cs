using System.Text;
using Kubesharp.Api.Resources;
using Kubesharp.ApiServer.ServiceAllocation;
using Kubesharp.Storage.Memory;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.ApiServer.Tests.ServiceAllocation;

/// <summary>The repair on an in-memory store: what Services hold is marked, a leak is freed on its third sighting.</summary>
public sealed class AllocationRepairTests
{
    private static readonly ResourceInfo Services = BuiltinResources.Table.Find("", "v1", "services")!;

    [Fact]
    public async Task Held_items_are_marked_and_a_leak_is_freed_on_the_third_run()
    {
        await using var store = new MemoryStore();
        var allocator = new ServiceAllocator(store, ServiceIpRange.Parse("10.43.0.0/16"), NodePortRange.Parse("30000-32767"), new Random(1), NullLogger.Instance);
        await using var repair = new AllocationRepair(allocator, store, Services, TimeProvider.System, NullLogger.Instance);
        var service = """{"kind":"Service","apiVersion":"v1","metadata":{"name":"held","namespace":"default"},"spec":{"type":"NodePort","clusterIP":"10.43.0.7","clusterIPs":["10.43.0.7"],"ports":[{"port":80,"nodePort":30007}]}}""";
        await store.CreateAsync(Services.StorageKey("default", "held"), Encoding.UTF8.GetBytes(service));
        // A leaked address: in the bitmap, held by no Service (a create that died between its two writes).
        await allocator.IpStore.UpdateAsync(bitmap => bitmap.Allocate(allocator.Ips.ItemOf("10.43.0.9")!.Value), false, CancellationToken.None);

        await repair.RunOnceAsync(CancellationToken.None);
        var (ips, _) = await allocator.IpStore.ReadAsync(CancellationToken.None);
        var (ports, _) = await allocator.PortStore.ReadAsync(CancellationToken.None);
        Assert.True(ips.Has(allocator.Ips.ItemOf("10.43.0.7")!.Value), "the Service's address should be marked");
        Assert.True(ports.Has(allocator.NodePorts.ItemOf(30007)!.Value), "the Service's node port should be marked");
        Assert.True(ips.Has(allocator.Ips.ItemOf("10.43.0.9")!.Value), "a leak is kept on its first sighting");

        await repair.RunOnceAsync(CancellationToken.None);
        Assert.True((await allocator.IpStore.ReadAsync(CancellationToken.None)).Bitmap.Has(allocator.Ips.ItemOf("10.43.0.9")!.Value), "and on its second");
        await repair.RunOnceAsync(CancellationToken.None);
        var after = (await allocator.IpStore.ReadAsync(CancellationToken.None)).Bitmap;
        Assert.False(after.Has(allocator.Ips.ItemOf("10.43.0.9")!.Value), "the leak is freed on the third run");
        Assert.Equal([allocator.Ips.ItemOf("10.43.0.7")!.Value], after.Items());
    }
}
