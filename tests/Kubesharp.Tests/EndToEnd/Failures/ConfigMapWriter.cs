using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Kubesharp.Tests.EndToEnd.Failures;

/// <summary>What a write was.</summary>
internal enum WriteKind
{
    Create,
    Update,
    Delete,
}

/// <summary>
/// A write the server acknowledged (answered with success): the ConfigMap, the value of its <c>data.v</c> after the
/// write (null for a delete) and the resourceVersion the answer carried. <paramref name="Epoch"/> counts the server
/// kills that had happened when the answer arrived.
/// </summary>
internal sealed record AckedWrite(int Writer, string Name, WriteKind Kind, string? Value, long ResourceVersion, int Epoch);

/// <summary>
/// One writer of a steady load: in its own ConfigMaps (<c>w{id}-{n}</c>) it creates one, updates it three times
/// (each update conditional on the resourceVersion it last saw), deletes every second one, and moves on, until
/// stopped. A write whose answer never came (the server died, or was down) has an unknown outcome: the writer reads
/// the object back to learn whether it happened, and repeats it if not, so that it always knows the exact state of
/// its objects (<see cref="Expected"/>). Every acknowledged write is recorded in <see cref="Acks"/>.
/// Single-threaded: <see cref="RunAsync"/> is its only loop; read the results after it has returned.
/// </summary>
internal sealed class ConfigMapWriter(int id, string ns, Func<Kubernetes> newClient, Func<int> epoch)
{
    private const int UpdatesPerObject = 3;
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(50);

    private readonly Kubernetes _client = newClient();
    private CancellationToken _abort;
    private int _ackCount;

    public List<AckedWrite> Acks { get; } = [];

    /// <summary>How many writes were acknowledged so far; safe to read while the writer runs.</summary>
    public int AckCount => Volatile.Read(ref _ackCount);

    /// <summary>The writer's objects as they must be now: name to (data.v, resourceVersion), null for a deleted one.</summary>
    public Dictionary<string, (string Value, long ResourceVersion)?> Expected { get; } = new(StringComparer.Ordinal);

    /// <summary>Requests that failed without an answer (connection refused or reset, timeout) or with a 5xx/429.</summary>
    public int FailedRequests { get; private set; }

    /// <summary>Writes whose outcome was unknown and that the read-back found done.</summary>
    public int AppliedWithoutAck { get; private set; }

    /// <summary>Writes until <paramref name="stop"/> is cancelled; the write in progress is finished first.</summary>
    public async Task RunAsync(CancellationToken stop, CancellationToken abort)
    {
        _abort = abort;
        try
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var name = $"w{id}-{n}";
                await CreateAsync(name, abort);
                for (var u = 1; u <= UpdatesPerObject && !stop.IsCancellationRequested; u++)
                {
                    await UpdateAsync(name, u.ToString(System.Globalization.CultureInfo.InvariantCulture), abort);
                }

                if (n % 2 == 1 && !stop.IsCancellationRequested)
                {
                    await DeleteAsync(name, abort);
                }
            }
        }
        finally
        {
            _client.Dispose();
        }
    }

    private async Task CreateAsync(string name, CancellationToken abort)
    {
        while (true)
        {
            try
            {
                var created = await _client.CoreV1.CreateNamespacedConfigMapAsync(NewConfigMap(name, "0", null), ns, cancellationToken: abort);
                Ack(name, WriteKind.Create, created);
                return;
            }
            catch (Exception e) when (IsUnknownOutcome(e) || IsStatus(e, HttpStatusCode.Conflict))
            {
                // 409 AlreadyExists: an earlier attempt whose answer was lost did create it.
                if (await ReadBackAsync(name, "0", abort))
                {
                    return;
                }
            }
        }
    }

    private async Task UpdateAsync(string name, string value, CancellationToken abort)
    {
        while (true)
        {
            var (_, rv) = Expected[name] ?? throw new InvalidOperationException($"{name} is not expected to exist");
            try
            {
                var updated = await _client.CoreV1.ReplaceNamespacedConfigMapAsync(NewConfigMap(name, value, rv), name, ns, cancellationToken: abort);
                Ack(name, WriteKind.Update, updated);
                return;
            }
            catch (Exception e) when (IsUnknownOutcome(e) || IsStatus(e, HttpStatusCode.Conflict))
            {
                // 409 Conflict: the resourceVersion moved, so an earlier attempt whose answer was lost did update it.
                if (await ReadBackAsync(name, value, abort))
                {
                    return;
                }
            }
        }
    }

    private async Task DeleteAsync(string name, CancellationToken abort)
    {
        while (true)
        {
            var (_, rv) = Expected[name] ?? throw new InvalidOperationException($"{name} is not expected to exist");
            try
            {
                var options = new V1DeleteOptions { Preconditions = new V1Preconditions { ResourceVersion = rv.ToString(System.Globalization.CultureInfo.InvariantCulture) } };
                await _client.CoreV1.DeleteNamespacedConfigMapAsync(name, ns, options, cancellationToken: abort);
                Expected[name] = null;
                Acks.Add(new AckedWrite(id, name, WriteKind.Delete, null, 0, epoch()));
                Interlocked.Increment(ref _ackCount);
                return;
            }
            catch (Exception e) when (IsUnknownOutcome(e) || IsStatus(e, HttpStatusCode.NotFound))
            {
                if (await ReadBackAsync(name, null, abort))
                {
                    return;
                }
            }
        }
    }

    /// <summary>
    /// Reads <paramref name="name"/> back after a write of unknown outcome: true (and <see cref="Expected"/> updated)
    /// when the write happened, i.e. the object holds <paramref name="value"/> (is gone, for a null value); false when
    /// the object is as it was before the write, which is then to be repeated. Anything else is a lost or foreign write.
    /// </summary>
    private async Task<bool> ReadBackAsync(string name, string? value, CancellationToken abort)
    {
        while (true)
        {
            await Task.Delay(RetryDelay, abort);
            V1ConfigMap? current;
            try
            {
                current = await _client.CoreV1.ReadNamespacedConfigMapAsync(name, ns, cancellationToken: abort);
            }
            catch (Exception e) when (IsStatus(e, HttpStatusCode.NotFound))
            {
                current = null;
            }
            catch (Exception e) when (IsUnknownOutcome(e))
            {
                continue;
            }

            var before = Expected.GetValueOrDefault(name);
            (string Value, long ResourceVersion)? now = current is null
                ? null
                : (current.Data?["v"] ?? "", long.Parse(current.Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture));
            var done = value is null ? now is null : now?.Value == value;
            if (done)
            {
                AppliedWithoutAck++;
                Expected[name] = now;
                return true;
            }

            if (now == before)
            {
                return false;
            }

            throw new InvalidOperationException($"writer {id}: {name} is {Describe(now)} after a write of {value ?? "(delete)"} of unknown outcome; it was {Describe(before)} before");
        }
    }

    private void Ack(string name, WriteKind kind, V1ConfigMap answer)
    {
        var rv = long.Parse(answer.Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture);
        var value = answer.Data["v"];
        Expected[name] = (value, rv);
        Acks.Add(new AckedWrite(id, name, kind, value, rv, epoch()));
        Interlocked.Increment(ref _ackCount);
    }

    /// <summary>True for a failure that leaves the write's outcome unknown (no answer, or a server error).</summary>
    private bool IsUnknownOutcome(Exception e)
    {
        // A timeout is an OperationCanceledException too; only the test's own abort is not retried.
        var unknown = e is HttpRequestException or IOException || (e is OperationCanceledException && !_abort.IsCancellationRequested)
            || (e is HttpOperationException h && ((int)h.Response.StatusCode >= 500 || h.Response.StatusCode == HttpStatusCode.TooManyRequests));
        if (unknown)
        {
            FailedRequests++;
        }

        return unknown;
    }

    private static bool IsStatus(Exception e, HttpStatusCode code) => e is HttpOperationException h && h.Response.StatusCode == code;

    private static string Describe((string Value, long ResourceVersion)? state) => state is { } s ? $"v={s.Value} rv={s.ResourceVersion}" : "absent";

    private static V1ConfigMap NewConfigMap(string name, string value, long? resourceVersion) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            ResourceVersion = resourceVersion?.ToString(System.Globalization.CultureInfo.InvariantCulture),
        },
        Data = new Dictionary<string, string> { ["v"] = value },
    };
}
