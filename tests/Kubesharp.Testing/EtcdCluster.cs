using System.Diagnostics;
using Kubesharp.Storage;
using Kubesharp.Storage.Etcd;

namespace Kubesharp.Testing;

/// <summary>
/// A private etcd cluster of several members on free loopback ports, each with its own data directory, for tests
/// of a highly available control plane. A member can be killed (SIGKILL, by its PID) and the others keep serving
/// while a majority lives. Not thread-safe: one owner starts, kills and disposes it.
/// </summary>
public sealed class EtcdCluster : IAsyncDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    private readonly List<Member> _members;

    private EtcdCluster(List<Member> members) => _members = members;

    /// <summary>The members' client URLs, in member order.</summary>
    public IReadOnlyList<string> Endpoints => [.. _members.Select(m => m.ClientUrl)];

    /// <summary>The <c>--datastore</c> value of a kubesharp server on this cluster: <c>etcd://127.0.0.1:P1,...</c>.</summary>
    public string Datastore => "etcd://" + string.Join(',', _members.Select(m => $"127.0.0.1:{m.ClientPort}"));

    public int Count => _members.Count;

    /// <summary>Whether member <paramref name="index"/> still runs (not killed).</summary>
    public bool IsRunning(int index) => _members[index].Process is { HasExited: false };

    /// <summary>Starts <paramref name="size"/> members as one new cluster and waits until each serves reads.</summary>
    public static async Task<EtcdCluster> StartAsync(string binary, int size = 3)
    {
        var members = Enumerable.Range(0, size).Select(i => new Member($"m{i}", Directory.CreateTempSubdirectory("kubesharp-etcd-").FullName, FreePorts.Next(), FreePorts.Next())).ToList();
        var cluster = new EtcdCluster(members);
        var initial = string.Join(',', members.Select(m => $"{m.Name}={m.PeerUrl}"));
        // One token for the members of this cluster (the cluster id derives from it), unique per cluster.
        var token = "kubesharp-test-" + Guid.NewGuid().ToString("N")[..12];
        try
        {
            foreach (var member in members)
            {
                member.Start(binary, initial, token);
            }

            await Task.WhenAll(members.Select(cluster.WaitReadyAsync));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The index of the member that is the raft leader now, asked of the living members (each reports the leader's
    /// member id); null when none answers.
    /// </summary>
    public async Task<int?> FindLeaderAsync()
    {
        foreach (var member in _members.Where(m => m.Process is { HasExited: false }))
        {
            try
            {
                using var client = new dotnet_etcd.EtcdClient(member.ClientUrl);
                var status = await client.StatusAsync(new Etcdserverpb.StatusRequest(), deadline: DateTime.UtcNow.AddSeconds(2));
                var leader = status.Leader;
                foreach (var candidate in _members.Where(m => m.Process is { HasExited: false }))
                {
                    using var other = new dotnet_etcd.EtcdClient(candidate.ClientUrl);
                    var own = await other.StatusAsync(new Etcdserverpb.StatusRequest(), deadline: DateTime.UtcNow.AddSeconds(2));
                    if (own.Header.MemberId == leader)
                    {
                        return _members.IndexOf(candidate);
                    }
                }
            }
            catch (Grpc.Core.RpcException)
            {
                // This member does not answer: ask the next.
            }
        }

        return null;
    }

    /// <summary>Kills member <paramref name="index"/> (SIGKILL, as a crash) and waits until it is gone.</summary>
    public Task KillAsync(int index) => _members[index].KillAsync();

    public async ValueTask DisposeAsync()
    {
        foreach (var member in _members)
        {
            await member.KillAsync();
            try
            {
                Directory.Delete(member.DataDir, recursive: true);
            }
            catch (IOException)
            {
                // Left in the temp directory; not worth failing a test run for.
            }
        }
    }

    private async Task WaitReadyAsync(Member member)
    {
        var options = new EtcdStoreOptions { Endpoints = member.ClientUrl, RequestTimeout = TimeSpan.FromSeconds(1), RetryTimeout = TimeSpan.FromMilliseconds(200) };
        await using var probe = new EtcdStore(options);
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            if (member.Process is not { HasExited: false })
            {
                throw new InvalidOperationException($"etcd member {member.Name} exited during start: {member.Output()}");
            }

            try
            {
                await probe.GetCurrentRevisionAsync();
                return;
            }
            catch (StoreException) when (stopwatch.Elapsed < ReadyTimeout)
            {
                await Task.Delay(50);
            }
            catch (StoreException e)
            {
                throw new InvalidOperationException($"etcd member {member.Name} did not answer within {ReadyTimeout.TotalSeconds} s: {member.Output()}", e);
            }
        }
    }

    private sealed class Member(string name, string dataDir, int clientPort, int peerPort)
    {
        private readonly Queue<string> _output = new();

        public string Name { get; } = name;

        public string DataDir { get; } = dataDir;

        public int ClientPort { get; } = clientPort;

        public string ClientUrl => $"http://127.0.0.1:{ClientPort}";

        public string PeerUrl => $"http://127.0.0.1:{peerPort}";

        public Process? Process { get; private set; }

        public void Start(string binary, string initialCluster, string clusterToken)
        {
            var info = new ProcessStartInfo(binary)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[]
            {
                "--name", Name,
                "--data-dir", DataDir,
                "--listen-client-urls", ClientUrl,
                "--advertise-client-urls", ClientUrl,
                "--listen-peer-urls", PeerUrl,
                "--initial-advertise-peer-urls", PeerUrl,
                "--initial-cluster", initialCluster,
                "--initial-cluster-state", "new",
                "--initial-cluster-token", clusterToken,
                // Short enough that a killed leader is replaced within about a second; long enough that a busy
                // 2-core machine does not make members time each other out.
                "--heartbeat-interval", "100",
                "--election-timeout", "1000",
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
            Process = process;
            ChildProcesses.Record(process, "etcd");
        }

        public async Task KillAsync()
        {
            if (Process is not { } process)
            {
                return;
            }

            Process = null;
            await ChildProcesses.KillAsync(process, "etcd");
        }

        public string Output()
        {
            lock (_output)
            {
                return string.Join('\n', _output);
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
    }
}
