using System.CommandLine;
using System.Net.Sockets;
using k8s;
using k8s.Exceptions;
using Kubesharp.Client;
using Kubesharp.Client.Balancer;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Commands;

/// <summary>
/// <c>kubesharp agent</c>'s API server load balancer (<see cref="ApiServerBalancer"/>): started before anything talks to
/// the API (the TLS bootstrap included), so that every component of the node reaches whichever server is up through
/// <c>https://127.0.0.1:PORT</c>. Once the node has its credentials, the balancer checks servers with <c>GET /readyz</c>
/// and learns the other servers from the <c>kubernetes</c> Endpoints.
/// </summary>
internal static class AgentBalancer
{
    public static Option<int> PortOption() => new("--lb-server-port")
    {
        Description = $"The local port of the agent's load balancer to the API servers (127.0.0.1; k3s's default, {BalancerOptions.DefaultPort}). Every component of the node reaches the API through it.",
        DefaultValueFactory = _ => BalancerOptions.DefaultPort,
    };

    /// <summary>Where the servers learned from the Endpoints are kept between runs.</summary>
    public static string StateFile(string dataDir) => Path.Combine(dataDir, "etc", "api-server-load-balancer.json");

    /// <summary>The server named by a kubeconfig (for <c>--kubeconfig</c> without <c>--server</c>); null when it cannot be read (the caller's own load reports why).</summary>
    public static string? KubeconfigServer(string path)
    {
        try
        {
            return ServerAddress.Parse(Kubeconfig.Build(path).Host);
        }
        catch (Exception e) when (e is KubeConfigException or IOException or ArgumentException or FormatException)
        {
            return null;
        }
    }

    /// <summary>Starts the balancer, or says why it cannot and returns null.</summary>
    public static async Task<ApiServerBalancer?> StartAsync(IReadOnlyList<string> servers, int port, string dataDir, ILoggerFactory loggers)
    {
        try
        {
            return ApiServerBalancer.Start(new BalancerOptions { Servers = servers, Port = port, StateFile = StateFile(dataDir) }, loggers.CreateLogger("agent-load-balancer"));
        }
        catch (SocketException e)
        {
            await Console.Error.WriteLineAsync($"error: the load balancer cannot listen on 127.0.0.1:{port}: {e.Message} (another agent in this network namespace? choose another --lb-server-port)");
            return null;
        }
    }

    /// <summary>
    /// With the node's client: health checks by <c>/readyz</c> with its credentials, and the Endpoints watch. Disposing
    /// the result stops both (the balancer goes back to TCP checks).
    /// </summary>
    public static IAsyncDisposable Attach(ApiServerBalancer balancer, Kubernetes client, KubernetesClientConfiguration config, ILoggerFactory loggers)
    {
        var readyz = ReadyzHealthCheck.For(config);
        balancer.HealthCheck = readyz.CheckAsync;
        var source = EndpointsServerSource.Start(client, balancer, loggers.CreateLogger("agent-load-balancer"));
        return new Attachment(balancer, readyz, source);
    }

    private sealed class Attachment(ApiServerBalancer balancer, ReadyzHealthCheck readyz, EndpointsServerSource source) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await source.DisposeAsync();
            balancer.HealthCheck = HealthChecks.TcpConnectAsync;
            readyz.Dispose();
        }
    }
}
