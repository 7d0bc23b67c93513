using System.Runtime.CompilerServices;
using System.Threading.Channels;
using k8s;
using k8s.Models;
using Kubesharp.Client.Balancer;
using Kubesharp.Client.Cache;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Client.Tests.Balancer;

public sealed class EndpointsServerSourceTests
{
    private static V1Endpoints Endpoints(string resourceVersion, params string[] ips) => new()
    {
        Metadata = new V1ObjectMeta { Name = "kubernetes", NamespaceProperty = "default", ResourceVersion = resourceVersion },
        Subsets = ips.Length == 0 ? null :
        [
            new V1EndpointSubset
            {
                Addresses = ips.Select(ip => new V1EndpointAddress { Ip = ip }).ToList(),
                Ports = [new Corev1EndpointPort { Name = "https", Port = 6443, Protocol = "TCP" }],
            },
        ],
    };

    [Fact]
    public void Every_address_is_paired_with_every_port_of_its_subset()
    {
        var endpoints = new V1Endpoints
        {
            Subsets =
            [
                new V1EndpointSubset { Addresses = [new() { Ip = "10.0.0.1" }, new() { Ip = "fd00::2" }], Ports = [new() { Port = 6443 }] },
                new V1EndpointSubset { Addresses = [new() { Ip = "10.0.0.3" }], Ports = [new() { Port = 7443 }, new() { Port = 8443 }] },
                new V1EndpointSubset { Addresses = [new() { Ip = "10.0.0.4" }] },
            ],
        };

        Assert.Equal(["10.0.0.1:6443", "[fd00::2]:6443", "10.0.0.3:7443", "10.0.0.3:8443"], EndpointsServerSource.Addresses(endpoints));
        Assert.Empty(EndpointsServerSource.Addresses(new V1Endpoints()));
    }

    [Fact]
    public async Task Servers_listed_and_then_watched_in_the_kubernetes_endpoints_are_added_and_the_command_line_one_is_kept()
    {
        var events = Channel.CreateUnbounded<WatchEvent<V1Endpoints>>();
        var listWatch = new ListWatch<V1Endpoints>(
            _ => Task.FromResult(new ListResult<V1Endpoints>([Endpoints("5", "10.0.0.1", "10.0.0.2")], "5")),
            (_, ct) => Read(events.Reader, ct));
        await using var balancer = ApiServerBalancer.Start(new BalancerOptions { Servers = ["server-a:6443"], Port = 0, HealthCheckInterval = TimeSpan.Zero }, NullLogger.Instance);
        await using var source = EndpointsServerSource.Start(listWatch, balancer, NullLogger.Instance);

        await Until(() => balancer.Servers.Count == 3, "the listed servers being added");
        Assert.Equal(["server-a:6443", "10.0.0.1:6443", "10.0.0.2:6443"], balancer.Servers);

        events.Writer.TryWrite(new WatchEvent<V1Endpoints>(WatchEventType.Modified, Endpoints("6", "10.0.0.2", "10.0.0.3")));
        await Until(() => balancer.Servers.Contains("10.0.0.3:6443"), "the watched server being added");
        Assert.Equal(["server-a:6443", "10.0.0.2:6443", "10.0.0.3:6443"], balancer.Servers);

        // No live server listed, then the object deleted: the balancer keeps what it knew.
        events.Writer.TryWrite(new WatchEvent<V1Endpoints>(WatchEventType.Modified, Endpoints("7")));
        events.Writer.TryWrite(new WatchEvent<V1Endpoints>(WatchEventType.Deleted, Endpoints("8")));
        events.Writer.TryWrite(new WatchEvent<V1Endpoints>(WatchEventType.Modified, Endpoints("9", "10.0.0.2", "10.0.0.3", "10.0.0.4")));
        await Until(() => balancer.Servers.Contains("10.0.0.4:6443"), "the last watched server being added");
        Assert.Equal(["server-a:6443", "10.0.0.2:6443", "10.0.0.3:6443", "10.0.0.4:6443"], balancer.Servers);
    }

    private static async IAsyncEnumerable<WatchEvent<V1Endpoints>> Read(ChannelReader<WatchEvent<V1Endpoints>> reader, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (await reader.WaitToReadAsync(cancellationToken))
        {
            while (reader.TryRead(out var e))
            {
                yield return e;
            }
        }
    }

    /// <summary>Waits for a condition the reflector's loop makes true, failing after a bound.</summary>
    internal static async Task Until(Func<bool> condition, string what = "the condition", int seconds = 20)
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        while (!condition())
        {
            try
            {
                await Task.Delay(20, bound.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"{what} did not happen within {seconds}s");
            }
        }
    }
}
