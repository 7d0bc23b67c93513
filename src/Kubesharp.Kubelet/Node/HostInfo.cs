using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Kubesharp.Kubelet.Node;

/// <summary>What the node reports about its host, read once at start from <c>/proc</c>, <c>/etc</c> and the file system.</summary>
public sealed record HostInfo
{
    public required int Cpus { get; init; }

    public required long MemoryBytes { get; init; }

    public required long EphemeralStorageBytes { get; init; }

    public required long MaxPids { get; init; }

    public required string KernelVersion { get; init; }

    public required string OsImage { get; init; }

    public required string Architecture { get; init; }

    public required string MachineId { get; init; }

    public required string BootId { get; init; }

    public required string Hostname { get; init; }

    /// <summary>Reads the host; <paramref name="rootDir"/> is where ephemeral storage lives (the kubelet's root directory).</summary>
    public static HostInfo Read(string rootDir)
    {
        Directory.CreateDirectory(rootDir);
        return new HostInfo
        {
            Cpus = Environment.ProcessorCount,
            MemoryBytes = MemTotal(),
            EphemeralStorageBytes = new DriveInfo(rootDir).TotalSize,
            MaxPids = long.TryParse(ReadOr("/proc/sys/kernel/pid_max", "32768"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var pids) ? pids : 32768,
            KernelVersion = ReadOr("/proc/sys/kernel/osrelease", "unknown"),
            OsImage = OsRelease("PRETTY_NAME") ?? "Linux",
            Architecture = GoArch(RuntimeInformation.OSArchitecture),
            MachineId = ReadOr("/etc/machine-id", ReadOr("/var/lib/dbus/machine-id", "")),
            BootId = ReadOr("/proc/sys/kernel/random/boot_id", ""),
            Hostname = Dns.GetHostName().ToLowerInvariant(),
        };
    }

    /// <summary>Go's name for an architecture, as the <c>kubernetes.io/arch</c> label and <c>nodeInfo.architecture</c> use it.</summary>
    public static string GoArch(Architecture architecture) => architecture switch
    {
        System.Runtime.InteropServices.Architecture.X64 => "amd64",
        System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
        System.Runtime.InteropServices.Architecture.Arm => "arm",
        System.Runtime.InteropServices.Architecture.X86 => "386",
        System.Runtime.InteropServices.Architecture.S390x => "s390x",
        System.Runtime.InteropServices.Architecture.Ppc64le => "ppc64le",
        _ => architecture.ToString().ToLowerInvariant(),
    };

    /// <summary>
    /// The address other hosts reach this node at: the local address of a route towards the API server, unless that
    /// is loopback; then the first IPv4 address of an interface that is up and not loopback; else 127.0.0.1.
    /// </summary>
    public static IPAddress NodeAddress(Uri? server)
    {
        if (server is not null && IPAddress.TryParse(server.Host.Trim('[', ']'), out var target) && !IPAddress.IsLoopback(target))
        {
            try
            {
                using var probe = new Socket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                probe.Connect(target, 9);
                if (probe.LocalEndPoint is IPEndPoint local && !IPAddress.IsLoopback(local.Address))
                {
                    return local.Address;
                }
            }
            catch (SocketException)
            {
                // No route: fall back to the interfaces.
            }
        }

        var address = NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .Where(n => !n.Name.StartsWith("cni", StringComparison.Ordinal) && !n.Name.StartsWith("veth", StringComparison.Ordinal))
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
        return address ?? IPAddress.Loopback;
    }

    private static long MemTotal()
    {
        foreach (var line in ReadLinesOr("/proc/meminfo"))
        {
            if (line.StartsWith("MemTotal:", StringComparison.Ordinal))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return long.Parse(parts[1], CultureInfo.InvariantCulture) * 1024;
            }
        }

        return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
    }

    private static string? OsRelease(string key)
    {
        foreach (var line in ReadLinesOr("/etc/os-release"))
        {
            if (line.StartsWith(key + "=", StringComparison.Ordinal))
            {
                return line[(key.Length + 1)..].Trim('"');
            }
        }

        return null;
    }

    private static string ReadOr(string path, string fallback)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (IOException)
        {
            return fallback;
        }
        catch (UnauthorizedAccessException)
        {
            return fallback;
        }
    }

    private static IEnumerable<string> ReadLinesOr(string path) => File.Exists(path) ? File.ReadLines(path) : [];
}
