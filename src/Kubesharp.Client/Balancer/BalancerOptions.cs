using System.Net;

namespace Kubesharp.Client.Balancer;

/// <summary>How an <see cref="ApiServerBalancer"/> listens, which servers it starts with, and how it checks them.</summary>
public sealed record BalancerOptions
{
    /// <summary>k3s's agent load balancer port for the API server.</summary>
    public const int DefaultPort = 6444;

    /// <summary>The servers from the command line (<c>host:port</c>, see <see cref="ServerAddress"/>); at least one; never dropped.</summary>
    public required IReadOnlyList<string> Servers { get; init; }

    /// <summary>Loopback only, as k3s: the balancer carries the node's credentials' connections, nobody else's.</summary>
    public IPAddress ListenAddress { get; init; } = IPAddress.Loopback;

    /// <summary>The local port; 0 lets the system choose (tests).</summary>
    public int Port { get; init; } = DefaultPort;

    /// <summary>How long one connect to a server may take before the next server is tried.</summary>
    public TimeSpan DialTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How often every known server is checked; zero turns the periodic checks off (tests run rounds themselves).</summary>
    public TimeSpan HealthCheckInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long one check may take before the server counts as down.</summary>
    public TimeSpan HealthCheckTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// A file where the learned servers are kept (k3s's <c>etc/k3s-agent-load-balancer.json</c>), so that an agent
    /// restarted while its command-line server is down still knows the others; null keeps them in memory only.
    /// </summary>
    public string? StateFile { get; init; }
}
