using k8s.Models;
using Kubesharp.Controllers.Endpoints;
using static Kubesharp.Controllers.Tests.Endpoints.ServiceObjects;

namespace Kubesharp.Controllers.Tests.Endpoints;

public sealed class ServiceEndpointsTests
{
    [Theory]
    [InlineData("8080", "TCP", 8080)]
    [InlineData("http", "TCP", 8080)]
    [InlineData("http", "UDP", null)]
    [InlineData("dns", "UDP", 53)]
    [InlineData("missing", "TCP", null)]
    public void Find_port_resolves_numbers_and_names_of_the_same_protocol(string target, string protocol, int? expected)
    {
        var pod = Pod("a", "10.42.0.1", containerPorts: [ContainerPort("http", 8080), ContainerPort("dns", 53, "UDP")]);

        Assert.Equal(expected, ServiceEndpoints.FindPort(pod, Port(80, target, protocol: protocol)));
    }

    [Fact]
    public void The_trigger_time_is_the_service_creation_first_then_the_earliest_new_readiness_change()
    {
        var tracker = new TriggerTimeTracker();
        var service = Service();
        var a = Pod("a", "10.42.0.1", readySince: Created.AddMinutes(1));
        var b = Pod("b", "10.42.0.2", readySince: Created.AddMinutes(2));

        Assert.Equal(new DateTimeOffset(Created), tracker.Compute(Ns, service, [a, b]));
        Assert.Null(tracker.Compute(Ns, service, [a, b]));

        var c = Pod("c", "10.42.0.3", readySince: Created.AddMinutes(9));
        var b2 = Pod("b", "10.42.0.2", ready: false, readySince: Created.AddMinutes(7));
        Assert.Equal(new DateTimeOffset(Created.AddMinutes(7)), tracker.Compute(Ns, service, [a, b2, c]));

        tracker.DeleteService(Ns, "web");
        Assert.Equal(new DateTimeOffset(Created), tracker.Compute(Ns, service, [a]));
    }

    [Theory]
    [InlineData(2026, 1, 2, 3, 4, 5, 0, "2026-01-02T03:04:05Z")]
    [InlineData(2026, 1, 2, 3, 4, 5, 1_500_000, "2026-01-02T03:04:05.15Z")]
    public void Times_are_written_as_go_writes_rfc3339_nano(int y, int mo, int d, int h, int mi, int s, long ticks, string expected) =>
        Assert.Equal(expected, ServiceEndpoints.Rfc3339Nano(new DateTimeOffset(y, mo, d, h, mi, s, TimeSpan.Zero).AddTicks(ticks)));

    [Fact]
    public void Only_pod_ips_of_the_service_family_become_an_address()
    {
        var dual = Pod("a", "10.42.0.1");
        dual.Status.PodIPs = [new V1PodIP { Ip = "10.42.0.1" }, new V1PodIP { Ip = "fd00::1" }];

        Assert.Equal("fd00::1", EndpointsController.AddressFor(Service(families: ["IPv6", "IPv4"]), dual)?.Ip);
        Assert.Equal("10.42.0.1", EndpointsController.AddressFor(Service(families: ["IPv4"]), dual)?.Ip);
        // Without ipFamilies: the family of the cluster IP.
        Assert.Equal("fd00::1", EndpointsController.AddressFor(Service(clusterIp: "fd00:43::10", families: []), dual)?.Ip);
        Assert.Null(EndpointsController.AddressFor(Service(families: ["IPv6"]), Pod("b", "10.42.0.2")));
    }
}
