using k8s.Models;
using Kubesharp.Controllers.Endpoints;

namespace Kubesharp.Controllers.Tests.Endpoints;

public sealed class EndpointSubsetsTests
{
    private static V1EndpointAddress Address(string ip, string? uid = null) => new() { Ip = ip, TargetRef = uid is null ? null : new V1ObjectReference { Kind = "Pod", Uid = uid } };

    private static Corev1EndpointPort Port(int port, string? name = null) => new() { Port = port, Name = name, Protocol = "TCP" };

    private static string Show(IEnumerable<V1EndpointSubset> subsets) => string.Join(" ; ", subsets.Select(s =>
        $"[{string.Join(",", (s.Addresses ?? []).Select(a => a.Ip))}|{string.Join(",", (s.NotReadyAddresses ?? []).Select(a => a.Ip))}|{string.Join(",", (s.Ports ?? []).Select(p => p.Port))}]"));

    [Fact]
    public void Each_port_gets_the_addresses_offering_it_and_ports_with_the_same_addresses_share_a_subset()
    {
        var repacked = EndpointSubsets.Repack(
        [
            new() { Addresses = [Address("10.0.0.3", "c")], Ports = [Port(80)] },
            new() { Addresses = [Address("10.0.0.1", "a")], Ports = [Port(80)] },
            new() { Addresses = [Address("10.0.0.1", "a")], Ports = [Port(443)] },
            new() { Addresses = [Address("10.0.0.3", "c")], Ports = [Port(443)] },
            new() { Addresses = [Address("10.0.0.2", "b")], Ports = [Port(80)] },
        ]);

        Assert.Equal("[10.0.0.1,10.0.0.2,10.0.0.3||80] ; [10.0.0.1,10.0.0.3||443]", Show(repacked));

        var shared = EndpointSubsets.Repack(
        [
            new() { Addresses = [Address("10.0.0.3", "c")], Ports = [Port(443), Port(80)] },
            new() { Addresses = [Address("10.0.0.1", "a")], Ports = [Port(80)] },
            new() { Addresses = [Address("10.0.0.1", "a")], Ports = [Port(443)] },
        ]);
        Assert.Equal("[10.0.0.1,10.0.0.3||80,443]", Show(shared));
    }

    [Fact]
    public void Not_ready_for_a_port_wins_over_ready_for_it()
    {
        var repacked = EndpointSubsets.Repack(
        [
            new() { Addresses = [Address("10.0.0.1", "a")], Ports = [Port(80)] },
            new() { NotReadyAddresses = [Address("10.0.0.1", "a")], Ports = [Port(80)] },
            new() { Addresses = [Address("10.0.0.1", "a")], Ports = [Port(443)] },
        ]);

        Assert.Equal("[|10.0.0.1|80] ; [10.0.0.1||443]", Show(repacked));
    }

    [Fact]
    public void The_same_ip_of_two_pods_is_two_addresses_and_none_is_lost_without_ports()
    {
        var repacked = EndpointSubsets.Repack(
        [
            new() { Addresses = [Address("10.0.0.1", "b")] },
            new() { Addresses = [Address("10.0.0.1", "a")] },
        ]);

        var subset = Assert.Single(repacked);
        Assert.Equal(["a", "b"], subset.Addresses.Select(a => a.TargetRef.Uid));
        Assert.Null(subset.Ports);
    }

    [Fact]
    public void Truncation_keeps_ready_addresses_first_and_shares_the_cut_among_subsets()
    {
        List<V1EndpointSubset> subsets =
        [
            new() { Addresses = [.. Enumerable.Range(0, 600).Select(i => Address($"10.0.1.{i}"))], NotReadyAddresses = [.. Enumerable.Range(0, 200).Select(i => Address($"10.1.1.{i}"))] },
            new() { Addresses = [.. Enumerable.Range(0, 300).Select(i => Address($"10.0.2.{i}"))], NotReadyAddresses = [.. Enumerable.Range(0, 200).Select(i => Address($"10.1.2.{i}"))] },
        ];

        Assert.True(EndpointSubsets.Truncate(subsets));

        // 900 ready kept; the 100 places left go half and half to the not-ready ones.
        Assert.Equal((600, 50, 300, 50), (subsets[0].Addresses.Count, subsets[0].NotReadyAddresses.Count, subsets[1].Addresses.Count, subsets[1].NotReadyAddresses.Count));
    }

    [Fact]
    public void Too_many_ready_addresses_drop_every_not_ready_one()
    {
        List<V1EndpointSubset> subsets =
        [
            new() { Addresses = [.. Enumerable.Range(0, 900).Select(i => Address($"10.0.{i / 200}.{i % 200}"))], NotReadyAddresses = [Address("10.1.0.1")] },
            new() { Addresses = [.. Enumerable.Range(0, 300).Select(i => Address($"10.2.{i / 200}.{i % 200}"))] },
        ];

        Assert.True(EndpointSubsets.Truncate(subsets));

        Assert.Equal((750, 250, 0), (subsets[0].Addresses.Count, subsets[1].Addresses.Count, subsets[0].NotReadyAddresses?.Count ?? 0));
        Assert.False(EndpointSubsets.Truncate(subsets));
    }

    [Fact]
    public void Subsets_compare_equal_ignoring_target_resource_versions_and_empty_lists()
    {
        var a = new V1EndpointSubset { Addresses = [new V1EndpointAddress { Ip = "10.0.0.1", TargetRef = new V1ObjectReference { Uid = "a", ResourceVersion = "1" } }], NotReadyAddresses = [], Ports = [Port(80)] };
        var b = new V1EndpointSubset { Addresses = [new V1EndpointAddress { Ip = "10.0.0.1", TargetRef = new V1ObjectReference { Uid = "a", ResourceVersion = "2" } }], Ports = [Port(80)] };
        var c = new V1EndpointSubset { Addresses = [new V1EndpointAddress { Ip = "10.0.0.1", TargetRef = new V1ObjectReference { Uid = "a" } }], Ports = [Port(81)] };

        Assert.True(EndpointSubsets.Same([a], [b]));
        Assert.False(EndpointSubsets.Same([a], [c]));
        Assert.True(EndpointSubsets.Same(null, []));
    }
}
