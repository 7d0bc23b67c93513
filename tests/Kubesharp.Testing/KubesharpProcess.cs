using System.Diagnostics;
using System.Globalization;

namespace Kubesharp.Testing;

/// <summary>
/// The <c>kubesharp</c> binary as a child process of a benchmark: the API server alone, or one component
/// (<c>kubesharp scheduler</c>, ...). Its PID is recorded (<see cref="ChildProcesses"/>) and it is killed by
/// PID on dispose. Its output is drained, and copied to stderr with a prefix when <c>KUBESHARP_BENCH_LOG=1</c>
/// (the figures are measured without it); the last lines are kept for the error of a process that exits early.
/// Not thread-safe: one owner starts, reads and disposes it.
/// </summary>
public sealed class KubesharpProcess : IAsyncDisposable
{
    private const string PidName = "kubesharp-bench";
    private const int KeptLines = 40;
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly Queue<string> _lastLines = new();
    private bool _disposed;

    private KubesharpProcess(Process process, string name)
    {
        _process = process;
        Name = name;
        var echo = Environment.GetEnvironmentVariable("KUBESHARP_BENCH_LOG") == "1";
        DataReceivedEventHandler drain = (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (_lastLines)
            {
                _lastLines.Enqueue(e.Data);
                if (_lastLines.Count > KeptLines)
                {
                    _lastLines.Dequeue();
                }
            }

            if (echo)
            {
                Console.Error.WriteLine($"[{Name}] {e.Data}");
            }

            LineReceived?.Invoke(e.Data);
        };
        process.OutputDataReceived += drain;
        process.ErrorDataReceived += drain;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Name { get; }

    /// <summary>Each line the process writes (stdout or stderr), on a reader thread; e.g. for a benchmark that reads a component's trace.</summary>
    public event Action<string>? LineReceived;

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The API server's port (0 for a component).</summary>
    public int Port { get; private init; }

    /// <summary>The server's data directory (null for a component); the caller owns and deletes it.</summary>
    public string? DataDir { get; private init; }

    public string AdminKubeconfig => Path.Combine(DataDir ?? throw new InvalidOperationException("not a server"), "admin.kubeconfig");

    /// <summary>
    /// <c>kubesharp server</c> on SQLite in <paramref name="dataDir"/> on a free port, without its agent, controller
    /// manager and scheduler (the API server alone); returns once the admin kubeconfig is written (the server is ready).
    /// </summary>
    public static Task<KubesharpProcess> StartApiServerAsync(string binary, string dataDir) =>
        StartServerAsync(binary, dataDir, ["--disable-agent", "--disable-controller-manager", "--disable-scheduler"]);

    /// <summary>
    /// <c>kubesharp server</c> on SQLite in <paramref name="dataDir"/> on a free port with <paramref name="extraArgs"/>
    /// (e.g. <c>--disable-agent</c>); returns once the admin kubeconfig is written (the server is ready).
    /// </summary>
    public static async Task<KubesharpProcess> StartServerAsync(string binary, string dataDir, IEnumerable<string> extraArgs)
    {
        var port = FreePorts.Next();
        // Ready means the kubeconfig is written: one left by an earlier run on this data directory must not count.
        if (File.Exists(Path.Combine(dataDir, "admin.kubeconfig")))
        {
            File.Delete(Path.Combine(dataDir, "admin.kubeconfig"));
        }
        var server = new KubesharpProcess(Launch(binary, ["server", "--data-dir", dataDir, "--port", port.ToString(CultureInfo.InvariantCulture), .. extraArgs]), "server")
        {
            Port = port,
            DataDir = dataDir,
        };
        var wait = Stopwatch.StartNew();
        while (!File.Exists(server.AdminKubeconfig))
        {
            if (server.HasExited || wait.Elapsed > ReadyTimeout)
            {
                var exit = server.HasExited ? server._process.ExitCode : -1;
                var lines = server.LastLines();
                await server.DisposeAsync();
                throw new InvalidOperationException($"kubesharp server did not become ready (exit {exit}): {lines}");
            }

            await Task.Delay(50);
        }

        return server;
    }

    /// <summary>Starts <c>kubesharp <paramref name="args"/></c>, e.g. <c>scheduler --kubeconfig FILE</c>, without waiting for anything.</summary>
    public static KubesharpProcess Start(string binary, string name, IEnumerable<string> args) => new(Launch(binary, args), name);

    /// <summary>The last lines the process wrote, for an error message.</summary>
    public string LastLines()
    {
        lock (_lastLines)
        {
            return string.Join(Environment.NewLine, _lastLines);
        }
    }

    private static Process Launch(string binary, IEnumerable<string> args)
    {
        var process = Process.Start(new ProcessStartInfo(binary, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException($"could not start {binary}");
        ChildProcesses.Record(process, PidName);
        return process;
    }

    /// <summary>Kills the process (by its PID, with its children) and waits for it to exit; idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        ChildProcesses.Forget(_process.Id, PidName);
        _process.Dispose();
    }
}
