using System.Net;
using System.Net.NetworkInformation;

namespace Kubesharp.Dns.Server;

/// <summary>The upstream resolvers: from resolv.conf or given, minus any that would loop back to this server.</summary>
internal static class Upstreams
{
    /// <summary>The <c>nameserver</c> lines of a resolv.conf, on port 53; empty when the file is missing.</summary>
    public static List<IPEndPoint> FromResolvConf(string path)
    {
        var result = new List<IPEndPoint>();
        if (!File.Exists(path))
        {
            return result;
        }

        foreach (var raw in File.ReadLines(path))
        {
            var line = raw.Trim();
            if (!line.StartsWith("nameserver", StringComparison.Ordinal))
            {
                continue;
            }

            var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            // A zone index (fe80::1%eth0) is kept: IPAddress parses it.
            if (fields.Length >= 2 && IPAddress.TryParse(fields[1], out var address))
            {
                result.Add(new IPEndPoint(address, 53));
            }
        }

        return result;
    }

    /// <summary>
    /// Leaves out upstreams that are this server: its own listening endpoint (any local address when it listens on
    /// all of them), an advertised address on its port, and the kube-dns Service address on 53 (which kube-proxy sends
    /// back here). CoreDNS's <c>loop</c> plugin finds such loops at run time; refusing them up front is enough here.
    /// </summary>
    public static List<IPEndPoint> WithoutSelf(IEnumerable<IPEndPoint> upstreams, IPEndPoint listen, IReadOnlyList<IPAddress> advertise, IPAddress serviceIp)
    {
        var local = listen.Address.Equals(IPAddress.Any) || listen.Address.Equals(IPAddress.IPv6Any) ? LocalAddresses() : [listen.Address];
        return [.. upstreams.Where(u =>
            !(u.Port == listen.Port && (IPAddress.IsLoopback(u.Address) || local.Contains(u.Address) || advertise.Contains(u.Address)))
            && !(u.Port == 53 && u.Address.Equals(serviceIp)))];
    }

    private static HashSet<IPAddress> LocalAddresses()
    {
        var set = new HashSet<IPAddress>();
        try
        {
            foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
            {
                foreach (var address in nic.GetIPProperties().UnicastAddresses)
                {
                    set.Add(address.Address);
                }
            }
        }
        catch (NetworkInformationException)
        {
            // Without the list, only loopback and the advertised addresses are recognised.
        }

        return set;
    }

    /// <summary>The host's first non-loopback IPv4 address on an interface that is up, or null.</summary>
    public static IPAddress? FirstHostAddress()
    {
        try
        {
            return NetworkInterface.GetAllNetworkInterfaces()
                .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
                .SelectMany(n => n.GetIPProperties().UnicastAddresses)
                .Select(a => a.Address)
                .FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
        }
        catch (NetworkInformationException)
        {
            return null;
        }
    }
}
