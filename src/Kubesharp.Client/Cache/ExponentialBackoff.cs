namespace Kubesharp.Client.Cache;

/// <summary>
/// Exponential back-off with jitter, as client-go's <c>ExponentialBackoffManager</c> for reflectors:
/// each <see cref="Next"/> doubles the previous step up to <c>max</c>, adds up to <c>jitter</c> times the
/// step at random, and starts again from <c>initial</c> when no back-off was asked for during
/// <c>resetAfter</c>. Time and randomness are injected. Not thread-safe: one owner (a reflector loop).
/// </summary>
public sealed class ExponentialBackoff(TimeSpan initial, TimeSpan max, double factor, double jitter, TimeSpan resetAfter, TimeProvider time, Random random)
{
    private TimeSpan _step;
    private DateTimeOffset _lastAsked = DateTimeOffset.MinValue;

    /// <summary>client-go's reflector defaults: 800 ms, doubling to 30 s, jitter 1.0, reset after 2 min of calm.</summary>
    public static ExponentialBackoff ForReflector(TimeProvider time, Random random) =>
        new(TimeSpan.FromMilliseconds(800), TimeSpan.FromSeconds(30), 2.0, 1.0, TimeSpan.FromMinutes(2), time, random);

    /// <summary>The next wait: the step, plus jitter.</summary>
    public TimeSpan Next()
    {
        var now = time.GetUtcNow();
        if (_step == TimeSpan.Zero || now - _lastAsked > resetAfter)
        {
            _step = initial;
        }
        else
        {
            _step = TimeSpan.FromTicks((long)Math.Min(max.Ticks, _step.Ticks * factor));
        }

        _lastAsked = now;
        return _step + TimeSpan.FromTicks((long)(random.NextDouble() * jitter * _step.Ticks));
    }

    /// <summary>Forgets the history: the next wait starts from the initial step.</summary>
    public void Reset() => _step = TimeSpan.Zero;
}
