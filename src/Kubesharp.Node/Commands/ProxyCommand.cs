using System.CommandLine;
using System.Globalization;
using k8s;
using k8s.Exceptions;
using Kubesharp.Client;
using Kubesharp.Proxy.Model;
using Kubesharp.Proxy.Proxier;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Commands;

/// <summary>
/// <c>kubesharp proxy --kubeconfig FILE</c>: kube-proxy alone (the agent runs one beside its kubelet). Programs this
/// host's network namespace until SIGTERM or Ctrl-C, and leaves the rules in place when it stops, as upstream;
/// <c>--cleanup</c> removes them and exits.
/// </summary>
internal static class ProxyCommand
{
    public static Command Create()
    {
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = "The kubeconfig kube-proxy uses (a node identity, or system:kube-proxy)." };
        var mode = ModeOption();
        var hostname = new Option<string?>("--hostname-override") { Description = "The node name whose endpoints are local (default: the host name, lower-cased)." };
        var clusterCidr = ClusterCidrOption();
        var cleanup = new Option<bool>("--cleanup") { Description = "Remove every rule kube-proxy wrote (both modes) and exit." };
        var minSync = new Option<string>("--min-sync-period") { Description = "The minimum interval between two syncs (Go duration).", DefaultValueFactory = _ => "1s" };
        var sync = new Option<string>("--sync-period") { Description = "The interval of the periodic full resync (Go duration).", DefaultValueFactory = _ => "30s" };
        var healthzPort = new Option<int>("--healthz-port") { Description = "The /healthz port on 127.0.0.1; 0 disables it.", DefaultValueFactory = _ => ProxyServing.DefaultHealthzPort };
        var metricsPort = new Option<int>("--metrics-port") { Description = "The /metrics port on 127.0.0.1; 0 disables it.", DefaultValueFactory = _ => ProxyServing.DefaultMetricsPort };
        var masqueradeAll = new Option<bool>("--masquerade-all") { Description = "SNAT all traffic sent through cluster IPs." };
        var command = new Command("proxy", "Run kube-proxy: turn Services and EndpointSlices into iptables or nftables rules on this host.")
        {
            kubeconfig, mode, hostname, clusterCidr, cleanup, minSync, sync, healthzPort, metricsPort, masqueradeAll,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(cleanup))
            {
                return await CleanupAsync(cancellationToken);
            }

            if (parse.GetValue(kubeconfig) is not { } path)
            {
                await Console.Error.WriteLineAsync("error: --kubeconfig is required");
                return 1;
            }

            if (!TryParseDuration(parse.GetValue(minSync)!, out var min) || !TryParseDuration(parse.GetValue(sync)!, out var period))
            {
                await Console.Error.WriteLineAsync("error: --min-sync-period and --sync-period take Go durations such as 1s, 500ms, 1m");
                return 1;
            }

            using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).AddFilter("Microsoft.AspNetCore", LogLevel.Warning).AddFilter("System.Net.Http", LogLevel.Warning));
            using var stop = new StopSignal(cancellationToken);
            Kubernetes client;
            try
            {
                client = new Kubernetes(Kubeconfig.Build(path));
            }
            catch (Exception e) when (e is KubeConfigException or IOException or ArgumentException)
            {
                await Console.Error.WriteLineAsync($"error: {e.Message}");
                return 1;
            }

            using (client)
            {
                var options = new KubeProxyOptions
                {
                    NodeName = parse.GetValue(hostname) ?? KubeletCommand.DefaultNodeName(),
                    ClusterCidr = parse.GetValue(clusterCidr),
                    MinSyncPeriod = min,
                    SyncPeriod = period,
                    HealthzPort = parse.GetValue(healthzPort),
                    MetricsPort = parse.GetValue(metricsPort),
                    MasqueradeAll = parse.GetValue(masqueradeAll),
                };
                await using var proxy = await StartAsync(client, parse.GetValue(mode)!, options, loggerFactory, stop.Token);
                if (proxy is null)
                {
                    return 1;
                }

                await stop.WaitAsync();
            }

            return 0;
        });
        return command;
    }

    public static Option<string> ModeOption() => new Option<string>("--proxy-mode")
    {
        Description = "kube-proxy's mode: iptables or nftables.",
        DefaultValueFactory = _ => ProxyBackends.Iptables,
    }.AcceptOnlyFromAmong([.. ProxyBackends.Modes]);

    public static Option<string?> ClusterCidrOption() => new("--cluster-cidr")
    {
        Description = "The cluster's pod CIDR: traffic to cluster IPs from outside it is masqueraded.",
        DefaultValueFactory = _ => "10.42.0.0/16",
    };

    /// <summary>Starts kube-proxy in <paramref name="mode"/>; null (after printing why) when this build has no such mode.</summary>
    public static async Task<KubeProxy?> StartAsync(Kubernetes client, string mode, KubeProxyOptions options, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (ProxyBackends.Create(mode, new RuleTool()) is not { } backend)
        {
            await Console.Error.WriteLineAsync($"error: proxy mode {mode} is not one of iptables, nftables");
            return null;
        }

        var proxy = new KubeProxy(client, backend, options, loggers);
        await proxy.StartAsync(cancellationToken);
        return proxy;
    }

    /// <summary>Upstream's <c>--cleanup</c>: every mode's leftovers; exit code 1 when any failed.</summary>
    private static async Task<int> CleanupAsync(CancellationToken cancellationToken)
    {
        var failed = false;
        foreach (var mode in ProxyBackends.Modes)
        {
            if (ProxyBackends.Create(mode, new RuleTool()) is not { } backend)
            {
                continue;
            }

            try
            {
                await backend.CleanupAsync(cancellationToken);
                Console.WriteLine($"proxy: removed the {mode} rules");
            }
            catch (Exception e) when (e is ProxyApplyException or IOException or System.ComponentModel.Win32Exception)
            {
                await Console.Error.WriteLineAsync($"error: cleaning up the {mode} rules: {e.Message}");
                failed = true;
            }
        }

        return failed ? 1 : 0;
    }

    /// <summary>A Go duration of one unit (<c>500ms</c>, <c>1s</c>, <c>2m</c>, <c>1h</c>), as kube-proxy's flags take them.</summary>
    internal static bool TryParseDuration(string text, out TimeSpan value)
    {
        value = default;
        var units = new (string Suffix, double Seconds)[] { ("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600) };
        foreach (var (suffix, seconds) in units)
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal)
                && double.TryParse(text.AsSpan(0, text.Length - suffix.Length), NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n >= 0)
            {
                value = TimeSpan.FromSeconds(n * seconds);
                return true;
            }
        }

        return false;
    }
}
