using System.Net;
using Kubesharp.Controllers.NodeIpam;

namespace Kubesharp.Controllers.Tests.NodeIpam;

public sealed class CidrSetTests
{
    [Fact]
    public void The_lowest_free_subnet_is_handed_out_and_a_released_one_comes_back_first()
    {
        var set = new CidrSet(IPNetwork.Parse("10.42.0.0/16"), 24);

        Assert.Equal(256, set.Capacity);
        Assert.Equal(["10.42.0.0/24", "10.42.1.0/24", "10.42.2.0/24"], Enumerable.Range(0, 3).Select(_ => Next(set)));
        Assert.True(set.Release(IPNetwork.Parse("10.42.1.0/24")));
        Assert.Equal("10.42.1.0/24", Next(set));
        Assert.Equal("10.42.3.0/24", Next(set));
        Assert.Equal(4, set.Allocated);
    }

    [Fact]
    public void Occupied_subnets_are_skipped_and_a_wider_range_occupies_every_subnet_it_covers()
    {
        var set = new CidrSet(IPNetwork.Parse("10.42.0.0/16"), 24);

        Assert.True(set.Occupy(IPNetwork.Parse("10.42.0.0/24")));
        Assert.True(set.Occupy(IPNetwork.Parse("10.42.2.0/23")));

        Assert.True(set.IsUsed(IPNetwork.Parse("10.42.3.0/24")));
        Assert.Equal(["10.42.1.0/24", "10.42.4.0/24"], new[] { Next(set), Next(set) });
        Assert.Equal(5, set.Allocated);
    }

    [Fact]
    public void A_full_range_allocates_nothing_until_a_subnet_is_released()
    {
        var set = new CidrSet(IPNetwork.Parse("10.42.0.0/30"), 31);
        Next(set);
        Next(set);

        Assert.False(set.TryAllocateNext(out _));
        set.Release(IPNetwork.Parse("10.42.0.0/31"));
        Assert.Equal("10.42.0.0/31", Next(set));
    }

    [Theory]
    [InlineData("10.43.0.0/24")]
    [InlineData("10.0.0.0/8")]
    [InlineData("fd00::/64")]
    public void A_cidr_outside_the_cluster_range_is_refused(string cidr)
    {
        var set = new CidrSet(IPNetwork.Parse("10.42.0.0/16"), 24);

        Assert.False(set.Occupy(IPNetwork.Parse(cidr)));
        Assert.Equal(0, set.Allocated);
    }

    [Fact]
    public void IPv6_ranges_work_the_same()
    {
        var set = new CidrSet(IPNetwork.Parse("fd00:10::/56"), 64);

        Assert.Equal(["fd00:10::/64", "fd00:10:0:1::/64"], new[] { Next(set), Next(set) });
    }

    [Theory]
    [InlineData("10.42.0.0/16", 15)]
    [InlineData("10.42.0.0/16", 33)]
    [InlineData("10.0.0.0/8", 25)]
    public void Impossible_mask_sizes_are_refused(string cluster, int mask) =>
        Assert.Throws<ArgumentException>(() => new CidrSet(IPNetwork.Parse(cluster), mask));

    [Theory]
    [InlineData("10.42.3.0/24", "10.42.3.0/24")]
    [InlineData("10.42.3.7/24", "10.42.3.0/24")]
    [InlineData("fd00::1/64", "fd00::/64")]
    [InlineData("10.42.3.0", null)]
    [InlineData("10.42.3.0/33", null)]
    [InlineData("nonsense/8", null)]
    [InlineData("", null)]
    public void Cidrs_parse_as_go_parses_them(string text, string? expected)
    {
        var ok = CidrSet.TryParse(text, out var cidr);

        Assert.Equal(expected, ok ? cidr.ToString() : null);
    }

    private static string Next(CidrSet set)
    {
        Assert.True(set.TryAllocateNext(out var cidr), "the range should not be full");
        return cidr.ToString();
    }
}
