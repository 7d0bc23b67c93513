using System.Collections.Concurrent;
using Kubesharp.Client.Balancer;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Client.Tests.Balancer;

/// <summary>The balancer against local TCP listeners; health check rounds are run by the tests, never by a timer.</summary>
public sealed class ApiServerBalancerTests
{
    private static BalancerOptions Options(params string[] servers) => new()
    {
        Servers = servers,
        Port = 0,
        DialTimeout = TimeSpan.FromSeconds(5),
        HealthCheckInterval = TimeSpan.Zero,
    };

    [Fact]
    public async Task It_forwards_bytes_both_ways_and_passes_an_end_of_stream_on()
    {
        await using var a = new TestBackend("a");
        await using var balancer = ApiServerBalancer.Start(Options(a.Address), NullLogger.Instance);
        using var client = await TestClient.ConnectAsync(balancer);

        Assert.Equal("a", await client.ReadLineAsync());
        await client.WriteLineAsync("hello");
        Assert.Equal("hello", await client.ReadLineAsync());
        var big = new string('x', 200_000);
        await client.WriteLineAsync(big);
        Assert.Equal(big, await client.ReadLineAsync());

        // The backend answers our half-close with its own: the client sees the end of the stream.
        client.ShutdownSend();
        Assert.Null(await client.ReadLineAsync());
        Assert.StartsWith("https://127.0.0.1:", balancer.LocalUrl, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dead_backend_is_skipped_for_new_connections_and_marked_down()
    {
        var dead = TestBackend.DeadAddress();
        await using var b = new TestBackend("b");
        await using var balancer = ApiServerBalancer.Start(Options(dead, b.Address), NullLogger.Instance);

        using (var first = await TestClient.ConnectAsync(balancer))
        {
            Assert.Equal("b", await first.ReadLineAsync());
        }

        Assert.False(balancer.IsUp(dead));
        Assert.Equal(b.Address, balancer.CurrentServer);
        using var second = await TestClient.ConnectAsync(balancer);
        Assert.Equal("b", await second.ReadLineAsync());
        Assert.Equal(2, b.Accepted);
    }

    [Fact]
    public async Task When_the_current_backend_dies_its_connections_break_and_the_next_connection_goes_to_another()
    {
        await using var a = new TestBackend("a");
        await using var b = new TestBackend("b");
        await using var balancer = ApiServerBalancer.Start(Options(a.Address, b.Address), NullLogger.Instance);
        using var before = await TestClient.ConnectAsync(balancer);
        Assert.Equal("a", await before.ReadLineAsync());

        a.Kill();

        Assert.Null(await before.ReadLineAsync());
        using var after = await TestClient.ConnectAsync(balancer);
        Assert.Equal("b", await after.ReadLineAsync());
        Assert.Equal(b.Address, balancer.CurrentServer);
        Assert.False(balancer.IsUp(a.Address));
    }

    [Fact]
    public async Task A_server_that_fails_its_health_check_has_its_connections_closed_and_gets_no_new_ones()
    {
        await using var a = new TestBackend("a");
        await using var b = new TestBackend("b");
        var health = new ConcurrentDictionary<string, bool> { [a.Address] = true, [b.Address] = true };
        await using var balancer = ApiServerBalancer.Start(Options(a.Address, b.Address), NullLogger.Instance);
        balancer.HealthCheck = (address, _) => Task.FromResult(health[address]);
        using var held = await TestClient.ConnectAsync(balancer);
        Assert.Equal("a", await held.ReadLineAsync());
        Assert.Equal(1, balancer.ConnectionsTo(a.Address));

        // a still accepts connections (a host that stopped answering without resetting anything looks like this).
        health[a.Address] = false;
        await balancer.CheckHealthAsync(CancellationToken.None);

        Assert.Null(await held.ReadLineAsync());
        using var next = await TestClient.ConnectAsync(balancer);
        Assert.Equal("b", await next.ReadLineAsync());
        Assert.Equal(1, a.Accepted);

        // Back up: it is a candidate again, but the balancer stays with the current server.
        health[a.Address] = true;
        await balancer.CheckHealthAsync(CancellationToken.None);
        Assert.True(balancer.IsUp(a.Address));
        using var third = await TestClient.ConnectAsync(balancer);
        Assert.Equal("b", await third.ReadLineAsync());
    }

    [Fact]
    public async Task The_default_health_check_is_a_tcp_connect()
    {
        await using var a = new TestBackend("a");
        var dead = TestBackend.DeadAddress();
        await using var balancer = ApiServerBalancer.Start(Options(a.Address, dead), NullLogger.Instance);

        await balancer.CheckHealthAsync(CancellationToken.None);

        Assert.True(balancer.IsUp(a.Address));
        Assert.False(balancer.IsUp(dead));
    }

    [Fact]
    public async Task With_every_server_down_the_client_connection_is_closed()
    {
        await using var balancer = ApiServerBalancer.Start(Options(TestBackend.DeadAddress(), TestBackend.DeadAddress()), NullLogger.Instance);
        using var client = await TestClient.ConnectAsync(balancer);

        Assert.Null(await client.ReadLineAsync());
    }

    [Fact]
    public async Task Learned_servers_are_used_when_the_command_line_ones_are_down_and_dropped_ones_lose_their_connections()
    {
        var dead = TestBackend.DeadAddress();
        await using var b = new TestBackend("b");
        await using var c = new TestBackend("c");
        await using var balancer = ApiServerBalancer.Start(Options(dead), NullLogger.Instance);

        balancer.UpdateServers([b.Address]);
        Assert.Equal([dead, b.Address], balancer.Servers);
        using var held = await TestClient.ConnectAsync(balancer);
        Assert.Equal("b", await held.ReadLineAsync());

        balancer.UpdateServers([c.Address]);
        Assert.Equal([dead, c.Address], balancer.Servers);
        Assert.Null(await held.ReadLineAsync());
        using var next = await TestClient.ConnectAsync(balancer);
        Assert.Equal("c", await next.ReadLineAsync());
    }

    [Fact]
    public async Task Learned_servers_are_kept_in_the_state_file_for_the_next_start()
    {
        var dir = Directory.CreateTempSubdirectory("kubesharp-lb-").FullName;
        try
        {
            var state = Path.Combine(dir, "etc", "api-server-load-balancer.json");
            var dead = TestBackend.DeadAddress();
            await using var b = new TestBackend("b");
            await using (var first = ApiServerBalancer.Start(Options(dead) with { StateFile = state }, NullLogger.Instance))
            {
                first.UpdateServers([b.Address]);
            }

            await using var second = ApiServerBalancer.Start(Options(dead) with { StateFile = state }, NullLogger.Instance);
            Assert.Equal([dead, b.Address], second.Servers);
            using var client = await TestClient.ConnectAsync(second);
            Assert.Equal("b", await client.ReadLineAsync());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_taken_port_is_an_error()
    {
        await using var a = new TestBackend("a");
        await using var first = ApiServerBalancer.Start(Options(a.Address), NullLogger.Instance);

        Assert.ThrowsAny<System.Net.Sockets.SocketException>(() => ApiServerBalancer.Start(Options(a.Address) with { Port = first.LocalEndPoint.Port }, NullLogger.Instance));
    }
}
