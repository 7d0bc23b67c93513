using System.Diagnostics;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Kubesharp.Tests.EndToEnd.HighAvailability;

/// <summary>
/// A steady load of writes: one writer creates ConfigMaps <c>load-0</c>, <c>load-1</c>, ... in <c>default</c>, each
/// attempt on the next server in turn, and records every acknowledged name with the server that acknowledged it.
/// A failed attempt (connection refused or reset, timeout, 5xx) is retried on the next server with the same name; a
/// retry answered 409 AlreadyExists means the earlier attempt was applied after all, and counts as acknowledged.
/// </summary>
internal sealed class WriteLoad : IAsyncDisposable
{
    private readonly IReadOnlyList<Kubernetes> _clients;
    private readonly string _label;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Acknowledgement> _acknowledged = [];
    private Task? _run;
    private int _failures;
    private TimeSpan _longestPause;

    private WriteLoad(IReadOnlyList<Kubernetes> clients, string label)
    {
        _clients = clients;
        _label = label;
    }

    public sealed record Acknowledgement(string Name, int Server, DateTimeOffset At);

    public IReadOnlyList<Acknowledgement> Acknowledged
    {
        get
        {
            lock (_acknowledged)
            {
                return [.. _acknowledged];
            }
        }
    }

    public int Failures => Volatile.Read(ref _failures);

    /// <summary>The longest time between two acknowledgements.</summary>
    public TimeSpan LongestPause => _longestPause;

    public static WriteLoad Start(IReadOnlyList<Kubernetes> clients, string label)
    {
        var load = new WriteLoad(clients, label);
        load._run = Task.Run(load.RunAsync);
        return load;
    }

    public IReadOnlyList<Acknowledgement> AcknowledgedAfter(DateTimeOffset time) => [.. Acknowledged.Where(a => a.At > time)];

    /// <summary>Whether a failed request may have been caused by a server or etcd member going away (so: retry).</summary>
    public static bool IsTransient(Exception e) => e switch
    {
        HttpRequestException or TaskCanceledException or IOException => true,
        HttpOperationException h => (int)h.Response.StatusCode >= 500 || h.Response.StatusCode == HttpStatusCode.TooManyRequests,
        _ => false,
    };

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        if (_run is not null)
        {
            await _run;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        var attempt = 0;
        var retrying = false;
        var last = Stopwatch.GetTimestamp();
        for (var i = 0; !_stop.IsCancellationRequested;)
        {
            var server = attempt++ % _clients.Count;
            var name = $"load-{i}";
            var map = new V1ConfigMap
            {
                Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { [_label] = "1" } },
                Data = new Dictionary<string, string> { ["n"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            };
            try
            {
                // Not cancelled by the stop: an attempt in flight ends with a known outcome.
                await _clients[server].CoreV1.CreateNamespacedConfigMapAsync(map, "default");
            }
            catch (HttpOperationException e) when (retrying && e.Response.StatusCode == HttpStatusCode.Conflict)
            {
                // The earlier attempt whose outcome was unknown was applied.
            }
            catch (Exception e) when (IsTransient(e))
            {
                Interlocked.Increment(ref _failures);
                retrying = true;
                await Task.Delay(100, CancellationToken.None);
                continue;
            }

            var pause = Stopwatch.GetElapsedTime(last);
            last = Stopwatch.GetTimestamp();
            if (pause > _longestPause)
            {
                _longestPause = pause;
            }

            lock (_acknowledged)
            {
                _acknowledged.Add(new Acknowledgement(name, server, DateTimeOffset.UtcNow));
            }

            retrying = false;
            i++;
        }
    }
}
