namespace Kubesharp.Kubelet.Pods;

/// <summary>
/// Per-key exponential back-off as upstream's <c>flowcontrol.Backoff</c>: the first <see cref="Next"/> gives the initial
/// delay, each further one doubles it up to the maximum; an entry untouched for twice the maximum starts over. The
/// kubelet keys it by container (restarts: CrashLoopBackOff) and by image (pulls: ImagePullBackOff).
/// </summary>
public sealed class Backoff(TimeSpan initial, TimeSpan max, TimeProvider time)
{
    private readonly Dictionary<string, (TimeSpan Delay, DateTimeOffset LastUpdate)> _entries = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>Whether <paramref name="key"/> is still backing off from an event at <paramref name="eventTime"/>.</summary>
    public bool IsInBackOffSince(string key, DateTimeOffset eventTime)
    {
        lock (_lock)
        {
            var now = time.GetUtcNow();
            if (!_entries.TryGetValue(key, out var entry) || Expired(entry.LastUpdate, now))
            {
                return false;
            }

            return now - eventTime < entry.Delay;
        }
    }

    /// <summary>Whether <paramref name="key"/> is still backing off from its last <see cref="Next"/> (image pulls).</summary>
    public bool IsInBackOffSinceUpdate(string key)
    {
        lock (_lock)
        {
            var now = time.GetUtcNow();
            return _entries.TryGetValue(key, out var entry) && !Expired(entry.LastUpdate, now) && now - entry.LastUpdate < entry.Delay;
        }
    }

    /// <summary>When the back-off of <paramref name="key"/> from <paramref name="eventTime"/> ends; null when not backing off.</summary>
    public DateTimeOffset? Until(string key, DateTimeOffset eventTime)
    {
        lock (_lock)
        {
            return _entries.TryGetValue(key, out var entry) && !Expired(entry.LastUpdate, time.GetUtcNow()) ? eventTime + entry.Delay : null;
        }
    }

    /// <summary>The current delay of <paramref name="key"/>; zero when it has none.</summary>
    public TimeSpan Get(string key)
    {
        lock (_lock)
        {
            return _entries.TryGetValue(key, out var entry) ? entry.Delay : TimeSpan.Zero;
        }
    }

    /// <summary>Records an attempt now: the first gives the initial delay, each following doubles it (capped).</summary>
    public void Next(string key)
    {
        lock (_lock)
        {
            var now = time.GetUtcNow();
            _entries[key] = !_entries.TryGetValue(key, out var entry) || Expired(entry.LastUpdate, now)
                ? (initial, now)
                : (TimeSpan.FromTicks(Math.Min(entry.Delay.Ticks * 2, max.Ticks)), now);
        }
    }

    public void Reset(string key)
    {
        lock (_lock)
        {
            _entries.Remove(key);
        }
    }

    /// <summary>Forgets the keys that start with <paramref name="prefix"/> (a pod that is gone).</summary>
    public void ForgetPrefix(string prefix)
    {
        lock (_lock)
        {
            foreach (var key in _entries.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToList())
            {
                _entries.Remove(key);
            }
        }
    }

    private bool Expired(DateTimeOffset lastUpdate, DateTimeOffset now) => now - lastUpdate > 2 * max;
}
