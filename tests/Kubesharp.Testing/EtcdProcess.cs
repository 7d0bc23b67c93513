using System.Diagnostics;
using System.Net.Sockets;
using System.Globalization;

namespace Kubesharp.Testing;

/// <summary>
/// A real single-member etcd (Debian's etcd-server) on free loopback ports with its own data directory,
/// started for a test or a benchmark and stopped by its PID. Short heartbeat and election timeouts make
/// it ready in well under a second (notes/RUNTIME.md).
/// </summary>
public sealed class EtcdProcess : IAsyncDisposable
{
    private Process? _process;

    private EtcdProcess(string binary, string dataDir, int clientPort, int peerPort)
    {
        Binary = binary;
        DataDir = dataDir;
        ClientPort = clientPort;
        PeerPort = peerPort;
    }

    public string Binary { get; }

    public string DataDir { get; }

    public int ClientPort { get; }

    public int PeerPort { get; }

    public string Endpoint => $"http://127.0.0.1:{ClientPort}";

    public int? Pid => _process?.Id;

    /// <summary>The etcd binary, or null when etcd is not installed.</summary>
    public static string? FindBinary() => ChildProcesses.Which("etcd");

    /// <summary>Starts etcd and waits until its client port accepts connections (bounded).</summary>
    public static async Task<EtcdProcess> StartAsync(string? binary = null, CancellationToken cancellationToken = default)
    {
        binary ??= FindBinary() ?? throw new InvalidOperationException("etcd is not installed (Debian package etcd-server)");
        var dataDir = Path.Combine(Path.GetTempPath(), "kubesharp-etcd-" + Guid.NewGuid().ToString("N"));
        var etcd = new EtcdProcess(binary, dataDir, FreePorts.Next(), FreePorts.Next());
        await etcd.StartProcessAsync(cancellationToken);
        return etcd;
    }

    /// <summary>Starts the same member again (same ports, same data) after <see cref="KillAsync"/>.</summary>
    public Task RestartAsync(CancellationToken cancellationToken = default) => StartProcessAsync(cancellationToken);

    /// <summary>SIGKILLs the member; its data stays for a restart.</summary>
    public async Task KillAsync()
    {
        if (_process is { } p)
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
            }

            await p.WaitForExitAsync();
            ChildProcesses.Forget(p.Id, "etcd");
            p.Dispose();
            _process = null;
        }
    }

    private async Task StartProcessAsync(CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(Binary)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var peer = $"http://127.0.0.1:{PeerPort}";
        foreach (var arg in new[]
        {
            "--name", "kubesharp-test",
            "--data-dir", DataDir,
            "--listen-client-urls", Endpoint,
            "--advertise-client-urls", Endpoint,
            "--listen-peer-urls", peer,
            "--initial-advertise-peer-urls", peer,
            "--initial-cluster", $"kubesharp-test={peer}",
            "--heartbeat-interval", "10",
            "--election-timeout", "100",
            "--logger", "zap",
            "--log-level", "error",
            "--quota-backend-bytes", (4L * 1024 * 1024 * 1024).ToString(CultureInfo.InvariantCulture),
        })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start etcd");
        ChildProcesses.Record(process, "etcd");
        _process = process;
        // Drain its output so that a chatty etcd never blocks on a full pipe.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"etcd exited with {process.ExitCode} while starting on port {ClientPort}");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", ClientPort, timeout.Token);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(20, timeout.Token);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
