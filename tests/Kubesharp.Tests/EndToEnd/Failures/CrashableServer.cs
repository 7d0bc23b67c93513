using System.Diagnostics;
using System.Globalization;
using k8s;
using Kubesharp.Testing;

namespace Kubesharp.Tests.EndToEnd.Failures;

/// <summary>
/// <c>kubesharp server --disable-agent</c> on a fixed loopback port and data directory that a test can kill with
/// SIGKILL (a crash: no shutdown code runs) and start again on the same port and data. The process is recorded in
/// <c>$KUBESHARP_TEST_PIDDIR</c> and killed by its PID on dispose; the data directory is the caller's.
/// Not thread-safe: one owner starts, kills and disposes it.
/// </summary>
internal sealed class CrashableServer : IAsyncDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);

    private readonly string _binary;
    private readonly IReadOnlyList<string> _extraArgs;
    private KubesharpProcess? _process;

    public CrashableServer(string binary, string dataDir, IReadOnlyList<string> extraArgs)
    {
        _binary = binary;
        DataDir = dataDir;
        _extraArgs = extraArgs;
        Port = FreePorts.Next();
    }

    public string DataDir { get; }

    public int Port { get; }

    public string AdminKubeconfig => Path.Combine(DataDir, "admin.kubeconfig");

    /// <summary>The PID of the running server process; 0 when none runs.</summary>
    public int Pid => _process?.Pid ?? 0;

    /// <summary>
    /// The kubesharp binary: <c>KUBESHARP_BIN</c>, else the one built beside the tests; null when neither exists.
    /// </summary>
    public static string? FindBinary()
    {
        var configured = Environment.GetEnvironmentVariable("KUBESHARP_BIN");
        if (!string.IsNullOrEmpty(configured))
        {
            return File.Exists(configured) ? configured : null;
        }

        var besideTests = Path.Combine(AppContext.BaseDirectory, "kubesharp");
        return File.Exists(besideTests) ? besideTests : null;
    }

    /// <summary>Starts the server (first start or restart) and returns once <c>/readyz</c> answers 200.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_process is not null)
        {
            throw new InvalidOperationException("the server is already running");
        }

        string[] args =
        [
            "server", "--data-dir", DataDir, "--port", Port.ToString(CultureInfo.InvariantCulture), "--bind-address", "127.0.0.1",
            // Nothing on fixed ports that other servers on this machine may hold.
            "--disable-agent", "--disable-dns", "--scheduler-secure-port", "0",
            .. _extraArgs,
        ];
        _process = KubesharpProcess.Start(_binary, "server", args);
        var wait = Stopwatch.StartNew();
        while (!await IsReadyAsync(cancellationToken))
        {
            if (_process.HasExited || wait.Elapsed > ReadyTimeout)
            {
                var lines = _process.LastLines();
                await KillAsync();
                throw new InvalidOperationException($"kubesharp server did not become ready within {ReadyTimeout.TotalSeconds} s: {lines}");
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>SIGKILL to the server's PID (Process.Kill sends SIGKILL on Linux); returns once it is gone.</summary>
    public async Task KillAsync()
    {
        if (_process is { } process)
        {
            _process = null;
            await process.DisposeAsync();
        }
    }

    /// <summary>The server's last output lines, for failure messages.</summary>
    public string LastLines() => _process?.LastLines() ?? "(not running)";

    /// <summary>A client with the admin kubeconfig (cluster-admin).</summary>
    public Kubernetes NewClient()
    {
        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(AdminKubeconfig);
        config.HttpClientTimeout = TimeSpan.FromSeconds(20);
        return new Kubernetes(config);
    }

    public ValueTask DisposeAsync() => new(KillAsync());

    private async Task<bool> IsReadyAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(AdminKubeconfig))
        {
            return false;
        }

        using var client = NewClient();
        try
        {
            using var response = await client.HttpClient.GetAsync(new Uri(client.BaseUri, "readyz"), cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }
}
