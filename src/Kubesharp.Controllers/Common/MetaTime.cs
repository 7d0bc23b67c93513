namespace Kubesharp.Controllers.Common;

/// <summary>Conversions between the KubernetesClient models' <see cref="DateTime"/> fields and <see cref="DateTimeOffset"/>.</summary>
internal static class MetaTime
{
    /// <summary>The models deserialize RFC 3339 times as UTC or local kinds depending on the text; read them as UTC instants.</summary>
    public static DateTimeOffset Utc(DateTime time) => time.Kind switch
    {
        DateTimeKind.Local => new DateTimeOffset(time.ToUniversalTime(), TimeSpan.Zero),
        _ => new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc), TimeSpan.Zero),
    };

    /// <summary>
    /// Now in whole seconds, as a <c>metav1.Time</c> reads back from the API: conditions written with it
    /// compare equal to what the informer later delivers.
    /// </summary>
    public static DateTime Now(TimeProvider time)
    {
        var now = time.GetUtcNow().UtcDateTime;
        return new DateTime(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
    }

    public static bool Same(DateTime? a, DateTime? b) =>
        a is null ? b is null : b is not null && Utc(a.Value) == Utc(b.Value);
}
