using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using k8s.Models;
using Kubesharp.Dns;
using Microsoft.Extensions.Logging.Abstractions;

// kubesharp DNS benchmark: answered UDP queries per second on loopback against a zone of K services (every tenth
// headless with 3 endpoints), for S seconds, from two load generators in the same run:
// - N concurrent clients in this process (a baseline that shares the runtime, its thread pool and the 2 cores with
//   the server, so it measures the client about as much as the server);
// - dnsperf (DNS-OARC's load generator, in C; what CoreDNS's own performance tests use), when it is installed
//   (scripts/deps.sh bench), with the same query mix. Its figure is dns_qps; without dnsperf, the in-process one is.
// Usage: Kubesharp.Bench.Dns [--clients 32] [--seconds 5] [--services 10000]
var clients = Arg("--clients", 32);
var seconds = Arg("--seconds", 5);
var services = Arg("--services", 10_000);

await using var server = new DnsServer(null, new DnsServerOptions
{
    Listen = new IPEndPoint(IPAddress.Loopback, 0),
    Upstreams = [],
    Register = false,
}, NullLoggerFactory.Instance);
await server.StartAsync(CancellationToken.None);
var zone = server.Zone;
for (var n = 0; n < 100; n++)
{
    zone.UpsertNamespace(new V1Namespace { Metadata = new V1ObjectMeta { Name = $"ns{n}" } });
}

var names = new List<string>();
for (var i = 0; i < services; i++)
{
    var ns = $"ns{i % 100}";
    var name = $"svc{i}";
    var headless = i % 10 == 0;
    zone.UpsertService(new V1Service
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
        Spec = new V1ServiceSpec
        {
            ClusterIP = headless ? "None" : $"10.43.{(i >> 8) & 0xFF}.{i & 0xFF}",
            Ports = [new V1ServicePort { Name = "http", Port = 80, Protocol = "TCP" }],
        },
    });
    if (headless)
    {
        zone.UpsertEndpointSlice(new V1EndpointSlice
        {
            Metadata = new V1ObjectMeta { Name = name + "-1", NamespaceProperty = ns, Labels = new Dictionary<string, string> { ["kubernetes.io/service-name"] = name } },
            AddressType = "IPv4",
            Endpoints = [.. Enumerable.Range(1, 3).Select(e => new V1Endpoint { Addresses = [$"10.42.{i % 250}.{e}"], Conditions = new V1EndpointConditions { Ready = true } })],
            Ports = [new Discoveryv1EndpointPort { Name = "http", Port = 8080, Protocol = "TCP" }],
        });
    }

    names.Add($"{name}.{ns}.svc.cluster.local");
}

// A mix of what pods ask: A of services (most), SRV of named ports, and search-path misses (NXDOMAIN).
var mix = new List<(string Name, ushort Type)>();
var random = new Random(42);
for (var q = 0; q < 4096; q++)
{
    var name = names[random.Next(names.Count)];
    mix.Add((q % 10) switch
    {
        8 => ("_http._tcp." + name, 33),
        9 => (name + ".cluster.local", 1),
        _ => (name, 1),
    });
}

var queries = mix.Select(q => Query(q.Name, q.Type)).ToList();

var endPoint = server.EndPoint!;
using var stop = new CancellationTokenSource();
long answered = 0;
long lost = 0;

// Warm-up: JIT and socket buffers.
await RunClientsAsync(TimeSpan.FromSeconds(1));
answered = 0;
lost = 0;
var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
var clock = Stopwatch.StartNew();
await RunClientsAsync(TimeSpan.FromSeconds(seconds));
var elapsed = clock.Elapsed.TotalSeconds;
var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
var qps = answered / elapsed;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"dns: in-process clients: {services} services, {clients} clients, {elapsed:F1} s: {answered} answered ({qps:F0}/s), {lost} unanswered (1 s timeout), {(double)allocated / Math.Max(1, answered):F0} bytes allocated per query (server and clients)"));

var perf = await DnsperfAsync();
if (perf is { } p)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"dns: dnsperf: {p.Sent} sent, {p.Completed} completed, {p.Lost} lost, {p.Qps:F0}/s; server allocated {(double)(GC.GetTotalAllocatedBytes(precise: true) - p.AllocatedBefore) / Math.Max(1, p.Completed):F0} bytes per query"));
    qps = p.Qps;
}
else
{
    Console.WriteLine("dns: dnsperf is not installed (scripts/deps.sh bench): dns_qps is the in-process figure");
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"dns_qps={qps:F0}"));
return 0;

// dnsperf in its own process, with the same mix, as many outstanding queries as the in-process clients keep (one each)
// times four, for the same time. Returns null when dnsperf is not on the PATH.
async Task<(long Sent, long Completed, long Lost, double Qps, long AllocatedBefore)?> DnsperfAsync()
{
    var data = Path.GetTempFileName();
    try
    {
        await File.WriteAllLinesAsync(data, mix.Select(q => $"{q.Name} {(q.Type == 33 ? "SRV" : "A")}"));
        var start = new ProcessStartInfo("dnsperf")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[] { "-s", "127.0.0.1", "-p", endPoint.Port.ToString(CultureInfo.InvariantCulture), "-d", data, "-l", seconds.ToString(CultureInfo.InvariantCulture), "-c", "4", "-T", "1", "-q", (clients * 4).ToString(CultureInfo.InvariantCulture), "-t", "1" })
        {
            start.ArgumentList.Add(a);
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }

        using (process)
        {
            var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            var stderr = process.StandardError.ReadToEndAsync();
            var output = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"dnsperf failed (exit {process.ExitCode}): {await stderr}");
            }

            double Field(string label)
            {
                var line = output.Split('\n').FirstOrDefault(l => l.TrimStart().StartsWith(label, StringComparison.Ordinal))
                    ?? throw new InvalidOperationException($"dnsperf printed no '{label}' line:\n{output}");
                var value = line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim().Split(' ')[0];
                return double.Parse(value, CultureInfo.InvariantCulture);
            }

            return ((long)Field("Queries sent"), (long)Field("Queries completed"), (long)Field("Queries lost"), Field("Queries per second"), allocatedBefore);
        }
    }
    finally
    {
        File.Delete(data);
    }
}

async Task RunClientsAsync(TimeSpan duration)
{
    using var until = new CancellationTokenSource(duration);
    await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(() => ClientAsync(c, until.Token))));
}

async Task ClientAsync(int index, CancellationToken until)
{
    using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    socket.Connect(endPoint);
    var buffer = new byte[4096];
    var send = new byte[300];
    var i = index * 131;
    var timeout = new CancellationTokenSource();
    while (!until.IsCancellationRequested)
    {
        // Each client writes its ids into its own copy: the query templates are shared.
        var query = queries[i++ % queries.Count];
        query.CopyTo(send, 0);
        var id = (ushort)i;
        BinaryPrimitives.WriteUInt16BigEndian(send, id);
        await socket.SendAsync(send.AsMemory(0, query.Length), SocketFlags.None, CancellationToken.None);
        if (!timeout.TryReset())
        {
            timeout.Dispose();
            timeout = new CancellationTokenSource();
        }

        timeout.CancelAfter(TimeSpan.FromSeconds(1));
        try
        {
            while (true)
            {
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                if (n >= 12 && BinaryPrimitives.ReadUInt16BigEndian(buffer) == id)
                {
                    break;
                }
            }

            Interlocked.Increment(ref answered);
        }
        catch (OperationCanceledException)
        {
            Interlocked.Increment(ref lost);
        }
    }

    timeout.Dispose();
}

int Arg(string name, int fallback)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
}

static byte[] Query(string name, ushort type)
{
    var buffer = new byte[300];
    BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(2), 0x0100);
    BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(4), 1);
    var n = 12;
    foreach (var label in name.Split('.'))
    {
        buffer[n++] = (byte)label.Length;
        foreach (var c in label)
        {
            buffer[n++] = (byte)c;
        }
    }

    buffer[n++] = 0;
    BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(n), type);
    BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(n + 2), 1);
    return buffer[..(n + 4)];
}
