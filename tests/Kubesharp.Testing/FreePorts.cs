using System.Net;
using System.Net.Sockets;

namespace Kubesharp.Testing;

/// <summary>Loopback ports that were free a moment ago, for daemons a test starts.</summary>
public static class FreePorts
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
