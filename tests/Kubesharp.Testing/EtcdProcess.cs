using System.Diagnostics;
using Kubesharp.Storage;
using Kubesharp.Storage.Etcd;

namespace Kubesharp.Testing;

/// <summary>
/// A private single-member etcd on free loopback ports with its own data directory, that a test can kill
/// and start again on the same ports and data. Killed by its PID, never by name.
/// </summary>
public sealed class EtcdProcess : IAsyncDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);

    private readonly string _binary;
    private readonly string _dataDir;
    private readonly Queue<string> _output = new();
    private Process? _process;

    private EtcdProcess(string binary, string dataDir, int clientPort, int peerPort)
    {
        _binary = binary;
        _dataDir = dataDir;
        ClientPort = clientPort;
        PeerPort = peerPort;
    }

    public int ClientPort { get; }

    public int PeerPort { get; }

    public string Endpoint => $"http://127.0.0.1:{ClientPort}";

    /// <summary>etcd from PATH, or null when it is not installed.</summary>
    public static string? FindBinary() => ChildProcesses.Which("etcd");

    /// <summary>Starts a new member and waits until it serves reads.</summary>
    public static async Task<EtcdProcess> StartNewAsync(string binary)
    {
        // Free ports are found by binding to port 0; another process may take one before etcd binds it, so a
        // member that fails to start is tried again on fresh ports.
        Exception? last = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var dataDir = Directory.CreateTempSubdirectory("kubesharp-etcd-").FullName;
            var etcd = new EtcdProcess(binary, dataDir, FreePorts.Next(), FreePorts.Next());
            try
            {
                await etcd.StartAsync();
                return etcd;
            }
            catch (InvalidOperationException e)
            {
                last = e;
                await etcd.DisposeAsync();
            }
        }

        throw new InvalidOperationException("etcd did not start after 3 attempts", last);
    }

    /// <summary>Starts (again) on the same ports and data directory and waits until it serves reads.</summary>
    public async Task StartAsync()
    {
        if (_process is not null)
        {
            throw new InvalidOperationException("etcd is already running");
        }

        var peer = $"http://127.0.0.1:{PeerPort}";
        var info = new ProcessStartInfo(_binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            "--name", "n1",
            "--data-dir", _dataDir,
            "--listen-client-urls", Endpoint,
            "--advertise-client-urls", Endpoint,
            "--listen-peer-urls", peer,
            "--initial-advertise-peer-urls", peer,
            "--initial-cluster", $"n1={peer}",
            "--heartbeat-interval", "10",
            "--election-timeout", "100",
            // Room for the largest value the store accepts plus its key (etcd's default is the value limit).
            "--max-request-bytes", "2097152",
            "--logger", "zap",
            "--log-level", "error",
        })
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("etcd did not start");
        process.OutputDataReceived += (_, e) => Remember(e.Data);
        process.ErrorDataReceived += (_, e) => Remember(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        ChildProcesses.Record(process, "etcd");

        await WaitReadyAsync(process);
    }

    /// <summary>Kills the member (SIGKILL, as a crash) and waits until it is gone.</summary>
    public async Task KillAsync()
    {
        if (_process is not { } process)
        {
            return;
        }

        _process = null;
        await ChildProcesses.KillAsync(process, "etcd");
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
            // Left in the temp directory; not worth failing a test run for.
        }
    }

    private async Task WaitReadyAsync(Process process)
    {
        var options = new EtcdStoreOptions { Endpoints = Endpoint, RequestTimeout = TimeSpan.FromSeconds(1), RetryTimeout = TimeSpan.FromMilliseconds(200) };
        await using var probe = new EtcdStore(options);
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"etcd exited with code {process.ExitCode} during start: {Output()}");
            }

            try
            {
                await probe.GetCurrentRevisionAsync();
                return;
            }
            catch (StoreException) when (stopwatch.Elapsed < ReadyTimeout)
            {
                await Task.Delay(20);
            }
            catch (StoreException e)
            {
                await KillAsync();
                throw new InvalidOperationException($"etcd did not answer within {ReadyTimeout.TotalSeconds} s: {Output()}", e);
            }
        }
    }

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Enqueue(line);
            if (_output.Count > 30)
            {
                _output.Dequeue();
            }
        }
    }

    private string Output()
    {
        lock (_output)
        {
            return string.Join('\n', _output);
        }
    }
}
