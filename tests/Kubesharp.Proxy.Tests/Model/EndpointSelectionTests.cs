using Kubesharp.Proxy.Model;

namespace Kubesharp.Proxy.Tests.Model;

public sealed class EndpointSelectionTests
{
    private static readonly ServicePortInfo Cluster = new() { Name = new("default", "web", "", "TCP"), ClusterIp = "10.43.0.20", Port = 80, Protocol = "TCP" };

    private static EndpointInfo Ep(string ip, bool ready = true, bool serving = true, bool terminating = false, bool local = false) =>
        new() { Ip = ip, Port = 8080, Ready = ready, Serving = serving, Terminating = terminating, IsLocal = local };

    [Fact]
    public void ClusterPolicyUsesEveryReadyEndpoint()
    {
        var r = EndpointSelection.Categorize(Cluster, [Ep("10.42.0.2"), Ep("10.42.1.2", local: true), Ep("10.42.1.3", ready: false, serving: false)]);
        Assert.Equal(["10.42.0.2", "10.42.1.2"], r.ClusterEndpoints!.Select(e => e.Ip));
        Assert.Null(r.LocalEndpoints);
        Assert.True(r.HasAnyEndpoints);
    }

    [Fact]
    public void TerminatingServingEndpointsAreTheFallbackWhenNoneIsReady()
    {
        var r = EndpointSelection.Categorize(Cluster, [Ep("10.42.0.2", ready: false, terminating: true), Ep("10.42.0.3", ready: false, serving: false, terminating: true)]);
        Assert.Equal(["10.42.0.2"], r.ClusterEndpoints!.Select(e => e.Ip));
    }

    [Fact]
    public void NoEndpointAtAllIsReported()
    {
        var r = EndpointSelection.Categorize(Cluster, []);
        Assert.Empty(r.ClusterEndpoints!);
        Assert.False(r.HasAnyEndpoints);
    }

    [Fact]
    public void EndpointsThatAreNeitherReadyNorServingTerminatingDoNotCount()
    {
        var r = EndpointSelection.Categorize(Cluster, [Ep("10.42.0.2", ready: false, serving: false), Ep("10.42.0.3", ready: false, serving: true)]);
        Assert.Empty(r.ClusterEndpoints!);
        Assert.False(r.HasAnyEndpoints);
    }

    [Fact]
    public void InternalPolicyLocalKeepsOnlyThisNodesEndpoints()
    {
        var r = EndpointSelection.Categorize(Cluster with { InternalPolicyLocal = true }, [Ep("10.42.0.2"), Ep("10.42.1.2", local: true)]);
        Assert.Null(r.ClusterEndpoints);
        Assert.Equal(["10.42.1.2"], r.LocalEndpoints!.Select(e => e.Ip));
        Assert.Equal(["10.42.1.2"], r.AllReachable.Select(e => e.Ip));
    }

    [Fact]
    public void ExternalPolicyLocalAddsLocalEndpointsOnlyForExternallyAccessiblePorts()
    {
        var endpoints = new[] { Ep("10.42.0.2"), Ep("10.42.1.2", local: true) };
        Assert.Null(EndpointSelection.Categorize(Cluster with { ExternalPolicyLocal = true }, endpoints).LocalEndpoints);

        var r = EndpointSelection.Categorize(Cluster with { ExternalPolicyLocal = true, NodePort = 30080 }, endpoints);
        Assert.Equal(["10.42.0.2", "10.42.1.2"], r.ClusterEndpoints!.Select(e => e.Ip));
        Assert.Equal(["10.42.1.2"], r.LocalEndpoints!.Select(e => e.Ip));
        Assert.Equal(2, r.AllReachable.Count);
    }
}
