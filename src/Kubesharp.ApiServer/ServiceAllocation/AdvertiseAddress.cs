using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Kubesharp.ApiServer.ServiceAllocation;

/// <summary>The address this API server announces in the <c>kubernetes</c> Service's endpoints.</summary>
internal static class AdvertiseAddress
{
    /// <summary>
    /// <paramref name="configured"/> when given; else the bind address unless it is 0.0.0.0; else the local
    /// address of the default route (a connected UDP socket sends nothing), else the first non-loopback IPv4
    /// address of an interface that is up, else 127.0.0.1.
    /// </summary>
    public static string Resolve(string? configured, string bindAddress)
    {
        if (!string.IsNullOrEmpty(configured))
        {
            return configured;
        }

        if (bindAddress != "0.0.0.0")
        {
            return bindAddress;
        }

        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Connect(new IPEndPoint(IPAddress.Parse("203.0.113.1"), 53));
            if (socket.LocalEndPoint is IPEndPoint { Address: var local } && !IPAddress.IsLoopback(local) && !local.Equals(IPAddress.Any))
            {
                return local.ToString();
            }
        }
        catch (SocketException)
        {
            // No default route: fall back to the interfaces.
        }

        var first = NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
        return first?.ToString() ?? "127.0.0.1";
    }
}
