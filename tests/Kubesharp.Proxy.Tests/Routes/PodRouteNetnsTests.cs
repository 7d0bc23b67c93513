using System.Diagnostics;
using Kubesharp.Proxy.Model;
using Kubesharp.Proxy.Routes;
using static Kubesharp.Proxy.Tests.Routes.RouteTestData;

namespace Kubesharp.Proxy.Tests.Routes;

/// <summary>
/// The syncer against a real kernel, inside a network namespace of its own (<c>ks-mn-routes-*</c>, deleted in
/// Dispose): a veth pair stands for the node's link to the others. Needs root and <c>ip</c>/<c>iptables</c>: skipped
/// visibly otherwise, failed when <c>KUBESHARP_REQUIRE_RUNTIME=1</c>.
/// </summary>
public sealed class PodRouteNetnsTests : IDisposable
{
    private readonly string _name = "ks-mn-routes-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string? _skip;
    private readonly bool _created;

    public PodRouteNetnsTests()
    {
        if (Environment.UserName != "root")
        {
            _skip = "needs root (network namespaces, routes, iptables)";
        }
        else if (Run("ip", "netns", "add", _name) is { } error)
        {
            _skip = $"ip netns add failed: {error}";
        }
        else
        {
            _created = true;
            _skip = Run("nsenter", $"--net={Path}", "--", "sh", "-c", "ip link set lo up && ip link add v0 type veth peer name v1 && ip addr add 10.88.0.11/24 dev v0 && ip link set v0 up && ip link set v1 up");
        }

        if (_skip is not null && Environment.GetEnvironmentVariable("KUBESHARP_REQUIRE_RUNTIME") == "1")
        {
            Dispose();
            throw new InvalidOperationException($"KUBESHARP_REQUIRE_RUNTIME=1 but the network namespace test cannot run: {_skip}");
        }
    }

    private string Path => "/var/run/netns/" + _name;

    [SkippableFact]
    public async Task Routes_follow_the_nodes_stale_routes_go_foreign_routes_stay_and_the_chain_is_installed_once()
    {
        Skip.If(_skip is not null, _skip);
        // A route of an earlier run (ours: proto 66) and one of someone else (proto boot) before the first pass.
        Assert.Null(Run("nsenter", $"--net={Path}", "--", "ip", "route", "add", "10.42.9.0/24", "via", "10.88.0.19", "proto", "66"));
        Assert.Null(Run("nsenter", $"--net={Path}", "--", "ip", "route", "add", "10.42.8.0/24", "via", "10.88.0.18"));
        var tool = new RuleTool(Path);
        var syncer = new PodRouteSyncer(tool.RunAsync, "self", "10.42.0.0/16");

        await syncer.SyncAsync([Node("self", "10.42.0.0/24", "10.88.0.11"), Node("b", "10.42.1.0/24", "10.88.0.12"), Node("c", "10.42.2.0/24", "10.88.0.13")], CancellationToken.None);

        Assert.Equal(["10.42.1.0/24 via 10.88.0.12", "10.42.2.0/24 via 10.88.0.13"], await OwnRoutesAsync(tool));
        Assert.Contains("10.42.8.0/24 via 10.88.0.18", await AllRoutesAsync(tool), StringComparison.Ordinal);

        // b is gone, c moved; a second pass also must not add a second jump.
        await syncer.SyncAsync([Node("self", "10.42.0.0/24", "10.88.0.11"), Node("c", "10.42.2.0/24", "10.88.0.23")], CancellationToken.None);

        Assert.Equal(["10.42.2.0/24 via 10.88.0.23"], await OwnRoutesAsync(tool));
        Assert.Contains("10.42.8.0/24 via 10.88.0.18", await AllRoutesAsync(tool), StringComparison.Ordinal);
        var nat = (await tool.RunAsync("iptables", ["-t", "nat", "-S"], null, CancellationToken.None)).Stdout;
        Assert.Single(nat.Split('\n'), l => l.StartsWith("-A POSTROUTING", StringComparison.Ordinal) && l.Contains("-j KUBESHARP-POSTROUTING", StringComparison.Ordinal));
        Assert.Contains("-A KUBESHARP-POSTROUTING -s 10.42.0.0/16 -d 10.42.0.0/16 -m comment --comment \"pod to pod: no masquerade\" -j RETURN", nat, StringComparison.Ordinal);
        Assert.Contains("-A KUBESHARP-POSTROUTING -s 10.42.0.0/16 ! -d 224.0.0.0/4", nat, StringComparison.Ordinal);
        Assert.Equal(2, nat.Split('\n').Count(l => l.StartsWith("-A KUBESHARP-POSTROUTING", StringComparison.Ordinal)));
    }

    private static async Task<string[]> OwnRoutesAsync(RuleTool tool)
    {
        var shown = await tool.RunAsync("ip", ["-4", "route", "show", "table", "main", "proto", "66"], null, CancellationToken.None);
        return [.. PodRoutePlan.ParseRoutes(shown.Stdout).Select(r => $"{r.Cidr} via {r.Via}").Order(StringComparer.Ordinal)];
    }

    private static async Task<string> AllRoutesAsync(RuleTool tool) =>
        (await tool.RunAsync("ip", ["-4", "route", "show"], null, CancellationToken.None)).Stdout;

    public void Dispose()
    {
        if (_created)
        {
            // Deleting the namespace removes its links, routes and rules with it.
            Run("ip", "netns", "delete", _name);
        }
    }

    /// <summary>Runs a command (bounded to 30 s); null when it succeeded, else what went wrong.</summary>
    private static string? Run(string file, params string[] args)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
            var stderr = process.StandardError.ReadToEndAsync();
            _ = process.StandardOutput.ReadToEndAsync();
            if (!process.WaitForExit(30_000))
            {
                process.Kill(entireProcessTree: true);
                return $"{file} did not finish in 30 s";
            }

            return process.ExitCode == 0 ? null : $"{file} {string.Join(' ', args)}: exit {process.ExitCode}: {stderr.Result.Trim()}";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"{file}: {e.Message}";
        }
    }
}
