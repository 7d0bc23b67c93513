namespace Kubesharp.Controllers.DaemonSet;

/// <summary>
/// client-go's <c>flowcontrol.Backoff</c> as the DaemonSet controller uses it for failed daemon pods (1 s doubling
/// to 15 min, per DaemonSet UID, observed generation and node): a kubelet that keeps refusing a pod is not fought
/// in a hot loop. An entry idle for twice the maximum starts over. Thread-safe.
/// </summary>
internal sealed class FailedPodBackoff(TimeProvider time, TimeSpan initial, TimeSpan max)
{
    public static readonly TimeSpan DefaultInitial = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan DefaultMax = TimeSpan.FromMinutes(15);

    private readonly Lock _lock = new();
    private readonly Dictionary<string, (TimeSpan Delay, DateTimeOffset LastUpdate)> _entries = new(StringComparer.Ordinal);

    public TimeProvider Time => time;

    /// <summary>The current delay of <paramref name="key"/>, zero when it has none.</summary>
    public TimeSpan Get(string key)
    {
        lock (_lock)
        {
            return _entries.TryGetValue(key, out var e) ? e.Delay : TimeSpan.Zero;
        }
    }

    /// <summary>Upstream's <c>IsInBackOffSinceUpdate</c>: less than the current delay has passed since the last <see cref="Next"/>.</summary>
    public bool IsInBackoffSinceUpdate(string key, DateTimeOffset now)
    {
        lock (_lock)
        {
            return _entries.TryGetValue(key, out var e) && !Expired(e.LastUpdate, now) && now - e.LastUpdate < e.Delay;
        }
    }

    /// <summary>Upstream's <c>Next</c>: starts at the initial delay, else doubles up to the maximum.</summary>
    public void Next(string key, DateTimeOffset now)
    {
        lock (_lock)
        {
            var delay = _entries.TryGetValue(key, out var e) && !Expired(e.LastUpdate, now)
                ? TimeSpan.FromTicks(Math.Min(e.Delay.Ticks * 2, max.Ticks))
                : initial;
            _entries[key] = (delay, now);
        }
    }

    /// <summary>Upstream's <c>GC</c>: forgets entries idle for twice the maximum.</summary>
    public void Collect()
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            foreach (var key in _entries.Where(kv => Expired(kv.Value.LastUpdate, now)).Select(kv => kv.Key).ToList())
            {
                _entries.Remove(key);
            }
        }
    }

    private bool Expired(DateTimeOffset lastUpdate, DateTimeOffset now) => now - lastUpdate > 2 * max;
}
