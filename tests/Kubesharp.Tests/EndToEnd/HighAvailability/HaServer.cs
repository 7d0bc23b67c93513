using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using k8s;
using Kubesharp.Testing;

namespace Kubesharp.Tests.EndToEnd.HighAvailability;

/// <summary>
/// One <c>kubesharp server</c> of an HA control plane, as a child process: its own data directory, bound to its own
/// loopback address on the port the servers share, no agent and no DNS, short leader-election timings. Every line it
/// writes is kept, so that the test learns the leader-election identities of its controller manager and scheduler.
/// Killed by its PID (SIGKILL), never by name. Not thread-safe, except <see cref="Identity"/>.
/// </summary>
internal sealed partial class HaServer : IAsyncDisposable
{
    private const string PidName = "kubesharp-ha";
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);

    private readonly Process _process;
    private readonly List<string> _lines = [];

    private HaServer(Process process, string address, int port, string dataDir)
    {
        _process = process;
        Address = address;
        Port = port;
        DataDir = dataDir;
        DataReceivedEventHandler keep = (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_lines)
                {
                    _lines.Add(e.Data);
                }
            }
        };
        process.OutputDataReceived += keep;
        process.ErrorDataReceived += keep;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Address { get; }

    public int Port { get; }

    public string DataDir { get; }

    public string Url => $"https://{Address}:{Port}";

    public bool Killed { get; private set; }

    public string AdminKubeconfig => Path.Combine(DataDir, "admin.kubeconfig");

    /// <summary>Starts the server; call <see cref="WaitReadyAsync"/> before using it.</summary>
    public static HaServer Start(string binary, string address, int port, string datastore, string dataDir, TimeSpan leaseDuration, TimeSpan renewDeadline, TimeSpan retryPeriod)
    {
        var info = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            "server",
            "--data-dir", dataDir,
            "--datastore", datastore,
            "--bind-address", address,
            "--port", port.ToString(CultureInfo.InvariantCulture),
            "--disable-agent",
            "--disable-dns",
            "--scheduler-secure-port", "0",
            "--leader-elect-lease-duration", Go(leaseDuration),
            "--leader-elect-renew-deadline", Go(renewDeadline),
            "--leader-elect-retry-period", Go(retryPeriod),
        })
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {binary}");
        ChildProcesses.Record(process, PidName);
        return new HaServer(process, address, port, dataDir);
    }

    /// <summary>Waits until the server wrote its admin kubeconfig (it serves); throws with its output when it exits or takes too long.</summary>
    public async Task WaitReadyAsync()
    {
        var wait = Stopwatch.StartNew();
        while (!File.Exists(AdminKubeconfig))
        {
            if (_process.HasExited || wait.Elapsed > ReadyTimeout)
            {
                throw new InvalidOperationException($"kubesharp server at {Url} did not become ready (exited: {_process.HasExited}): {Output(40)}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>
    /// The identity this server's controller manager or scheduler campaigns with for the Lease
    /// <c>kube-system/<paramref name="leaseName"/></c> (from its log), or null before it campaigned.
    /// </summary>
    public string? Identity(string leaseName)
    {
        lock (_lines)
        {
            foreach (var line in _lines)
            {
                var match = Campaign().Match(line);
                if (match.Success && match.Groups[2].Value == leaseName)
                {
                    return match.Groups[1].Value;
                }
            }
        }

        return null;
    }

    /// <summary>An admin client of this server (through <paramref name="kubeconfig"/>'s credentials and CA), with a short timeout.</summary>
    public Kubernetes Client(string kubeconfig)
    {
        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig);
        config.Host = Url;
        config.HttpClientTimeout = TimeSpan.FromSeconds(10);
        return new Kubernetes(config);
    }

    /// <summary>The last <paramref name="count"/> lines the server wrote.</summary>
    public string Output(int count)
    {
        lock (_lines)
        {
            return string.Join(Environment.NewLine, _lines.Skip(Math.Max(0, _lines.Count - count)));
        }
    }

    /// <summary>SIGKILL, as a crash: no lease is released, no endpoint withdrawn.</summary>
    public async Task KillAsync()
    {
        if (Killed)
        {
            return;
        }

        Killed = true;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        ChildProcesses.Forget(_process.Id, PidName);
        _process.Dispose();
    }

    private static string Go(TimeSpan duration) => ((long)duration.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms";

    // The leader elector's "IDENTITY: attempting to acquire lease NAMESPACE/NAME".
    [GeneratedRegex(@"(\S+): attempting to acquire lease kube-system/(\S+)")]
    private static partial Regex Campaign();
}
