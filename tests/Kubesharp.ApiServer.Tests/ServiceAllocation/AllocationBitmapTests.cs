using Kubesharp.ApiServer.ServiceAllocation;

namespace Kubesharp.ApiServer.Tests.ServiceAllocation;

public sealed class AllocationBitmapTests
{
    [Fact]
    public void Allocate_and_release_track_the_count()
    {
        var bitmap = new AllocationBitmap(10, 0);
        Assert.True(bitmap.Allocate(3));
        Assert.False(bitmap.Allocate(3));
        Assert.False(bitmap.Allocate(10));
        Assert.False(bitmap.Allocate(-1));
        Assert.Equal(1, bitmap.Count);
        bitmap.Release(3);
        bitmap.Release(3);
        Assert.Equal(0, bitmap.Count);
        Assert.True(bitmap.Allocate(3));
    }

    [Fact]
    public void Dynamic_allocation_takes_the_upper_band_first_then_the_lower()
    {
        var bitmap = new AllocationBitmap(20, 16);
        var random = new Random(7);
        var upper = Enumerable.Range(0, 4).Select(_ => bitmap.AllocateNext(random)!.Value).Order().ToList();
        Assert.Equal([16, 17, 18, 19], upper);
        var lower = Enumerable.Range(0, 16).Select(_ => bitmap.AllocateNext(random)!.Value).Order().ToList();
        Assert.Equal(Enumerable.Range(0, 16), lower);
        Assert.Null(bitmap.AllocateNext(random));
    }

    [Fact]
    public void Dynamic_allocation_skips_what_is_taken()
    {
        var bitmap = new AllocationBitmap(4, 0);
        bitmap.Allocate(0);
        bitmap.Allocate(1);
        bitmap.Allocate(3);
        Assert.Equal(2, bitmap.AllocateNext(new Random(1)));
    }

    [Fact]
    public void Snapshot_is_upstreams_big_endian_integer()
    {
        var bitmap = new AllocationBitmap(100, 0);
        bitmap.Allocate(0);
        bitmap.Allocate(9);
        // Bits 0 and 9: 0x0201, big-endian, no leading zero bytes.
        Assert.Equal(new byte[] { 0x02, 0x01 }, bitmap.Snapshot());
        Assert.Empty(new AllocationBitmap(100, 0).Snapshot());
    }

    [Fact]
    public void Restore_round_trips_and_drops_bits_past_the_size()
    {
        var bitmap = new AllocationBitmap(65534, 256);
        foreach (var item in new[] { 0, 1, 255, 256, 4097, 65533 })
        {
            bitmap.Allocate(item);
        }

        var restored = AllocationBitmap.Restore(65534, 256, bitmap.Snapshot());
        Assert.Equal([0, 1, 255, 256, 4097, 65533], restored.Items());
        Assert.Equal(6, restored.Count);
        var smaller = AllocationBitmap.Restore(300, 16, bitmap.Snapshot());
        Assert.Equal([0, 1, 255, 256], smaller.Items());
    }
}

public sealed class ServiceRangesTests
{
    [Fact]
    public void A_slash_16_skips_network_and_broadcast_and_reserves_256_low_addresses()
    {
        var range = ServiceIpRange.Parse("10.43.0.0/16");
        Assert.Equal("10.43.0.0/16", range.Cidr);
        Assert.Equal(65534, range.Size);
        Assert.Equal(256, range.Offset);
        Assert.Equal("10.43.0.1", range.First);
        Assert.Null(range.ItemOf("10.43.0.0"));
        Assert.Null(range.ItemOf("10.43.255.255"));
        Assert.Null(range.ItemOf("10.44.0.1"));
        Assert.Equal(0, range.ItemOf("10.43.0.1"));
        Assert.Equal(65533, range.ItemOf("10.43.255.254"));
        Assert.Equal("10.43.1.1", range.AddressAt(256));
    }

    [Theory]
    [InlineData("10.0.0.0/28", 14, 0)]
    [InlineData("10.0.0.0/24", 254, 16)]
    [InlineData("10.96.0.0/12", 1048574, 256)]
    [InlineData("10.43.7.9/16", 65534, 256)]
    public void Size_and_static_band_follow_upstream(string cidr, int size, int offset)
    {
        var range = ServiceIpRange.Parse(cidr);
        Assert.Equal(size, range.Size);
        Assert.Equal(offset, range.Offset);
    }

    [Theory]
    [InlineData("10.43.0.0")]
    [InlineData("fd00::/108")]
    [InlineData("10.43.0.0/31")]
    [InlineData("nonsense/16")]
    public void Malformed_ranges_are_refused(string cidr) =>
        Assert.Throws<ArgumentException>(() => ServiceIpRange.Parse(cidr));

    [Fact]
    public void The_default_node_port_range_reserves_86_low_ports()
    {
        var range = NodePortRange.Parse("30000-32767");
        Assert.Equal(2768, range.Size);
        Assert.Equal(86, range.Offset);
        Assert.Equal(0, range.ItemOf(30000));
        Assert.Null(range.ItemOf(29999));
        Assert.Null(range.ItemOf(32768));
        Assert.Equal(32767, range.PortAt(2767));
        Assert.Throws<ArgumentException>(() => NodePortRange.Parse("32767-30000"));
    }
}
