using System.Globalization;
using k8s.Models;
using Kubesharp.Proxy.Model;

namespace Kubesharp.Proxy.Routes;

/// <summary>Runs one rule tool command (<see cref="RuleTool.RunAsync"/>, or a fake in tests).</summary>
public delegate Task<RuleToolResult> RuleRunner(string file, IReadOnlyList<string> args, string? stdin, CancellationToken cancellationToken);

/// <summary>A route or rule command failed: which one, its exit code and what it printed. Retried by the controller.</summary>
public sealed class PodRouteException(string message) : Exception(message);

/// <summary>
/// One pass of the pod route controller against the kernel: reads the routes it owns (<c>proto 66</c> inside the cluster CIDR), applies the
/// <c>ip route</c> commands that make them match the nodes, and rewrites the masquerade chain. Idempotent: a pass
/// with nothing changed only reads. Not thread-safe: one loop owns it.
/// </summary>
public sealed class PodRouteSyncer(RuleRunner run, string nodeName, string clusterCidr)
{
    private readonly string _clusterCidr = PodRoutePlan.NormalizeCidr(clusterCidr) ?? throw new ArgumentException($"not an IPv4 CIDR: {clusterCidr}", nameof(clusterCidr));

    public string NodeName { get; } = nodeName;

    /// <summary>
    /// Brings the routes and the masquerade chain in line with <paramref name="nodes"/>; returns the number of route
    /// commands it ran. Throws <see cref="PodRouteException"/> when a command fails (the next pass retries).
    /// </summary>
    public async Task<int> SyncAsync(IEnumerable<V1Node> nodes, CancellationToken cancellationToken)
    {
        var desired = PodRoutePlan.Desired(nodes, NodeName);
        var shown = await MustAsync("ip", ["-4", "route", "show", "table", "main", "proto", PodRoutePlan.RouteProtocol.ToString(CultureInfo.InvariantCulture)], null, cancellationToken).ConfigureAwait(false);
        var commands = PodRoutePlan.Commands(desired, PodRoutePlan.ParseRoutes(shown), _clusterCidr);
        foreach (var args in commands)
        {
            await MustAsync("ip", args, null, cancellationToken).ConfigureAwait(false);
        }

        await SyncMasqueradeAsync(cancellationToken).ConfigureAwait(false);
        return commands.Count;
    }

    private async Task SyncMasqueradeAsync(CancellationToken cancellationToken)
    {
        // -C fails both when the jump is missing and when the chain does not exist yet: either way the restore adds it.
        var check = await run("iptables", ["-w", "5", "-t", "nat", "-C", "POSTROUTING", .. PodRoutePlan.JumpArgs], null, cancellationToken).ConfigureAwait(false);
        await MustAsync("iptables-restore", ["-w", "5", "--noflush"], PodRoutePlan.MasqueradeRules(_clusterCidr, addJump: !check.Succeeded), cancellationToken).ConfigureAwait(false);
    }

    private async Task<string> MustAsync(string file, IReadOnlyList<string> args, string? stdin, CancellationToken cancellationToken)
    {
        var result = await run(file, args, stdin, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw new PodRouteException($"{file} {string.Join(' ', args)}: exit {result.ExitCode}: {result.Stderr.Trim()}");
        }

        return result.Stdout;
    }
}
