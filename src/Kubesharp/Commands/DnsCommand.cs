using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using k8s.Exceptions;
using Kubesharp.Dns;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Commands;

/// <summary>
/// <c>kubesharp dns --kubeconfig FILE</c>: the cluster DNS server alone (what CoreDNS is in k3s): answers the cluster zone
/// from Services and EndpointSlices watched through the API server, forwards other names to the host's resolvers, and
/// registers itself as kube-system/kube-dns, until SIGTERM or Ctrl-C.
/// </summary>
internal static class DnsCommand
{
    public static Command Create()
    {
        var kubeconfig = new Option<string>("--kubeconfig") { Description = "The kubeconfig the DNS server uses (as kubesharp server writes it: <data-dir>/kube-dns.kubeconfig).", Required = true };
        var listen = new Option<string>("--listen") { Description = "ADDRESS:PORT to serve UDP and TCP on.", DefaultValueFactory = _ => $"0.0.0.0:{DnsServerOptions.DefaultPort}" };
        var advertise = new Option<string[]>("--advertise-address") { Description = "Address(es) the kube-dns EndpointSlice lists (default: the listen address, or the host's first non-loopback IPv4 address)." };
        var domain = new Option<string>("--cluster-domain") { Description = "The cluster domain.", DefaultValueFactory = _ => "cluster.local" };
        var upstream = new Option<string[]>("--upstream") { Description = "Resolvers for other names, ADDRESS[:PORT] (default: the nameservers of --resolv-conf)." };
        var resolvConf = new Option<string>("--resolv-conf") { Description = "Where the default upstreams are read.", DefaultValueFactory = _ => "/etc/resolv.conf" };
        var serviceIp = new Option<string>("--service-ip") { Description = "The kube-dns Service's cluster IP to request.", DefaultValueFactory = _ => "10.43.0.10" };
        var noRegister = new Option<bool>("--no-register") { Description = "Do not create or keep the kube-dns Service, Endpoints and EndpointSlice." };
        var command = new Command("dns", "Run the cluster DNS server against an API server.")
        {
            kubeconfig, listen, advertise, domain, upstream, resolvConf, serviceIp, noRegister,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            DnsServerOptions options;
            try
            {
                options = new DnsServerOptions
                {
                    Listen = ParseEndPoint(parse.GetValue(listen)!, DnsServerOptions.DefaultPort),
                    AdvertiseAddresses = [.. (parse.GetValue(advertise) ?? []).Select(IPAddress.Parse)],
                    ClusterDomain = parse.GetValue(domain)!,
                    Upstreams = parse.GetValue(upstream) is { Length: > 0 } given ? [.. given.Select(u => ParseEndPoint(u, 53))] : null,
                    ResolvConf = parse.GetValue(resolvConf)!,
                    ServiceIp = IPAddress.Parse(parse.GetValue(serviceIp)!),
                    Register = !parse.GetValue(noRegister),
                };
            }
            catch (FormatException e)
            {
                await Console.Error.WriteLineAsync($"error: {e.Message}");
                return 2;
            }

            return await RunAsync(parse.GetValue(kubeconfig)!, options, cancellationToken);
        });
        return command;
    }

    /// <summary>ADDRESS, ADDRESS:PORT or [IPv6]:PORT.</summary>
    public static IPEndPoint ParseEndPoint(string text, int defaultPort)
    {
        if (IPAddress.TryParse(text, out var address))
        {
            return new IPEndPoint(address, defaultPort);
        }

        return IPEndPoint.TryParse(text, out var endPoint) ? endPoint : throw new FormatException($"not an ADDRESS[:PORT]: {text}");
    }

    private static async Task<int> RunAsync(string kubeconfig, DnsServerOptions options, CancellationToken cancellationToken)
    {
        using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).AddFilter("System.Net.Http", LogLevel.Warning));
        using var stop = new StopSignal(cancellationToken);
        DnsServer server;
        try
        {
            server = DnsServer.FromKubeconfig(kubeconfig, options, loggerFactory);
        }
        catch (Exception e) when (e is KubeConfigException or IOException or ArgumentException)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return 1;
        }

        await using (server)
        {
            try
            {
                await server.StartAsync(stop.Token);
            }
            catch (SocketException e)
            {
                await Console.Error.WriteLineAsync($"error: cannot listen on {options.Listen}: {e.Message}");
                return 1;
            }

            await stop.WaitAsync();
        }

        return 0;
    }
}
