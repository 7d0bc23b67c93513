using k8s.Models;
using Kubesharp.Proxy.Proxier;

namespace Kubesharp.Proxy.Tests.Proxier;

public sealed class ProxyStateTrackerTests
{
    [Fact]
    public void ServicePortsWithEndpointsMergedFromSlicesInAStableOrder()
    {
        var t = new ProxyStateTracker("node-a");
        Assert.True(t.UpdateEndpointSlice(Slice("web", "web-1", ("10.42.1.5", "node-b", true), ("10.42.0.7", "node-a", true))));
        Assert.True(t.UpdateService(Service("web", "10.43.0.20", sessionAffinity: "ClientIP")));
        Assert.True(t.UpdateEndpointSlice(Slice("web", "web-2", ("10.42.0.7", "node-a", true), ("10.42.2.9", null, false))));
        Assert.True(t.UpdateService(Service("api", "10.43.0.21")));

        var s = t.Snapshot();
        Assert.Equal(["default/api:http", "default/web:http"], s.Services.Select(p => p.Service.Name.ToString()));
        var web = s.Services[1];
        Assert.Equal(ProxyStateTracker.DefaultStickyMaxAgeSeconds, web.Service.StickyMaxAgeSeconds);
        Assert.Equal(["10.42.0.7:8080", "10.42.1.5:8080", "10.42.2.9:8080"], web.Endpoints.Select(e => e.Address));
        Assert.True(web.Endpoints[0].IsLocal);
        Assert.False(web.Endpoints[2].Ready);
        Assert.Empty(s.Services[0].Endpoints);
    }

    [Theory]
    [InlineData("headless", "None", "ClusterIP", false)]
    [InlineData("external-name", "", "ExternalName", false)]
    [InlineData("other-proxy", "10.43.0.30", "ClusterIP", true)]
    public void ServicesTheProxyIgnores(string name, string clusterIp, string type, bool otherProxy)
    {
        var t = new ProxyStateTracker("node-a");
        var svc = Service(name, clusterIp);
        svc.Spec.Type = type;
        if (otherProxy)
        {
            svc.Metadata.Labels = new Dictionary<string, string> { [ProxyStateTracker.ServiceProxyNameLabel] = "other" };
        }

        Assert.False(t.UpdateService(svc));
        Assert.Empty(t.Snapshot().Services);
    }

    /// <summary>What a partial sync renders from: the changed Services since the last take, and unchanged ports' records reused.</summary>
    [Fact]
    public void SnapshotAndTakeChangedNamesTheChangedServicesOnce()
    {
        var t = new ProxyStateTracker("node-a");
        Assert.True(t.UpdateService(Service("web", "10.43.0.20")));
        Assert.True(t.UpdateService(Service("api", "10.43.0.21")));
        var (generation, first, changed) = t.SnapshotAndTakeChanged();
        Assert.Equal(2, generation);
        Assert.Equal(2, first.Services.Count);
        Assert.Equal([("default", "api"), ("default", "web")], changed.Order());

        Assert.True(t.UpdateEndpointSlice(Slice("web", "web-1", ("10.42.1.5", "node-b", true))));
        var (_, second, again) = t.SnapshotAndTakeChanged();
        Assert.Equal([("default", "web")], again);
        // The unchanged Service's port is the same record: a partial sync compares it by reference.
        Assert.Same(first.Services[0], second.Services[0]);
        Assert.NotSame(first.Services[1], second.Services[1]);

        Assert.True(t.DeleteService(Service("api", "10.43.0.21")));
        Assert.Equal([("default", "api")], t.SnapshotAndTakeChanged().Changed);
        Assert.Empty(t.SnapshotAndTakeChanged().Changed);
    }

    [Fact]
    public void SameObjectAgainIsNoChangeAndDeletionsRemove()
    {
        var t = new ProxyStateTracker("node-a");
        var slice = Slice("web", "web-1", ("10.42.1.5", "node-b", true));
        slice.Metadata.ResourceVersion = "7";
        Assert.True(t.UpdateService(Service("web", "10.43.0.20")));
        Assert.False(t.UpdateService(Service("web", "10.43.0.20")));
        Assert.True(t.UpdateEndpointSlice(slice));
        Assert.False(t.UpdateEndpointSlice(slice));
        Assert.True(t.DeleteEndpointSlice(slice));
        Assert.Empty(t.Snapshot().Services[0].Endpoints);
        Assert.True(t.DeleteService(Service("web", "10.43.0.20")));
        Assert.Empty(t.Snapshot().Services);
    }

    private static V1Service Service(string name, string clusterIp, string? sessionAffinity = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
        Spec = new V1ServiceSpec
        {
            ClusterIP = clusterIp,
            SessionAffinity = sessionAffinity,
            Ports = [new V1ServicePort { Name = "http", Port = 80, Protocol = "TCP" }],
        },
    };

    private static V1EndpointSlice Slice(string service, string name, params (string Ip, string? Node, bool Ready)[] endpoints) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default", Labels = new Dictionary<string, string> { [ProxyStateTracker.ServiceNameLabel] = service } },
        AddressType = "IPv4",
        Ports = [new Discoveryv1EndpointPort { Name = "http", Port = 8080, Protocol = "TCP" }],
        Endpoints = [.. endpoints.Select(e => new V1Endpoint { Addresses = [e.Ip], NodeName = e.Node, Conditions = new V1EndpointConditions { Ready = e.Ready } })],
    };
}
